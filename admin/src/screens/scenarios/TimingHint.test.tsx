import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { setLang } from "../../i18n";
import { freshPageEachTest } from "../../testing/app";
import { TimingEditor } from "./ScenarioEditor";
import { type Step, newStep } from "./types";

function editor(step: Step) {
  return render(<TimingEditor step={step} index={1} problems={new Map()} onChange={() => undefined} />);
}

describe("the relative timing says delays are whole minutes", () => {
  freshPageEachTest();

  it("next to 'N 分後' the hint says the time is rounded to the nearest minute (ja)", () => {
    editor({ ...newStep(1), timing: { type: "after", amount: 3, unit: "minutes", from: "previous_step" } });
    const hint = screen.getByTestId("timing-whole-minutes");
    expect(hint.textContent).toContain("分単位");
    expect(hint.textContent).toContain("四捨五入");
  });

  it("in English too", () => {
    setLang("en");
    editor({ ...newStep(1), timing: { type: "after", amount: 2, unit: "hours", from: "enrollment" } });
    expect(screen.getByTestId("timing-whole-minutes").textContent).toContain("rounded to the nearest minute");
  });

  it("only for a relative delay: not for 'immediately' or a fixed HH:MM", () => {
    editor(newStep(0));
    expect(screen.queryByTestId("timing-whole-minutes")).toBeNull();
    editor({ ...newStep(1), timing: { type: "day_at", day: 1, at: "10:00", late_enrollment: "next_day" } });
    expect(screen.queryByTestId("timing-whole-minutes")).toBeNull();
  });
});
