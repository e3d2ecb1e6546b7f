/**
 * セミナー・イベント (seminars): the list, a seminar's editor (title, price, attendance tags), its sessions (日程: start,
 * end, deadline in the workspace zone, venue or online URL, capacity; seats left and waitlist), the roster (staff
 * registration, cancel, attended ticks, no-shows, CSV in Shift_JIS or UTF-8 BOM, a printable page), a friend's signed
 * page URL, and the phone-sized check-in page (type or paste the QR code; the camera through BarcodeDetector when the
 * browser has it).
 * Routes: #/seminars, #/seminars/new, #/seminars/<id>, #/seminars/<id>/print, #/seminars/check-in.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { CardList } from "../../components/CardList";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { EditorShell, ListScreen, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { requestBlob, saveBlob } from "../../download";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { CopyButton } from "../settings/ui";

export interface Seminar {
  event_id: string;
  title: string;
  description: string;
  price: { kind: "free" | "product"; product_id: string | null; hold_minutes?: number };
  attended_tag: string;
  no_show_tag: string;
  reminder_scenario_id: string;
  reminders?: Reminder[];
  created_at: string;
  sessions?: Session[];
}

/** One of the event's own reminders: sent minutes_before the friend's session starts, on LINE or by e-mail. */
export interface Reminder {
  minutes_before: number;
  channel: "line" | "email";
  subject: string;
  text: string;
}

export interface Session {
  session_id: string;
  starts_at: string;
  ends_at: string;
  deadline: string;
  venue: string;
  online_url: string;
  capacity: number;
  taken: number;
  waiting: number;
  seats_left: number;
}

export interface Registration {
  registration_id: string;
  session_id: string;
  subscriber_id: string;
  display_name: string;
  status: "confirmed" | "pending_payment" | "waitlisted" | "cancelled";
  attendance: "" | "attended" | "no_show";
  created_at: string;
  hold_until?: string | null;
  refund_id?: string | null;
}

const SEMINARS: ResourceKind = { path: "/seminars", title: "nav.seminars", lead: "screen.seminars.lead", newLabel: "sem.new", testId: "seminar" };

/** "2026-01-10T19:00:00+09:00" -> "2026/01/10 19:00" (the workspace's wall clock, as the API answers it). */
export function wallClock(iso: string): string {
  return iso.slice(0, 16).replace("T", " ").replaceAll("-", "/");
}

