import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import PartnersScreen from "./PartnersScreen";

const PARTNER = {
  partner_id: "ptn_1", name: "山田商店", email: "yamada@example.jp", route_id: "rt_1", code: "ab3cd4ef", channel_id: "1234567890",
  referral_url: "https://h.example/r/ab3cd4ef", seminar_ids: ["sem_1"], seminar_links: [{ seminar_id: "sem_1", url: "https://h.example/s/sem_1?ref=ab3cd4ef" }],
  rules: [{ kind: "percent", percent: 10, yen: null, product_id: null, touch: "last", window_days: 30 }], friends: 3,
  report_url: "https://h.example/partner/w.ptn_1.1.mac",
};
const REPORT = {
  friends: 3,
  total_commission: 1000,
  approved_commission: 0,
  pending_commission: 1000,
  months: [{ month: "2026-12", sales: 1, sales_amount: 10000, refunds: 0, refunded_amount: 0, registrations: 0, attendances: 0, commission: 1000, approved_commission: 0, pending_commission: 1000 }],
};
const PENDING = [
  { partner_id: "ptn_1", partner_name: "山田商店", key: "2026-12#sale:o_1", month: "2026-12", kind: "sale", order_id: "o_1", amount: 10000, commission: 1000, status: "pending", at: "2026-12-01T00:00:00+00:00" },
  { partner_id: "ptn_1", partner_name: "山田商店", key: "2026-12#invoice:in_2", month: "2026-12", kind: "invoice", order_id: "o_2", amount: 3000, commission: 300, status: "pending", at: "2026-12-02T00:00:00+00:00" },
];
const CHANNELS = { channels: [{ channel_id: "1234567890", name: "ショップ" }] };

