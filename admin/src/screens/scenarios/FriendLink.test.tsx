import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { FriendLink, type ScenarioFriendLink } from "./FriendLink";

const LINK: NonNullable<ScenarioFriendLink["link"]> = {
  route_id: "rt_7", name: "シナリオ: 春のセミナー", folder: "シナリオ", code: "semi2345", channel_id: "1650000001",
  actions: [{ type: "start_scenario", scenario_id: "sc_1" }], greeting: null, run: "every",
  url: "https://x.example/r/semi2345", friends: 4, scenario_id: "sc_1", replace_friend_added: true,
};

function stubBlobs(): string[] {
  const fetched: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    fetched.push(url);
    return new Response(url.endsWith("svg") ? "<svg/>" : "PNG", { status: 200 });
  });
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:qr", revokeObjectURL: () => undefined }));
  return fetched;
}

describe("a scenario's friend-add link", () => {
  freshPageEachTest();
  afterEach(() => vi.unstubAllGlobals());

  it("makes the link, then shows its URL, friends, the route's QR code and a way to the route", async () => {
    const fetched = stubBlobs();
    const api = fakeApi({
      "GET /api/scenarios/sc_1/friend-link": { scenario_id: "sc_1", link: null },
      "POST /api/scenarios/sc_1/friend-link": { scenario_id: "sc_1", link: LINK },
    });
    render(withApp(api, <FriendLink scenarioId="sc_1" />));
    expect(screen.getByTestId("scenario-friend-link").textContent).toContain("友だち追加時のシナリオではなく");
    fireEvent.click(await screen.findByTestId("scenario-friend-link-create"));
    expect((await screen.findByTestId("route-url")).textContent).toBe("https://x.example/r/semi2345");
    expect(api.calls).toContain("POST /api/scenarios/sc_1/friend-link {}");
    expect(screen.getByTestId("route-friends-count").textContent).toBe("4");
    await waitFor(() => expect(screen.getByTestId("route-qr").getAttribute("src")).toBe("blob:qr"));
    expect(fetched.some((u) => u.endsWith("/api/inflow-routes/rt_7/qr?format=svg"))).toBe(true);
    expect(screen.getByTestId("scenario-friend-link-edit").getAttribute("href")).toBe("#/inflow-routes/rt_7");
  });

  it("an existing link is shown at once", async () => {
    stubBlobs();
    const api = fakeApi({ "GET /api/scenarios/sc_1/friend-link": { scenario_id: "sc_1", link: LINK } });
    render(withApp(api, <FriendLink scenarioId="sc_1" />));
    expect((await screen.findByTestId("route-url")).textContent).toBe("https://x.example/r/semi2345");
    expect(screen.queryByTestId("scenario-friend-link-create")).toBeNull();
  });

  it("asks for the LINE channel at the field when the API says there are several", async () => {
    stubBlobs();
    let tries = 0;
    const api = fakeApi({
      "GET /api/scenarios/sc_1/friend-link": { scenario_id: "sc_1", link: null },
      "GET /api/channels": { channels: [{ channel_id: "1650000001", name: "本店" }, { channel_id: "1650000002", name: "二号店" }] },
      "POST /api/scenarios/sc_1/friend-link": () =>
        tries++ === 0
          ? new ApiError({ status: 422, code: "validation_failed", message: "LINE チャネルが複数あります。リンクを作るチャネルを選んでください", where: "channel_id" })
          : { scenario_id: "sc_1", link: { ...LINK, channel_id: "1650000002" } },
    });
    render(withApp(api, <FriendLink scenarioId="sc_1" />));
    fireEvent.click(await screen.findByTestId("scenario-friend-link-create"));
    const error = await screen.findByText("LINE チャネルが複数あります。リンクを作るチャネルを選んでください");
    expect(error.getAttribute("data-field-error")).toBe("channel_id");
    await waitFor(() => expect(document.querySelectorAll("select[name=channel_id] option").length).toBe(3));
    fireEvent.change(document.querySelector("select[name=channel_id]")!, { target: { value: "1650000002" } });
    fireEvent.click(screen.getByTestId("scenario-friend-link-create"));
    await screen.findByTestId("route-url");
    expect(api.calls).toContain('POST /api/scenarios/sc_1/friend-link {"channel_id":"1650000002"}');
  });
});
