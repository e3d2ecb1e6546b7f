/**
 * 一斉配信 / セグメント配信: list, composer (editor + preview + audience with live count), quota check, test send,
 * send now / schedule, live progress (polls GET /api/broadcasts/{id}), results, cancel.
 * Routes: #/broadcasts, #/broadcasts/new, #/broadcasts/<id>
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { CardList } from "../../components/CardList";
import { ChannelMessageBlock, type EmailContent, type SmsContent, useSenders } from "../../components/ChannelMessageBlock";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, RadioField, SelectField, TextField, choices } from "../../components/Field";
import { type LineMessage, MessagePreview, lineLimitProblems } from "../../components/MessagePreview";
import { PageHeader } from "../../components/PageHeader";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { EMPTY_SEGMENT, SegmentBuilder, type SegmentGroup, completeSegment } from "../../components/SegmentBuilder";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { fmtDateTime, fmtNumber, localInputValue, problemAt, problemsOf } from "../scenarios/shared";
import { BroadcastStats } from "../stats/MessageStats";
import { type AbValues, AbResults, type StoredContent, VariantsBlock, abBody, abValues } from "./AbTest";

interface Progress {
  planned: number;
  sent: number;
  failed: number;
  cancelled: number;
  skipped_blocked: number;
  skipped_unsubscribed: number;
  skipped_no_address: number;
  skipped_daily_cap?: number;
  pending: number;
  planning_complete: boolean;
  batches: number;
}
interface Broadcast {
  broadcast_id: string;
  name: string;
  status: "draft" | "scheduled" | "planning" | "sending" | "done" | "cancelled";
  channel: string;
  segment_id: string | null;
  segment: SegmentGroup | null;
  everyone: boolean;
  respect_quiet_hours?: boolean;
  respect_daily_cap?: boolean;
  message_count: number;
  send_at: string | null;
  send_at_local: string | null;
  estimate: number | null;
  quota_warning: string | null;
  progress: Progress;
  last_error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  test_sent_at: string | null;
  content?: { line?: LineMessage[]; email?: { subject: string; text?: string; html?: string; from?: string }; sms?: { text: string } };
  variants?: { weight: number; content?: StoredContent }[] | null;
  ab_test_share?: number | null;
  ab_winner_after_minutes?: number | null;
}
interface Quota {
  matched: number;
  recipients: number;
  skipped: Record<string, number>;
  messages_per_recipient: number;
  estimated_messages: number;
  limit?: number | null;
  used?: number;
  remaining?: number | null;
  ok: boolean;
  warning?: string;
  policy: string;
  deferred?: { until_local: string; reason: string } | null;
  daily_cap?: { cap: number; skipped: number; reason: string } | null;
}
interface SavedSegment {
  segment_id: string;
  name: string;
}

const BROADCASTS: ResourceKind = { path: "/broadcasts", title: "nav.broadcasts", lead: "screen.broadcasts.lead", newLabel: "bc.new", testId: "broadcast", editorTestId: "broadcast-composer" };
const SAMPLES = { name: "山田 花子", display_name: "山田 花子" };
const LIVE = new Set(["scheduled", "planning", "sending"]);

function statusBadge(status: Broadcast["status"]) {
  const cls = status === "done" ? "badge--ok" : status === "cancelled" ? "badge--bad" : status === "draft" ? "" : "badge--warn";
  return (
    <span class={`badge ${cls}`} data-testid="broadcast-status" data-status={status}>
      {t(`bc.status.${status}`)}
    </span>
  );
}

function percent(b: Broadcast): number {
  const p = b.progress;
  if (b.status === "done") return 100;
  const settled = p.sent + p.failed + p.cancelled;
  const total = p.planning_complete ? p.planned : Math.max(p.planned, b.estimate ?? 0);
  return total > 0 ? Math.min(100, Math.round((settled / total) * 100)) : 0;
}

function BroadcastList() {
  const list = useApiList<Broadcast>("/api/broadcasts");
  return (
    <ListScreen kind={BROADCASTS} list={list} empty={t("bc.empty")}>
      {(rows) => (
        <CardList rows={[...rows].sort((a, b) => b.created_at.localeCompare(a.created_at))} testId="broadcast-list" keyOf={(b) => b.broadcast_id}>
          {(b) => (
            <a class="list-card" href={href(`/broadcasts/${b.broadcast_id}`)}>
              <span class="list-card__title">{b.name}</span>
              {statusBadge(b.status)}
              <span class="list-card__meta">
                {b.send_at ? fmtDateTime(b.send_at) : t("bc.notScheduled")} ·{" "}
                {b.status === "draft" ? t("bc.estimate", { n: fmtNumber(b.estimate) }) : t("bc.sentOf", { sent: fmtNumber(b.progress.sent), n: fmtNumber(b.progress.planned || b.estimate) })}
              </span>
            </a>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

type Audience = "everyone" | "saved" | "build";
interface ComposerValues {
  name: string;
  channel: string;
  audience: Audience;
  segment_id: string;
  segment: SegmentGroup;
  line: LineMessage[];
  email: EmailContent;
  sms: SmsContent;
  respect_quiet_hours: boolean;
  respect_daily_cap: boolean;
  ab: AbValues;
}

/** A new broadcast's audience chosen elsewhere: `?segment=<saved segment>` or `?list=<ID list>` (segments, ID lists). */
interface Preset {
  segment?: string;
  list?: string;
}

