import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import GreetingScreen from "./GreetingScreen";

const CH = { channel_id: "2000000001", name: "ハイシン美容室" };
const GREETING = { channel_id: CH.channel_id, enabled: true, messages: [{ type: "text", text: "ようこそ {{ name }} さん" }], updated_at: "2026-12-01T00:00:00+00:00" };

describe("greeting message (あいさつメッセージ)", () => {
  freshPageEachTest("#/settings/greeting");

  it("shows the channel's greeting in the editor and its preview, and saves it", async () => {
    const api = fakeApi({ "GET /api/channels": { channels: [CH] }, [`GET /api/channels/${CH.channel_id}/greeting`]: GREETING, [`PUT /api/channels/${CH.channel_id}/greeting`]: (b: unknown) => ({ channel_id: CH.channel_id, ...(b as object) }) });
    render(withApp(api, <GreetingScreen />));
    const text = (await screen.findByDisplayValue("ようこそ {{ name }} さん")) as HTMLTextAreaElement;
    expect(text.name).toBe("messages[0].text");
    expect(screen.getByTestId("message-preview").textContent).toContain("ようこそ 山田 花子 さん");
    fireEvent.input(text, { target: { value: "友だち追加ありがとうございます" } });
    fireEvent.click(screen.getByTestId("greeting-save"));
    await screen.findByTestId("greeting-saved");
    expect(api.calls.at(-1)).toBe(`PUT /api/channels/${CH.channel_id}/greeting {"enabled":true,"messages":[{"type":"text","text":"友だち追加ありがとうございます"}]}`);
  });

  it("a refused save keeps the text and shows the API's message at the message's text", async () => {
    const api = fakeApi({
      "GET /api/channels": { channels: [CH] },
      [`GET /api/channels/${CH.channel_id}/greeting`]: GREETING,
      [`PUT /api/channels/${CH.channel_id}/greeting`]: new ApiError({ status: 422, code: "validation_failed", message: "テキストを入力してください", where: "messages.0.text" }),
    });
    render(withApp(api, <GreetingScreen />));
    const text = (await screen.findByDisplayValue("ようこそ {{ name }} さん")) as HTMLTextAreaElement;
    fireEvent.input(text, { target: { value: " " } });
    fireEvent.click(screen.getByTestId("greeting-save"));
    await screen.findAllByRole("alert");
    await waitFor(() => expect(text.getAttribute("aria-invalid")).toBe("true"));
    expect(text.value).toBe(" ");
    expect(text.parentElement!.textContent).toContain("テキストを入力してください");
    expect(screen.queryByTestId("greeting-saved")).toBeNull();
  });

  it("picks the channel when there are several, and says where to connect one when there is none", async () => {
    const other = { channel_id: "2000000002", name: "二号店" };
    const api = fakeApi({
      "GET /api/channels": { channels: [CH, other] },
      [`GET /api/channels/${CH.channel_id}/greeting`]: GREETING,
      [`GET /api/channels/${other.channel_id}/greeting`]: { channel_id: other.channel_id, enabled: false, messages: [], updated_at: null },
    });
    render(withApp(api, <GreetingScreen />));
    await screen.findByDisplayValue("ようこそ {{ name }} さん");
    fireEvent.change(screen.getByTestId("greeting-channel"), { target: { value: other.channel_id } });
    await screen.findByText("メッセージがありません。「テキスト」などを追加してください。");
    expect(screen.getByTestId("greeting-enabled").querySelector("input")!.checked).toBe(false);
  });

  it("with no channel, offers to connect one", async () => {
    render(withApp(fakeApi({ "GET /api/channels": { channels: [] } }), <GreetingScreen />));
    expect((await screen.findByTestId("list-empty")).textContent).toContain("LINE チャネルがまだ接続されていません");
    expect(screen.getByText("LINE チャネルを接続する").getAttribute("href")).toBe("#/settings/channels");
  });
});
