/**
 * 設定 → LINE チャネル接続: a guided wizard (what to copy from the LINE Developers console and where it is),
 * client-side format checks plus the server's own validation next to the field, the webhook URL to paste back,
 * live status (verify received, first event received) and the connected channels (masked secrets, token rotation,
 * disconnect).
 */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href } from "../../router";
import { ConfirmButton, CopyButton, Field, formatDateTime } from "../settings/ui";
import { LiffPanel } from "./LiffPanel";
import { LoginPanel, LoginStep, loginFields } from "./LoginPanel";

export interface Channel {
  channel_id: string;
  name: string | null;
  bot_user_id: string | null;
  basic_id: string | null;
  status: string;
  channel_secret_hint: string | null;
  access_token_hint: string | null;
  connected_at: string | null;
  webhook_verified_at: string | null;
  last_event_at: string | null;
  webhook_url: string;
  login_channel_id?: string | null;
  login_callback_url?: string;
  member_login_callback_url?: string;
  liff_id?: string | null;
  liff_endpoint_url?: string;
}

const CHANNEL_ID_RE = /^\d{10}$/;
const SECRET_RE = /^[0-9a-fA-F]{32}$/;
const POLL_MS = 3000;

export function checkChannelId(v: string): string | undefined {
  if (!v.trim()) return t("channels.err.required");
  return CHANNEL_ID_RE.test(v.trim()) ? undefined : t("channels.err.channelId");
}
export function checkSecret(v: string): string | undefined {
  if (!v.trim()) return t("channels.err.required");
  return SECRET_RE.test(v.trim()) ? undefined : t("channels.err.secret");
}
function checkToken(v: string): string | undefined {
  if (!v.trim()) return t("channels.err.required");
  return v.trim().length < 20 ? t("channels.err.token") : undefined;
}

type ConnectValues = { channel_id: string; channel_secret: string; access_token: string; name: string; login_channel_id?: string; login_channel_secret?: string };

