import { fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { type Order, OrderDetail } from "./OrderDetail";

const ORDER: Order = {
  order_id: "ord_1", product_id: "prd_1", subscriber_id: "sub_1", kind: "installments", mode: "test", status: "active", amount: 10000,
  installments: 3, payments_made: 1, paid_total: 10000, refunded_total: 0, expects_payment: true, schedule_id: "sub_sched_1",
  created_at: "2026-11-01T01:00:00+00:00",
};

describe("an order's page", () => {
  freshPageEachTest();

  it("shows the order and cancels it only after the confirm, then reads it again", async () => {
    let canceled = false;
    const api = fakeApi({
      "GET /api/orders/ord_1": () => (canceled ? { ...ORDER, status: "canceled", expects_payment: false } : ORDER),
      "POST /api/orders/ord_1/cancel": () => ((canceled = true), { ...ORDER, status: "canceled" }),
    });
    render(withApp(api, <OrderDetail id="ord_1" names={{ prd_1: "回数券" }} />));
    const detail = await screen.findByTestId("order-detail");
    expect(detail.textContent).toContain("回数券");
    expect(detail.textContent).toContain("1 / 3");
    expect(screen.getByTestId("order-friend").getAttribute("href")).toBe("#/friends/sub_1");
    fireEvent.click(screen.getByTestId("order-cancel"));
    expect(canceled).toBe(false);
    fireEvent.click(screen.getByTestId("order-cancel-confirm"));
    await waitFor(() => expect(screen.getByTestId("order-detail").getAttribute("data-status")).toBe("canceled"));
    expect(screen.queryByTestId("order-cancel")).toBeNull();
  });
});

const PAID: Order = {
  order_id: "ord_2", product_id: "prd_2", subscriber_id: "sub_1", kind: "one_time", mode: "test", status: "paid", amount: 9800,
  installments: 0, payments_made: 1, paid_total: 9800, refunded_total: 0, expects_payment: false, refundable: 9800,
  created_at: "2026-11-01T01:00:00+00:00",
};

describe("refunding an order", () => {
  freshPageEachTest();

  it("asks with the amount prefilled, shows the API's error at the amount, then refunds once with one key per confirm", async () => {
    let refunded = 0;
    const keys: string[] = [];
    const api = fakeApi({
      "GET /api/orders/ord_2": () => (refunded ? { ...PAID, refunded_total: refunded, refundable: 9800 - refunded } : PAID),
      "POST /api/orders/ord_2/refund": (body: unknown) => {
        const amount = (body as { amount: number }).amount;
        if (amount > 9800) return new ApiError({ status: 422, code: "validation_failed", message: "返金額は 1 円から 9,800 円 (返金できる残り) までで指定してください", where: "amount" });
        refunded += amount;
        return { ...PAID, refund_id: "re_1" };
      },
    });
    const post = api.post as unknown as { mock: { calls: unknown[][] } };
    render(withApp(api, <OrderDetail id="ord_2" names={{ prd_2: "講座" }} />));
    fireEvent.click(await screen.findByTestId("order-refund"));
    const input = screen.getByTestId("order-refund-amount") as HTMLInputElement;
    expect(input.value).toBe("9800");
    expect(api.calls.some((c) => c.startsWith("POST"))).toBe(false); // nothing sent before the confirm
    fireEvent.input(input, { target: { value: "12000" } });
    fireEvent.click(screen.getByTestId("order-refund-confirm"));
    await waitFor(() => expect(document.querySelector('[data-field-error="amount"]')?.textContent).toContain("9,800 円"));
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(refunded).toBe(0);
    fireEvent.input(input, { target: { value: "3000" } });
    fireEvent.click(screen.getByTestId("order-refund-confirm"));
    await waitFor(() => expect(screen.getByTestId("order-refunded").textContent).toContain("3,000"));
    expect(refunded).toBe(3000);
    for (const call of post.mock.calls) keys.push(String((call[2] as { headers: Record<string, string> }).headers["Idempotency-Key"]));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]); // the refused try and its retry are one request: never two refunds
    // a second partial refund is a new request with a new key, prefilled with what is left
    fireEvent.click(await screen.findByTestId("order-refund"));
    expect((screen.getByTestId("order-refund-amount") as HTMLInputElement).value).toBe("6800");
  });

  it("offers no refund for a fully refunded order and shows it refunded", async () => {
    const api = fakeApi({ "GET /api/orders/ord_2": { ...PAID, status: "refunded", refunded_total: 9800, refundable: 0 } });
    render(withApp(api, <OrderDetail id="ord_2" names={{}} />));
    const detail = await screen.findByTestId("order-detail");
    expect(detail.getAttribute("data-status")).toBe("refunded");
    expect(detail.textContent).toContain("返金済み");
    expect(screen.queryByTestId("order-refund")).toBeNull();
  });
});

