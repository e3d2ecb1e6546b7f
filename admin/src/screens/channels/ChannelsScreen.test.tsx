import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import GreetingScreen from "../greeting/GreetingScreen";
import ChannelsScreen, { type Channel } from "./ChannelsScreen";

function channel(id: string, name: string, status = "connected"): Channel {
  return {
    channel_id: id, name, bot_user_id: null, basic_id: null, status, channel_secret_hint: "ab…cd", access_token_hint: "xy…z",
    connected_at: "2026-12-01T00:00:00+00:00", webhook_verified_at: "2026-12-01T00:01:00+00:00", last_event_at: "2026-12-01T00:02:00+00:00",
    webhook_url: `https://example.jp/line/${id}`,
  };
}
const SHOP = channel("2000000001", "ハイシン美容室");
const CAFE = channel("2000000002", "ハイシンカフェ");
const OLD = channel("2000000003", "旧アカウント", "disconnected");

describe("channel settings link each connected channel to its greeting message", () => {
  freshPageEachTest("#/settings/channels");

  it("each connected channel links to the greeting editor for that channel; a disconnected one does not", async () => {
    render(withApp(fakeApi({ "GET /api/channels": { channels: [SHOP, CAFE, OLD] } }), <ChannelsScreen />));
    await screen.findByTestId(`channel-${SHOP.channel_id}`);
    const links = screen.getAllByTestId("channel-greeting") as HTMLAnchorElement[];
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      `#/settings/greeting?channel=${SHOP.channel_id}`,
      `#/settings/greeting?channel=${CAFE.channel_id}`,
    ]);
    expect(links[0]!.textContent).toBe("あいさつメッセージを編集");
    expect(screen.getByTestId(`channel-${OLD.channel_id}`).querySelector("[data-testid=channel-greeting]")).toBeNull();
  });

  it("the greeting editor opened from the link edits that channel", async () => {
    location.hash = `#/settings/greeting?channel=${CAFE.channel_id}`;
    const api = fakeApi({
      "GET /api/channels": { channels: [SHOP, CAFE] },
      [`GET /api/channels/${CAFE.channel_id}/greeting`]: { channel_id: CAFE.channel_id, enabled: true, messages: [{ type: "text", text: "カフェへようこそ" }], updated_at: null },
    });
    render(withApp(api, <GreetingScreen />));
    await screen.findByDisplayValue("カフェへようこそ");
    expect((screen.getByTestId("greeting-channel") as HTMLSelectElement).value).toBe(CAFE.channel_id);
    expect(api.calls).not.toContain(`GET /api/channels/${SHOP.channel_id}/greeting`);
  });
});