function ConnectWizard({ onConnected }: { onConnected: (c: Channel) => void }) {
  const { api } = useApp();
  const form = useForm<ConnectValues>({ channel_id: "", channel_secret: "", access_token: "", name: "" }, null); // no draft: secrets never go to storage
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const v = form.values;
  const local = {
    channel_id: checkChannelId(v.channel_id),
    channel_secret: checkSecret(v.channel_secret),
    access_token: checkToken(v.access_token),
  };
  const shown = (k: keyof typeof local) => (touched[k] ? local[k] : undefined) ?? form.errorFor(k);

  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched({ channel_id: true, channel_secret: true, access_token: true });
    if (local.channel_id || local.channel_secret || local.access_token) return;
    const created = await form.submit((vals) =>
      api.post<Channel>("/api/channels", {
        channel_id: vals.channel_id.trim(),
        channel_secret: vals.channel_secret.trim(),
        access_token: vals.access_token.trim(),
        ...(vals.name.trim() ? { name: vals.name.trim() } : {}),
        ...loginFields(vals),
      }),
    );
    if (created) {
      setTouched({});
      form.set("channel_secret", "");
      form.set("access_token", "");
      form.set("login_channel_secret", "");
      onConnected(created);
    }
  };
  const blur = (k: string) => () => setTouched((x) => ({ ...x, [k]: true }));

  return (
    <section class="card" data-testid="channel-wizard">
      <h2 class="card__title">{t("channels.wizard.title")}</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ol class="steps">
          <li>
            <h3>{t("channels.step1.title")}</h3>
            <p>{t("channels.step1.body")}</p>
            <a class="btn btn--small btn--ghost" href="https://developers.line.biz/console/" target="_blank" rel="noopener noreferrer">
              {t("channels.step1.link")}
            </a>
          </li>
          <li>
            <h3>{t("channels.step2.title")}</h3>
            <p class="where">{t("channels.step2.where")}</p>
            <Field label={t("channels.field.channelId")} hint={t("channels.hint.channelId")} error={shown("channel_id")} id="channel_id">
              <input
                name="channel_id"
                inputMode="numeric"
                autoComplete="off"
                maxLength={10}
                placeholder="1234567890"
                value={v.channel_id}
                onInput={(e) => form.set("channel_id", (e.target as HTMLInputElement).value)}
                onBlur={blur("channel_id")}
                aria-invalid={shown("channel_id") ? true : undefined}
              />
            </Field>
          </li>
          <li>
            <h3>{t("channels.step3.title")}</h3>
            <p class="where">{t("channels.step3.where")}</p>
            <Field label={t("channels.field.secret")} hint={t("channels.hint.secret")} error={shown("channel_secret")} id="channel_secret">
              <input
                name="channel_secret"
                autoComplete="off"
                spellcheck={false}
                maxLength={64}
                value={v.channel_secret}
                onInput={(e) => form.set("channel_secret", (e.target as HTMLInputElement).value)}
                onBlur={blur("channel_secret")}
                aria-invalid={shown("channel_secret") ? true : undefined}
              />
            </Field>
          </li>
          <li>
            <h3>{t("channels.step4.title")}</h3>
            <p class="where">{t("channels.step4.where")}</p>
            <Field label={t("channels.field.token")} hint={t("channels.hint.token")} error={shown("access_token")} id="access_token">
              <textarea
                name="access_token"
                autoComplete="off"
                spellcheck={false}
                rows={3}
                value={v.access_token}
                onInput={(e) => form.set("access_token", (e.target as HTMLTextAreaElement).value)}
                onBlur={blur("access_token")}
                aria-invalid={shown("access_token") ? true : undefined}
              />
            </Field>
            <Field label={t("channels.field.name")} hint={t("channels.hint.name")} error={form.errorFor("name")} id="name">
              <input name="name" maxLength={100} value={v.name} onInput={(e) => form.set("name", (e.target as HTMLInputElement).value)} />
            </Field>
          </li>
          <LoginStep values={v} error={form.error} onValue={(k, x) => form.set(k, x)} />
        </ol>
        <ErrorNotice error={form.error} />
        <div class="row">
          <button type="submit" class="btn" disabled={form.submitting} data-testid="channel-connect">
            {form.submitting ? t("channels.connecting") : t("channels.connect")}
          </button>
          <span class="muted">{t("channels.connect.note")}</span>
        </div>
      </form>
    </section>
  );
}

