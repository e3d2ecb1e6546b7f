/** A friend's page: profile, tags (add/remove), fields (edit), timeline, and the 1:1 chat (個別チャット). */
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { type DictKey, hasKey, t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href } from "../../router";
import { formatDateTime, formatNumber } from "../settings/ui";
import { followBadge } from "./FriendsScreen";
import { EnrollmentsPanel } from "./EnrollmentsPanel";
import { OptOutPanel } from "./OptOutPanel";
import type { ChatMessage, FriendDetail, FriendField, TimelineEntry } from "./types";

function messageText(data: Record<string, unknown>): string {
  if (typeof data.text === "string") return data.text;
  const messages = data.messages;
  if (Array.isArray(messages)) {
    return messages
      .map((m: Record<string, unknown>) => (typeof m.text === "string" ? m.text : typeof m.altText === "string" ? m.altText : `[${String(m.type)}]`))
      .join("\n");
  }
  if (typeof data.type === "string") return `[${t(`chat.type.${data.type}` as DictKey) || data.type}]`;
  return "";
}

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `k${Date.now()}${Math.random().toString(16).slice(2)}`;
}

export function Chat({ id, canSend }: { id: string; canSend: boolean }) {
  const { api } = useApp();
  const [messages, setMessages] = useState<ChatMessage[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({ text: "" }, `chat.${id}`);
  // One idempotency key per message being written: a retry after a failure cannot send it twice.
  const key = useRef(newKey());
  const load = (cursor?: string) =>
    api.get<{ messages: ChatMessage[]; next_cursor: string | null }>(`/api/subscribers/${id}/chat`, { query: { limit: 20, cursor } }).then(
      (r) => {
        setMessages((old) => (cursor ? [...(old ?? []), ...r.messages] : r.messages));
        setNext(r.next_cursor);
        setError(null);
      },
      setError,
    );
  useEffect(() => void load(), [id]);
  const send = async (e: Event) => {
    e.preventDefault();
    if (!form.values.text.trim()) return form.setError(null);
    const r = await form.submit((v) =>
      api.post<{ status: string; message?: ChatMessage }>(`/api/subscribers/${id}/chat`, { text: v.text }, { headers: { "Idempotency-Key": key.current } }),
    );
    if (r) {
      key.current = newKey();
      form.set("text", "");
      if (r.message) setMessages((old) => [r.message!, ...(old ?? [])]);
      else void load();
    }
  };
  return (
    <section class="card chat" data-testid="chat">
      <div class="row row--between">
        <h2 class="card__title" style={{ margin: 0 }}>{t("chat.title")}</h2>
        <button type="button" class="btn btn--small btn--ghost" onClick={() => load()}>{t("chat.refresh")}</button>
      </div>
      {canSend && (
        <form onSubmit={send} class="stack" noValidate>
          <div class="chat__box">
            <textarea name="text" rows={2} maxLength={5000} placeholder={t("chat.placeholder")} aria-label={t("chat.placeholder")}
              value={form.values.text} aria-invalid={form.errorFor("text") ? true : undefined}
              onInput={(e) => form.set("text", (e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void send(e);
              }} data-testid="chat-input" />
            <button type="submit" class="btn" disabled={form.submitting || !form.values.text.trim()} data-testid="chat-send">
              {form.submitting ? t("chat.sending") : t("chat.send")}
            </button>
          </div>
          <span class="muted" style={{ fontSize: "12px" }}>{t("chat.hint")}</span>
          <ErrorNotice error={form.error} />
        </form>
      )}
      <ErrorNotice error={error} onRetry={() => load()} />
      {messages === null && !error && <p class="muted">{t("app.loading")}</p>}
      {messages && messages.length === 0 && <p class="muted">{t("chat.empty")}</p>}
      <div class="chat__list" data-testid="chat-list">
        {(messages ?? []).map((m) => (
          <div key={m.id} class={`bubble bubble--${m.direction}`} data-direction={m.direction}>
            {messageText(m.data)}
            <span class="bubble__meta">
              {m.direction === "in" ? t("chat.from.friend") : m.actor?.startsWith("operator:") ? t("chat.from.operator") : t("chat.from.system")} · {formatDateTime(m.at)}
            </span>
          </div>
        ))}
      </div>
      {next && (
        <button type="button" class="btn btn--small btn--ghost" onClick={() => load(next)} data-testid="chat-older">{t("chat.older")}</button>
      )}
    </section>
  );
}

function TagsEditor({ friend, onSaved }: { friend: FriendDetail; onSaved: (f: FriendDetail) => void }) {
  const { api } = useApp();
  const [all, setAll] = useState<{ tag_id: string; name: string }[]>([]);
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.get<{ tags: { tag_id: string; name: string }[] }>("/api/tags", { query: { counts: 0 } }).then((r) => setAll(r.tags), () => setAll([]));
  }, []);
  const patch = (body: { add_tags?: string[]; remove_tags?: string[] }) => {
    setBusy(true);
    api.patch<FriendDetail>(`/api/subscribers/${friend.subscriber_id}`, body).then(
      (f) => (setBusy(false), setError(null), setName(""), onSaved(f)),
      (e: unknown) => (setBusy(false), setError(e)),
    );
  };
  const add = (e: Event) => {
    e.preventDefault();
    const v = name.trim();
    if (!v) return;
    const known = all.find((x) => x.name === v || x.tag_id === v);
    patch({ add_tags: [known ? known.tag_id : v] });
  };
  const have = new Set(friend.tags.map((x) => x.tag_id));
  return (
    <section class="card" data-testid="tags">
      <h2 class="card__title">{t("friends.tags")}</h2>
      <div>
        {friend.tags.length === 0 && <span class="muted">{t("friends.tags.none")} </span>}
        {friend.tags.map((tg) => (
          <span class="tag" key={tg.tag_id}>
            {tg.name}
            <button type="button" disabled={busy} aria-label={`${t("common.remove")} ${tg.name}`} onClick={() => patch({ remove_tags: [tg.tag_id] })}>×</button>
          </span>
        ))}
      </div>
      <form class="row" onSubmit={add} style={{ marginTop: "8px" }}>
        <input name="add_tags" list={`tags-${friend.subscriber_id}`} placeholder={t("friends.tags.add")} aria-label={t("friends.tags.add")}
          value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)}
          style={{ minHeight: "36px", padding: "4px 10px", border: "1px solid #cfd6d2", borderRadius: "6px", font: "inherit" }} />
        <datalist id={`tags-${friend.subscriber_id}`}>
          {all.filter((x) => !have.has(x.tag_id)).map((x) => <option key={x.tag_id} value={x.name} />)}
        </datalist>
        <button type="submit" class="btn btn--small" disabled={busy || !name.trim()}>{t("common.add")}</button>
      </form>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

