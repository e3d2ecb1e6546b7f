import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, withApp, freshPageEachTest, typeSaveAndExpectErrorAtField } from "../../testing/app";
import AutoRepliesScreen from "./AutoRepliesScreen";

const RULE = { id: "ar1", name: "営業時間", channel_id: null, match_type: "contains", keywords: ["営業時間"], priority: 10, enabled: true, messages: [{ type: "text", text: "10時から" }], actions: [] };

describe("auto-replies on the shared shell", () => {
  freshPageEachTest();

  it("lists the rules with the tester, which names the rule that answers", async () => {
    location.hash = "#/auto-replies";
    render(withApp(fakeApi({ "GET /api/auto-replies": { auto_replies: [RULE] } }), <AutoRepliesScreen />));
    await screen.findByTestId("autoreply-list");
    fireEvent.input(screen.getByLabelText("試しにメッセージを入力(どのルールが返信するか)"), { target: { value: "営業時間を教えて" } });
    expect(screen.getByTestId("autoreply-tester-result").textContent).toBe("「営業時間」が返信します。");
  });

  it("a refused save keeps what was typed and shows the message at the keywords", async () => {
    location.hash = "#/auto-replies/new";
    const api = fakeApi({ "POST /api/auto-replies": new ApiError({ status: 422, code: "validation_failed", message: "正規表現が不正です", where: "keywords" }) });
    render(withApp(api, <AutoRepliesScreen />));
    const keywords = screen.getByLabelText("キーワード(1 行に 1 つ)") as HTMLTextAreaElement;
    await typeSaveAndExpectErrorAtField(keywords, "([", "autoreply-save", "正規表現が不正です");
    expect(location.hash).toBe("#/auto-replies/new");
  });

  it("deletes a rule only after the confirm", async () => {
    location.hash = "#/auto-replies/ar1";
    const api = fakeApi({ "GET /api/auto-replies/ar1": RULE, "DELETE /api/auto-replies/ar1": undefined, "GET /api/auto-replies/ar1/clicks": { clicks: 3, unique_clicks: 2 } });
    render(withApp(api, <AutoRepliesScreen />));
    expect((await screen.findByTestId("autoreply-clicks-clicks")).textContent).toContain("3"); // the rule's clicks beside it
    fireEvent.click(await screen.findByTestId("autoreply-delete"));
    expect(api.calls).toEqual(["GET /api/auto-replies/ar1", "GET /api/auto-replies/ar1/clicks"]);
    expect(screen.getByText("この自動応答を削除しますか?")).toBeTruthy();
    fireEvent.click(screen.getByTestId("autoreply-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/auto-replies"));
    expect(api.calls).toEqual(["GET /api/auto-replies/ar1", "GET /api/auto-replies/ar1/clicks", "DELETE /api/auto-replies/ar1"]);
  });
});
