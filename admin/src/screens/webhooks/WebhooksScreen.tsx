/**
 * 設定 → Webhook 送信: the workspace's outgoing-webhook endpoints and their recent deliveries.
 * GET /api/webhooks -> {items, event_types}; POST /api/webhooks {url, description, events} -> endpoint + secret (once);
 * PATCH /api/webhooks/{id} {enabled}; POST .../rotate-secret (secret once); POST .../test; DELETE /api/webhooks/{id};
 * GET /api/webhooks/deliveries?limit&endpoint -> {items}; POST /api/webhooks/deliveries/{id}/replay.
 *
 * Only owners change endpoints (manage_webhooks is owner-only); everyone who may open the screen sees the lists.
 * The secret is shown in one panel right after creation or rotation, never drafted or stored, gone when closed.
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { useApiGet } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { t, type DictKey } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { CopyButton, formatDateTime } from "../settings/ui";
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
  const err = fieldErrors(form.error);
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
      <TextField label={t("wh.url")} hint={t("wh.url.hint")} type="url" name="url" placeholder="https://" value={v.url} error={err.at("url")} onValue={(x) => form.set("url", x)} />
      <TextField label={t("wh.description")} name="description" maxLength={200} value={v.description} error={err.at("description")} onValue={(x) => form.set("description", x)} />
      <fieldset class="field" data-field="events">
        <legend class="field__label">{t("wh.events")}</legend>
        <div class="row" style={{ flexWrap: "wrap", gap: "8px 16px" }}>
          {eventTypes.map((type) => (
            <CheckField key={type} label={eventLabel(type)} name="events" checked={v.events.includes(type)} onValue={(on) => toggle(type, on)} />
          ))}
        </div>
        <span class="field__hint muted">{t("wh.events.hint")}</span>
        <FieldError text={err.at("events")} name="events" />
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

function EndpointCard({ e, owner, busy, act, onSecret }: { e: Endpoint; owner: boolean; busy: boolean; act: (run: () => Promise<unknown>, done?: string) => void; onSecret: (s: EndpointWithSecret) => void }) {
  const { api } = useApp();
  return (
    <article class="stack" data-testid="webhook-endpoint" data-endpoint={e.endpoint_id} style={{ borderTop: "1px solid var(--line, #e5e5e5)", paddingTop: "12px" }}>
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
            onClick={() => act(() => api.post(`/api/webhooks/${e.endpoint_id}/test`, {}), t("wh.test.sent"))}>{t("wh.test")}</button>
          <button type="button" class="btn btn--small btn--ghost" disabled={busy}
            onClick={() => act(() => api.patch(`/api/webhooks/${e.endpoint_id}`, { enabled: !e.enabled }))}>{t(e.enabled ? "wh.disable" : "wh.enable")}</button>
          <ConfirmButton label={t("wh.rotate")} confirmLabel={t("wh.rotate")} question={t("wh.rotate.q")} busy={busy} testId="webhook-rotate"
            onConfirm={() => act(async () => onSecret(await api.post<EndpointWithSecret>(`/api/webhooks/${e.endpoint_id}/rotate-secret`, {})))} />
          <ConfirmButton label={t("wh.delete")} confirmLabel={t("wh.delete")} question={t("wh.delete.q")} busy={busy} testId="webhook-delete"
            onConfirm={() => act(() => api.delete(`/api/webhooks/${e.endpoint_id}`))} />
        </div>
      )}
    </article>
  );
}

export default function WebhooksScreen() {
  const { api, session } = useApp();
  const owner = session.role === "owner";
  const list = useApiGet<{ items: Endpoint[]; event_types: string[] }>("/api/webhooks");
  const log = useApiGet<{ items: Delivery[] }>("/api/webhooks/deliveries?limit=50");
  const [secret, setSecret] = useState<EndpointWithSecret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();
  const endpoints = list.data?.items ?? null;
  const deliveries = log.data?.items ?? null;
  const error = list.error ?? log.error;

  const loadAll = () => {
    list.reload();
    log.reload();
    void loadEndpoints(api, true).catch(() => undefined); // the action editors' pickers see the change
  };
  const act = (run: () => Promise<unknown>, done?: string) => {
    setNotice(null);
    void action.run(async () => (await run(), true)).then((ok) => {
      if (ok && done) setNotice(done);
      loadAll();
    });
  };
  const label = (id: string) => {
    const e = endpoints?.find((x) => x.endpoint_id === id);
    return e ? endpointLabel(e) : id;
  };

  return (
    <>
      <PageHeader title={t("nav.webhooks")} lead={t("screen.webhooks.lead")} />
      <ErrorNotice error={error} onRetry={() => (list.setError(null), log.setError(null), loadAll())} />
      {secret && <SecretPanel secret={secret} onClose={() => setSecret(null)} />}
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
      {notice && <p class="muted" role="status" data-testid="webhook-notice">{notice}</p>}
      {!endpoints && !error && <p class="muted">{t("app.loading")}</p>}
      {endpoints && (
        <section class="card" data-testid="webhook-endpoints">
          <h2 class="card__title">{t("wh.endpoints")}</h2>
          {!owner && <p class="muted">{t("wh.ownerOnly")}</p>}
          {endpoints.length === 0 && <p class="muted" data-testid="webhook-empty">{t("wh.none")}</p>}
          {endpoints.map((e) => <EndpointCard key={e.endpoint_id} e={e} owner={owner} busy={action.busy} act={act} onSecret={setSecret} />)}
          {owner && (
            <details style={{ marginTop: "16px" }} open={endpoints.length === 0}>
              <summary>{t("wh.add")}</summary>
              <CreateForm eventTypes={list.data?.event_types ?? []} onCreated={(created) => (setSecret(created), loadAll())} />
            </details>
          )}
        </section>
      )}
      {deliveries && (
        <section class="card" data-testid="webhook-deliveries">
          <div class="row">
            <h2 class="card__title">{t("wh.deliveries")}</h2>
            <button type="button" class="btn btn--small btn--ghost" onClick={loadAll}>{t("wh.deliveries.refresh")}</button>
          </div>
          {deliveries.length === 0 && <p class="muted">{t("wh.deliveries.none")}</p>}
          {deliveries.length > 0 && (
            <Table bare cards columns={[t("wh.col.when"), t("wh.col.event"), t("wh.col.endpoint"), t("wh.col.status"), t("wh.col.code"), t("wh.col.attempts"), ""]}>
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
                      <button type="button" class="btn btn--small btn--ghost" disabled={action.busy} data-testid="webhook-replay"
                        onClick={() => act(() => api.post(`/api/webhooks/deliveries/${d.delivery_id}/replay`, {}), t("wh.replayed"))}>{t("wh.replay")}</button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </section>
      )}
    </>
  );
}