const FIRST = { invoice_id: "in_1", paid_at: "2026-10-01T01:00:00+00:00", amount: 3000, refunded: 0, refundable: 3000 };
const SECOND = { invoice_id: "in_2", paid_at: "2026-11-01T01:00:00+00:00", amount: 3000, refunded: 0, refundable: 3000 };
const MONTHLY: Order = {
  order_id: "ord_3", product_id: "prd_3", subscriber_id: "sub_1", kind: "subscription", mode: "test", status: "active", amount: 3000,
  installments: 0, payments_made: 2, paid_total: 6000, refunded_total: 0, expects_payment: true, subscription_id: "sub_9", refundable: 0,
  payments: [FIRST, SECOND],
  created_at: "2026-10-01T01:00:00+00:00",
};

describe("refunding one payment of a subscription", () => {
  freshPageEachTest();

  it("lists the payments and refunds the chosen one after the confirm, its error at the field, one key per confirm", async () => {
    let refunded = 0;
    const bodies: unknown[] = [];
    const api = fakeApi({
      "GET /api/orders/ord_3": () => ({
        ...MONTHLY, refunded_total: refunded,
        payments: [FIRST, { ...SECOND, refunded, refundable: 3000 - refunded }],
      }),
      "POST /api/orders/ord_3/refund": (body: unknown) => {
        bodies.push(body);
        const { amount, invoice_id } = body as { amount: number; invoice_id: string };
        if (bodies.length === 1) return new ApiError({ status: 409, code: "conflict", message: "この支払いは全額返金済みです", where: "invoice_id" });
        if (invoice_id !== "in_2") throw new Error("wrong payment");
        refunded += amount;
        return { ...MONTHLY, refund_id: "re_1" };
      },
    });
    const post = api.post as unknown as { mock: { calls: unknown[][] } };
    render(withApp(api, <OrderDetail id="ord_3" names={{ prd_3: "月額サロン" }} />));
    const rows = await screen.findAllByTestId("order-payment");
    expect(rows.map((r) => r.getAttribute("data-invoice"))).toEqual(["in_1", "in_2"]);
    const latest = rows[1] as HTMLElement;
    expect(latest.textContent).toContain("3,000");
    expect(screen.queryByTestId("order-refund-form")).toBeNull();
    fireEvent.click(within(latest).getByTestId("order-refund"));
    const form = within(latest).getByTestId("order-refund-form");
    expect((within(form).getByTestId("order-refund-amount") as HTMLInputElement).value).toBe("3000");
    expect(form.textContent).toContain("解約されません"); // a refund is not the cancel
    expect(form.textContent).toContain("すぐに受講できなくなります"); // the latest payment: access ends
    expect(api.calls.some((c) => c.startsWith("POST"))).toBe(false); // nothing sent before the confirm
    fireEvent.click(within(form).getByTestId("order-refund-confirm"));
    await waitFor(() => expect(form.querySelector('[data-field-error="invoice_id"]')?.textContent).toContain("全額返金済み"));
    fireEvent.click(within(form).getByTestId("order-refund-confirm"));
    await waitFor(() => expect(screen.getAllByTestId("order-payment")[1]?.textContent).toContain("全額返金済み"));
    expect(bodies).toEqual([{ invoice_id: "in_2", amount: 3000 }, { invoice_id: "in_2", amount: 3000 }]);
    const keys = post.mock.calls.map((call) => (call[2] as { headers: Record<string, string> }).headers["Idempotency-Key"]);
    expect(keys[0]).toBe(keys[1]); // the refused try and its retry are one request
    expect(screen.getByTestId("order-refunded").textContent).toContain("3,000");
    // the older payment is still refundable, and its note says access stays
    const older = screen.getAllByTestId("order-payment")[0] as HTMLElement;
    fireEvent.click(within(older).getByTestId("order-refund"));
    expect(within(older).getByTestId("order-refund-form").textContent).toContain("受講期間は変わりません");
  });

  it("shows no one-time refund button on a subscription without payments", async () => {
    const api = fakeApi({ "GET /api/orders/ord_3": { ...MONTHLY, payments: [], paid_total: 0, payments_made: 0 } });
    render(withApp(api, <OrderDetail id="ord_3" names={{}} />));
    await screen.findByTestId("order-detail");
    expect(screen.queryByTestId("order-refund")).toBeNull();
    expect(screen.queryByTestId("order-payments")).toBeNull();
  });
});

