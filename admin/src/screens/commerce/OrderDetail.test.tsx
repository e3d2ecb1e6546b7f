import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
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
