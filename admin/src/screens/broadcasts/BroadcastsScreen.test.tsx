import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import BroadcastsScreen from "./BroadcastsScreen";

const REFS = { "GET /api/tags": { tags: [] }, "GET /api/fields": { fields: [] }, "GET /api/scenarios": { items: [] }, "GET /api/forms": { items: [] }, "GET /api/products": { items: [] }, "GET /api/lists": { lists: [{ list_id: "lst1", name: "VIP" }] }, "GET /api/channels": { channels: [] }, "POST /api/segments/count": { count: 3 } };
const DRAFT = {
  broadcast_id: "bc1", name: "下書き", status: "draft", channel: "line", segment_id: null, segment: null, everyone: true, message_count: 1,
  send_at: null, send_at_local: null, estimate: 3, quota_warning: null, last_error: null, created_at: "2026-01-01T00:00:00+00:00", started_at: null, finished_at: null, test_sent_at: null,
  progress: { planned: 0, sent: 0, failed: 0, cancelled: 0, skipped_blocked: 0, skipped_unsubscribed: 0, skipped_no_address: 0, pending: 0, planning_complete: false, batches: 0 },
  content: { line: [{ type: "text", text: "こんにちは" }] },
};

describe("broadcast composer: delete a draft, audience chosen elsewhere", () => {
  freshPageEachTest();

  it("deletes a draft only after the confirm, then goes back to the list", async () => {
    location.hash = "#/broadcasts/bc1";
    const api = fakeApi({ "GET /api/broadcasts/bc1": DRAFT, "GET /api/broadcasts/bc1/quota-check": { matched: 3, recipients: 3, skipped: {}, messages_per_recipient: 1, estimated_messages: 3, ok: true, policy: "warn" }, "DELETE /api/broadcasts/bc1": { deleted: "bc1" }, "GET /api/broadcasts": { items: [] } });
    render(withApp(api, <BroadcastsScreen />));
    fireEvent.click(await screen.findByTestId("broadcast-delete"));
    expect(screen.getByText("この下書きを削除しますか?")).toBeTruthy();
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("broadcast-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/broadcasts"));
    expect(api.calls).toContain("DELETE /api/broadcasts/bc1");
  });

  it("a new broadcast for an ID list starts with the list as its audience", async () => {
    location.hash = "#/broadcasts/new?list=lst1";
    const api = fakeApi({ ...REFS, "POST /api/broadcasts": { ...DRAFT, broadcast_id: "bc2" } });
    render(withApp(api, <BroadcastsScreen />));
    expect((document.querySelector("input[name=audience][value=build]") as HTMLInputElement).checked).toBe(true);
    fireEvent.input(screen.getByLabelText("配信名(管理用)"), { target: { value: "VIP へのお知らせ" } });
    fireEvent.click(screen.getByTestId("broadcast-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("POST /api/broadcasts "))).toBe(true));
    const body = JSON.parse(api.calls.find((c) => c.startsWith("POST /api/broadcasts "))!.slice("POST /api/broadcasts ".length));
    expect(body.segment).toEqual({ match: "all", conditions: [{ type: "list", list_id: "lst1", mode: "include" }] });
  });
});
