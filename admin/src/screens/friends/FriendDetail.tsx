/** A friend's page: profile, tags (add/remove), fields (edit), timeline, and the 1:1 chat (個別チャット). */
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { type DictKey, hasKey, t } from "../../i18n";
import { newRequestKey } from "../../lib/requestKey";
import { useForm } from "../../lib/useForm";
import { href } from "../../router";
import { formatDateTime, formatNumber } from "../settings/ui";
import { followBadge } from "./FriendsScreen";
import { EnrollmentsPanel } from "./EnrollmentsPanel";
import { FriendFields } from "./FriendFields";
import { FriendTags } from "./FriendTags";
import { OptOutPanel } from "./OptOutPanel";
import { FriendRichMenu } from "../richmenus/FriendRichMenu";
import type { ChatMessage, FriendDetail, TimelineEntry } from "./types";

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

export function Chat({ id, canSend }: { id: string; canSend: boolean }) {
  const { api } = useApp();
  const [messages, setMessages] = useState<ChatMessage[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({ text: "" }, `chat.${id}`);
  // One idempotency key per message being written: a retry after a failure cannot send it twice.
  const key = useRef(newRequestKey());
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
      key.current = newRequestKey();
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
      <PageHeader title={friend ? friend.display_name || friend.email || friend.subscriber_id : t("nav.friends")}>{friend && <a class="btn btn--ghost btn--small" href={href(`/friends/${encodeURIComponent(id)}/merge`)} data-testid="friend-merge-link">{t("mg.title")}</a>}</PageHeader>
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
            {friend.line.length > 0 && <FriendRichMenu id={friend.subscriber_id} />}
            <FriendTags friend={friend} onSaved={keep} />
            <FriendFields friend={friend} onSaved={keep} />
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