const RUNNING: Order = {
  order_id: "ord_4", product_id: "prd_4", subscriber_id: "sub_1", kind: "subscription", mode: "test", status: "active", amount: 3000,
  installments: 0, payments_made: 1, paid_total: 3000, refunded_total: 0, expects_payment: true, subscription_id: "sub_x",
  current_period_end: "2026-12-31T03:00:00+00:00", cancel_at_period_end: false, payments: [], created_at: "2026-12-01T03:00:00+00:00",
};

describe("cancelling a subscription at the period end", () => {
  freshPageEachTest();

  it("confirms until when the customer keeps access, schedules the end, then offers to undo it", async () => {
    let scheduled = false;
    const bodies: unknown[] = [];
    const api = fakeApi({
      "GET /api/orders/ord_4": () => ({ ...RUNNING, cancel_at_period_end: scheduled }),
      "POST /api/orders/ord_4/cancel": (body: unknown) => {
        bodies.push(body);
        scheduled = (body as { at_period_end: boolean }).at_period_end;
        return { ...RUNNING, cancel_at_period_end: scheduled };
      },
    });
    render(withApp(api, <OrderDetail id="ord_4" names={{ prd_4: "月額講座" }} />));
    expect((await screen.findByTestId("order-cancel-at-end")).textContent).toBe("期間終了時に解約");
    fireEvent.click(screen.getByTestId("order-cancel-at-end"));
    const question = screen.getByRole("group").textContent ?? "";
    expect(question).toContain("2026");
    expect(question).toContain("まで利用でき、その後は請求されません");
    expect(bodies).toEqual([]); // nothing sent before the confirm
    expect(screen.getByTestId("order-cancel").textContent).toBe("今すぐ解約");
    fireEvent.click(screen.getByTestId("order-cancel-at-end-confirm"));
    const badge = await screen.findByTestId("order-cancel-scheduled");
    expect(badge.textContent).toContain("2026");
    expect(badge.textContent).toContain("に解約予定");
    expect(bodies).toEqual([{ at_period_end: true }]);
    expect(screen.queryByTestId("order-cancel-at-end")).toBeNull();
    expect(screen.getByTestId("order-cancel-undo").textContent).toBe("解約予約を取り消す");
    fireEvent.click(screen.getByTestId("order-cancel-undo"));
    await screen.findByTestId("order-cancel-at-end");
    expect(bodies).toEqual([{ at_period_end: true }, { at_period_end: false }]);
    expect(screen.queryByTestId("order-cancel-scheduled")).toBeNull();
  });

  it("cancels now without a body, and shows a refusal from the API", async () => {
    const bodies: unknown[] = [];
    const api = fakeApi({
      "GET /api/orders/ord_4": RUNNING,
      "POST /api/orders/ord_4/cancel": (body: unknown) => {
        bodies.push(body);
        return new ApiError({ status: 409, code: "conflict", message: "この注文はすでに解約・終了しています", where: "at_period_end" });
      },
    });
    render(withApp(api, <OrderDetail id="ord_4" names={{}} />));
    fireEvent.click(await screen.findByTestId("order-cancel"));
    fireEvent.click(screen.getByTestId("order-cancel-confirm"));
    await waitFor(() => expect(screen.getByTestId("order-cancel-actions").textContent).toContain("すでに解約・終了しています"));
    expect(bodies).toEqual([undefined]);
  });
});
