import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import FunnelsScreen, { funnelBody } from "./FunnelsScreen";

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
        { variant: "A", title: "無料講座", visitors: 4, optins: 1, checkouts: 0, optin_rate: 0.25, checkout_rate: 0 }] }] },
    });
    render(withApp(api, <FunnelsScreen />));
    const frame = (await screen.findByTestId("funnel-preview")) as HTMLIFrameElement;
    expect(frame.getAttribute("sandbox")).toBe("");
    expect(frame.getAttribute("srcdoc")).toContain("<script>parent.alert(1)</script>");
    expect((await screen.findByTestId("funnel-stat-row")).textContent).toContain("25%");
    expect((screen.getByLabelText("質問と回答 (1 行に「質問|回答」)") as HTMLTextAreaElement).value).toBe("費用は?|無料|です");
  });
});
