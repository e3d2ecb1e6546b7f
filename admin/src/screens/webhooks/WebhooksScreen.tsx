/**
 * 設定 → Webhook 送信: the workspace's outgoing-webhook endpoints and their recent deliveries.
 * GET /api/webhooks -> {items, event_types}; POST /api/webhooks {url, description, events} -> endpoint + secret (once);
 * PATCH /api/webhooks/{id} {enabled}; POST .../rotate-secret (secret once); POST .../test; DELETE /api/webhooks/{id};
 * GET /api/webhooks/deliveries?limit&endpoint -> {items}; POST /api/webhooks/deliveries/{id}/replay.
 *
 * Only owners change endpoints (manage_webhooks is owner-only); everyone who may open the screen sees the lists.
 * The secret is shown in one panel right after creation or rotation, never drafted or stored, gone when closed.
 */
import { useEffect, useState } from "preact/hooks";
import { toApiError, type ApiError } from "../../api";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t, type DictKey } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { fieldError } from "../settings/operatorsShared";
import { CopyButton, Field, formatDateTime } from "../settings/ui";
import "../settings/operators.css";
import { loadEndpoints } from "./EndpointPicker";
import { STATUS_BADGE, canReplay, endpointLabel, type Delivery, type Endpoint, type EndpointWithSecret } from "./types";

function eventLabel(type: string): string {
  const key = `wh.event.${type}` as DictKey;
  const s = t(key);
  return s === key ? type : s;
}

function SecretPanel({ secret, onClose }: { secret: EndpointWithSecret; onClose: () => void }) {
  return (
    <section class="card" role="alert" data-testid="webhook-secret">
      <h2 class="card__title">{t("wh.secret.title")}</h2>
      <p class="muted">{t("wh.secret.body")}</p>
      <p class="row">
        <code class="break" data-testid="webhook-secret-value">{secret.secret}</code>
        <CopyButton text={secret.secret} testId="webhook-secret-copy" />
      </p>
      <p class="muted">{endpointLabel(secret)}</p>
      <button type="button" class="btn btn--small" onClick={onClose} data-testid="webhook-secret-close">{t("wh.secret.done")}</button>
    </section>
  );
}

type NewEndpoint = { url: string; description: string; events: string[] };

function CreateForm({ eventTypes, onCreated }: { eventTypes: string[]; onCreated: (e: EndpointWithSecret) => void }) {
  const { api } = useApp();
  const form = useForm<NewEndpoint>({ url: "", description: "", events: [] }, null);
  const v = form.values;
  const err = (f: string) => fieldError(form.error, f);
  const toggle = (type: string, on: boolean) => form.set("events", on ? [...v.events, type] : v.events.filter((x) => x !== type));
  const submit = async (e: Event) => {
    e.preventDefault();
    const created = await form.submit((x) => api.post<EndpointWithSecret>("/api/webhooks", { url: x.url.trim(), description: x.description.trim(), events: x.events }));
    if (created) {
      form.set("url", "");
      form.set("description", "");
      form.set("events", []);
      onCreated(created);
    }
  };
  return (
    <form class="form stack" onSubmit={submit} noValidate autoComplete="off" data-testid="webhook-create">
      <Field label={t("wh.url")} hint={t("wh.url.hint")} error={err("url")} id="url">
        <input type="url" name="url" placeholder="https://" value={v.url} spellcheck={false}
          onInput={(e) => form.set("url", (e.target as HTMLInputElement).value)} aria-invalid={err("url") ? true : undefined} />
      </Field>
      <Field label={t("wh.description")} error={err("description")} id="description">
        <input name="description" value={v.description} maxLength={200} onInput={(e) => form.set("description", (e.target as HTMLInputElement).value)} />
      </Field>
      <fieldset class="field" data-field="events">
        <legend class="field__label">{t("wh.events")}</legend>
        <div class="row" style={{ flexWrap: "wrap", gap: "8px 16px" }}>
          {eventTypes.map((type) => (
            <label key={type} class="row" style={{ gap: "4px" }}>
              <input type="checkbox" name="events" value={type} checked={v.events.includes(type)}
                onChange={(e) => toggle(type, (e.target as HTMLInputElement).checked)} />
              {eventLabel(type)}
            </label>
          ))}
        </div>
        <span class="field__hint muted">{t("wh.events.hint")}</span>
        {err("events") && <span class="field__error" role="alert">{err("events")}</span>}
      </fieldset>
      <ErrorNotice error={form.error} />
      <div>
        <button type="submit" class="btn" disabled={form.submitting || !v.url.trim()} data-testid="webhook-create-submit">
          {form.submitting ? t("wh.creating") : t("wh.create")}
        </button>
      </div>
    </form>
  );
}

