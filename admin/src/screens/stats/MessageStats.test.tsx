import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import ScenariosScreen from "../scenarios/ScenariosScreen";
import { newScenario, newStep } from "../scenarios/types";
import { AutoReplyClicks, BroadcastStats, RouteClicks, ScenarioStepStats } from "./MessageStats";

const NOTE = "LINE は 20 人未満の数値を返しません（プライバシー保護のため）。";
const CLICKS = { broadcast_id: "bc_1", clicks: 5, unique_clicks: 3, delivered: 12, click_rate: 0.25, variants: [] };
const HIDDEN = { label: "", unit: "b_x", unique_impressions: null, unique_clicks: null, hidden: true };

describe("message statistics", () => {
  freshPageEachTest();

  it("a broadcast shows delivered, clicks, friends who clicked and the click rate, then LINE's units with the below-20 note", async () => {
    const api = fakeApi({
      "GET /api/broadcasts/bc_1/clicks": CLICKS,
      "GET /api/broadcasts/bc_1/line-stats": { from: "2026-03-01", to: "2026-03-10", units: [HIDDEN], note: NOTE, units_used_this_month: 4, monthly_unit_limit: 1000 },
    });
    render(withApp(api, <BroadcastStats id="bc_1" />));
    expect((await screen.findByTestId("stats-rate")).textContent).toContain("25.0%");
    expect(screen.getByTestId("stats-rate").textContent).toContain("URL クリックで測る開封率");
    expect(screen.getByTestId("stats-delivered").textContent).toContain("12");
    expect(screen.getByTestId("stats-clicks").textContent).toContain("5");
    expect(screen.getByTestId("stats-unique").textContent).toContain("3");
    expect((await screen.findByTestId("line-stats-note")).textContent).toBe(NOTE);
    expect(screen.getAllByTestId("line-hidden").map((x) => x.textContent)).toEqual(["20 人未満のため非表示", "20 人未満のため非表示"]);
    expect(screen.getByTestId("line-stats-usage").textContent).toBe("今月使用した集計単位: 4 / 1000");
  });

  it("LINE's figures per A/B variant when LINE gives them; no note", async () => {
    const api = fakeApi({
      "GET /api/broadcasts/bc_1/clicks": { ...CLICKS, click_rate: null, delivered: 0 },
      "GET /api/broadcasts/bc_1/line-stats": { units: [{ label: "A", unit: "b_a", unique_impressions: 40, unique_clicks: 21 }, { label: "B", unit: "b_b", error: "LINE から統計を取得できませんでした" }], note: null },
    });
    render(withApp(api, <BroadcastStats id="bc_1" />));
    const rows = await screen.findAllByTestId("line-stats-row");
    expect(rows.map((r) => r.textContent)).toEqual(["パターン A4021", "パターン BLINE から統計を取得できませんでした——"]);
    expect(screen.getByTestId("stats-rate").textContent).toContain("—");
    expect(screen.queryByTestId("line-stats-note")).toBeNull();
  });

  it("a scenario shows clicks and LINE's opens per step, named as in the editor", async () => {
    const api = fakeApi({
      "GET /api/scenarios/sc_1/clicks": { scenario_id: "sc_1", steps: [{ step_id: "s1", clicks: 4, unique_clicks: 2 }, { step_id: "s2", clicks: 0, unique_clicks: 0 }] },
      "GET /api/scenarios/sc_1/line-stats": { units: [{ label: "s1", unit: "s_1", unique_impressions: 30, unique_clicks: 20 }, { label: "s2", unit: "s_2", unique_impressions: null, unique_clicks: null }], note: NOTE },
    });
    render(withApp(api, <ScenarioStepStats id="sc_1" names={{ s1: "1. ようこそ" }} />));
    const rows = await screen.findAllByTestId("scenario-stats-row");
    expect(rows[0]!.textContent).toBe("1. ようこそ423020");
    expect(rows[1]!.textContent).toBe("2. s20020 人未満のため非表示20 人未満のため非表示");
    expect((await screen.findByTestId("line-stats-note")).textContent).toBe(NOTE);
  });

  it("an auto-reply and an inflow route show their clicks; a failed load offers a retry", async () => {
    const api = fakeApi({ "GET /api/auto-replies/ar_1/clicks": { clicks: 7, unique_clicks: 5 }, "GET /api/clicks/by-route": new Error("boom") });
    render(withApp(api, <><AutoReplyClicks id="ar_1" /><RouteClicks name="Instagram 広告" /></>));
    expect((await screen.findByTestId("autoreply-clicks-clicks")).textContent).toContain("7");
    expect(screen.getByTestId("autoreply-clicks-unique").textContent).toContain("5");
    expect(api.calls).toContain("GET /api/clicks/by-route?route=Instagram%20%E5%BA%83%E5%91%8A");
    expect(await screen.findByText("再試行")).toBeTruthy();
  });

  it("the scenario editor shows each step's clicks under the timeline, named by the step", async () => {
    location.hash = "#/scenarios/scn_1";
    const scn = { ...newScenario(), id: "scn_1", name: "ようこそ", version: 1, steps: [{ ...newStep(0), id: "s1", name: "初回" }] };
    const api = fakeApi({
      "GET /api/scenarios/scn_1": scn,
      "GET /api/scenarios/scn_1/enrollment-counts": { scenario_id: "scn_1", total: 0, active: 0, completed: 0, stopped: 0, steps: [] },
      "GET /api/scenarios/scn_1/clicks": { scenario_id: "scn_1", steps: [{ step_id: "s1", clicks: 2, unique_clicks: 1 }] },
      "GET /api/scenarios/scn_1/line-stats": { units: [{ label: "s1", unit: "s_1", unique_impressions: null, unique_clicks: null }], note: NOTE },
    });
    render(withApp(api, <ScenariosScreen />));
    const [row] = await screen.findAllByTestId("scenario-stats-row");
    expect(row!.textContent).toContain("1. 初回");
    expect(row!.textContent).toContain("21");
  });
});
