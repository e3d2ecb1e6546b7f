import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import LinksScreen from "./LinksScreen";

const LINK = {
  link_id: "l_1", name: "春のキャンペーン", target_url: "https://example.jp/spring", inflow_route: "instagram", actions: [{ type: "add_tag", tag: "春" }],
  url: "https://h.example/c/l_1", clicks: 12, friend_clicks: 9, anonymous_clicks: 3, unique_friends: 7, created_at: "2026-03-01T00:00:00+00:00",
};

describe("tracked links", () => {
  freshPageEachTest();

  it("lists links with total clicks and unique friends", async () => {
    location.hash = "#/links";
    render(withApp(fakeApi({ "GET /api/links": { items: [LINK] } }), <LinksScreen />));
    await screen.findByTestId("link-list");
    expect(screen.getByTestId("link-counts").textContent).toBe("クリック 12 回 · 友だち 7 人");
    expect(screen.getByTestId("link-copy")).toBeTruthy();
  });

  it("an invalid destination URL is refused at the field and what was typed stays", async () => {
    location.hash = "#/links/new";
    const api = fakeApi({ "POST /api/links": new ApiError({ status: 422, code: "validation_failed", message: "URL の形式ではありません", where: "target_url" }) });
    render(withApp(api, <LinksScreen />));
    const url = screen.getByLabelText("リンク先 URL") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(url, "example", "link-save", "URL の形式ではありません");
  });

  it("creates a link with an add-tag action and opens its page", async () => {
    location.hash = "#/links/new";
    const api = fakeApi({ "POST /api/links": LINK });
    render(withApp(api, <LinksScreen />));
    fireEvent.input(screen.getByLabelText("管理名"), { target: { value: "春のキャンペーン" } });
    fireEvent.input(screen.getByLabelText("リンク先 URL"), { target: { value: "https://example.jp/spring" } });
    fireEvent.click(screen.getByTestId("action-add"));
    fireEvent.input(document.querySelector("input[name='actions[0].tag']")!, { target: { value: "春" } });
    fireEvent.click(screen.getByTestId("link-save"));
    await waitFor(() => expect(location.hash).toBe("#/links/l_1"));
    expect(api.calls[0]).toBe(`POST /api/links ${JSON.stringify({ name: "春のキャンペーン", target_url: "https://example.jp/spring", inflow_route: null, actions: [{ type: "add_tag", tag: "春" }] })}`);
  });

  it("the detail shows the figures, makes a per-friend URL and deletes only after the confirm", async () => {
    location.hash = "#/links/l_1";
    const api = fakeApi({ "GET /api/links/l_1": LINK, "POST /api/links/l_1/friend-url": { url: "https://h.example/c/l_1.tok" }, "DELETE /api/links/l_1": undefined });
    render(withApp(api, <LinksScreen />));
    expect((await screen.findByTestId("link-unique")).textContent).toBe("7");
    expect(screen.getByTestId("link-url").textContent).toBe("https://h.example/c/l_1");
    fireEvent.input(screen.getByLabelText("友だち ID"), { target: { value: "s_1" } });
    fireEvent.click(screen.getByTestId("link-friend-url-make"));
    expect((await screen.findByTestId("link-friend-url-value")).textContent).toBe("https://h.example/c/l_1.tok");
    fireEvent.click(screen.getByTestId("link-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("link-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/links"));
    expect(api.calls.at(-1)).toBe("DELETE /api/links/l_1");
  });
});
