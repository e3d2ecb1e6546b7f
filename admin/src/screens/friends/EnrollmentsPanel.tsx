/**
 * A friend's scenarios on the friend page: where each stands (status, next step and when), stop one (behind a
 * confirm), restart a stopped or completed one from the beginning, start another, and 全シナリオ解除 (stop all,
 * behind a confirm). GET /api/subscribers/{id}/enrollments; POST /api/scenarios/{sid}/unsubscribe,
 * POST /api/scenarios/{sid}/enrollments, POST /api/subscribers/{id}/unsubscribe-scenarios.
 * The API's refusal to start a scenario shows at the scenario select (`scenario_id`).
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField } from "../../components/Field";
import { useApiGet } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href } from "../../router";
import { formatDateTime } from "../settings/ui";
import "./EnrollmentsPanel.css";

export interface Enrollment {
  scenario_id: string;
  scenario_name: string | null;
  scenario_exists: boolean;
  status: "active" | "completed" | "stopped";
  cycle: number;
  enrolled_at: string;
  next_step: number | null;
  next_step_name: string | null;
  steps: number;
  next_due_at: string | null;
  stop_reason: string | null;
}
interface ScenarioLite {
  id: string;
  name: string;
  status: string;
}

const BADGE: Record<Enrollment["status"], string> = { active: "badge--ok", completed: "", stopped: "badge--warn" };

export function EnrollmentsPanel({ id, canEdit }: { id: string; canEdit: boolean }) {
  const { api } = useApp();
  const list = useApiGet<{ items: Enrollment[] }>(`/api/subscribers/${id}/enrollments`, [id]);
  const scenarios = useApiGet<{ items: ScenarioLite[] }>(canEdit ? "/api/scenarios" : null);
  const acting = useAction();
  const starting = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [pick, setPick] = useState("");
  const rows = list.data?.items ?? null;
  const active = (rows ?? []).filter((r) => r.status === "active").length;

  const done = (text: string) => (setNotice(text), list.reload());
  const stop = (sid: string) =>
    void acting.run(async () => {
      const r = await api.post<{ stopped: number }>(`/api/scenarios/${sid}/unsubscribe`, { subscriber_id: id });
      done(t("en.stopped", { n: r.stopped }));
    });
  const stopAll = () =>
    void acting.run(async () => {
      const r = await api.post<{ stopped: number }>(`/api/subscribers/${id}/unsubscribe-scenarios`);
      done(t("en.stopped", { n: r.stopped }));
    });
  const enroll = (sid: string, action: typeof acting) =>
    action.run(async () => {
      const r = await api.post<{ enrolled: boolean }>(`/api/scenarios/${sid}/enrollments`, { subscriber_id: id });
      done(r.enrolled ? t("en.restarted") : t("en.notRestarted"));
      return r;
    });
  const startErr = fieldErrors(starting.error);

  return (
    <section class="card" data-testid="enrollments">
      <div class="row row--between">
        <h2 class="card__title" style={{ margin: 0 }}>
          {t("en.title")}
        </h2>
        {canEdit && active > 0 && (
          <ConfirmButton label={t("en.stopAll")} confirmLabel={t("en.stopAll")} question={t("en.stopAll.q")} busy={acting.busy} onConfirm={stopAll} testId="enrollments-stop-all" />
        )}
      </div>
      <ErrorNotice error={list.error} onRetry={() => (list.setError(null), list.reload())} />
      <ErrorNotice error={acting.error} onDismiss={() => acting.setError(null)} />
      {notice && (
        <p class="notice notice--info" role="status" data-testid="enrollments-notice">
          {notice}
        </p>
      )}
      {rows === null && !list.error && <p class="muted">{t("app.loading")}</p>}
      {rows && rows.length === 0 && <p class="muted">{t("en.empty")}</p>}
      <ul class="enrollments">
        {(rows ?? []).map((r) => (
          <li key={r.scenario_id} class="enrollments__item" data-testid="enrollment" data-scenario={r.scenario_id} data-status={r.status}>
            <div class="enrollments__head">
              {r.scenario_exists ? <a href={href(`/scenarios/${r.scenario_id}`)}>{r.scenario_name || r.scenario_id}</a> : <span class="muted">{t("en.deleted")}</span>}{" "}
              <span class={`badge ${BADGE[r.status]}`}>{t(`en.status.${r.status}`)}</span>
            </div>
            <div class="muted enrollments__meta">
              {r.status === "active" && r.next_step !== null && (
                <span>
                  {t("en.next", { step: r.next_step_name || `${r.next_step + 1}/${r.steps}` })} {r.next_due_at && t("en.nextAt", { at: formatDateTime(r.next_due_at) })}{" "}
                </span>
              )}
              <span>{t("en.enrolledAt", { at: formatDateTime(r.enrolled_at) })}</span>
            </div>
            {canEdit && r.scenario_exists && (
              <div class="toolbar">
                {r.status === "active" ? (
                  <ConfirmButton label={t("en.stop")} confirmLabel={t("en.stop")} question={t("en.stop.q")} busy={acting.busy} onConfirm={() => stop(r.scenario_id)} testId={`enrollment-stop-${r.scenario_id}`} />
                ) : (
                  <button type="button" class="btn btn--small btn--ghost" disabled={acting.busy} onClick={() => void enroll(r.scenario_id, acting)} data-testid={`enrollment-restart-${r.scenario_id}`}>
                    {t("en.restart")}
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      {canEdit && scenarios.data && scenarios.data.items.length > 0 && (
        <form
          class="row enrollments__start"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (pick) void enroll(pick, starting).then((r) => r && setPick(""));
          }}
        >
          <SelectField
            label={t("en.start.pick")}
            name="scenario_id"
            value={pick}
            error={startErr.at("scenario_id")}
            options={[["", "—"], ...scenarios.data.items.map((s) => [s.id, s.name] as [string, string])]}
            onValue={(v) => (setPick(v), starting.setError(null))}
            testId="enrollment-start-pick"
          />
          <button type="submit" class="btn btn--small" disabled={starting.busy || !pick} data-testid="enrollment-start">
            {t("en.start.run")}
          </button>
        </form>
      )}
      <ErrorNotice error={starting.error} onDismiss={() => starting.setError(null)} />
    </section>
  );
}
