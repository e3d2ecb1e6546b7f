/**
 * 設定 → Stripe キー: write-only keys per mode (test / live) and the active-mode switch.
 * GET /api/payments/stripe -> {stripe_mode, keys: {test|live: {secret_key: "…a1b2", webhook_secrets: ["…"]}},
 *   webhook_url, webhook_events} (what the seller pastes into Stripe's dashboard: the endpoint and its events)
 * PUT /api/payments/stripe/keys {mode, secret_key?, webhook_secrets?}; PUT /api/payments/stripe/mode {stripe_mode}.
 *
 * Secrets: inputs are type=password, never prefilled, cleared after saving, and never drafted (useForm with
 * draftKey null: nothing goes to sessionStorage). Only the masked hints the API returns are shown.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Field, FieldError, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { Loaded } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { CopyButton } from "./ui";
import "./operators.css";

type Mode = "test" | "live";
interface Hints {
  secret_key?: string | null;
  webhook_secrets?: string[];
}
interface StripeSettings {
  stripe_mode: Mode;
  keys: Partial<Record<Mode, Hints>>;
  webhook_url?: string;
  webhook_events?: string[];
}
type KeyValues = { secret_key: string; webhook_secrets: string[] };
const EMPTY: KeyValues = { secret_key: "", webhook_secrets: [""] };

function HintList({ hints, mode }: { hints: Hints | undefined; mode: Mode }) {
  return (
    <dl class="facts" data-testid={`stripe-hints-${mode}`}>
      <dt>{t("stripe.secretKey")}</dt>
      <dd>{hints?.secret_key ? <span class="secret-hint" data-testid={`stripe-hint-${mode}-secret_key`}>{hints.secret_key}</span> : <span class="muted">{t("stripe.notSet")}</span>}</dd>
      <dt>{t("stripe.webhookSecrets")}</dt>
      <dd>
        {hints?.webhook_secrets?.length ? (
          hints.webhook_secrets.map((h, i) => <div key={i} class="secret-hint" data-testid={`stripe-hint-${mode}-webhook`}>{h}</div>)
        ) : (
          <span class="muted">{t("stripe.notSet")}</span>
        )}
      </dd>
    </dl>
  );
}

function KeysForm({ mode, onSaved }: { mode: Mode; onSaved: (s: StripeSettings) => void }) {
  const { api } = useApp();
  const form = useForm<KeyValues>(EMPTY, null); // never a draft: these are secrets
  const [saved, setSaved] = useState(false);
  const v = form.values;
  const errors = fieldErrors(form.error);
  const err = (f: string) => errors.at(f);
  const prefix = mode === "live" ? "sk_live_" : "sk_test_";
  const filled = v.secret_key.trim() !== "" || v.webhook_secrets.some((s) => s.trim() !== "");
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const secrets = v.webhook_secrets.map((s) => s.trim()).filter(Boolean);
    const r = await form.submit((x) =>
      api.put<StripeSettings>("/api/payments/stripe/keys", {
        mode,
        ...(x.secret_key.trim() ? { secret_key: x.secret_key.trim() } : {}),
        ...(secrets.length ? { webhook_secrets: secrets } : {}),
      }),
    );
    if (r) {
      form.set("secret_key", "");
      form.set("webhook_secrets", [""]);
      setSaved(true);
      onSaved(r);
    }
  };
  const setSecret = (i: number, value: string) => form.set("webhook_secrets", v.webhook_secrets.map((s, j) => (j === i ? value : s)));
  return (
    <form class="form stack" onSubmit={submit} noValidate autoComplete="off" data-testid={`stripe-keys-form-${mode}`}>
      <TextField label={t("stripe.secretKey")} hint={t("stripe.secretKey.hint").replace("{prefix}", prefix)} type="password" autoComplete="new-password"
        name="secret_key" placeholder={`${prefix}…`} value={v.secret_key} error={err("secret_key")} onValue={(x) => (setSaved(false), form.set("secret_key", x))} />
      <Field label={t("stripe.webhookSecrets")} hint={t("stripe.webhookSecrets.hint")} error={err("webhook_secrets")} id="webhook_secrets">
        <div class="stack" style={{ gap: "6px" }}>
          {v.webhook_secrets.map((s, i) => (
            <div class="row" key={i} style={{ flexWrap: "nowrap" }}>
              <input
                type="password" name="webhook_secrets" autoComplete="new-password" spellcheck={false} placeholder="whsec_…"
                value={s} onInput={(e) => (setSaved(false), setSecret(i, (e.target as HTMLInputElement).value))}
                aria-invalid={err("webhook_secrets") ? true : undefined} style={{ flex: 1, minWidth: 0 }}
              />
              {v.webhook_secrets.length > 1 && (
                <button type="button" class="btn btn--small btn--ghost" aria-label={t("common.remove")}
                  onClick={() => form.set("webhook_secrets", v.webhook_secrets.filter((_, j) => j !== i))}>×</button>
              )}
            </div>
          ))}
        </div>
      </Field>
      <div>
        <button type="button" class="btn btn--small btn--ghost" onClick={() => form.set("webhook_secrets", [...v.webhook_secrets, ""])}>
          {t("stripe.addWebhookSecret")}
        </button>
      </div>
      <ErrorNotice error={form.error} />
      <div class="row">
        <button type="submit" class="btn" disabled={form.submitting || !filled} data-testid={`stripe-save-${mode}`}>
          {form.submitting ? t("common.saving") : t("stripe.save")}
        </button>
        {saved && <span class="muted" role="status" data-testid="stripe-saved">{t("stripe.saved")}</span>}
      </div>
    </form>
  );
}

function StripeSettingsCards({ initial }: { initial: StripeSettings }) {
  const { api } = useApp();
  const [settings, setSettings] = useState<StripeSettings>(initial);
  const [editMode, setEditMode] = useState<Mode>(initial.stripe_mode);
  const switching = useAction();
  const modeFieldError = fieldErrors(switching.error).at("stripe_mode");
  const switchMode = (m: Mode) => {
    if (m !== settings.stripe_mode) void switching.run(async () => setSettings(await api.put<StripeSettings>("/api/payments/stripe/mode", { stripe_mode: m })));
  };
  return (
    <>
      <section class="card" data-testid="stripe-mode">
        <h2 class="card__title">{t("stripe.mode")}</h2>
        <div class={`field${modeFieldError ? " field--error" : ""}`} data-field="stripe_mode">
          <div class="mode-switch" role="group" aria-label={t("stripe.mode")}>
            {(["test", "live"] as const).map((m) => (
              <button key={m} type="button" data-mode={m} aria-pressed={settings.stripe_mode === m} disabled={switching.busy}
                onClick={() => switchMode(m)} data-testid={`stripe-mode-${m}`}>
                {t(m === "test" ? "stripe.mode.test" : "stripe.mode.live")}
              </button>
            ))}
          </div>
          <span class="field__hint muted">{t(settings.stripe_mode === "live" ? "stripe.mode.liveNow" : "stripe.mode.testNow")}</span>
          <FieldError text={modeFieldError} name="stripe_mode" />
        </div>
        {!modeFieldError && <ErrorNotice error={switching.error} onDismiss={() => switching.setError(null)} />}
      </section>
      {settings.webhook_url && (
        <section class="card" data-testid="stripe-endpoint">
          <h2 class="card__title">{t("stripe.endpoint")}</h2>
          <p class="muted">{t("stripe.endpoint.where")}</p>
          <div class="copybox">
            <code data-testid="stripe-webhook-url">{settings.webhook_url}</code>
            <CopyButton text={settings.webhook_url} testId="copy-stripe-webhook" />
          </div>
          <p class="muted">{t("stripe.endpoint.events")}</p>
          <div class="copybox">
            <code data-testid="stripe-webhook-events">{(settings.webhook_events ?? []).join(", ")}</code>
            <CopyButton text={(settings.webhook_events ?? []).join("\n")} testId="copy-stripe-events" />
          </div>
        </section>
      )}
      <section class="card">
        <h2 class="card__title">{t("stripe.keys")}</h2>
        <div class="tabs" role="tablist">
          {(["test", "live"] as const).map((m) => (
            <button key={m} type="button" role="tab" aria-selected={editMode === m} class={editMode === m ? "is-on" : ""}
              onClick={() => setEditMode(m)} data-testid={`stripe-tab-${m}`}>
              {t(m === "test" ? "stripe.mode.test" : "stripe.mode.live")}
            </button>
          ))}
        </div>
        <p class="muted" style={{ marginTop: 0 }}>{t("stripe.current")}</p>
        <HintList hints={settings.keys[editMode]} mode={editMode} />
        <p class="muted" style={{ fontSize: "12px" }}>{t("stripe.writeOnly")}</p>
        <KeysForm key={editMode} mode={editMode} onSaved={setSettings} />
      </section>
    </>
  );
}

export default function StripeKeysScreen() {
  return (
    <>
      <PageHeader title={t("nav.stripeKeys")} lead={t("screen.stripeKeys.lead")} />
      <Loaded<StripeSettings> path={"/api/payments/stripe"}>{(s) => <StripeSettingsCards initial={s as StripeSettings} />}</Loaded>
    </>
  );
}
