/**
 * How many friends are in a scenario and how many wait at each step (GET /api/scenarios/{id}/enrollment-counts):
 * a line on each card of the scenario list, the summary in the editor and a badge on each step.
 */
import { useApiGet } from "../../components/ResourceScreen";
import { t } from "../../i18n";

export interface EnrollmentCounts {
  scenario_id: string;
  total: number;
  active: number;
  completed: number;
  stopped: number;
  steps: { index: number; step_id: string | null; name: string | null; waiting: number }[];
}

export function useEnrollmentCounts(id: string | null) {
  return useApiGet<EnrollmentCounts>(id ? `/api/scenarios/${id}/enrollment-counts` : null);
}

/** "配信中 3人 · 完了 1人 · 停止 0人", and the friends left on steps an older version had. */
export function EnrollmentSummary({ counts }: { counts: EnrollmentCounts }) {
  const known = new Set(counts.steps.filter((s) => s.step_id !== null).map((s) => s.index));
  const orphans = counts.steps.filter((s) => s.step_id === null && !known.has(s.index) && s.waiting > 0);
  return (
    <p class="muted" data-testid="enrollment-summary">
      {t("ec.summary", { active: counts.active, completed: counts.completed, stopped: counts.stopped })}
      {orphans.map((s) => (
        <span key={s.index}> · {t("ec.orphan", { n: s.index + 1, count: s.waiting })}</span>
      ))}
    </p>
  );
}

/** One scenario card's count of friends in it now. */
export function ActiveCount({ id }: { id: string }) {
  const counts = useApiGet<EnrollmentCounts>(`/api/scenarios/${id}/enrollment-counts`);
  if (!counts.data) return null;
  return (
    <span class="badge" data-testid="scenario-active-count" title={t("ec.summary", { active: counts.data.active, completed: counts.data.completed, stopped: counts.data.stopped })}>
      {t("ec.active", { n: counts.data.active })}
    </span>
  );
}

/** The waiting count of step `index` (0 when nobody waits there or the counts are not loaded). */
export function waitingAt(counts: EnrollmentCounts | null, index: number): number {
  return counts?.steps.find((s) => s.index === index && s.step_id !== null)?.waiting ?? 0;
}