function fieldInput(f: FriendField, value: string, set: (v: string) => void) {
  const common = { name: `fields.${f.key}`, "aria-label": f.label, value, onInput: (e: Event) => set((e.target as HTMLInputElement).value) };
  if (f.type === "number") return <input type="number" step="any" {...common} />;
  if (f.type === "date") return <input type="date" {...common} />;
  if (f.type === "boolean")
    return (
      <select {...common} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        <option value="">—</option>
        <option value="true">{t("seg.yes")}</option>
        <option value="false">{t("seg.no")}</option>
      </select>
    );
  return <input {...common} />;
}

function FieldsEditor({ friend, onSaved }: { friend: FriendDetail; onSaved: (f: FriendDetail) => void }) {
  const { api } = useApp();
  const initial: Record<string, string> = {};
  for (const f of friend.fields) initial[f.key] = f.value === null || f.value === undefined ? "" : Array.isArray(f.value) ? f.value.join(",") : String(f.value);
  const form = useForm(initial, `friends.fields.${friend.subscriber_id}`);
  const [saved, setSaved] = useState(false);
  if (friend.fields.length === 0) return null;
  const submit = async (e: Event) => {
    e.preventDefault();
    const fields: Record<string, unknown> = {};
    for (const f of friend.fields) {
      const v = form.values[f.key] ?? "";
      if (v === initial[f.key]) continue;
      fields[f.key] = v === "" ? null : f.type === "number" ? Number(v) : f.type === "boolean" ? v === "true" : f.type === "multi_choice" ? v.split(/[,、]/).map((s) => s.trim()).filter(Boolean) : v;
    }
    const r = await form.submit((_) => api.patch<FriendDetail>(`/api/subscribers/${friend.subscriber_id}`, { fields }));
    if (r) (setSaved(true), onSaved(r));
  };
  const errFor = (key: string) => (form.error && (form.error.where === `fields.${key}` || form.error.where === key) ? form.error.message : undefined);
  return (
    <section class="card" data-testid="fields">
      <h2 class="card__title">{t("friends.fields")}</h2>
      <form class="form" onSubmit={submit} noValidate>
        <div class="grid2">
          {friend.fields.map((f) => (
            <label class={`field${errFor(f.key) ? " field--error" : ""}`} key={f.key}>
              <span class="field__label">{f.label}</span>
              {fieldInput(f, form.values[f.key] ?? "", (v) => (setSaved(false), form.set(f.key, v)))}
              {errFor(f.key) && <span class="field__error">{errFor(f.key)}</span>}
            </label>
          ))}
        </div>
        <ErrorNotice error={form.error} />
        <div class="row">
          <button class="btn btn--small" type="submit" disabled={form.submitting}>{form.submitting ? t("common.saving") : t("common.save")}</button>
          {saved && <span class="muted">{t("common.saved")}</span>}
        </div>
      </form>
    </section>
  );
}