/** After connecting: the webhook URL to paste into the console, and the live status polled from the API. */
function WebhookStep({ channel: initial, onChange }: { channel: Channel; onChange: (c: Channel) => void }) {
  const { api } = useApp();
  const [channel, setChannel] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const done = !!channel.webhook_verified_at && !!channel.last_event_at;
  useEffect(() => setChannel(initial), [initial.channel_id]);
  useEffect(() => {
    if (done) return;
    let live = true;
    const timer = setInterval(() => {
      api.get<Channel>(`/api/channels/${channel.channel_id}`).then(
        (c) => {
          if (!live) return;
          setError(null);
          setChannel(c);
          onChange(c);
        },
        (e: unknown) => live && setError(e),
      );
    }, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [channel.channel_id, done]);

  return (
    <section class="card card--accent" data-testid="webhook-step">
      <h2 class="card__title">{t("channels.webhook.title", { name: channel.name || channel.channel_id })}</h2>
      <ol class="steps">
        <li class="is-done">
          <h3>{t("channels.webhook.connected")}</h3>
        </li>
        <li>
          <h3>{t("channels.webhook.paste")}</h3>
          <p class="where">{t("channels.webhook.where")}</p>
          <div class="copybox">
            <code data-testid="webhook-url">{channel.webhook_url}</code>
            <CopyButton text={channel.webhook_url} testId="copy-webhook" />
          </div>
        </li>
        <li>
          <h3>{t("channels.webhook.verify")}</h3>
          <p>{t("channels.webhook.verifyBody")}</p>
          <StatusList channel={channel} />
        </li>
      </ol>
      <ErrorNotice error={error} />
      {done && <p class="notice notice--info" data-testid="channel-ready">{t("channels.webhook.ready")}</p>}
    </section>
  );
}

function StatusList({ channel }: { channel: Channel }) {
  return (
    <ul class="status-list" data-testid="channel-status" aria-live="polite">
      <li data-ok={channel.webhook_verified_at ? "1" : "0"} data-testid="status-verified">
        <span class={`dot ${channel.webhook_verified_at ? "dot--ok" : "dot--wait"}`} />
        {channel.webhook_verified_at
          ? t("channels.status.verified", { at: formatDateTime(channel.webhook_verified_at) })
          : t("channels.status.waitVerify")}
      </li>
      <li data-ok={channel.last_event_at ? "1" : "0"} data-testid="status-event">
        <span class={`dot ${channel.last_event_at ? "dot--ok" : "dot--wait"}`} />
        {channel.last_event_at
          ? t("channels.status.event", { at: formatDateTime(channel.last_event_at) })
          : t("channels.status.waitEvent")}
      </li>
    </ul>
  );
}

function RotateForm({ channel, onDone }: { channel: Channel; onDone: (c: Channel) => void }) {
  const { api } = useApp();
  const form = useForm({ access_token: "", channel_secret: "" }, null);
  const secretErr = form.values.channel_secret ? checkSecret(form.values.channel_secret) : undefined;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (secretErr || !form.values.access_token.trim()) return;
    const c = await form.submit((v) =>
      api.put<Channel>(`/api/channels/${channel.channel_id}/token`, {
        access_token: v.access_token.trim(),
        ...(v.channel_secret.trim() ? { channel_secret: v.channel_secret.trim() } : {}),
      }),
    );
    if (c) onDone(c);
  };
  return (
    <form class="form" onSubmit={submit} noValidate data-testid="rotate-form">
      <p class="where">{t("channels.rotate.where")}</p>
      <Field label={t("channels.rotate.token")} error={form.errorFor("access_token")} id="access_token">
        <textarea name="access_token" rows={2} value={form.values.access_token}
          onInput={(e) => form.set("access_token", (e.target as HTMLTextAreaElement).value)} />
      </Field>
      <Field label={t("channels.rotate.secret")} hint={t("channels.rotate.secretHint")} error={secretErr ?? form.errorFor("channel_secret")} id="channel_secret">
        <input name="channel_secret" autoComplete="off" value={form.values.channel_secret}
          onInput={(e) => form.set("channel_secret", (e.target as HTMLInputElement).value)} />
      </Field>
      <ErrorNotice error={form.error} />
      <div class="row">
        <button class="btn btn--small" type="submit" disabled={form.submitting || !form.values.access_token.trim()}>
          {t("channels.rotate.submit")}
        </button>
      </div>
    </form>
  );
}

function ChannelCard({ channel, onChange, canManage }: { channel: Channel; onChange: (c: Channel) => void; canManage: boolean }) {
  const { api } = useApp();
  const [rotating, setRotating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const connected = channel.status === "connected";
  const disconnect = () => {
    setBusy(true);
    setError(null);
    api.delete<Channel>(`/api/channels/${channel.channel_id}`).then(
      (c) => (setBusy(false), onChange(c)),
      (e: unknown) => (setBusy(false), setError(e)),
    );
  };
  return (
    <li class="card" data-testid={`channel-${channel.channel_id}`}>
      <div class="row row--between">
        <h3 class="card__title">{channel.name || channel.channel_id}</h3>
        <span class={`badge ${connected ? "badge--ok" : "badge--bad"}`}>
          {connected ? t("channels.status.connected") : t("channels.status.disconnected")}
        </span>
      </div>
      <dl class="facts facts--stack">
        <dt>{t("channels.field.channelId")}</dt>
        <dd><code>{channel.channel_id}</code></dd>
        {channel.basic_id && (<><dt>{t("channels.basicId")}</dt><dd>{channel.basic_id}</dd></>)}
        <dt>{t("channels.field.secret")}</dt>
        <dd class="mono">{channel.channel_secret_hint || "—"}</dd>
        <dt>{t("channels.field.token")}</dt>
        <dd class="mono">{channel.access_token_hint || "—"}</dd>
        <dt>{t("channels.webhookUrl")}</dt>
        <dd>
          <span class="copybox"><code>{channel.webhook_url}</code><CopyButton text={channel.webhook_url} /></span>
        </dd>
        <dt>{t("channels.connectedAt")}</dt>
        <dd>{formatDateTime(channel.connected_at)}</dd>
      </dl>
      {connected && <div style={{ marginTop: "10px" }}><StatusList channel={channel} /></div>}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {note && <p class="notice notice--info">{note}</p>}
      {connected && (
        <div class="row" style={{ marginTop: "12px" }}>
          <a class="btn btn--small btn--ghost" href={href(`/settings/greeting?channel=${channel.channel_id}`)} data-testid="channel-greeting">
            {t("channels.greeting")}
          </a>
          {canManage && (
            <>
              <button type="button" class="btn btn--small btn--ghost" onClick={() => setRotating(!rotating)} data-testid="rotate-toggle">
                {t("channels.rotate")}
              </button>
              <ConfirmButton
                label={t("channels.disconnect")}
                confirmLabel={t("channels.disconnect.yes")}
                question={t("channels.disconnect.q")}
                onConfirm={disconnect}
                busy={busy}
                testId="disconnect"
              />
            </>
          )}
        </div>
      )}
      {rotating && (
        <div style={{ marginTop: "12px" }}>
          <RotateForm channel={channel} onDone={(c) => (setRotating(false), setNote(t("channels.rotate.done")), onChange(c))} />
        </div>
      )}
      {canManage && connected && (
        <div style={{ marginTop: "12px" }}>
          <LoginPanel channel={channel} onChange={onChange} />
        </div>
      )}
      {canManage && connected && (
        <div style={{ marginTop: "12px" }}>
          <LiffPanel channel={channel} onChange={onChange} />
        </div>
      )}
    </li>
  );
}

export default function ChannelsScreen() {
  const { api, session } = useApp();
  const canManage = session.role === "owner" || session.role === "admin";
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [justConnected, setJustConnected] = useState<Channel | null>(null);
  const [wizardOpen, setWizardOpen] = useState(false);
  const load = () =>
    api.get<{ channels: Channel[] }>("/api/channels").then((r) => setChannels(r.channels), setError);
  useEffect(() => void load(), []);
  const upsert = (c: Channel) =>
    setChannels((list) => {
      const rest = (list ?? []).filter((x) => x.channel_id !== c.channel_id);
      return [...rest, c].sort((a, b) => a.channel_id.localeCompare(b.channel_id));
    });

  return (
    <>
      <PageHeader title={t("nav.channels")} lead={t("screen.channels.lead")} />
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {justConnected && <WebhookStep channel={justConnected} onChange={upsert} />}
      {canManage && channels && channels.length > 0 && !wizardOpen && (
        <p>
          <button type="button" class="btn" onClick={() => setWizardOpen(true)} data-testid="open-wizard">
            {t("channels.addAnother")}
          </button>
        </p>
      )}
      {canManage && (wizardOpen || (channels !== null && channels.length === 0)) && (
        <ConnectWizard
          onConnected={(c) => {
            setJustConnected(c);
            setWizardOpen(false);
            upsert(c);
            window.scrollTo({ top: 0, behavior: "smooth" });
          }}
        />
      )}
      <section>
        <h2 class="card__title">{t("channels.list.title")}</h2>
        {channels === null && !error && <p class="muted">{t("app.loading")}</p>}
        {channels && channels.length === 0 && <p class="muted">{t("channels.list.empty")}</p>}
        <ul class="stack" style={{ listStyle: "none", padding: 0 }} data-testid="channel-list">
          {(channels ?? []).map((c) => (
            <ChannelCard key={c.channel_id} channel={c} onChange={upsert} canManage={canManage} />
          ))}
        </ul>
      </section>
    </>
  );
}
