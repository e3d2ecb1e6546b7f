import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import FunnelsScreen, { adoptVariant, funnelBody } from "./FunnelsScreen";

const FUNNEL = {
  funnel_id: "fnl_1", name: "無料講座", status: "published", scenario_id: "", created_at: "2026-01-01T00:00:00+00:00",
  pages: [{ page_id: "lp", kind: "optin", title: "無料講座", weight: 1, variants: [], blocks: [{ type: "faq", items: [{ q: "費用は?", a: "無料|です" }] }] }],
  urls: { lp: "http://localhost/f/w_1/fnl_1/lp" },
};

describe("funnels", () => {
  freshPageEachTest();

  it("turns FAQ lines into items and an empty deadline into none", () => {
    const body = funnelBody({ name: "n", status: "draft", scenario_id: " sc_1 ", pages: [{ page_id: "lp", kind: "optin", title: "t", blocks: [
      { type: "faq", faq_text: "費用は?|無料|です\n\n期間は?|3日" },
      { type: "countdown", mode: "evergreen", ends_at: "", minutes: "30" },
    ] }] });
    expect(body.scenario_id).toBe("sc_1");
    expect(body.pages[0]!.blocks).toEqual([
      { type: "faq", items: [{ q: "費用は?", a: "無料|です" }, { q: "期間は?", a: "3日" }] },
      { type: "countdown", mode: "evergreen", ends_at: null, minutes: 30 },
    ]);
  });

  it("builds a funnel with a heading block", async () => {
    location.hash = "#/funnels/new";
    const api = fakeApi({ "POST /api/funnels": FUNNEL });
    render(withApp(api, <FunnelsScreen />));
    fireEvent.input(screen.getByLabelText("ファネル名"), { target: { value: "無料講座" } });
    fireEvent.input(screen.getByTestId("funnel-page-title"), { target: { value: "3日で学ぶ" } });
    fireEvent.click(screen.getByTestId("funnel-block-add"));
    fireEvent.input(screen.getByTestId("funnel-text"), { target: { value: "見出し<b>" } });
    fireEvent.click(screen.getByTestId("funnel-save"));
    await waitFor(() => expect(location.hash).toBe("#/funnels/fnl_1"));
    expect(api.calls[0]).toContain('"blocks":[{"type":"heading","text":"見出し<b>"}]');
  });

  it("previews a page in a sandboxed iframe where no script runs, and shows stats", async () => {
    location.hash = "#/funnels/fnl_1";
    const api = fakeApi({
      "GET /api/funnels/fnl_1": FUNNEL,
      "GET /api/funnels/fnl_1/pages/lp/preview": { html: "<h1>無料講座</h1><script>parent.alert(1)</script>" },
      "GET /api/funnels/fnl_1/stats": { pages: [{ page_id: "lp", title: "無料講座", variants: [
        { variant: "A", title: "無料講座", visitors: 4, optins: 1, checkouts: 0, purchases: 0, revenue: 0, refunded: 0, optin_rate: 0.25,
          checkout_rate: 0, purchase_rate: 0, revenue_per_visitor: 0 }] }] },
    });
    render(withApp(api, <FunnelsScreen />));
    const frame = (await screen.findByTestId("funnel-preview")) as HTMLIFrameElement;
    expect(frame.getAttribute("sandbox")).toBe("");
    expect(frame.getAttribute("srcdoc")).toContain("<script>parent.alert(1)</script>");
    expect((await screen.findByTestId("funnel-stat-row")).textContent).toContain("25%");
    expect((screen.getByLabelText("質問と回答 (1 行に「質問|回答」)") as HTMLTextAreaElement).value).toBe("費用は?|無料|です");
  });

  it("adds a variant B with its own title, blocks and weight, and sends it in the body", async () => {
    location.hash = "#/funnels/fnl_1";
    const api = fakeApi({
      "GET /api/funnels/fnl_1": FUNNEL,
      "GET /api/funnels/fnl_1/pages/lp/preview": { html: "<h1>無料講座</h1>" },
      "GET /api/funnels/fnl_1/stats": { pages: [] },
      "PUT /api/funnels/fnl_1": FUNNEL,
    });
    render(withApp(api, <FunnelsScreen />));
    fireEvent.click(await screen.findByTestId("funnel-variant-add"));
    const variant = screen.getByTestId("funnel-variant");
    expect(variant.getAttribute("data-label")).toBe("B");
    fireEvent.input(screen.getByTestId("funnel-variant-title"), { target: { value: "無料講座 (短い版)" } });
    fireEvent.input(screen.getByTestId("funnel-variant-weight"), { target: { value: "3" } });
    fireEvent.click(screen.getByTestId("funnel-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("PUT /api/funnels/fnl_1"))).toBe(true));
    const put = api.calls.find((c) => c.startsWith("PUT"))!;
    expect(put).toContain('"variants":[{"title":"無料講座 (短い版)","blocks":[{"type":"faq","items":[{"q":"費用は?","a":"無料|です"}]}],"weight":3}]');
  });

  it("shows the API's error at the variant's field", async () => {
    location.hash = "#/funnels/fnl_1";
    const withB = { ...FUNNEL, pages: [{ ...FUNNEL.pages[0]!, variants: [{ title: "B案", weight: 1, blocks: [{ type: "heading", text: "x" }] }] }] };
    const api = fakeApi({
      "GET /api/funnels/fnl_1": withB,
      "GET /api/funnels/fnl_1/pages/lp/preview": { html: "" },
      "GET /api/funnels/fnl_1/stats": { pages: [] },
      "PUT /api/funnels/fnl_1": new ApiError({ status: 422, code: "validation_failed", message: "フォーム「frm_x」が見つかりません", where: "pages[0].variants[0].blocks[0]" }),
    });
    render(withApp(api, <FunnelsScreen />));
    fireEvent.input(await screen.findByTestId("funnel-variant-title"), { target: { value: "B案2" } });
    fireEvent.click(screen.getByTestId("funnel-save"));
    await waitFor(() => expect(document.querySelector('[data-field-error="pages.0.variants.0.blocks.0"]')?.textContent).toBe("フォーム「frm_x」が見つかりません"));
    // at the variant's block, not at variant A's
    expect(document.querySelector('[data-field-error="pages.0.blocks.0"]')).toBeNull();
  });

  it("adopts a variant: its title and blocks become the page's and the test ends", () => {
    const page = { page_id: "lp", kind: "optin", title: "A案", weight: 2, blocks: [{ type: "text", text: "a" }],
      variants: [{ title: "B案", weight: 1, blocks: [{ type: "text", text: "b" }] }] };
    expect(adoptVariant(page, 1)).toEqual({ page_id: "lp", kind: "optin", title: "B案", weight: 1, blocks: [{ type: "text", text: "b" }], variants: [] });
    expect(adoptVariant(page, 3)).toBe(page);
  });

  it("shows an offer page's button label and decline link, and links the scenario's step A/B tests", async () => {
    location.hash = "#/funnels/fnl_1";
    const offer = { ...FUNNEL, scenario_id: "sc_1", pages: [{ page_id: "up", kind: "upsell", title: "特別なご案内", weight: 1, variants: [],
      blocks: [{ type: "product", product_id: "prd_1", button_label: "追加で購入する" }] }], urls: { up: "http://localhost/f/w_1/fnl_1/up" } };
    const api = fakeApi({ "GET /api/funnels/fnl_1": offer, "GET /api/funnels/fnl_1/pages/up/preview": { html: "" }, "GET /api/funnels/fnl_1/stats": { pages: [] } });
    render(withApp(api, <FunnelsScreen />));
    expect((await screen.findByTestId("funnel-offer-button")).textContent).toBe("追加で購入する");
    expect(screen.getByTestId("funnel-offer").textContent).toContain("いいえ、けっこうです");
    expect((screen.getByLabelText("購入ボタンの文言") as HTMLInputElement).value).toBe("追加で購入する");
    expect(screen.getByTestId("funnel-step-ab").getAttribute("href")).toBe("#/scenarios/sc_1");
  });

  it("shows purchases, revenue and both verdicts per variant", async () => {
    location.hash = "#/funnels/fnl_1";
    const row = (variant: string, visitors: number, purchases: number, revenue: number) => ({
      variant, title: variant, visitors, optins: 0, checkouts: purchases, purchases, revenue, refunded: variant === "A" ? 29800 : 0,
      optin_rate: 0, checkout_rate: purchases / visitors, purchase_rate: purchases / visitors, revenue_per_visitor: revenue / visitors });
    const api = fakeApi({
      "GET /api/funnels/fnl_1": FUNNEL,
      "GET /api/funnels/fnl_1/pages/lp/preview": { html: "" },
      "GET /api/funnels/fnl_1/stats": { pages: [{ page_id: "sales", title: "本講座", variants: [row("A", 200, 4, 119200), row("B", 200, 12, 357600)],
        abtest: { goal: "purchases", message: "B の方がコンバージョン率が高い可能性 98%", leader: "B", significant: true },
        revenue_abtest: { goal: "revenue", message: "B の方が1人あたりの売上が高い（1,788円、p=0.040）", leader: "B", significant: true } }] },
    });
    render(withApp(api, <FunnelsScreen />));
    const rows = await screen.findAllByTestId("funnel-stat-row");
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringContaining("¥119,200"), expect.stringContaining("¥357,600"),
    ]);
    expect(rows[1]!.querySelector('[data-testid="funnel-stat-purchases"]')!.textContent).toBe("12");
    expect(rows[0]!.textContent).toContain("¥29,800");
    const verdicts = screen.getByTestId("funnel-verdict").textContent!;
    expect(verdicts).toContain("購入率");
    expect(verdicts).toContain("B の方がコンバージョン率が高い可能性 98%");
    expect(verdicts).toContain("1人あたりの売上");
    expect(verdicts).toContain("このパターンを採用");
  });
});
