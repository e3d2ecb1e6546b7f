/** The simulator: what a chosen friend (or a hypothetical one) receives and when, quiet hours and lateness included. */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { MessagePreview, type LineMessage } from "../../components/MessagePreview";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { href } from "../../router";
import { fmtDateTime } from "./shared";
import type { Scenario } from "./types";

interface SimStep {
  index: number;
  step_id: string;
  name: string;
  channels: string[];
  note: string | null;
  notes?: string[];
  due: string | null;
  due_local: string | null;
  quiet_hours_moved?: boolean;
  due_before_quiet_hours_local?: string;
  late_minutes?: number;
  sent_at?: string;
  outcome: "send" | "send_late" | "skipped" | "skipped_late" | "end" | "condition_skip" | "condition_end";
  line?: LineMessage[] | null;
}
interface SimResult {
  enrolled_at: string;
  time_zone: string;
  subscriber: string | null;
  quiet_hours: { start: string | null; end: string | null };
  lateness: { policy: string; max_late_minutes: number };
  steps: SimStep[];
}
interface TimelineEntry {
  entry_id: string;
  kind: string;
  at: string;
  actor: string | null;
  data: Record<string, unknown> | null;
}
interface Friend {
  subscriber_id: string;
  display_name: string | null;
}

export function ScenarioSimulator({ id }: { id: string }) {
  const { api } = useApp();
  const [scenario, setScenario] = useState<Scenario | null>(null);
  const [friends, setFriends] = useState<Friend[]>([]);
  const [who, setWho] = useState("");
  const [tags, setTags] = useState("");
  const [fields, setFields] = useState("");
  const [at, setAt] = useState("");
  const [result, setResult] = useState<SimResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [enrolled, setEnrolled] = useState<string | null>(null);
  const [history, setHistory] = useState<TimelineEntry[] | null>(null);
  const [historyError, setHistoryError] = useState<unknown>(null);
  const loadHistory = () => {
    setHistoryError(null);
    if (!who) return setHistory(null);
    api
      .get<{ items: TimelineEntry[] }>(`/api/subscribers/${who}/timeline`, { query: { limit: 50 } })
      .then((r) => setHistory(r.items.filter((e) => e.actor === `scenario:${id}`)), setHistoryError);
  };
  useEffect(loadHistory, [who]);

  useEffect(() => {
    api.get<Scenario>(`/api/scenarios/${id}`).then(setScenario, setError);
    api.get<{ items: Friend[] }>("/api/subscribers", { query: { limit: 100 } }).then((r) => setFriends(r.items), () => setFriends([]));
  }, [id]);

  const stepLabel = (stepId: string) => {
    const i = scenario?.steps.findIndex((st) => st.id === stepId) ?? -1;
    return i < 0 ? stepId : scenario!.steps[i]!.name || t("sc.stepN", { n: i + 1 });
  };

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      let parsedFields: Record<string, unknown> = {};
      if (fields.trim()) {
        for (const pair of fields.split(/[,\n]/)) {
          const [k, ...rest] = pair.split("=");
          if (k?.trim()) parsedFields[k.trim()] = rest.join("=").trim();
        }
      }
      const when = at ? { enrolled_at: at } : {};
      const body = who
        ? { subscriber_id: who, ...when }
        : { hypothetical: { tags: tags.split(/[,、]/).map((x) => x.trim()).filter(Boolean), fields: parsedFields, ...when } };
      setResult(await api.post<SimResult>(`/api/scenarios/${id}/simulate`, body));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const enroll = async () => {
    setError(null);
    try {
      const r = await api.post<{ enrolled: boolean; notes: string[] }>(`/api/scenarios/${id}/enrollments`, { subscriber_id: who });
      setEnrolled(r.enrolled ? t("sim.enrolled") : t("sim.notEnrolled", { notes: r.notes.join(" / ") }));
      loadHistory();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <PageHeader title={t("sim.title", { name: scenario?.name ?? "" })} lead={t("sim.lead")}>
        <a class="btn btn--ghost" href={href(`/scenarios/${id}`)}>
          {t("sim.backToEditor")}
        </a>
      </PageHeader>
      <section class="card form" data-testid="simulator">
        <div class="row">
          <label class="field">
            <span class="field__label">{t("sim.who")}</span>
            <select name="subscriber_id" value={who} onChange={(e) => setWho(e.currentTarget.value)}>
              <option value="">{t("sim.hypothetical")}</option>
              {friends.map((f) => (
                <option key={f.subscriber_id} value={f.subscriber_id}>
                  {f.display_name || f.subscriber_id}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span class="field__label">{t("sim.enrolledAt")}</span>
            <input name="enrolled_at" type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} />
            <span class="field__hint">{t("sim.enrolledAt.hint")}</span>
          </label>
        </div>
        {!who && (
          <div class="row">
            <label class="field">
              <span class="field__label">{t("sim.tags")}</span>
              <input name="tags" value={tags} placeholder="VIP, 新規" onInput={(e) => setTags(e.currentTarget.value)} />
            </label>
            <label class="field">
              <span class="field__label">{t("sim.fields")}</span>
              <input name="fields" value={fields} placeholder="birthday=2000-05-01" onInput={(e) => setFields(e.currentTarget.value)} />
            </label>
          </div>
        )}
        <div class="toolbar">
          <button type="button" class="btn" onClick={run} disabled={busy} data-testid="simulate-run">
            {busy ? t("sim.running") : t("sim.run")}
          </button>
          {who && (
            <button type="button" class="btn btn--ghost" onClick={enroll} data-testid="simulate-enroll">
              {t("sim.enroll")}
            </button>
          )}
          {enrolled && <span role="status">{enrolled}</span>}
        </div>
        <ErrorNotice error={error} onRetry={run} />
      </section>
      {who && (
        <section class="card" data-testid="friend-history">
          <div class="toolbar">
            <h2 class="card__title">{t("sim.history")}</h2>
            <button type="button" class="btn btn--ghost btn--small" onClick={loadHistory} data-testid="friend-history-reload">
              {t("sim.reload")}
            </button>
          </div>
          <ErrorNotice error={historyError} onRetry={loadHistory} />
          {history && history.length === 0 && <p class="muted">{t("sim.history.none")}</p>}
          {history && history.length > 0 && (
            <ol class="sim-list">
              {history.map((e) => (
                <li key={e.entry_id} data-testid="history-entry" data-kind={e.kind}>
                  <time>{fmtDateTime(e.at)}</time>
                  <span class="badge badge--ok">{t(`sim.kind.${e.kind}` as never)}</span>
                  {e.data && typeof e.data.step_id === "string" && <span>{stepLabel(String(e.data.step_id))}</span>}
                  {e.data && typeof e.data.channel === "string" && <span class="muted">{t(`sc.channel.${e.data.channel}` as never)}</span>}
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
      {result && (
        <section class="card" data-testid="simulation-result">
          <p class="muted">
            {t("sim.summary", {
              at: fmtDateTime(result.enrolled_at),
              tz: result.time_zone,
              quiet: result.quiet_hours.start ? `${result.quiet_hours.start}–${result.quiet_hours.end}` : t("sim.noQuiet"),
            })}
          </p>
          <p class="muted">
            {result.lateness.policy === "skip_if_late"
              ? t("sim.lateness.skip", { n: result.lateness.max_late_minutes })
              : t("sim.lateness.send")}
          </p>
          <ol class="sim-list">
            {result.steps.map((s) => (
              <li key={s.index} data-testid="sim-step" data-outcome={s.outcome}>
                <strong>{s.name || t("sc.stepN", { n: s.index + 1 })}</strong>
                <time>{s.due ? fmtDateTime(s.due) : "—"}</time>
                <span class={`badge ${s.outcome === "send" ? "badge--ok" : s.outcome.endsWith("end") ? "badge--bad" : "badge--warn"}`}>
                  {t(`sim.outcome.${s.outcome}` as never)}
                </span>
                {s.quiet_hours_moved && (
                  <span class="badge badge--warn">{t("sim.quietMoved", { from: (s.due_before_quiet_hours_local ?? "").slice(11, 16) })}</span>
                )}
                {!!s.late_minutes && s.outcome !== "send" && <span class="badge badge--warn">{t("sim.late", { n: s.late_minutes })}</span>}
                {s.channels.length > 0 && <span class="muted">{s.channels.map((c) => t(`sc.channel.${c}` as never)).join(" + ")}</span>}
                {(s.notes ?? (s.note ? [s.note] : [])).map((n, j) => (
                  <span key={j} class="field__hint">
                    {n}
                  </span>
                ))}
                {(s.outcome === "send" || s.outcome === "send_late") && s.line && s.line.length > 0 && (
                  <details>
                    <summary>{t("sim.showMessages")}</summary>
                    <MessagePreview messages={s.line} samples={result.subscriber ? { name: result.subscriber, display_name: result.subscriber } : undefined} />
                  </details>
                )}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}
