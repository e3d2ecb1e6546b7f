import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import { AbResults, abBody, abValues, partsOf } from "../broadcasts/AbTest";
import ConversionsScreen, { bodyOf, type ConversionPoint, sourceLabel } from "./ConversionsScreen";

const THANKS: ConversionPoint = {
  code: "abcd234567", name: "購入完了ページ", kind: "url", form_id: null, tag_id: null, product_id: null, window_days: 7, value: 3000,
  url: "https://x.example/cv/abcd234567", snippet: '<img src="https://x.example/cv/abcd234567?f=HS_CV&txn=ORDER_ID">',
  conversions: 2, unique_conversions: 1, revenue: 6000,
  breakdown: [
    { attribution: "click", source: { kind: "broadcast", id: "b_1", sub: "1" }, conversions: 2, unique_conversions: 1, revenue: 6000 },
    { attribution: "route", source: { kind: "route", id: "instagram", sub: null }, conversions: 1, unique_conversions: 1, revenue: 3000 },
  ],
  recent: [{ subscriber_id: "s_1", value: 3000, cause: "url:o1", at: "2026-03-01T03:00:00+00:00", attribution: { click: "b~b_1~1" } }],
};

describe("conversion point bodies and labels", () => {
  it("sends only the fields of the kind, numbers as numbers", () => {
    const v = { name: "x", kind: "tag" as const, form_id: "f_1", tag_id: "t_1", window_days: "14", value: "500" };
    expect(bodyOf(v)).toEqual({ name: "x", kind: "tag", window_days: 14, tag_id: "t_1", value: 500 });
    expect(bodyOf({ ...v, kind: "purchase" })).toEqual({ name: "x", kind: "purchase", window_days: 14 });
    expect(bodyOf({ ...v, kind: "url", value: "" })).toEqual({ name: "x", kind: "url", window_days: 14 });
  });

  it("names sources in Japanese", () => {
    expect(sourceLabel({ kind: "broadcast", id: "b_1", sub: "1" })).toBe("一斉配信 b_1 (パターン B)");
    expect(sourceLabel({ kind: "scenario", id: "sc_1", sub: "day-2" })).toBe("シナリオ sc_1 / ステップ day-2");
  });
});

describe("the conversion points screen", () => {
  freshPageEachTest();

  it("lists the points with their conversions and revenue", async () => {
    location.hash = "#/conversions";
    render(withApp(fakeApi({ "GET /api/conversion-points": { items: [THANKS] } }), <ConversionsScreen />));
    expect((await screen.findByTestId("cv-row-totals")).textContent).toBe("2件 / ¥6,000");
  });

  it("creates a tag point and opens its page", async () => {
    location.hash = "#/conversions/new";
    const api = fakeApi({
      "GET /api/tags": { folders: [], tags: [{ tag_id: "t_hot", name: "見込み客" }] },
      "POST /api/conversion-points": { ...THANKS, code: "zzzz234567", kind: "tag" },
    });
    render(withApp(api, <ConversionsScreen />));
    fireEvent.input(await screen.findByLabelText("ポイント名"), { target: { value: "見込み化" } });
    fireEvent.click(screen.getByLabelText("タグ追加"));
    await waitFor(() => expect(document.querySelectorAll("select[name=tag_id] option").length).toBe(2));
    fireEvent.change(document.querySelector("select[name=tag_id]")!, { target: { value: "t_hot" } });
    fireEvent.click(screen.getByTestId("cv-save"));
    await waitFor(() => expect(location.hash).toBe("#/conversions/zzzz234567"));
    const post = api.calls.find((c) => c.startsWith("POST"))!;
    expect(JSON.parse(post.slice(post.indexOf("{")))).toEqual({ name: "見込み化", kind: "tag", window_days: 7, tag_id: "t_hot" });
  });

  it("a refused save keeps what was typed and shows the message at the field", async () => {
    location.hash = "#/conversions/new";
    const api = fakeApi({
      "POST /api/conversion-points": new ApiError({ status: 422, code: "validation_failed", message: "名前を入力してください", where: "name" }),
    });
    render(withApp(api, <ConversionsScreen />));
    const name = (await screen.findByLabelText("ポイント名")) as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(name, " ", "cv-save", "名前を入力してください");
  });

  it("a saved point shows its URL, pixel, totals and the breakdown by source, and deletes only after the confirm", async () => {
    location.hash = "#/conversions/abcd234567";
    const api = fakeApi({ "GET /api/conversion-points/abcd234567": THANKS, "DELETE /api/conversion-points/abcd234567": undefined });
    render(withApp(api, <ConversionsScreen />));
    expect((await screen.findByTestId("cv-url")).textContent).toBe("https://x.example/cv/abcd234567");
    expect(screen.getByTestId("cv-snippet").textContent).toContain("<img");
    expect(screen.getByTestId("cv-revenue").textContent).toBe("¥6,000");
    const rows = screen.getAllByTestId("cv-breakdown-row");
    expect(rows.map((r) => [r.getAttribute("data-attribution"), r.getAttribute("data-source-id")])).toEqual([["click", "b_1"], ["route", "instagram"]]);
    expect(rows[0]!.textContent).toContain("最後のクリック");
    fireEvent.click(screen.getByTestId("cv-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("cv-delete-confirm"));
    await waitFor(() => expect(api.calls).toContain("DELETE /api/conversion-points/abcd234567"));
  });
});

describe("A/B results with conversions", () => {
  freshPageEachTest();

  it("sends the chosen winner metric and shows conversions and revenue next to clicks", async () => {
    const v = { ...abValues(null), ab: true, others: [{ weight: "1", ...partsOf(undefined) }], metric: "revenue_per_recipient" as const };
    expect(abBody("line", partsOf(undefined), v, { name: "x" })).toMatchObject({ ab_metric: "revenue_per_recipient" });
    expect(abBody("line", partsOf(undefined), { ...v, metric: "click_rate" }, { name: "x" })).not.toHaveProperty("ab_metric");
    const api = fakeApi({
      "GET /api/broadcasts/b_1/abtest": {
        test_share: null, winner: null, metric: "conversion_rate",
        variants: [
          { label: "A", weight: 1, share: 0.5, recipients: 100, clicks: 10, click_rate: 0.1, probability_best: 0.2, conversions: 3, conversion_rate: 0.03, revenue: 9000, revenue_per_recipient: 90 },
          { label: "B", weight: 1, share: 0.5, recipients: 100, clicks: 12, click_rate: 0.12, probability_best: 0.8, conversions: 8, conversion_rate: 0.08, revenue: 24000, revenue_per_recipient: 240 },
        ],
        verdict: { ready: true, message: "B の方がコンバージョン率が高い可能性 80%", leader: "B", significant: false },
      },
    });
    render(withApp(api, <AbResults id="b_1" />));
    expect((await screen.findAllByTestId("ab-conversions")).map((x) => x.textContent)).toEqual(["3", "8"]);
    expect(screen.getAllByTestId("ab-revenue").map((x) => x.textContent)).toEqual(["¥9,000", "¥24,000"]);
    expect(screen.getByTestId("ab-metric-shown").textContent).toBe("勝者を決める指標: コンバージョン率");
  });
});