function SeminarList() {
  const list = useApiList<Seminar>("/api/seminars");
  return (
    <ListScreen
      kind={SEMINARS}
      list={list}
      empty={t("sem.empty")}
      actions={
        <a class="btn btn--ghost" href={href("/seminars/check-in")} data-testid="seminar-checkin-open">
          {t("sem.checkin")}
        </a>
      }
    >
      {(rows) => (
        <CardList rows={[...rows].sort((a, b) => b.created_at.localeCompare(a.created_at))} testId="seminar-list" keyOf={(s) => s.event_id}>
          {(s) => (
            <div class="list-card" data-testid="seminar-row">
              <a class="list-card__title" href={href(`/seminars/${s.event_id}`)}>
                {s.title}
              </a>
              <span class="list-card__meta">{s.price.kind === "free" ? t("sem.price.free") : t("sem.price.product")}</span>
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

interface Values {
  title: string;
  description: string;
  paid: boolean;
  product_id: string;
  hold_minutes: string;
  attended_tag: string;
  no_show_tag: string;
  reminder_scenario_id: string;
  reminders: Reminder[];
}

function body(v: Values) {
  return {
    title: v.title,
    description: v.description,
    price: v.paid
      ? { kind: "product", product_id: v.product_id.trim() || null, hold_minutes: Number(v.hold_minutes) || 30 }
      : { kind: "free", product_id: null },
    attended_tag: v.attended_tag.trim(),
    no_show_tag: v.no_show_tag.trim(),
    reminder_scenario_id: v.reminder_scenario_id.trim(),
    reminders: v.reminders.map((r) => ({ minutes_before: Number(r.minutes_before) || 0, channel: r.channel, subject: r.subject.trim(), text: r.text })),
  };
}

const REMINDER_PRESETS: [string, string][] = [
  ["1440", "1日前"],
  ["180", "3時間前"],
  ["60", "1時間前"],
];

/** The event's own reminders: up to 5 rows (when, channel, text). */
function RemindersEditor({ rows, onRows, error }: { rows: Reminder[]; onRows: (rows: Reminder[]) => void; error?: string }) {
  const set = (i: number, patch: Partial<Reminder>) => onRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset class="form" data-testid="seminar-reminders">
      <legend>{t("sem.reminders")}</legend>
      <p class="muted">{t("sem.reminders.lead")}</p>
      {error && (
        <p class="field__error" role="alert">
          {error}
        </p>
      )}
      {rows.map((r, i) => (
        <div key={i} class="card" data-testid="seminar-reminder">
          <TextField label={t("sem.reminders.minutes")} hint={REMINDER_PRESETS.map(([m, l]) => `${m} = ${l}`).join(" / ")} name={`reminder-minutes-${i}`} type="number" value={String(r.minutes_before)} onValue={(x) => set(i, { minutes_before: Number(x) })} />
          <SelectField
            label={t("sem.reminders.channel")}
            name={`reminder-channel-${i}`}
            value={r.channel}
            options={[
              ["line", "LINE"],
              ["email", t("sem.reminders.email")],
            ]}
            onValue={(x) => set(i, { channel: x as Reminder["channel"] })}
          />
          {r.channel === "email" && <TextField label={t("sem.reminders.subject")} name={`reminder-subject-${i}`} value={r.subject} maxLength={200} onValue={(x) => set(i, { subject: x })} />}
          <TextField label={t("sem.reminders.text")} hint={t("sem.reminders.text.hint")} name={`reminder-text-${i}`} rows={3} value={r.text} maxLength={2000} onValue={(x) => set(i, { text: x })} />
          <button type="button" class="btn btn--small btn--ghost" onClick={() => onRows(rows.filter((_, j) => j !== i))} data-testid="seminar-reminder-remove">
            {t("sem.reminders.remove")}
          </button>
        </div>
      ))}
      {rows.length < 5 && (
        <button
          type="button"
          class="btn btn--small"
          onClick={() => onRows([...rows, { minutes_before: rows.length ? 60 : 1440, channel: "line", subject: "", text: "" }])}
          data-testid="seminar-reminder-add"
        >
          {t("sem.reminders.add")}
        </button>
      )}
    </fieldset>
  );
}

function SeminarEditor({ seminar, onSaved }: { seminar: Seminar | null; onSaved?: () => void }) {
  const { api } = useApp();
  const initial: Values = seminar
    ? { title: seminar.title, description: seminar.description, paid: seminar.price.kind === "product", product_id: seminar.price.product_id ?? "", hold_minutes: String(seminar.price.hold_minutes ?? 30), attended_tag: seminar.attended_tag, no_show_tag: seminar.no_show_tag, reminder_scenario_id: seminar.reminder_scenario_id ?? "", reminders: seminar.reminders ?? [] }
    : { title: "", description: "", paid: false, product_id: "", hold_minutes: "30", attended_tag: "", no_show_tag: "", reminder_scenario_id: "", reminders: [] };
  const form = useForm<Values>(initial, seminar ? null : "seminar.new");
  const err = fieldErrors(form.error);
  const v = form.values;
  const save = (vals: Values) =>
    seminar ? api.put<Seminar>(`/api/seminars/${seminar.event_id}`, body(vals)) : api.post<Seminar>("/api/seminars", body(vals));
  return (
    <EditorShell
      kind={SEMINARS}
      id={seminar?.event_id ?? null}
      name={v.title}
      form={form}
      save={save}
      onSaved={(s) => (seminar ? onSaved?.() : navigate(`/seminars/${s.event_id}`, true))}
      remove={
        seminar
          ? { label: t("sem.delete"), question: t("sem.delete.q"), testId: "seminar-delete", run: () => api.delete(`/api/seminars/${seminar.event_id}`) }
          : undefined
      }
    >
      <section class="card form">
        <TextField label={t("sem.title")} name="title" value={v.title} maxLength={100} error={err.at("title")} onValue={(x) => form.set("title", x)} />
        <TextField label={t("sem.description")} name="description" rows={3} value={v.description} maxLength={2000} error={err.at("description")} onValue={(x) => form.set("description", x)} />
        <SelectField
          label={t("sem.price")}
          name="price"
          value={v.paid ? "product" : "free"}
          options={[
            ["free", t("sem.price.free")],
            ["product", t("sem.price.product")],
          ]}
          onValue={(x) => form.set("paid", x === "product")}
        />
        {v.paid && <TextField label={t("sem.product")} name="product_id" value={v.product_id} error={err.at("price")} onValue={(x) => form.set("product_id", x)} />}
        {v.paid && (
          <TextField
            label={t("sem.holdMinutes")}
            hint={t("sem.holdMinutes.hint")}
            name="hold_minutes"
            type="number"
            value={v.hold_minutes}
            error={err.at("price.hold_minutes")}
            onValue={(x) => form.set("hold_minutes", x)}
          />
        )}
        <TextField label={t("sem.attendedTag")} name="attended_tag" value={v.attended_tag} maxLength={100} error={err.at("attended_tag")} onValue={(x) => form.set("attended_tag", x)} />
        <TextField label={t("sem.noShowTag")} name="no_show_tag" value={v.no_show_tag} maxLength={100} error={err.at("no_show_tag")} onValue={(x) => form.set("no_show_tag", x)} />
        <TextField label={t("sem.reminder")} hint={t("sem.reminder.hint")} name="reminder_scenario_id" value={v.reminder_scenario_id} maxLength={64} error={err.at("reminder_scenario_id")} onValue={(x) => form.set("reminder_scenario_id", x)} />
        <RemindersEditor rows={v.reminders} onRows={(rows) => form.set("reminders", rows)} error={err.at("reminders")} />
      </section>
    </EditorShell>
  );
}

interface SessionValues {
  starts_at: string;
  ends_at: string;
  deadline: string;
  venue: string;
  online_url: string;
  capacity: string;
}

function sessionBody(v: SessionValues) {
  return { starts_at: v.starts_at, ends_at: v.ends_at, deadline: v.deadline || null, venue: v.venue.trim(), online_url: v.online_url.trim(), capacity: Number(v.capacity) || 0 };
}

function SessionForm({ eventId, session, done }: { eventId: string; session: Session | null; done: () => void }) {
  const { api } = useApp();
  const blank: SessionValues = { starts_at: "", ends_at: "", deadline: "", venue: "", online_url: "", capacity: "10" };
  const [v, setV] = useState<SessionValues>(
    session
      ? { starts_at: session.starts_at.slice(0, 16), ends_at: session.ends_at.slice(0, 16), deadline: session.deadline.slice(0, 16), venue: session.venue, online_url: session.online_url, capacity: String(session.capacity) }
      : blank,
  );
  const saving = useAction();
  const err = fieldErrors(saving.error);
  const set = (k: keyof SessionValues) => (x: string) => setV({ ...v, [k]: x });
  const save = () =>
    saving.run(async () => {
      if (session) await api.put(`/api/seminars/${eventId}/sessions/${session.session_id}`, sessionBody(v));
      else await api.post(`/api/seminars/${eventId}/sessions`, sessionBody(v));
      setV(blank);
      done();
    });
  return (
    <div class="form" data-testid={session ? "session-edit" : "session-add"}>
      <TextField label={t("sem.session.starts")} name="starts_at" type="datetime-local" value={v.starts_at} error={err.at("starts_at")} onValue={set("starts_at")} />
      <TextField label={t("sem.session.ends")} name="ends_at" type="datetime-local" value={v.ends_at} error={err.at("ends_at")} onValue={set("ends_at")} />
      <TextField label={t("sem.session.deadline")} name="deadline" type="datetime-local" value={v.deadline} error={err.at("deadline")} onValue={set("deadline")} />
      <TextField label={t("sem.session.venue")} name="venue" value={v.venue} maxLength={200} error={err.at("venue")} onValue={set("venue")} />
      <TextField label={t("sem.session.online")} name="online_url" type="url" value={v.online_url} error={err.at("online_url")} onValue={set("online_url")} />
      <TextField label={t("sem.session.capacity")} name="capacity" type="number" min={1} value={v.capacity} error={err.at("capacity")} onValue={set("capacity")} />
      <ErrorNotice error={saving.error} onDismiss={() => saving.setError(null)} />
      <div class="row">
        <button type="button" class="btn btn--small" disabled={saving.busy} onClick={() => void save()} data-testid="session-save">
          {session ? t("sem.session.save") : t("sem.session.add")}
        </button>
      </div>
    </div>
  );
}

function SessionCard({ eventId, s, reload }: { eventId: string; s: Session; reload: () => void }) {
  const { api } = useApp();
  const [editing, setEditing] = useState(false);
  const act = useAction();
  const [notice, setNotice] = useState("");
  const remove = () => act.run(async () => (await api.delete(`/api/seminars/${eventId}/sessions/${s.session_id}`), reload()));
  const noShows = () =>
    act.run(async () => {
      const r = await api.post<{ marked: number }>(`/api/seminars/${eventId}/sessions/${s.session_id}/no-shows`);
      setNotice(t("sem.session.noShows.done", { n: r.marked }));
      reload();
    });
  return (
    <div class="list-card" data-testid="session-row">
      <span class="list-card__title">
        {wallClock(s.starts_at)} – {wallClock(s.ends_at).slice(11)}
      </span>
      <span class="list-card__meta" style={{ overflowWrap: "anywhere" }}>
        {s.venue || s.online_url}
      </span>
      <span class="list-card__meta" data-testid="session-seats">
        {t("sem.session.seats", { left: s.seats_left, capacity: s.capacity, waiting: s.waiting })}
      </span>
      <div class="row">
        <button type="button" class="btn btn--small btn--ghost" onClick={() => setEditing(!editing)} data-testid="session-edit-open">
          {t("sem.session.edit")}
        </button>
        <button type="button" class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void noShows()} data-testid="session-no-shows">
          {t("sem.session.noShows")}
        </button>
        <ConfirmButton label={t("sem.session.delete")} confirmLabel={t("sem.session.delete")} question={t("sem.session.delete.q")} busy={act.busy} onConfirm={() => void remove()} testId="session-delete" />
      </div>
      {notice && <p class="muted">{notice}</p>}
      <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
      {editing && <SessionForm eventId={eventId} session={s} done={() => (setEditing(false), reload())} />}
    </div>
  );
}

function Roster({ seminar, reloadSeminar }: { seminar: Seminar; reloadSeminar: () => void }) {
  const { api, session } = useApp();
  const id = seminar.event_id;
  const roster = useApiGet<{ items: Registration[] }>(`/api/seminars/${id}/registrations`);
  const act = useAction();
  const reload = () => (roster.reload(), reloadSeminar());
  const sessions = seminar.sessions ?? [];
  const label = (sid: string) => {
    const s = sessions.find((x) => x.session_id === sid);
    return s ? wallClock(s.starts_at) : sid;
  };
  const tick = (r: Registration, on: boolean) =>
    act.run(async () => (await api.put(`/api/seminars/${id}/registrations/${r.registration_id}/attendance`, { attendance: on ? "attended" : "" }), reload()));
  const move = (r: Registration, sid: string) =>
    act.run(async () => (await api.put(`/api/seminars/${id}/registrations/${r.registration_id}/session`, { session_id: sid }), reload()));
  const cancel = (r: Registration) => act.run(async () => (await api.post(`/api/seminars/${id}/registrations/${r.registration_id}/cancel`), reload()));
  const csv = (encoding: "shift_jis" | "utf-8") =>
    act.run(async () => saveBlob(`roster-${id}.csv`, await requestBlob(api, session.token, "GET", `/api/seminars/${id}/roster.csv?encoding=${encoding}`)));
  const [subscriber, setSubscriber] = useState("");
  const [sessionId, setSessionId] = useState("");
  const add = () =>
    act.run(async () => {
      await api.post(`/api/seminars/${id}/registrations`, { subscriber_id: subscriber.trim(), session_id: sessionId || sessions[0]?.session_id });
      setSubscriber("");
      reload();
    });
  const err = fieldErrors(act.error);
  const rows = roster.data?.items ?? [];
  return (
    <section class="card" data-testid="seminar-roster">
      <h2 class="card__title">{t("sem.roster")}</h2>
      <div class="row" style={{ flexWrap: "wrap" }}>
        <button type="button" class="btn btn--small btn--ghost" onClick={() => void csv("shift_jis")} data-testid="roster-csv-sjis">
          {t("sem.roster.csvSjis")}
        </button>
        <button type="button" class="btn btn--small btn--ghost" onClick={() => void csv("utf-8")} data-testid="roster-csv-utf8">
          {t("sem.roster.csvUtf8")}
        </button>
        <a class="btn btn--small btn--ghost" href={href(`/seminars/${id}/print`)} data-testid="roster-print">
          {t("sem.roster.print")}
        </a>
      </div>
      <ErrorNotice error={act.error || roster.error} onDismiss={() => (act.setError(null), roster.setError(null))} />
      {rows.length === 0 ? (
        <p class="muted">{t("sem.roster.none")}</p>
      ) : (
        <ul class="stack" data-testid="roster-list" style={{ listStyle: "none", padding: 0 }}>
          {rows.map((r) => (
            <li key={r.registration_id} class="list-card" data-testid="roster-row" data-status={r.status} data-attendance={r.attendance}>
              <span class="list-card__title">{r.display_name || r.subscriber_id}</span>
              <span class="list-card__meta">
                {label(r.session_id)} · <span data-testid="roster-status">{t(`sem.status.${r.status}`)}</span>
                {r.status === "pending_payment" && r.hold_until ? ` · ${t("sem.holdUntil", { at: wallClock(r.hold_until) })}` : ""}
                {r.refund_id ? ` · ${t("sem.refunded")}` : ""}
                {r.attendance ? ` · ${t(`sem.att.${r.attendance}`)}` : ""}
              </span>
              {r.status === "confirmed" && (
                <div class="row">
                  <label>
                    <input type="checkbox" checked={r.attendance === "attended"} disabled={act.busy} onChange={(e) => void tick(r, (e.target as HTMLInputElement).checked)} data-testid="roster-attended" />{" "}
                    {t("sem.col.attended")}
                  </label>
                </div>
              )}
              {r.status === "confirmed" && sessions.length > 1 && (
                <SelectField
                  label={t("sem.move")}
                  name={`move-${r.registration_id}`}
                  value={r.session_id}
                  options={sessions.map((s) => [s.session_id, wallClock(s.starts_at)] as [string, string])}
                  onValue={(sid) => void move(r, sid)}
                  testId="roster-move"
                />
              )}
              {r.status !== "cancelled" && <ConfirmButton label={t("sem.cancel")} confirmLabel={t("sem.cancel")} question={t("sem.cancel.q")} busy={act.busy} onConfirm={() => void cancel(r)} testId="roster-cancel" />}
            </li>
          ))}
        </ul>
      )}
      <div class="form" data-testid="roster-add">
        <h3 class="card__title">{t("sem.add")}</h3>
        <TextField label={t("sem.add.subscriber")} name="subscriber_id" value={subscriber} error={err.at("subscriber_id")} onValue={setSubscriber} />
        <SelectField label={t("sem.add.session")} name="session_id" value={sessionId || sessions[0]?.session_id || ""} options={sessions.map((s) => [s.session_id, wallClock(s.starts_at)] as [string, string])} onValue={setSessionId} />
        <div class="row">
          <button type="button" class="btn btn--small" disabled={act.busy || !subscriber.trim() || sessions.length === 0} onClick={() => void add()} data-testid="roster-add-run">
            {t("sem.add.run")}
          </button>
        </div>
      </div>
    </section>
  );
}

function FriendLink({ id }: { id: string }) {
  const { api } = useApp();
  const [subscriber, setSubscriber] = useState("");
  const [url, setUrl] = useState<string | null>(null);
  const make = useAction();
  const err = fieldErrors(make.error);
  const run = () => make.run(async () => setUrl((await api.post<{ url: string }>(`/api/seminars/${id}/link`, { subscriber_id: subscriber.trim() })).url));
  return (
    <section class="card form" data-testid="seminar-link">
      <h2 class="card__title">{t("sem.link")}</h2>
      <p class="muted">{t("sem.link.lead")}</p>
      <TextField label={t("sem.add.subscriber")} name="link_subscriber_id" value={subscriber} error={err.at("subscriber_id")} onValue={(x) => (setSubscriber(x), setUrl(null))} />
      <div class="row">
        <button type="button" class="btn btn--small" disabled={make.busy || !subscriber.trim()} onClick={() => void run()} data-testid="seminar-link-make">
          {t("sem.link.make")}
        </button>
      </div>
      <ErrorNotice error={make.error} onDismiss={() => make.setError(null)} />
      {url && (
        <p class="row" style={{ overflowWrap: "anywhere" }}>
          <code data-testid="seminar-link-value">{url}</code> <CopyButton text={url} />
        </p>
      )}
    </section>
  );
}

function SeminarDetail({ id }: { id: string }) {
  const got = useApiGet<Seminar>(`/api/seminars/${id}`);
  const [adding, setAdding] = useState(false);
  if (!got.data) return <ErrorNotice error={got.error} onDismiss={() => got.setError(null)} />;
  const seminar = got.data;
  return (
    <div data-testid="seminar-detail">
      <SeminarEditor key={seminar.event_id} seminar={seminar} onSaved={got.reload} />
      <section class="card" data-testid="seminar-sessions">
        <h2 class="card__title">{t("sem.sessions")}</h2>
        {(seminar.sessions ?? []).length === 0 && <p class="muted">{t("sem.sessions.none")}</p>}
        {(seminar.sessions ?? []).map((s) => (
          <SessionCard key={s.session_id} eventId={id} s={s} reload={got.reload} />
        ))}
        {adding ? (
          <SessionForm eventId={id} session={null} done={() => (setAdding(false), got.reload())} />
        ) : (
          <button type="button" class="btn btn--small" onClick={() => setAdding(true)} data-testid="session-add-open">
            {t("sem.session.add")}
          </button>
        )}
      </section>
      <Roster seminar={seminar} reloadSeminar={got.reload} />
      <FriendLink id={id} />
    </div>
  );
}

function PrintRoster({ id }: { id: string }) {
  const seminar = useApiGet<Seminar>(`/api/seminars/${id}`);
  const roster = useApiGet<{ items: Registration[] }>(`/api/seminars/${id}/registrations`);
  const sessions = seminar.data?.sessions ?? [];
  const rows = (roster.data?.items ?? []).filter((r) => r.status === "confirmed");
  return (
    <div data-testid="roster-print-page" class="print-roster">
      <PageHeader title={`${seminar.data?.title ?? ""} ${t("sem.print.title")}`}>
        <a class="btn btn--ghost" href={href(`/seminars/${id}`)}>
          {t("sc.back")}
        </a>
        <button type="button" class="btn" onClick={() => window.print()}>
          {t("sem.print.run")}
        </button>
      </PageHeader>
      <ErrorNotice error={seminar.error || roster.error} onDismiss={() => (seminar.setError(null), roster.setError(null))} />
      {sessions.map((s) => (
        <section class="card" key={s.session_id} style={{ breakInside: "avoid" }}>
          <h2 class="card__title">
            {wallClock(s.starts_at)} {s.venue || s.online_url}
          </h2>
          <table class="table" style={{ width: "100%" }}>
            <thead>
              <tr>
                <th>#</th>
                <th>{t("sem.col.name")}</th>
                <th>{t("sem.col.attended")}</th>
              </tr>
            </thead>
            <tbody>
              {rows
                .filter((r) => r.session_id === s.session_id)
                .map((r, i) => (
                  <tr key={r.registration_id} data-testid="print-row">
                    <td>{i + 1}</td>
                    <td>{r.display_name || r.subscriber_id}</td>
                    <td>{r.attendance === "attended" ? "✓" : r.attendance === "no_show" ? t("sem.att.no_show") : "□"}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}

interface Detector {
  detect: (source: HTMLVideoElement) => Promise<{ rawValue: string }[]>;
}

function CheckIn() {
  const { api } = useApp();
  const [code, setCode] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);
  const act = useAction();
  const video = useRef<HTMLVideoElement>(null);
  const hasCamera = typeof window !== "undefined" && "BarcodeDetector" in window && !!navigator.mediaDevices;
  const submit = (value: string) =>
    act.run(async () => {
      setDone(null);
      const r = await api.post<Registration>("/api/seminars/check-in", { code: value.trim() });
      setDone(t("sem.checkin.ok", { name: r.display_name || r.subscriber_id }));
      setCode("");
    });
  useEffect(() => {
    if (!scanning || !video.current) return;
    let stop = false;
    let stream: MediaStream | null = null;
    const Ctor = (window as unknown as { BarcodeDetector: new (o: unknown) => Detector }).BarcodeDetector;
    const detector = new Ctor({ formats: ["qr_code"] });
    void navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(async (s) => {
      stream = s;
      const el = video.current!;
      el.srcObject = s;
      await el.play();
      while (!stop) {
        const found = await detector.detect(el).catch(() => []);
        if (found[0]?.rawValue) {
          setScanning(false);
          void submit(found[0].rawValue);
          break;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }, act.setError);
    return () => {
      stop = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [scanning]);
  return (
    <div data-testid="checkin-page" style={{ maxWidth: "28rem", margin: "0 auto" }}>
      <PageHeader title={t("sem.checkin")} lead={t("sem.checkin.lead")}>
        <a class="btn btn--ghost" href={href("/seminars")}>
          {t("sc.back")}
        </a>
      </PageHeader>
      <form
        class="card form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(code);
        }}
      >
        <TextField label={t("sem.checkin.code")} name="code" value={code} testId="checkin-code" onValue={(x) => (setCode(x), setDone(null))} />
        <button type="submit" class="btn" disabled={act.busy || !code.trim()} data-testid="checkin-run" style={{ width: "100%" }}>
          {t("sem.checkin.run")}
        </button>
        {hasCamera && (
          <button type="button" class="btn btn--ghost" onClick={() => setScanning(!scanning)} data-testid="checkin-camera">
            {scanning ? t("sem.checkin.stop") : t("sem.checkin.camera")}
          </button>
        )}
        {scanning && <video ref={video} muted playsInline style={{ width: "100%" }} />}
      </form>
      <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
      {done && (
        <p class="card notice notice--ok" role="status" data-testid="checkin-ok">
          {done}
        </p>
      )}
    </div>
  );
}

export default function SeminarsScreen() {
  const parts = useRoute().path.replace(/^\/seminars\/?/, "").split("/");
  const id = parts[0];
  if (!id) return <SeminarList />;
  if (id === "new") return <SeminarEditor seminar={null} />;
  if (id === "check-in") return <CheckIn />;
  if (parts[1] === "print") return <PrintRoster id={decodeURIComponent(id)} />;
  return <SeminarDetail key={id} id={decodeURIComponent(id)} />;
}
