import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { couponCard, MessageEditor } from "../../components/MessageEditor";
import type { LineMessage } from "../../components/MessagePreview";
import CouponsScreen, { bodyOf, codeState, type Coupon, discountLabel, ratePercent } from "./CouponsScreen";

const WINTER: Coupon = {
  coupon_id: "cpn_1", name: "冬のクーポン", description: "", discount_type: "percent", discount_value: 20,
  valid_from: null, valid_until: "2026-12-31T23:59:00+09:00", per_friend_limit: 1, mode: "pool", shared_code: null,
  archived: false, variable: '{{ coupon("cpn_1") }}', stripe_promotion_code_id: null,
  stats: { pool_size: 10, available: 8, distributed: 2, redeemed: 1, rate: 0.5, revenue: 0 },
};

describe("coupon bodies and labels", () => {
  it("sends numbers as numbers, the shared code only for a shared coupon, and only editable fields on edit", () => {
    const v = { name: "x", discount_type: "amount" as const, discount_value: "500", valid_from: "", valid_until: "2026-12-31T23:59", per_friend_limit: "2", mode: "shared" as const, shared_code: "WELCOME", stripe_promotion_code_id: "", no_stripe: false };
    expect(bodyOf(v, false)).toEqual({ name: "x", discount_type: "amount", discount_value: 500, valid_from: null, valid_until: "2026-12-31T23:59", per_friend_limit: 2, mode: "shared", shared_code: "WELCOME", stripe: true });
    expect(bodyOf({ ...v, no_stripe: true }, false)).toMatchObject({ stripe: false });
    expect(bodyOf({ ...v, mode: "pool" }, false)).not.toHaveProperty("shared_code");
    expect(bodyOf({ ...v, mode: "pool" }, false)).not.toHaveProperty("stripe");
    expect(bodyOf(v, true)).toEqual({ name: "x", valid_from: null, valid_until: "2026-12-31T23:59", per_friend_limit: 2, stripe_promotion_code_id: null });
    expect(discountLabel(WINTER)).toBe("20%OFF");
    expect(discountLabel({ discount_type: "amount", discount_value: 1500 })).toBe("1,500円引き");
    expect(ratePercent(0.5)).toBe("50.0%");
  });
});