function presetAudience(p: Preset): Pick<ComposerValues, "audience" | "segment_id" | "segment"> | null {
  if (p.segment) return { audience: "saved", segment_id: p.segment, segment: EMPTY_SEGMENT };
  if (p.list) return { audience: "build", segment_id: "", segment: { match: "all", conditions: [{ type: "list", list_id: p.list, mode: "include" }] } };
  return null;
}

function toValues(b: Broadcast | null, preset: Preset = {}): ComposerValues {
  const audience = presetAudience(preset);
  return {
    name: b?.name ?? "",
    channel: b?.channel ?? "line",
    audience: audience?.audience ?? (b ? (b.segment_id ? "saved" : b.segment ? "build" : "everyone") : "everyone"),
    segment_id: audience?.segment_id ?? b?.segment_id ?? "",
    segment: audience?.segment ?? b?.segment ?? EMPTY_SEGMENT,
    line: b?.content?.line ?? [{ type: "text", text: "" }],
    email: { subject: "", text: "", html: "", from: "", ...b?.content?.email },
    sms: { text: b?.content?.sms?.text ?? "" },
    respect_quiet_hours: b?.respect_quiet_hours ?? true,
    respect_daily_cap: b?.respect_daily_cap ?? true,
    ab: abValues(b),
  };
}

function toBody(v: ComposerValues): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (v.channel === "line" || v.channel === "line_email") content.line = v.line;
  if (v.channel === "email" || v.channel === "line_email") {
    const email: Record<string, string> = { subject: v.email.subject };
    if (v.email.text) email.text = v.email.text;
    if (v.email.html) email.html = v.email.html;
    if (v.email.from) email.from = v.email.from;
    content.email = email;
  }
  if (v.channel === "sms") content.sms = { text: v.sms.text };
  const body: Record<string, unknown> = { name: v.name, channel: v.channel, content, respect_quiet_hours: v.respect_quiet_hours, respect_daily_cap: v.respect_daily_cap };
  if (v.audience === "everyone") body.everyone = true;
  else if (v.audience === "saved") body.segment_id = v.segment_id || null;
  else body.segment = completeSegment(v.segment);
  return abBody(v.channel, v, v.ab ?? abValues(null), body);
}

function SavedSegmentPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const { api } = useApp();
  const [segments, setSegments] = useState<SavedSegment[] | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<{ segments: SavedSegment[] }>("/api/segments").then((r) => setSegments(r.segments), setError);
  }, []);
  useEffect(() => {
    setCount(null);
    if (!value) return;
    let live = true;
    api.get<{ count: number }>(`/api/segments/${value}/count`).then((r) => live && setCount(r.count), (e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [value]);
  return (
    <div class="form">
      <label class="field">
        <span class="field__label">{t("bc.savedSegment")}</span>
        <select name="segment_id" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">{t("bc.chooseSegment")}</option>
          {(segments ?? []).map((s) => (
            <option key={s.segment_id} value={s.segment_id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      {value && (
        <p aria-live="polite" data-testid="saved-segment-count">
          {t("bc.matching")} <strong>{count === null ? "…" : fmtNumber(count)}</strong> {t("bc.people")}
        </p>
      )}
      {segments && segments.length === 0 && <p class="muted">{t("bc.noSegments")}</p>}
      <ErrorNotice error={error} onRetry={() => setError(null)} />
    </div>
  );
}

function Composer({ initial, preset = {} }: { initial: Broadcast | null; preset?: Preset }) {
  const { api } = useApp();
  const id = initial?.broadcast_id ?? null;
  const presetKey = preset.segment ? `.segment.${preset.segment}` : preset.list ? `.list.${preset.list}` : "";
  const form = useForm<ComposerValues>(toValues(initial, preset), `broadcast.${id ?? "new"}${id ? "" : presetKey}`);
  const v = form.values;
  const problems = problemsOf(form.error);
  const senders = useSenders(v.channel === "email" || v.channel === "line_email");
  const [saved, setSaved] = useState<Broadcast | null>(initial);
  const blocking = v.channel.startsWith("line") && lineLimitProblems(v.line).length > 0;
  const ab = v.ab ?? abValues(null);
  const base = ab.ab ? "variants.0.content" : "content";
  const save = (vals: ComposerValues) => (id ? api.patch<Broadcast>(`/api/broadcasts/${id}`, toBody(vals)) : api.post<Broadcast>("/api/broadcasts", toBody(vals)));
  const remove = id ? { label: t("bc.delete"), question: t("bc.delete.confirm"), run: () => api.delete(`/api/broadcasts/${id}`), testId: "broadcast-delete" } : undefined;
  const onSaved = (result: Broadcast) => {
    setSaved(result);
    if (!id) navigate(`/broadcasts/${result.broadcast_id}`, true);
  };

  return (
    <>
      <EditorShell kind={BROADCASTS} id={id} name={v.name} form={form} save={save} onSaved={onSaved} lead={t("bc.composer.lead")} saveLabel={t("bc.saveDraft")} remove={remove}>
        <div class="split">
          <div>
            <section class="card form">
              <div class="row">
                <TextField label={t("bc.name")} name="name" value={v.name} error={form.errorFor("name")} onValue={(x) => form.set("name", x)} />
                <SelectField
                  narrow
                  label={t("bc.channel")}
                  name="channel"
                  value={v.channel}
                  options={choices(["line", "email", "sms", "line_email"], (c) => t(`bc.channel.${c}` as never))}
                  onValue={(x) => form.set("channel", x)}
                />
              </div>
            </section>
            <section class="card form" data-testid="broadcast-audience">
              <h2 class="card__title">{t("bc.audience")}</h2>
              <RadioField label={t("bc.audience")} name="audience" value={v.audience} options={choices(["everyone", "saved", "build"] as const, (a) => t(`bc.audience.${a}`))} onValue={(x) => form.set("audience", x)} />
              {v.audience === "saved" && <SavedSegmentPicker value={v.segment_id} onChange={(x) => form.set("segment_id", x)} />}
              {v.audience === "build" && <SegmentBuilder value={v.segment} onChange={(x) => form.set("segment", x)} showCount />}
              <FieldError text={problemAt(problems, "segment", true)} />
              <FieldError text={problems.get("segment_id")} />
              <CheckField label={t("bc.quietHours")} name="respect_quiet_hours" checked={v.respect_quiet_hours} testId="broadcast-quiet-hours" onValue={(x) => form.set("respect_quiet_hours", x)} />
              <CheckField
                label={t("bc.respectDailyCap")}
                name="respect_daily_cap"
                checked={v.respect_daily_cap}
                testId="broadcast-daily-cap"
                title={t("bc.respectDailyCap.hint")}
                onValue={(x) => form.set("respect_daily_cap", x)}
              />
            </section>
            <section class="card form">
              <h2 class="card__title">{t("bc.content")}</h2>
              {v.channel.startsWith("line") && <ChannelMessageBlock channel="line" base={base} problems={problems} value={v.line} onChange={(x) => form.set("line", x)} />}
              {(v.channel === "email" || v.channel === "line_email") && (
                <ChannelMessageBlock channel="email" base={base} problems={problems} value={v.email} senders={senders} onChange={(x) => form.set("email", x)} />
              )}
              {v.channel === "sms" && <ChannelMessageBlock channel="sms" base={base} rows={3} problems={problems} value={v.sms} onChange={(x) => form.set("sms", x)} />}
            </section>
            <VariantsBlock channel={v.channel} value={ab} problems={problems} senders={senders} onChange={(x) => form.set("ab", x)} />
          </div>
          <aside class="split__side">{v.channel.startsWith("line") && <MessagePreview messages={v.line} samples={SAMPLES} />}</aside>
        </div>
      </EditorShell>
      {saved && id && <SendPanel broadcast={saved} dirty={blocking} />}
    </>
  );
}

function QuotaView({ q }: { q: Quota }) {
  return (
    <div data-testid="quota-result" data-ok={q.ok ? "true" : "false"}>
      <div class="stats">
        {(
          [
            ["bc.q.matched", fmtNumber(q.matched), undefined],
            ["bc.q.recipients", fmtNumber(q.recipients), "quota-recipients"],
            ["bc.q.messages", fmtNumber(q.estimated_messages), undefined],
            ["bc.q.remaining", q.limit === null || q.limit === undefined ? t("bc.q.unlimited") : `${fmtNumber(q.remaining)} / ${fmtNumber(q.limit)}`, undefined],
          ] as const
        ).map(([k, value, testId]) => (
          <div class="stat" key={k}>
            <div class="stat__label">{t(k)}</div>
            <div class="stat__value" data-testid={testId}>
              {value}
            </div>
          </div>
        ))}
      </div>
      {Object.entries(q.skipped).filter(([, n]) => n > 0).length > 0 && (
        <p class="muted">
          {t("bc.q.skipped")}:{" "}
          {Object.entries(q.skipped)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${t(`bc.skip.${k}` as never)} ${fmtNumber(n)}`)
            .join(" / ")}
        </p>
      )}
      {q.deferred && (
        <p class="notice" data-testid="quota-deferred">
          {q.deferred.reason}
        </p>
      )}
      {q.daily_cap && q.daily_cap.skipped > 0 && (
        <p class="notice" data-testid="quota-daily-cap">
          {q.daily_cap.reason}
        </p>
      )}
      {!q.ok && (
        <p class="notice notice--warn" role="alert">
          {t(q.policy === "warn" ? "bc.q.overWarn" : "bc.q.overRefuse", { warning: q.warning ?? "" })}
        </p>
      )}
    </div>
  );
}

function SendPanel({ broadcast, dirty }: { broadcast: Broadcast; dirty: boolean }) {
  const { api } = useApp();
  const id = broadcast.broadcast_id;
  const [quota, setQuota] = useState<Quota | null>(null);
  const [quotaError, setQuotaError] = useState<unknown>(null);
  const [testIds, setTestIds] = useState("");
  const [testResult, setTestResult] = useState<string | null>(null);
  const testing = useAction();
  const [when, setWhen] = useState<"now" | "at">("at");
  const [at, setAt] = useState(localInputValue(60));
  const sending = useAction();
  const sendProblems = problemsOf(sending.error);

  const check = () => {
    setQuotaError(null);
    api.get<Quota>(`/api/broadcasts/${id}/quota-check`).then(setQuota, setQuotaError);
  };
  useEffect(check, [broadcast]);

  const testSend = () => {
    setTestResult(null);
    const ids = testIds.split(/[\s,、]+/).filter(Boolean);
    const body = { line_user_ids: ids.filter((x) => x.startsWith("U")), subscriber_ids: ids.filter((x) => !x.startsWith("U")) };
    return testing.run(async () => {
      const r = await api.post<{ sent: number; results: { ok: boolean; error?: string; line_user_id: string }[] }>(`/api/broadcasts/${id}/test-send`, body);
      setTestResult(
        t("bc.test.done", { n: r.sent, total: r.results.length }) +
          r.results
            .filter((x) => !x.ok)
            .map((x) => ` / ${x.line_user_id}: ${x.error ?? ""}`)
            .join(""),
      );
    });
  };

  const go = () =>
    sending.run(async () => {
      if (when === "now") await api.post(`/api/broadcasts/${id}/send`);
      else await api.post(`/api/broadcasts/${id}/schedule`, { at });
      navigate(`/broadcasts/${id}?view=progress`);
    });

  return (
    <section class="card form" data-testid="send-panel">
      <h2 class="card__title">{t("bc.send")}</h2>
      <div>
        <div class="toolbar">
          <strong>{t("bc.quota")}</strong>
          <button type="button" class="btn btn--ghost btn--small" onClick={check} data-testid="quota-check">
            {t("bc.quota.check")}
          </button>
        </div>
        <ErrorNotice error={quotaError} onRetry={check} />
        {quota && <QuotaView q={quota} />}
      </div>
      <div class="step__section">
        <h3>{t("bc.test")}</h3>
        <div class="row">
          <label class="field">
            <span class="field__label">{t("bc.test.ids")}</span>
            <input name="line_user_ids" value={testIds} placeholder="U1234… / s_01…" onInput={(e) => setTestIds(e.currentTarget.value)} />
          </label>
          <button type="button" class="btn btn--ghost" onClick={testSend} disabled={!testIds.trim()} data-testid="test-send">
            {t("bc.test.send")}
          </button>
        </div>
        {testResult && <p role="status">{testResult}</p>}
        <ErrorNotice error={testing.error} />
      </div>
      <div class="step__section">
        <h3>{t("bc.timing")}</h3>
        <RadioField label={t("bc.timing")} name="when" value={when} options={[["now", t("bc.now")], ["at", t("bc.at")]] as const} onValue={setWhen} />
        {when === "at" && (
          <label class="field">
            <span class="field__label">{t("bc.atLabel")}</span>
            <input name="at" type="datetime-local" value={at} aria-invalid={!!sendProblems.get("at")} onInput={(e) => setAt(e.currentTarget.value)} />
            {sendProblems.get("at") && <span class="field__error">{sendProblems.get("at")}</span>}
          </label>
        )}
        <ErrorNotice error={sending.error} />
        {dirty && <p class="notice notice--warn">{t("bc.fixFirst")}</p>}
        <div class="toolbar">
          <button type="button" class="btn" onClick={go} disabled={sending.busy || dirty} data-testid="broadcast-go">
            {sending.busy ? t("sc.saving") : when === "now" ? t("bc.sendNow") : t("bc.schedule")}
          </button>
        </div>
      </div>
    </section>
  );
}

function ProgressView({ initial }: { initial: Broadcast }) {
  const { api } = useApp();
  const [b, setB] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const cancelling = useAction();
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!LIVE.has(b.status)) return;
    timer.current = window.setTimeout(() => {
      api.get<Broadcast>(`/api/broadcasts/${b.broadcast_id}`).then(
        (x) => (setError(null), setB(x)),
        (e) => (setError(e), setB({ ...b })), // keep polling after a failed poll
      );
    }, 1500);
    return () => window.clearTimeout(timer.current);
  }, [b]);
  const p = b.progress;
  const pct = percent(b);
  const skipped = p.skipped_blocked + p.skipped_unsubscribed + p.skipped_no_address + (p.skipped_daily_cap ?? 0);
  const total = Math.max(1, p.planned || b.estimate || 0);
  const cancel = () =>
    cancelling.run(async () => {
      await api.post(`/api/broadcasts/${b.broadcast_id}/cancel`);
      setB(await api.get<Broadcast>(`/api/broadcasts/${b.broadcast_id}`));
    });
  return (
    <>
      <PageHeader title={b.name} lead={t(b.status === "done" ? "bc.results.lead" : "bc.progress.lead")}>
        <a class="btn btn--ghost" href={href("/broadcasts")}>
          {t("sc.back")}
        </a>
        {LIVE.has(b.status) && (
          <ConfirmButton large label={t("bc.cancel")} confirmLabel={t("bc.cancel")} question={t("bc.cancel.confirm")} onConfirm={() => void cancel()} testId="broadcast-cancel" />
        )}
      </PageHeader>
      <ErrorNotice error={cancelling.error} />
      <section class="card" data-testid="broadcast-progress" data-percent={pct}>
        <div class="toolbar">
          {statusBadge(b.status)}
          <span class="muted">
            {b.status === "scheduled" && b.send_at ? t("bc.scheduledFor", { at: fmtDateTime(b.send_at) }) : ""}
            {b.finished_at ? t("bc.finishedAt", { at: fmtDateTime(b.finished_at) }) : ""}
          </span>
          <strong style="margin-left:auto" data-testid="broadcast-percent">
            {pct}%
          </strong>
        </div>
        <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={t("bc.progress")}>
          <span class="progress__sent" style={`width:${(p.sent / total) * 100}%`} />
          <span class="progress__failed" style={`width:${(p.failed / total) * 100}%`} />
          <span class="progress__skipped" style={`width:${(p.cancelled / total) * 100}%`} />
        </div>
        <div class="stats">
          {(
            [
              ["bc.p.planned", p.planned || b.estimate || 0],
              ["bc.p.sent", p.sent],
              ["bc.p.failed", p.failed],
              ["bc.p.skipped", skipped],
              ["bc.p.pending", p.pending],
              ["bc.p.cancelled", p.cancelled],
            ] as const
          ).map(([k, n]) => (
            <div class="stat" key={k} data-testid={`stat-${k.slice(5)}`}>
              <div class="stat__label">{t(k)}</div>
              <div class="stat__value">{fmtNumber(n)}</div>
            </div>
          ))}
        </div>
        {skipped > 0 && (
          <p class="muted">
            {t("bc.skip.skipped_blocked")} {fmtNumber(p.skipped_blocked)} / {t("bc.skip.skipped_unsubscribed")} {fmtNumber(p.skipped_unsubscribed)} /{" "}
            {t("bc.skip.skipped_no_address")} {fmtNumber(p.skipped_no_address)}
            {(p.skipped_daily_cap ?? 0) > 0 && <> / {t("bc.skip.skipped_daily_cap")} {fmtNumber(p.skipped_daily_cap ?? 0)}</>}
          </p>
        )}
        {b.last_error && <p class="notice notice--warn">{t("bc.lastError", { error: b.last_error })}</p>}
        {p.failed > 0 && <p class="muted">{t("bc.failedHint")}</p>}
        <ErrorNotice error={error} />
      </section>
      {b.status !== "scheduled" && <BroadcastStats id={b.broadcast_id} />}
      {b.variants && b.variants.length > 0 && <AbResults id={b.broadcast_id} />}
      {b.content?.line && <MessagePreview messages={b.content.line} samples={SAMPLES} />}
    </>
  );
}

function BroadcastDetail({ id }: { id: string }) {
  const { query } = useRoute();
  return (
    <Loaded<Broadcast> path={`/api/broadcasts/${id}`} deps={[query.get("view")]}>
      {(b) => (b!.status === "draft" ? <Composer initial={b} /> : <ProgressView key={b!.status === "scheduled" ? `s${b!.send_at}` : "p"} initial={b!} />)}
    </Loaded>
  );
}

export default function BroadcastsScreen() {
  const { path, query } = useRoute();
  const id = path.replace(/^\/broadcasts\/?/, "").split("/")[0];
  if (!id) return <BroadcastList />;
  if (id === "new") {
    const preset = { segment: query.get("segment") ?? undefined, list: query.get("list") ?? undefined };
    return <Composer key={`${preset.segment}.${preset.list}`} initial={null} preset={preset} />;
  }
  return <BroadcastDetail key={id} id={id} />;
}
