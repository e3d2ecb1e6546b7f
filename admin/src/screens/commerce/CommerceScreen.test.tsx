import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, withApp, freshPageEachTest } from "../../testing/app";
import CommerceScreen from "./CommerceScreen";

const ORDER = {
  order_id: "ord1", product_id: "p1", subscriber_id: "s1", kind: "subscription", mode: "live", status: "active", amount: 3000, installments: 0,
  payments_made: 2, paid_total: 6000, refunded_total: 0, expects_payment: true, created_at: "2026-11-01T00:00:00+00:00",
};
const PRODUCT = { product_id: "p1", definition: { name: "月額プラン", kind: "subscription", amount: 3000, currency: "jpy", interval: "month", installments: 0, actions: [], dunning_tag: "x", status: "active" } };

describe("commerce on the shared shell", () => {
  freshPageEachTest();

  it("cancels an order only after the confirm, then shows the list again", async () => {
    location.hash = "#/commerce/orders";
    let cancelled = false;
    const api = fakeApi({
      "GET /api/orders": () => ({ items: [{ ...ORDER, status: cancelled ? "cancelled" : "active", expects_payment: !cancelled }] }),
      "GET /api/products": { items: [PRODUCT] },
      "POST /api/orders/ord1/cancel": () => ((cancelled = true), { ok: true }),
    });
    render(withApp(api, <CommerceScreen />));
    const list = await screen.findByTestId("order-list");
    await waitFor(() => expect(list.textContent).toContain("月額プラン"));
    fireEvent.click(screen.getByText("解約する"));
    expect(api.calls.filter((c) => c.startsWith("POST"))).toEqual([]);
    expect(screen.getByText(/この注文を解約しますか/)).toBeTruthy();
    fireEvent.click(screen.getAllByText("解約する").at(-1)!);
    await waitFor(() => expect(screen.queryByText("解約する")).toBeNull());
    expect(api.calls.filter((c) => c.startsWith("POST"))).toEqual(["POST /api/orders/ord1/cancel"]);
  });

  it("shows the empty product list with a way to add the first product", async () => {
    location.hash = "#/commerce";
    render(withApp(fakeApi({ "GET /api/products": { items: [] } }), <CommerceScreen />));
    const empty = await screen.findByTestId("list-empty");
    expect(empty.querySelector("a")!.getAttribute("href")).toBe("#/commerce/new");
    expect(screen.getByTestId("product-new").getAttribute("href")).toBe("#/commerce/new");
  });
});
