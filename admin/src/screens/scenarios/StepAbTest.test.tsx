import { fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import ScenariosScreen from "./ScenariosScreen";
import { variantsBody } from "./StepAbTest";
import { newScenario, newStep } from "./types";

const text = (x: string) => [{ type: "text", text: x }];
const AB_STEP = { ...newStep(0), id: "hello", name: "ようこそ", line: text("A の文面"), variants: [{ weight: 1, content: { line: text("A の文面") } }, { weight: 1, content: { line: text("B の文面") } }] };
const SCN = { ...newScenario(), id: "scn_1", name: "ようこそ", version: 3, steps: [AB_STEP] };
const COUNTS = { scenario_id: "scn_1", name: "ようこそ", total: 0, active: 0, completed: 0, stopped: 0, steps: [] };
const RESULTS = {
  scenario_id: "scn_1", step_id: "hello", version: 3, metric: "click_rate", active: true,
  variants: [
    { label: "A", weight: 1, share: 0.5, recipients: 1, clicks: 0, total_clicks: 0, click_rate: 0, probability_best: null },
    { label: "B", weight: 1, share: 0.5, recipients: 1, clicks: 1, total_clicks: 2, click_rate: 1, probability_best: null },
  ],
  verdict: { ready: false, message: "まだ判定できません（各パターン最低100通・成果5件が必要です）", leader: null, significant: false },
};

describe("the step's A/B body", () => {
  it("sends variant A as the step's own content and B-D on the step's channels; no test: null", () => {
    const step = { ...AB_STEP, line: text("新しい A"), email: { subject: "件名", text: "本文", html: "" } };
    expect(variantsBody(step)).toEqual([
      { weight: 1, content: { line: text("新しい A"), email: { subject: "件名", text: "本文", html: null } } },
      { weight: 1, content: { line: text("B の文面"), email: { subject: "", text: null, html: null } } },
    ]);
    expect(variantsBody({ ...AB_STEP, variants: null })).toBeNull();
  });
});

describe("the step editor's variants and the step's results", () => {
  freshPageEachTest();

  it("turns a step into an A/B test and shows the refused weight at its field", async () => {
    location.hash = "#/scenarios/scn_1";
    const plain = { ...SCN, steps: [{ ...AB_STEP, variants: null }] };
    let calls = 0;
    const api = fakeApi({
      "GET /api/scenarios/scn_1": plain,
      "GET /api/scenarios/scn_1/enrollment-counts": COUNTS,
      "PUT /api/scenarios/scn_1": () =>
        ++calls === 1 ? new ApiError({ status: 422, code: "validation_failed", message: "配分（weight）は1〜1000の整数です", where: "steps[0].variants[1].weight" }) : { ...SCN, version: 4 },
    });
    render(withApp(api, <ScenariosScreen />));
    fireEvent.click(await screen.findByTestId("step-ab-on"));
    const b = await screen.findByTestId("ab-variant");
    const weight = b.querySelector("input[name='steps[0].variants[1].weight']") as HTMLInputElement;
    fireEvent.input(weight, { target: { value: "0" } });
    fireEvent.input(b.querySelector("textarea")!, { target: { value: "B の文面" } });
    fireEvent.click(screen.getByTestId("scenario-save"));
    await waitFor(() => expect(b.querySelector("[data-field-error='steps[0].variants[1].weight']")?.textContent).toBe("配分（weight）は1〜1000の整数です"));
    expect(weight.getAttribute("aria-invalid")).toBe("true");
    const put = api.calls.find((c) => c.startsWith("PUT /api/scenarios/scn_1 "))!;
    const body = JSON.parse(put.slice("PUT /api/scenarios/scn_1 ".length));
    expect(body.steps[0].variants).toEqual([
      { weight: 1, content: { line: text("A の文面") } },
      { weight: 0, content: { line: text("B の文面") } },
    ]);
  });

  it("a saved A/B step shows its results with the chart, and adopts a winner only after the confirm", async () => {
    location.hash = "#/scenarios/scn_1";
    const adopted = { ...SCN, version: 4, steps: [{ ...AB_STEP, line: text("B の文面"), variants: null }] };
    const api = fakeApi({
      "GET /api/scenarios/scn_1": SCN,
      "GET /api/scenarios/scn_1/enrollment-counts": COUNTS,
      "GET /api/scenarios/scn_1/steps/hello/abtest": () => (api.calls.some((c) => c.startsWith("POST")) ? { ...RESULTS, active: false, version: 4 } : RESULTS),
      "POST /api/scenarios/scn_1/steps/hello/abtest/adopt": adopted,
    });
    render(withApp(api, <ScenariosScreen />));
    const results = await screen.findByTestId("step-ab-results");
    expect(within(results).getByTestId("ab-verdict").textContent).toBe("まだ判定できません（各パターン最低100通・成果5件が必要です）");
    const rows = within(results).getAllByTestId("ab-row").map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent));
    expect(rows).toEqual([["A", "1", "0", "0.0%", "—"], ["B", "1", "1", "100.0%", "—"]]);
    expect(within(results).getAllByTestId("ab-bar")).toHaveLength(2);
    fireEvent.click(within(results).getByTestId("step-ab-adopt-B"));
    expect(api.calls.some((c) => c.startsWith("POST"))).toBe(false);
    fireEvent.click(within(results).getByTestId("step-ab-adopt-B-confirm"));
    await waitFor(() => expect(api.calls).toContain('POST /api/scenarios/scn_1/steps/hello/abtest/adopt {"variant":"B","version":3}'));
    expect(await screen.findByTestId("step-ab-adopted")).toBeTruthy();
    expect((screen.getByTestId("step-ab-on").querySelector("input") as HTMLInputElement).checked).toBe(false);
  });
});
