import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import ChannelsScreen from "./ChannelsScreen";
import { type LoginChannel, LoginPanel } from "./LoginPanel";

const CHANNEL: LoginChannel = { channel_id: "1650000001", login_channel_id: null, login_callback_url: "https://x.example/login/callback" };

describe("the LINE Login channel panel", () => {
  freshPageEachTest();

  it("shows the callback URL to paste, shows a refused secret at its field, then saves both", async () => {
    let calls = 0;
    const changed: LoginChannel[] = [];
    const api = fakeApi({
      "PUT /api/channels/1650000001/login": () =>
        ++calls === 1
          ? new ApiError({ status: 422, code: "validation_failed", message: "チャネルシークレットは 32 文字の英数字です", where: "login_channel_secret" })
          : { ...CHANNEL, login_channel_id: "2000000001" },
    });
    render(withApp(api, <LoginPanel channel={CHANNEL} onChange={(c) => changed.push(c)} />));
    expect(screen.getByTestId("login-callback-url").textContent).toBe("https://x.example/login/callback");
    expect(screen.getByTestId("login-channel-status").textContent).toBe("未設定");
    fireEvent.input(screen.getByLabelText("LINE ログインのチャネル ID"), { target: { value: "2000000001" } });
    const secret = screen.getByLabelText("LINE ログインのチャネルシークレット") as HTMLInputElement;
    fireEvent.input(secret, { target: { value: "xyz" } });
    fireEvent.click(screen.getByTestId("login-channel-save"));
    const panel = screen.getByTestId("login-channel");
    await waitFor(() => expect(panel.querySelector("[data-field-error=login_channel_secret]")?.textContent).toBe("チャネルシークレットは 32 文字の英数字です"));
    expect(secret.getAttribute("aria-invalid")).toBe("true");
    fireEvent.input(secret, { target: { value: "ab".repeat(16) } });
    fireEvent.click(screen.getByTestId("login-channel-save"));
    await screen.findByTestId("login-channel-saved");
    expect(api.calls.at(-1)).toBe(`PUT /api/channels/1650000001/login {"login_channel_id":"2000000001","login_channel_secret":"${"ab".repeat(16)}"}`);
    expect(changed.map((c) => c.login_channel_id)).toEqual(["2000000001"]);
    expect(secret.value).toBe("");
  });

  it("removes the Login channel only after the confirm", async () => {
    const api = fakeApi({ "PUT /api/channels/1650000001/login": { ...CHANNEL, login_channel_id: null } });
    render(withApp(api, <LoginPanel channel={{ ...CHANNEL, login_channel_id: "2000000001" }} onChange={() => undefined} />));
    expect(screen.getByTestId("login-channel-status").textContent).toBe("設定済み (2000000001)");
    fireEvent.click(screen.getByTestId("login-channel-remove"));
    expect(api.calls).toEqual([]);
    fireEvent.click(screen.getByTestId("login-channel-remove-confirm"));
    await waitFor(() => expect(api.calls).toEqual(['PUT /api/channels/1650000001/login {"login_channel_id":null,"login_channel_secret":null}']));
  });
});

describe("the connect wizard's optional LINE Login step", () => {
  freshPageEachTest();

  it("sends the Login channel with the channel and shows the API's refusal at its field", async () => {
    const api = fakeApi({
      "GET /api/channels": { channels: [] },
      "POST /api/channels": new ApiError({ status: 422, code: "validation_failed", message: "LINE ログインのチャネル ID は 10 桁の数字です", where: "login_channel_id" }),
    });
    render(withApp(api, <ChannelsScreen />));
    const step = await screen.findByTestId("wizard-login");
    const wizard = screen.getByTestId("channel-wizard");
    fireEvent.input(wizard.querySelector("input[name=channel_id]")!, { target: { value: "1650000001" } });
    fireEvent.input(wizard.querySelector("input[name=channel_secret]")!, { target: { value: "ab".repeat(16) } });
    fireEvent.input(wizard.querySelector("textarea[name=access_token]")!, { target: { value: "t".repeat(40) } });
    fireEvent.input(step.querySelector("input[name=login_channel_id]")!, { target: { value: "123" } });
    fireEvent.input(step.querySelector("input[name=login_channel_secret]")!, { target: { value: "cd".repeat(16) } });
    fireEvent.click(screen.getByTestId("channel-connect"));
    await waitFor(() => expect(step.querySelector("[data-field-error=login_channel_id]")?.textContent).toBe("LINE ログインのチャネル ID は 10 桁の数字です"));
    const post = api.calls.find((c) => c.startsWith("POST"))!;
    expect(JSON.parse(post.slice(post.indexOf("{")))).toMatchObject({ login_channel_id: "123", login_channel_secret: "cd".repeat(16) });
  });
});
