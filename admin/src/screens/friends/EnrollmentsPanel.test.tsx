import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { EnrollmentsPanel } from "./EnrollmentsPanel";

const ACTIVE = { scenario_id: "scn_a", scenario_name: "ようこそ", scenario_exists: true, status: "active", cycle: 1, enrolled_at: "2026-12-01T00:00:00+00:00", next_step: 1, next_step_name: "2通目", steps: 3, next_due_at: "2026-12-02T01:00:00+00:00", stop_reason: null };
const STOPPED = { ...ACTIVE, scenario_id: "scn_b", scenario_name: "セール", status: "stopped", next_step: null, next_step_name: null, next_due_at: null, stop_reason: "unsubscribed:admin" };
const SCENARIOS = { items: [{ id: "scn_a", name: "ようこそ", status: "active" }, { id: "scn_d", name: "下書き", status: "draft" }] };
const PATH = "/api/subscribers/sub_1/enrollments";

describe("a friend's scenarios", () => {
  freshPageEachTest();

  it("shows each scenario with its next step, and stops one only after the confirm", async () => {
    let items = [ACTIVE, STOPPED];
    const api = fakeApi({
      [`GET ${PATH}`]: () => ({ items }),
      "GET /api/scenarios": SCENARIOS,
      "POST /api/scenarios/scn_a/unsubscribe": () => ((items = [{ ...ACTIVE, status: "stopped" }, STOPPED]), { stopped: 1 }),
    });
    render(withApp(api, <EnrollmentsPanel id="sub_1" canEdit />));
    const first = (await screen.findAllByTestId("enrollment"))[0]!;
    expect(first.textContent).toContain("ようこそ");
    expect(first.textContent).toContain("次: 2通目");
    fireEvent.click(screen.getByTestId("enrollment-stop-scn_a"));
    expect(api.calls.filter((c) => c.startsWith("POST"))).toEqual([]);
    fireEvent.click(screen.getByTestId("enrollment-stop-scn_a-confirm"));
    expect((await screen.findByTestId("enrollments-notice")).textContent).toBe("1 件のシナリオを止めました。");
    expect(api.calls).toContain('POST /api/scenarios/scn_a/unsubscribe {"subscriber_id":"sub_1"}');
    await waitFor(() => expect(screen.getAllByTestId("enrollment")[0]!.dataset.status).toBe("stopped"));
  });

  it("restarts a stopped scenario and stops all behind a confirm", async () => {
    const api = fakeApi({
      [`GET ${PATH}`]: { items: [ACTIVE, STOPPED] },
      "GET /api/scenarios": SCENARIOS,
      "POST /api/scenarios/scn_b/enrollments": { enrolled: true, notes: [] },
      "POST /api/subscribers/sub_1/unsubscribe-scenarios": { stopped: 2 },
    });
    render(withApp(api, <EnrollmentsPanel id="sub_1" canEdit />));
    fireEvent.click(await screen.findByTestId("enrollment-restart-scn_b"));
    expect((await screen.findByTestId("enrollments-notice")).textContent).toBe("再開しました。");
    fireEvent.click(screen.getByTestId("enrollments-stop-all"));
    expect(api.calls.some((c) => c.includes("unsubscribe-scenarios"))).toBe(false);
    fireEvent.click(screen.getByTestId("enrollments-stop-all-confirm"));
    await waitFor(() => expect(screen.getByTestId("enrollments-notice").textContent).toBe("2 件のシナリオを止めました。"));
  });

  it("shows the API's refusal to start a scenario at the scenario select", async () => {
    const message = "このシナリオは配信中ではありません(下書き・停止中)。シナリオを「配信中」にしてから開始してください";
    const api = fakeApi({
      [`GET ${PATH}`]: { items: [] },
      "GET /api/scenarios": SCENARIOS,
      "POST /api/scenarios/scn_d/enrollments": new ApiError({ status: 422, code: "validation_failed", message, where: "scenario_id" }),
    });
    render(withApp(api, <EnrollmentsPanel id="sub_1" canEdit />));
    await screen.findByText("このお友だちはシナリオに登録されていません。");
    const select = (await screen.findByTestId("enrollment-start-pick")) as HTMLSelectElement;
    fireEvent.change(select, { target: { value: "scn_d" } });
    fireEvent.click(screen.getByTestId("enrollment-start"));
    await waitFor(() => expect(select.getAttribute("aria-invalid")).toBe("true"));
    expect(document.querySelector("[data-field-error=scenario_id]")!.textContent).toBe(message);
    expect(select.value).toBe("scn_d");
  });

  it("a viewer sees the scenarios without the buttons", async () => {
    render(withApp(fakeApi({ [`GET ${PATH}`]: { items: [ACTIVE] } }), <EnrollmentsPanel id="sub_1" canEdit={false} />, "viewer"));
    await screen.findByTestId("enrollment");
    expect(screen.queryByTestId("enrollment-stop-scn_a")).toBeNull();
    expect(screen.queryByTestId("enrollments-stop-all")).toBeNull();
  });
});