describe("the coupons screens", () => {
  freshPageEachTest();

  it("withdraws a code and undoes a staff redemption after confirming", async () => {
    location.hash = "#/coupons/cpn_1";
    window.confirm = () => true;
    const api = fakeApi({
      "GET /api/coupons/cpn_1": WINTER,
      "GET /api/coupons/cpn_1/redemptions": {
        redemptions: [
          { redemption_id: "cpr_1", code: "ABCD2345", subscriber_id: "s_1", source: "staff", amount: 0, redeemed_at: "2026-12-01T10:00:00+09:00", undone_at: null, undone_by: null },
          { redemption_id: "stripe-cs_1", code: "promo_1", subscriber_id: null, source: "stripe", amount: 900, redeemed_at: "2026-12-01T11:00:00+09:00", undone_at: null, undone_by: null },
        ],
      },
      "GET /api/coupons/cpn_1/codes": { codes: [{ code: "FREE2345", assigned_to: null, redeemed: false, archived: false }, { code: "GONE2345", assigned_to: null, redeemed: false, archived: true }] },
      "POST /api/coupons/cpn_1/codes/archive": { archived: 1, coupon: WINTER },
      "POST /api/coupons/cpn_1/redemptions/cpr_1/undo": WINTER,
    });
    render(withApp(api, <CouponsScreen />));
    const archive = await screen.findAllByTestId("cp-code-archive");
    expect(archive).toHaveLength(1); // the withdrawn code has no button
    expect(screen.getAllByTestId("cp-code-row")[1]?.textContent).toContain("無効");
    fireEvent.click(archive[0]!);
    await waitFor(() => expect(api.calls).toContain('POST /api/coupons/cpn_1/codes/archive {"codes":["FREE2345"]}'));
    const undo = screen.getAllByTestId("cp-redemption-undo");
    expect(undo).toHaveLength(1); // a Stripe checkout cannot be undone here
    fireEvent.click(undo[0]!);
    await waitFor(() => expect(api.calls).toContain("POST /api/coupons/cpn_1/redemptions/cpr_1/undo {}"));
    expect(codeState({ code: "X", assigned_to: "s_1", redeemed: false, archived: false })).toBe("cp.state.assigned");
  });

  it("lists coupons with their stats", async () => {
    location.hash = "#/coupons";
    render(withApp(fakeApi({ "GET /api/coupons": { coupons: [WINTER] } }), <CouponsScreen />));
    expect((await screen.findByTestId("cp-row-stats")).textContent).toBe("配布 2 / 利用 1 (50.0%)");
  });

  it("shows a coupon's stats and variable, and generates codes", async () => {
    location.hash = "#/coupons/cpn_1";
    const api = fakeApi({
      "GET /api/coupons/cpn_1": WINTER,
      "GET /api/coupons/cpn_1/redemptions": { redemptions: [] },
      "GET /api/coupons/cpn_1/codes": { codes: [{ code: "ABCD2345", assigned_to: "s_1", redeemed: true, archived: false }] },
      "POST /api/coupons/cpn_1/codes/generate": { added: 100 },
    });
    render(withApp(api, <CouponsScreen />));
    expect((await screen.findByTestId("cp-distributed")).textContent).toBe("2");
    expect(screen.getByTestId("cp-variable").textContent).toBe('{{ coupon("cpn_1") }}');
    fireEvent.click(screen.getByTestId("cp-generate"));
    expect((await screen.findByTestId("cp-pool-note")).textContent).toBe("100 件のコードを追加しました。");
    expect(api.calls).toContain('POST /api/coupons/cpn_1/codes/generate {"count":100}');
  });

  it("creates the Stripe promotion code of a shared coupon and then shows it linked", async () => {
    location.hash = "#/coupons/cpn_2";
    const shared: Coupon = { ...WINTER, coupon_id: "cpn_2", mode: "shared", shared_code: "HARU2000" };
    let linked = false;
    const api = fakeApi({
      "GET /api/coupons/cpn_2": () => (linked ? { ...shared, stripe_promotion_code_id: "promo_123" } : shared),
      "GET /api/coupons/cpn_2/redemptions": { redemptions: [] },
      "GET /api/coupons/cpn_2/codes": { codes: [] },
      "PATCH /api/coupons/cpn_2": () => {
        linked = true;
        return { ...shared, stripe_promotion_code_id: "promo_123" };
      },
    });
    render(withApp(api, <CouponsScreen />));
    fireEvent.click(await screen.findByTestId("cp-stripe-create"));
    expect((await screen.findByTestId("cp-stripe-linked")).textContent).toContain("promo_123");
    expect(api.calls).toContain('PATCH /api/coupons/cpn_2 {"stripe":true}');
  });

  it("starts a pool coupon's per-code Stripe job and polls its progress until done, listing refused codes", async () => {
    location.hash = "#/coupons/cpn_1";
    const states: Coupon["stripe_codes"][] = [
      { job_id: "cpj_1", status: "running", total: 5, done: 2, failed: 0, errors: [], updated_at: null },
      { job_id: "cpj_1", status: "done", total: 5, done: 4, failed: 1, errors: ["コード「ABCD2345」のプロモーションコードを作成できませんでした (Stripe: already exists)"], updated_at: null },
    ];
    let polls = -1;
    const api = fakeApi({
      "GET /api/coupons/cpn_1": () => (polls < 0 ? WINTER : { ...WINTER, stripe_codes: states[Math.min(polls++, 1)] }),
      "GET /api/coupons/cpn_1/redemptions": { redemptions: [] },
      "GET /api/coupons/cpn_1/codes": { codes: [] },
      "PATCH /api/coupons/cpn_1": () => {
        polls = 0;
        return { ...WINTER, stripe_codes: { ...states[0], status: "queued", done: 0 } };
      },
    });
    render(withApp(api, <CouponsScreen />));
    fireEvent.click(await screen.findByTestId("cp-stripe-codes"));
    expect(api.calls).toContain('PATCH /api/coupons/cpn_1 {"stripe":true}');
    await waitFor(() => expect(screen.getByTestId("cp-stripe-job").dataset.status).toBe("done"), { timeout: 6000 });
    expect(screen.getByTestId("cp-stripe-job-text").textContent).toContain("4 / 5 件");
    expect(screen.getByTestId("cp-stripe-job-text").textContent).toContain("失敗 1 件");
    expect(screen.getByTestId("cp-stripe-job-errors").textContent).toContain("ABCD2345");
    expect(screen.getByTestId("cp-stripe-codes").textContent).toBe("Stripe への反映を再実行");
  }, 10000);

  it("the staff page redeems a code and shows a refusal in Japanese", async () => {
    location.hash = "#/coupons/redeem";
    let used = false;
    const api = fakeApi({
      "POST /api/coupon-codes/redeem": () => {
        if (used) return new ApiError({ status: 409, code: "conflict", message: "コード「ABCD2345」は使用済みです", where: "code" });
        used = true;
        return { code: "ABCD2345", coupon_name: "冬のクーポン", discount: "20%OFF" };
      },
    });
    render(withApp(api, <CouponsScreen />));
    const input = await screen.findByTestId("cp-redeem-code");
    fireEvent.input(input, { target: { value: "abcd2345" } });
    fireEvent.click(screen.getByTestId("cp-redeem-submit"));
    expect((await screen.findByTestId("cp-redeem-done")).textContent).toContain("ABCD2345");
    fireEvent.input(input, { target: { value: "ABCD2345" } });
    fireEvent.click(screen.getByTestId("cp-redeem-submit"));
    await waitFor(() => expect(document.body.textContent).toContain("コード「ABCD2345」は使用済みです"));
  });
});