export default function WebhooksScreen() {
  const { api, session } = useApp();
  const owner = session.role === "owner";
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [secret, setSecret] = useState<EndpointWithSecret | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loadAll = () =>
    Promise.all([
      api.get<{ items: Endpoint[]; event_types: string[] }>("/api/webhooks"),
      api.get<{ items: Delivery[] }>("/api/webhooks/deliveries", { query: { limit: 50 } }),
    ]).then(([e, d]) => {
      setEndpoints(e.items);
      setEventTypes(e.event_types);
      setDeliveries(d.items);
      setError(null);
      void loadEndpoints(api, true).catch(() => undefined); // the action editors' pickers see the change
    }, setError);
  useEffect(() => void loadAll(), []);

  const act = async (run: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      await run();
      if (done) setNotice(done);
      await loadAll();
    } catch (e) {
      setActionError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const label = (id: string) => {
    const e = endpoints?.find((x) => x.endpoint_id === id);
    return e ? endpointLabel(e) : id;
  };

  return (
    <>
      <PageHeader title={t("nav.webhooks")} lead={t("screen.webhooks.lead")} />
      <ErrorNotice error={error} onRetry={() => (setError(null), loadAll())} />
      {secret && <SecretPanel secret={secret} onClose={() => setSecret(null)} />}
      {actionError && <ErrorNotice error={actionError} onDismiss={() => setActionError(null)} />}
      {notice && <p class="muted" role="status" data-testid="webhook-notice">{notice}</p>}
      {!endpoints && !error && <p class="muted">{t("app.loading")}</p>}
      {endpoints && (
        <section class="card" data-testid="webhook-endpoints">
          <h2 class="card__title">{t("wh.endpoints")}</h2>
          {!owner && <p class="muted">{t("wh.ownerOnly")}</p>}
          {endpoints.length === 0 && <p class="muted" data-testid="webhook-empty">{t("wh.none")}</p>}
          {endpoints.map((e) => (
            <article key={e.endpoint_id} class="stack" data-testid="webhook-endpoint" data-endpoint={e.endpoint_id} style={{ borderTop: "1px solid var(--line, #e5e5e5)", paddingTop: "12px" }}>
              <div class="row">
                <strong>{endpointLabel(e)}</strong>
                <span class={`badge ${e.enabled ? "badge--ok" : "badge--warn"}`}>{t(e.enabled ? "wh.enabled" : "wh.disabled")}</span>
              </div>
              <code class="break">{e.url}</code>
              <div class="row" style={{ flexWrap: "wrap", gap: "4px" }}>
                {e.events.map((type) => <span key={type} class="tag">{eventLabel(type)}</span>)}
              </div>
              <span class="muted">{t("wh.secretHint")}: <span class="secret-hint">{e.secret_hint ?? "—"}</span></span>
              {owner && (
                <div class="row" style={{ flexWrap: "wrap" }}>
                  <button type="button" class="btn btn--small" disabled={busy} data-testid="webhook-test"
                    onClick={() => void act(() => api.post(`/api/webhooks/${e.endpoint_id}/test`, {}), t("wh.test.sent"))}>{t("wh.test")}</button>
                  <button type="button" class="btn btn--small btn--ghost" disabled={busy}
                    onClick={() => void act(() => api.patch(`/api/webhooks/${e.endpoint_id}`, { enabled: !e.enabled }))}>{t(e.enabled ? "wh.disable" : "wh.enable")}</button>
                  <button type="button" class="btn btn--small btn--ghost" disabled={busy} data-testid="webhook-rotate"
                    onClick={() => window.confirm(t("wh.rotate.q")) && void act(async () => setSecret(await api.post<EndpointWithSecret>(`/api/webhooks/${e.endpoint_id}/rotate-secret`, {})))}>{t("wh.rotate")}</button>
                  <button type="button" class="btn btn--small btn--ghost" disabled={busy}
                    onClick={() => window.confirm(t("wh.delete.q")) && void act(() => api.delete(`/api/webhooks/${e.endpoint_id}`))}>{t("wh.delete")}</button>
                </div>
              )}
            </article>
          ))}
          {owner && (
            <details style={{ marginTop: "16px" }} open={endpoints.length === 0}>
              <summary>{t("wh.add")}</summary>
              <CreateForm eventTypes={eventTypes} onCreated={(created) => (setSecret(created), void loadAll())} />
            </details>
          )}
        </section>
      )}
      {deliveries && (
        <section class="card" data-testid="webhook-deliveries">
          <div class="row">
            <h2 class="card__title">{t("wh.deliveries")}</h2>
            <button type="button" class="btn btn--small btn--ghost" onClick={() => void loadAll()}>{t("wh.deliveries.refresh")}</button>
          </div>
          {deliveries.length === 0 && <p class="muted">{t("wh.deliveries.none")}</p>}
          {deliveries.length > 0 && (
            <div class="table-wrap">
              <table class="table table--cards">
                <thead>
                  <tr>
                    <th>{t("wh.col.when")}</th>
                    <th>{t("wh.col.event")}</th>
                    <th>{t("wh.col.endpoint")}</th>
                    <th>{t("wh.col.status")}</th>
                    <th>{t("wh.col.code")}</th>
                    <th>{t("wh.col.attempts")}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => (
                    <tr key={d.delivery_id} data-testid="webhook-delivery" data-status={d.status}>
                      <td><strong>{formatDateTime(d.created_at)}</strong></td>
                      <td data-label={t("wh.col.event")}>{eventLabel(d.event_type)}</td>
                      <td data-label={t("wh.col.endpoint")} class="break">{label(d.endpoint_id)}</td>
                      <td data-label={t("wh.col.status")}>
                        <span class={`badge ${STATUS_BADGE[d.status]}`}>{t(`wh.status.${d.status}` as DictKey)}</span>
                        {d.next_attempt_at && <div class="muted">{t("wh.nextAttempt", { at: formatDateTime(d.next_attempt_at) })}</div>}
                      </td>
                      <td data-label={t("wh.col.code")}>{d.last_status_code ?? d.last_error ?? "—"}</td>
                      <td data-label={t("wh.col.attempts")}>{d.attempts}</td>
                      <td>
                        {owner && canReplay(d) && (
                          <button type="button" class="btn btn--small btn--ghost" disabled={busy} data-testid="webhook-replay"
                            onClick={() => void act(() => api.post(`/api/webhooks/deliveries/${d.delivery_id}/replay`, {}), t("wh.replayed"))}>{t("wh.replay")}</button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </>
  );
}