describe("partners", () => {
  freshPageEachTest();

  it("lists partners with their code and friends", async () => {
    location.hash = "#/partners";
    render(withApp(fakeApi({ "GET /api/partners": { items: [PARTNER] } }), <PartnersScreen />));
    await screen.findByTestId("partner-list");
    expect(screen.getByTestId("partner-row").textContent).toContain("紹介した友だち 3人");
    expect(screen.getByTestId("partner-payout-download")).toBeTruthy();
  });

  it("creates a partner with a 10% rule and opens its page", async () => {
    location.hash = "#/partners/new";
    const api = fakeApi({ "GET /api/channels": CHANNELS, "GET /api/products": { items: [] }, "POST /api/partners": PARTNER });
    render(withApp(api, <PartnersScreen />));
    fireEvent.input(screen.getByLabelText("パートナー名"), { target: { value: "山田商店" } });
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("GET /api/channels"))).toBe(true));
    fireEvent.click(screen.getByTestId("partner-save"));
    await waitFor(() => expect(location.hash).toBe("#/partners/ptn_1"));
    const post = api.calls.find((c) => c.startsWith("POST /api/partners"))!;
    expect(JSON.parse(post.slice("POST /api/partners ".length)).rules).toEqual([{ kind: "percent", percent: 10, yen: null, product_id: null, touch: "last", window_days: 30, recurring: false, signup_yen: null }]);
  });

  it("a rule without an amount is refused in Japanese and the draft stays", async () => {
    location.hash = "#/partners/new";
    const api = fakeApi({
      "GET /api/channels": CHANNELS,
      "GET /api/products": { items: [] },
      "POST /api/partners": new ApiError({ status: 422, code: "validation_failed", message: "報酬率(%)を入力してください", where: "rules.0" }),
    });
    render(withApp(api, <PartnersScreen />));
    fireEvent.input(screen.getByLabelText("パートナー名"), { target: { value: "山田商店" } });
    fireEvent.click(screen.getByTestId("partner-save"));
    expect((await screen.findAllByText("報酬率(%)を入力してください")).length).toBeGreaterThan(0);
    expect((screen.getByLabelText("パートナー名") as HTMLInputElement).value).toBe("山田商店");
  });

  it("the partner's page shows links, the report and rotates the report URL after the confirm", async () => {
    location.hash = "#/partners/ptn_1";
    const rotated = { ...PARTNER, report_url: "https://h.example/partner/w.ptn_1.2.mac2" };
    const api = fakeApi({
      "GET /api/partners/ptn_1": PARTNER,
      "GET /api/partners/ptn_1/report": REPORT,
      "GET /api/channels": CHANNELS,
      "GET /api/products": { items: [] },
      "POST /api/partners/ptn_1/rotate-link": rotated,
    });
    render(withApp(api, <PartnersScreen />));
    expect((await screen.findByTestId("partner-referral-url")).textContent).toBe("https://h.example/r/ab3cd4ef");
    expect((await screen.findByTestId("partner-report-commission")).textContent).toBe("¥1,000");
    fireEvent.click(screen.getByTestId("partner-rotate"));
    expect(api.calls.some((c) => c.startsWith("POST /api/partners/ptn_1/rotate-link"))).toBe(false);
    fireEvent.click(screen.getByTestId("partner-rotate-confirm"));
    await waitFor(() => expect(screen.getByTestId("partner-report-url").textContent).toBe("https://h.example/partner/w.ptn_1.2.mac2"));
  });

  it("approves the selected pending commissions in bulk", async () => {
    location.hash = "#/partners";
    const api = fakeApi({
      "GET /api/partners": { items: [PARTNER] },
      "GET /api/partner-commissions": { items: PENDING },
      "POST /api/partner-commissions/decide": { decision: "approved", changed: 2, rows: [] },
    });
    render(withApp(api, <PartnersScreen />));
    const rows = await screen.findAllByTestId("partner-commission");
    expect(rows[1]?.textContent).toContain("継続課金");
    expect((screen.getByTestId("partner-approve") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByLabelText("すべて選択"));
    fireEvent.click(screen.getByTestId("partner-approve"));
    await waitFor(() => expect(screen.getByTestId("partner-approve-done").textContent).toBe("2件を更新しました。"));
    const post = api.calls.find((c) => c.startsWith("POST /api/partner-commissions/decide"))!;
    expect(JSON.parse(post.slice("POST /api/partner-commissions/decide ".length))).toEqual({
      decision: "approved",
      rows: [
        { partner_id: "ptn_1", key: "2026-12#sale:o_1" },
        { partner_id: "ptn_1", key: "2026-12#invoice:in_2" },
      ],
    });
  });

  it("e-mails the report URL to the partner and saves seminar rewards and promotion codes", async () => {
    location.hash = "#/partners/ptn_1";
    const api = fakeApi({
      "GET /api/partners/ptn_1": PARTNER,
      "GET /api/partners/ptn_1/report": REPORT,
      "GET /api/channels": CHANNELS,
      "GET /api/products": { items: [] },
      "POST /api/partners/ptn_1/email-report-link": { sent_to: "yamada@example.jp", message_id: "m1" },
      "PUT /api/partners/ptn_1": PARTNER,
    });
    render(withApp(api, <PartnersScreen />));
    fireEvent.click(await screen.findByTestId("partner-mail"));
    await waitFor(() => expect(screen.getByTestId("partner-mail-sent").textContent).toBe("yamada@example.jp に送信しました。"));
    fireEvent.click(screen.getByTestId("partner-seminar-reward-add"));
    fireEvent.input(screen.getByLabelText("紐づける Stripe プロモーションコード ID(promo_…、カンマ区切り)"), { target: { value: "promo_abc" } });
    fireEvent.click(screen.getByTestId("partner-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("PUT /api/partners/ptn_1"))).toBe(true));
    const put = JSON.parse(api.calls.find((c) => c.startsWith("PUT /api/partners/ptn_1"))!.slice("PUT /api/partners/ptn_1 ".length));
    expect(put.promotion_codes).toEqual(["promo_abc"]);
    expect(put.seminar_rewards).toEqual([{ seminar_id: null, on: "registration", yen: 1000 }]);
  });
});