function entryText(e: TimelineEntry): string {
  const d = e.data || {};
  if (e.kind === "message_in" || e.kind === "message_out") return messageText(d);
  const bits = ["tag", "tag_id", "name", "scenario_id", "form_id", "reason", "field", "text"]
    .map((k) => d[k])
    .filter((v) => typeof v === "string" && v);
  return bits.join(" · ");
}

function TimelineView({ id, initial }: { id: string; initial: FriendDetail["timeline"] }) {
  const { api } = useApp();
  const [items, setItems] = useState(initial.items);
  const [next, setNext] = useState(initial.next_cursor);
  const [error, setError] = useState<unknown>(null);
  const more = () =>
    next &&
    api.get<{ items: TimelineEntry[]; next_cursor: string | null }>(`/api/subscribers/${id}/timeline`, { query: { cursor: next, limit: 50 } }).then(
      (r) => (setItems([...items, ...r.items]), setNext(r.next_cursor)),
      setError,
    );
  return (
    <section class="card" data-testid="timeline">
      <h2 class="card__title">{t("friends.timeline")}</h2>
      {items.length === 0 && <p class="muted">{t("friends.timeline.empty")}</p>}
      <ul class="status-list">
        {items.map((e) => (
          <li key={e.entry_id} style={{ alignItems: "flex-start" }}>
            <span class="dot dot--ok" style={{ marginTop: "7px" }} />
            <span>
              <strong>{hasKey(`tl.${e.kind}`) ? t(`tl.${e.kind}` as DictKey) : e.kind}</strong> <span class="muted">{formatDateTime(e.at)}</span>
              {entryText(e) && <div style={{ fontSize: "14px", whiteSpace: "pre-wrap" }}>{entryText(e)}</div>}
            </span>
          </li>
        ))}
      </ul>
      <ErrorNotice error={error} onRetry={() => void more()} />
      {next && <button type="button" class="btn btn--small btn--ghost" onClick={() => void more()}>{t("common.more")}</button>}
    </section>
  );
}

export function FriendDetailView({ id }: { id: string }) {
  const { api, session } = useApp();
  const [friend, setFriend] = useState<FriendDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api.get<FriendDetail>(`/api/subscribers/${id}`).then((f) => (setFriend(f), setError(null)), setError);
  useEffect(() => void load(), [id]);
  const keep = (f: FriendDetail) => setFriend({ ...f, timeline: friend?.timeline ?? f.timeline });
  const canChat = session.role !== "viewer";
  return (
    <>
      <p style={{ marginBottom: "8px" }}><a href={href("/friends")}>← {t("friends.back")}</a></p>
      <PageHeader title={friend ? friend.display_name || friend.email || friend.subscriber_id : t("nav.friends")} />
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {friend && (
        <div class="grid2" style={{ alignItems: "start" }}>
          <div>
            <section class="card" data-testid="profile">
              <dl class="facts">
                <dt>{t("friends.col.status")}</dt>
                <dd>{followBadge(friend.follow_status)}{friend.unsubscribed_all && <span class="badge badge--warn">{t("friends.unsubscribed")}</span>}</dd>
                <dt>{t("seg.builtin.email")}</dt><dd>{friend.email || "—"}</dd>
                <dt>{t("seg.builtin.phone")}</dt><dd>{friend.phone || "—"}</dd>
                <dt>{t("seg.type.inflow_route")}</dt><dd>{friend.inflow_route || "—"}</dd>
                <dt>{t("friends.col.created")}</dt><dd>{formatDateTime(friend.created_at)}</dd>
                <dt>{t("friends.col.last")}</dt><dd>{formatDateTime(friend.last_interaction_at)}</dd>
                <dt>{t("friends.col.spent")}</dt><dd>{friend.total_spent ? `¥${formatNumber(friend.total_spent)}` : "—"}</dd>
                {friend.line.map((l) => (
                  <>
                    <dt>LINE {l.channel_id}</dt>
                    <dd>
                      {followBadge(l.status || "unknown")} {l.followed_at && <span class="muted">{formatDateTime(l.followed_at)}</span>}
                      {l.line_user_id && <div class="mono" style={{ fontSize: "12px" }}>{l.line_user_id}</div>}
                    </dd>
                  </>
                ))}
              </dl>
            </section>
            <OptOutPanel id={friend.subscriber_id} canEdit={canChat} onChanged={() => void load()} />
            <EnrollmentsPanel id={friend.subscriber_id} canEdit={canChat} />
            <TagsEditor friend={friend} onSaved={keep} />
            <FieldsEditor friend={friend} onSaved={keep} />
          </div>
          <div>
            {friend.line.length > 0 && <Chat id={friend.subscriber_id} canSend={canChat} />}
            <TimelineView id={friend.subscriber_id} initial={friend.timeline} />
          </div>
        </div>
      )}
    </>
  );
}
