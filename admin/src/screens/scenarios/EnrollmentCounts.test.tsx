import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import ScenariosScreen from "./ScenariosScreen";
import { newScenario, newStep } from "./types";

const SCN = { ...newScenario(), id: "scn_1", name: "ようこそ", version: 2, steps: [{ ...newStep(0), id: "s1", name: "初回" }, { ...newStep(1), id: "s2", name: "2通目" }] };
const COUNTS = {
  scenario_id: "scn_1", name: "ようこそ", total: 6, active: 4, completed: 1, stopped: 1,
  steps: [{ index: 0, step_id: "s1", name: "初回", waiting: 1 }, { index: 1, step_id: "s2", name: "2通目", waiting: 2 }, { index: 2, step_id: null, name: null, waiting: 1 }],
};

describe("friends per scenario and per step", () => {
  freshPageEachTest();

  it("the list shows how many friends are in each scenario now", async () => {
    location.hash = "#/scenarios";
    render(withApp(fakeApi({ "GET /api/scenarios": { items: [SCN] }, "GET /api/scenarios/scn_1/enrollment-counts": COUNTS }), <ScenariosScreen />));
    expect((await screen.findByTestId("scenario-active-count")).textContent).toBe("配信中 4人");
  });

  it("the editor shows the summary and the friends waiting at each step, the old version's step too", async () => {
    location.hash = "#/scenarios/scn_1";
    render(withApp(fakeApi({ "GET /api/scenarios/scn_1": SCN, "GET /api/scenarios/scn_1/enrollment-counts": COUNTS }), <ScenariosScreen />));
    const summary = await screen.findByTestId("enrollment-summary");
    expect(summary.textContent).toContain("配信中 4人 · 完了 1人 · 停止 1人");
    expect(summary.textContent).toContain("旧バージョンのステップ 3 で待機中 1人");
    expect(screen.getAllByTestId("step-waiting").map((b) => b.textContent)).toEqual(["この手前で待機中 1人", "この手前で待機中 2人"]);
  });

  it("deletes a scenario only after the confirm", async () => {
    location.hash = "#/scenarios/scn_1";
    const api = fakeApi({ "GET /api/scenarios/scn_1": SCN, "GET /api/scenarios/scn_1/enrollment-counts": COUNTS, "DELETE /api/scenarios/scn_1": { deleted: "scn_1" } });
    render(withApp(api, <ScenariosScreen />));
    fireEvent.click(await screen.findByTestId("scenario-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("scenario-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/scenarios"));
    expect(api.calls).toContain("DELETE /api/scenarios/scn_1");
  });
});
