import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import RoutesScreen, { byFolder, type InflowRoute } from "./RoutesScreen";

const CHANNELS = { channels: [{ channel_id: "1650000001", name: "本店" }] };
const POSTER: InflowRoute = {
  route_id: "rt_1", name: "店頭ポスター", folder: "店舗", code: "abcd2345", channel_id: "1650000001",
  actions: [{ type: "add_tag", tag: "店頭" }], greeting: null, run: "once", url: "https://x.example/r/abcd2345", friends: 3,
};
const INSTA: InflowRoute = { ...POSTER, route_id: "rt_2", name: "Instagram", folder: null, code: "efgh6789", url: "https://x.example/r/efgh6789", friends: 0 };

describe("routes by folder", () => {
  it("keeps the API's folder order and puts the routes in no folder last", () => {
    expect(byFolder([INSTA, POSTER]).map(([f, rs]) => [f, rs.map((r) => r.name)])).toEqual([
      ["店舗", ["店頭ポスター"]],
      [null, ["Instagram"]],
    ]);
  });
});

describe("the inflow routes screen", () => {
  freshPageEachTest();
  afterEach(() => vi.unstubAllGlobals());

  it("lists the routes under their folders with the friends each brought", async () => {
    location.hash = "#/inflow-routes";
    render(withApp(fakeApi({ "GET /api/inflow-routes": { items: [POSTER, INSTA] } }), <RoutesScreen />));
    await screen.findAllByTestId("route-row");
    expect(screen.getAllByTestId("route-group").map((g) => g.getAttribute("data-folder"))).toEqual(["店舗", ""]);
    expect(screen.getAllByTestId("route-friends").map((x) => x.textContent)).toEqual(["友だち 3人", "友だち 0人"]);
  });

  it("creates a route with a tag action, the greeting override and every-time actions, then opens its page", async () => {
    location.hash = "#/inflow-routes/new";
    const api = fakeApi({ "GET /api/channels": CHANNELS, "POST /api/inflow-routes": { ...POSTER, route_id: "rt_9" } });
    render(withApp(api, <RoutesScreen />));
    fireEvent.input(await screen.findByLabelText("経路名"), { target: { value: "店頭ポスター" } });
    await waitFor(() => expect(document.querySelectorAll("select[name=channel_id] option").length).toBe(1));
    fireEvent.click(screen.getByTestId("action-add"));
    fireEvent.input(document.querySelector("input[name='actions[0].tag']")!, { target: { value: "店頭" } });
    fireEvent.click(screen.getByLabelText("毎回"));
    fireEvent.click(screen.getByTestId("route-replace"));
    fireEvent.click(screen.getByTestId("route-greet"));
    fireEvent.input(document.querySelector("textarea[name='greeting.0']")!, { target: { value: "来てくれてありがとう" } });
    fireEvent.click(screen.getByTestId("route-save"));
    await waitFor(() => expect(location.hash).toBe("#/inflow-routes/rt_9"));
    const post = api.calls.find((c) => c.startsWith("POST"))!;
    expect(JSON.parse(post.slice(post.indexOf("{")))).toEqual({
      name: "店頭ポスター", folder: null, channel_id: "1650000001", actions: [{ type: "add_tag", tag: "店頭" }], run: "every",
      replace_friend_added: true, greeting: [{ type: "text", text: "来てくれてありがとう" }],
    });
  });

  it("a refused name keeps what was typed and shows the message at the field", async () => {
    location.hash = "#/inflow-routes/new";
    const api = fakeApi({
      "GET /api/channels": CHANNELS,
      "POST /api/inflow-routes": new ApiError({ status: 422, code: "validation_failed", message: "経路名は 100 文字以内です", where: "name" }),
    });
    render(withApp(api, <RoutesScreen />));
    const name = (await screen.findByLabelText("経路名")) as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(name, "長すぎる名前", "route-save", "経路名は 100 文字以内です");
  });

  it("a saved route shows its URL, the QR preview, downloads PNG, and deletes only after the confirm", async () => {
    location.hash = "#/inflow-routes/rt_1";
    const fetched: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      fetched.push(url);
      return new Response(url.endsWith("svg") ? "<svg/>" : "PNG", { status: 200 });
    });
    const created: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (created.push(b), `blob:${created.length}`), revokeObjectURL: () => undefined }));
    const api = fakeApi({ "GET /api/channels": CHANNELS, "GET /api/inflow-routes/rt_1": POSTER, "DELETE /api/inflow-routes/rt_1": undefined });
    render(withApp(api, <RoutesScreen />));
    expect((await screen.findByTestId("route-url")).textContent).toBe("https://x.example/r/abcd2345");
    expect(screen.getByTestId("route-friends-count").textContent).toBe("3");
    await waitFor(() => expect(screen.getByTestId("route-qr").getAttribute("src")).toBe("blob:1"));
    fireEvent.click(screen.getByTestId("route-qr-png"));
    await waitFor(() => expect(fetched.some((u) => u.endsWith("/api/inflow-routes/rt_1/qr?format=png"))).toBe(true));
    fireEvent.click(screen.getByTestId("route-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("route-delete-confirm"));
    await waitFor(() => expect(api.calls).toContain("DELETE /api/inflow-routes/rt_1"));
  });
});
