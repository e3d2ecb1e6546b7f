import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import DeliveryErrorsScreen from "./DeliveryErrorsScreen";

const DEAD = { delivery_id: "d1", kind: "broadcast", channel: "line", reason: "LINE 500: Internal Server Error", first_failed_at: "2026-12-01T01:00:00+00:00", receive_count: 8, message_id: "m1" };
const REPLAYED = { replayed: 1, already_sent: 0, unreadable: 0, other_workspace: 0, too_old_for_line: 0 };

describe("delivery errors (配信エラー)", () => {
  freshPageEachTest("#/deliveries");

  it("lists the held deliveries and resends them only after the confirm, showing how many", async () => {
    let held = [DEAD];
    const api = fakeApi({ "GET /api/deliveries/dead-letters": () => ({ items: held }), "POST /api/deliveries/dead-letters/replay": () => ((held = []), REPLAYED) });
    render(withApp(api, <DeliveryErrorsScreen />));
    expect((await screen.findByTestId("dead-letters")).textContent).toContain("LINE 500: Internal Server Error");
    fireEvent.click(screen.getByTestId("replay"));
    expect(screen.getByText("保留中の配信 1 件を再送しますか?")).toBeTruthy();
    expect(api.calls).toEqual(["GET /api/deliveries/dead-letters"]);
    fireEvent.click(screen.getByTestId("replay-confirm"));
    expect((await screen.findByTestId("replay-result")).textContent).toContain("1 件を再送しました。");
    await screen.findByTestId("list-empty");
    expect(api.calls).toEqual(["GET /api/deliveries/dead-letters", "POST /api/deliveries/dead-letters/replay", "GET /api/deliveries/dead-letters"]);
  });

  it("shows the warning for LINE deliveries too old to resend safely, and forces only after a second confirm", async () => {
    const api = fakeApi({
      "GET /api/deliveries/dead-letters": { items: [DEAD] },
      "POST /api/deliveries/dead-letters/replay": { ...REPLAYED, replayed: 0, too_old_for_line: 1, warning: "LINE は再送キーを 24 時間しか覚えていません。" },
    });
    render(withApp(api, <DeliveryErrorsScreen />));
    fireEvent.click(await screen.findByTestId("replay"));
    fireEvent.click(screen.getByTestId("replay-confirm"));
    const warn = await screen.findByTestId("replay-too-old");
    expect(warn.textContent).toContain("LINE は再送キーを 24 時間しか覚えていません。");
    fireEvent.click(screen.getByTestId("replay-force"));
    fireEvent.click(screen.getByTestId("replay-force-confirm"));
    await waitFor(() => expect(api.calls).toContain("POST /api/deliveries/dead-letters/replay?force_old_line=true"));
  });

  it("a viewer sees the held deliveries but no resend button", async () => {
    render(withApp(fakeApi({ "GET /api/deliveries/dead-letters": { items: [DEAD] } }), <DeliveryErrorsScreen />, "viewer"));
    await screen.findByTestId("dead-letters");
    expect(screen.queryByTestId("replay")).toBeNull();
  });

  it("pages the error log with a link to the friend", async () => {
    location.hash = "#/deliveries/errors";
    const row = { delivery_id: "d2", kind: "step", channel: "line", status: "failed", subscriber_id: "sub_1", error: "LINE 400: bad", attempts: 3, scheduled_at: null };
    const api = fakeApi({ "GET /api/deliveries/errors": { items: [row], cursor: "c2" } });
    render(withApp(api, <DeliveryErrorsScreen />));
    const table = await screen.findByTestId("delivery-errors");
    expect(table.textContent).toContain("シナリオ");
    expect(screen.getByText("sub_1").getAttribute("href")).toBe("#/friends/sub_1");
    fireEvent.click(screen.getByTestId("list-more"));
    await waitFor(() => expect(api.calls.length).toBe(2));
  });

  it("names a one-off notice (a seminar or booking message) in the error log", async () => {
    location.hash = "#/deliveries/errors";
    const row = { delivery_id: "nt_1", kind: "notice", channel: "line", status: "retrying", subscriber_id: "sub_2", error: "push: Internal server error", attempts: 1, scheduled_at: null };
    render(withApp(fakeApi({ "GET /api/deliveries/errors": { items: [row] } }), <DeliveryErrorsScreen />));
    const table = await screen.findByTestId("delivery-errors");
    expect(table.textContent).toContain("個別のお知らせ");
    expect(table.textContent).not.toContain("notice");
  });

  it("replays an unmatched Stripe event and shows the outcome", async () => {
    location.hash = "#/deliveries/stripe";
    const ev = { event_id: "evt_1", type: "checkout.session.completed", outcome: "unmatched", last_received_at: null };
    const api = fakeApi({ "GET /api/payments/stripe/events": { items: [ev] }, "POST /api/payments/stripe/events/evt_1/replay": { event_id: "evt_1", outcome: "paid" } });
    render(withApp(api, <DeliveryErrorsScreen />));
    fireEvent.click(await screen.findByTestId("stripe-replay"));
    expect((await screen.findByText("再処理しました: paid")).textContent).toBeTruthy();
  });
});
