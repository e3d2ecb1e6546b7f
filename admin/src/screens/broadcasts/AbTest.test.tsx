import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { abBody, abValues, partsOf } from "./AbTest";
import BroadcastsScreen from "./BroadcastsScreen";

const REFS = { "GET /api/tags": { tags: [] }, "GET /api/fields": { fields: [] }, "GET /api/scenarios": { items: [] }, "GET /api/forms": { items: [] }, "GET /api/products": { items: [] }, "GET /api/lists": { lists: [] }, "GET /api/channels": { channels: [] }, "POST /api/segments/count": { count: 3 } };
const PROGRESS = { planned: 4, sent: 4, failed: 0, cancelled: 0, skipped_blocked: 0, skipped_unsubscribed: 0, skipped_no_address: 0, pending: 0, planning_complete: true, batches: 2 };
const BASE = {
  broadcast_id: "bc1", name: "春の告知", status: "draft", channel: "line", segment_id: null, segment: null, everyone: true, message_count: 1,
  send_at: null, send_at_local: null, estimate: 4, quota_warning: null, last_error: null, created_at: "2026-01-01T00:00:00+00:00", started_at: null, finished_at: null, test_sent_at: null,
  progress: PROGRESS, content: { line: [{ type: "text", text: "A の文面" }] },
};

describe("the A/B body", () => {
  it("sends variants instead of content while the test is on, and [] once it is turned off", () => {
    const main = partsOf({ line: [{ type: "text", text: "A" }] });
    const on = { ...abValues(null), ab: true, weightA: "3", others: [{ weight: "1", ...partsOf({ line: [{ type: "text", text: "B" }] }) }] };
    expect(abBody("line", main, on, { name: "x", content: { line: [] } })).toEqual({
      name: "x", ab_test_share: 0,
      variants: [{ content: { line: [{ type: "text", text: "A" }] }, weight: 3 }, { content: { line: [{ type: "text", text: "B" }] }, weight: 1 }],
    });
    expect(abBody("line", main, { ...on, abShare: true, share: "20", after: "90" }, {})).toMatchObject({ ab_test_share: 20, ab_winner_after_minutes: 90 });
    expect(abBody("line", main, { ...on, ab: false }, { content: 1 })).toEqual({ content: 1, variants: [], ab_test_share: 0 });
    expect(abBody("line", main, abValues(null), { content: 1 })).toEqual({ content: 1 });
    expect(abBody("line", main, { ...on, weightA: "x" }, {}).variants).toMatchObject([{ weight: null }, { weight: 1 }]);
  });
});

describe("the composer's variant block and the results view", () => {
  freshPageEachTest();

  it("composes variant B, and shows the refused weight at its field", async () => {
    location.hash = "#/broadcasts/new";
    let calls = 0;
    const api = fakeApi({
      ...REFS,
      "POST /api/broadcasts": () =>
        ++calls === 1 ? new ApiError({ status: 422, code: "validation_failed", message: "配分（weight）は1〜1000の整数です", where: "variants.1.weight" }) : { ...BASE, broadcast_id: "bc2" },
    });
    render(withApp(api, <BroadcastsScreen />));
    fireEvent.input(await screen.findByLabelText("配信名(管理用)"), { target: { value: "春の告知" } });
    fireEvent.click(screen.getByTestId("ab-on"));
    const b = await screen.findByTestId("ab-variant");
    const weight = b.querySelector("input[name='variants.1.weight']") as HTMLInputElement;
    fireEvent.input(weight, { target: { value: "0" } });
    fireEvent.input(b.querySelector("textarea")!, { target: { value: "B の文面" } });
    fireEvent.click(screen.getByTestId("broadcast-save"));
    await waitFor(() => expect(b.querySelector("[data-field-error='variants.1.weight']")?.textContent).toBe("配分（weight）は1〜1000の整数です"));
    expect(weight.getAttribute("aria-invalid")).toBe("true");
    const body = JSON.parse(api.calls.find((c) => c.startsWith("POST /api/broadcasts "))!.slice("POST /api/broadcasts ".length));
    expect(body.content).toBeUndefined();
    expect(body.variants.map((v: { weight: number; content: { line: { text: string }[] } }) => [v.weight, v.content.line[0]!.text])).toEqual([[1, ""], [0, "B の文面"]]);
  });

  it("a sent A/B broadcast shows recipients, clicks, rates, the chart and the verdict sentence", async () => {
    location.hash = "#/broadcasts/bc1";
    const sent = { ...BASE, status: "done", started_at: "2026-01-02T00:00:00+00:00", variants: [{ weight: 1 }, { weight: 1 }] };
    const api = fakeApi({
      "GET /api/broadcasts/bc1": sent,
      "GET /api/broadcasts/bc1/abtest": {
        test_share: null, winner: null,
        variants: [
          { label: "A", weight: 1, share: 0.5, recipients: 2, clicks: 1, click_rate: 0.5, probability_best: 0.5 },
          { label: "B", weight: 1, share: 0.5, recipients: 2, clicks: 1, click_rate: 0.5, probability_best: 0.5 },
        ],
        verdict: { ready: false, message: "まだ判定できません（各パターン最低100通・成果5件が必要です）", leader: null, significant: false },
      },
    });
    render(withApp(api, <BroadcastsScreen />));
    expect((await screen.findByTestId("ab-verdict")).textContent).toBe("まだ判定できません（各パターン最低100通・成果5件が必要です）");
    const rows = screen.getAllByTestId("ab-row").map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent));
    // conversions, conversion rate, revenue and revenue per recipient sit next to the clicks (none in this answer)
    expect(rows).toEqual([["A", "2", "1", "50.0%", "0", "—", "¥0", "—", "50.0%"], ["B", "2", "1", "50.0%", "0", "—", "¥0", "—", "50.0%"]]);
    expect(screen.getAllByTestId("ab-bar").map((g) => g.getAttribute("data-value"))).toEqual(["0.5", "0.5"]);
  });
});