describe("the coupon chip of the message editor", () => {
  freshPageEachTest();

  it("lists the coupons on click and inserts the variable", async () => {
    const seen: LineMessage[][] = [];
    const api = fakeApi({ "GET /api/coupons": { coupons: [WINTER] } });
    render(withApp(api, <MessageEditor value={[{ type: "text", text: "コード: " }]} onChange={(v) => seen.push(v)} />));
    expect(api.calls).toEqual([]); // nothing loaded until the marketer asks
    fireEvent.click(document.querySelector("[data-insert-var=coupon]")!);
    fireEvent.change(await screen.findByTestId("me-coupon"), { target: { value: "cpn_1" } });
    expect(seen.at(-1)).toEqual([{ type: "text", text: 'コード: {{ coupon("cpn_1") }}' }]);
  });
});

describe("the coupon card template of the message editor", () => {
  freshPageEachTest();

  it("adds a flex card with the friend's code and the 使う button for the chosen coupon", async () => {
    const seen: LineMessage[][] = [];
    const api = fakeApi({ "GET /api/coupons": { coupons: [WINTER] } });
    render(withApp(api, <MessageEditor value={[]} onChange={(v) => seen.push(v)} />));
    fireEvent.click(screen.getByTestId("me-coupon-card-open"));
    fireEvent.change(await screen.findByTestId("me-coupon-card"), { target: { value: "cpn_1" } });
    const [card] = seen.at(-1)!;
    expect(card).toEqual(couponCard(WINTER));
    const json = JSON.stringify(card);
    expect(card!.type).toBe("flex");
    expect(json).toContain('{{ coupon(\\"cpn_1\\") }}');
    expect(json).toContain('{{ coupon(\\"cpn_1\\", \\"url\\") }}');
    expect(json).toContain("20%OFF");
    expect(json).toContain("有効期限: 2026/12/31 23:59まで");
  });
});
