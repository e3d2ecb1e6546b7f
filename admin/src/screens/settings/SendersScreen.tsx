/**
 * 設定 → メール・SMS 送信者:
 * - e-mail senders (GET/POST /api/senders, POST /api/senders/{id}/default, DELETE /api/senders/{id}): each with its
 *   SES verification state (read from SES, cached briefly; "状態を更新" reads it afresh) and, for a domain, the DNS
 *   records to add (3 DKIM CNAMEs, DMARC and SPF advice);
 * - the details every marketing e-mail and SMS must show (特定電子メール法): sender name, postal address, and the SMS
 *   sender ID and opt-out text (PATCH /api/workspace).
 */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { fieldError } from "./operatorsShared";
import { ConfirmButton, CopyButton, Field } from "./ui";

interface DnsRecord {
  type: string;
  name: string;
  value: string;
  purpose: string;
  required: "yes" | "recommended";
  note: string;
}
export interface SenderIdentity {
  identity_id: string;
  from_name: string;
  from_address: string;
  reply_to: string | null;
  kind: "domain" | "address";
  ses_identity: string;
  verified: boolean;
  status: string;
  status_label: string;
  default: boolean;
  dns_records: DnsRecord[];
}
interface LawSettings {
  name: string;
  legal_name: string | null;
  postal_address: string | null;
  sms_sender_id: string | null;
  sms_optout_text: string | null;
}
type NewSender = { from_name: string; from_address: string; reply_to: string; kind: "domain" | "address" };
type LawValues = { legal_name: string; postal_address: string; sms_sender_id: string; sms_optout_text: string };

function DnsTable({ records }: { records: DnsRecord[] }) {
  return (
    <div class="table-wrap">
      <table class="table" data-testid="sender-dns">
        <caption class="muted" style={{ textAlign: "left" }}>{t("snd.dns")}</caption>
        <thead>
          <tr>
            <th>{t("snd.dns.type")}</th>
            <th>{t("snd.dns.name")}</th>
            <th>{t("snd.dns.value")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={`${r.type}-${r.name}`} title={r.note}>
              <td>
                {r.type} <span class="muted">({r.purpose}・{r.required === "yes" ? t("snd.dns.required") : t("snd.dns.recommended")})</span>
              </td>
              <td><code>{r.name}</code> <CopyButton text={r.name} /></td>
              <td><code>{r.value}</code> <CopyButton text={r.value} /></td>
              <td class="muted" style={{ fontSize: "12px" }}>{r.note}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SenderCard({ sender, canEdit, onChanged }: { sender: SenderIdentity; canEdit: boolean; onChanged: () => void }) {
  const { api } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (call: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await call();
      setError(null);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="card" data-testid={`sender-${sender.from_address}`}>
      <div class="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <div>
          <strong>{sender.from_name || sender.from_address}</strong> <span class="muted">&lt;{sender.from_address}&gt;</span>
          {sender.default && <span class="badge" style={{ marginLeft: "8px" }}>{t("snd.default")}</span>}
          <div class="muted" style={{ fontSize: "12px" }}>
            {t(sender.kind === "domain" ? "snd.kind.domain" : "snd.kind.address")}: <code>{sender.ses_identity}</code>
            {sender.reply_to && <> ・ {t("snd.replyTo")}: {sender.reply_to}</>}
          </div>
        </div>
        <span class={`badge ${sender.verified ? "badge--ok" : "badge--warn"}`} data-testid="sender-status">
          {sender.verified ? t("snd.verified") : sender.status_label || t("snd.pending")}
        </span>
      </div>
      {!sender.verified && sender.kind === "address" && <p class="muted">{t("snd.addressHint", { address: sender.from_address })}</p>}
      {sender.kind === "domain" && sender.dns_records.length > 0 && <DnsTable records={sender.dns_records} />}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      <div class="row">
        {canEdit && !sender.default && (
          <button type="button" class="btn btn--small btn--ghost" disabled={busy} onClick={() => run(() => api.post(`/api/senders/${sender.identity_id}/default`))}>
            {t("snd.makeDefault")}
          </button>
        )}
        {canEdit && (
          <ConfirmButton
            label={t("snd.remove")}
            confirmLabel={t("snd.removeConfirm")}
            question={t("snd.removeQuestion")}
            busy={busy}
            onConfirm={() => run(() => api.delete(`/api/senders/${sender.identity_id}`))}
            testId={`sender-remove-${sender.identity_id}`}
          />
        )}
      </div>
    </li>
  );
}

function AddSender({ onAdded }: { onAdded: () => void }) {
  const { api } = useApp();
  const form = useForm<NewSender>({ from_name: "", from_address: "", reply_to: "", kind: "domain" }, "settings.senders.new");
  const v = form.values;
  const err = (f: string) => fieldError(form.error, f);
  const submit = async (e: Event) => {
    e.preventDefault();
    const made = await form.submit((x) =>
      api.post<SenderIdentity>("/api/senders", {
        from_name: x.from_name, from_address: x.from_address.trim(), kind: x.kind, ...(x.reply_to.trim() ? { reply_to: x.reply_to.trim() } : {}),
      }),
    );
    if (made) {
      form.set("from_address", "");
      form.set("reply_to", "");
      onAdded();
    }
  };
  return (
    <form class="form card" onSubmit={submit} noValidate data-testid="sender-add">
      <h2 class="card__title">{t("snd.add")}</h2>
      <div class="grid2">
        <Field label={t("snd.fromName")} error={err("from_name")} id="from_name">
          <input name="from_name" maxLength={100} value={v.from_name} onInput={(e) => form.set("from_name", e.currentTarget.value)} />
        </Field>
        <Field label={t("snd.fromAddress")} error={err("from_address")} id="from_address">
          <input name="from_address" type="email" required value={v.from_address} onInput={(e) => form.set("from_address", e.currentTarget.value)} aria-invalid={err("from_address") ? true : undefined} />
        </Field>
        <Field label={t("snd.replyTo")} error={err("reply_to")} id="reply_to">
          <input name="reply_to" type="email" value={v.reply_to} onInput={(e) => form.set("reply_to", e.currentTarget.value)} />
        </Field>
        <Field label={t("snd.kind")} error={err("kind")} id="kind">
          <select name="kind" value={v.kind} onChange={(e) => form.set("kind", e.currentTarget.value as "domain")}>
            <option value="domain">{t("snd.kind.domain")}</option>
            <option value="address">{t("snd.kind.address")}</option>
          </select>
        </Field>
      </div>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      <div class="row">
        <button type="submit" class="btn" disabled={form.submitting} data-testid="sender-add-submit">
          {form.submitting ? t("snd.adding") : t("snd.add")}
        </button>
      </div>
    </form>
  );
}

function LawForm({ settings, canEdit }: { settings: LawSettings; canEdit: boolean }) {
  const { api } = useApp();
  const form = useForm<LawValues>(
    {
      legal_name: settings.legal_name ?? "", postal_address: settings.postal_address ?? "",
      sms_sender_id: settings.sms_sender_id ?? "", sms_optout_text: settings.sms_optout_text ?? "",
    },
    "settings.senders.law",
  );
  const [saved, setSaved] = useState(false);
  const v = form.values;
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const r = await form.submit((x) =>
      api.patch("/api/workspace", {
        legal_name: x.legal_name || null, postal_address: x.postal_address || null,
        sms_sender_id: x.sms_sender_id || null, sms_optout_text: x.sms_optout_text || null,
      }),
    );
    if (r) setSaved(true);
  };
  const name = v.legal_name || settings.name;
  return (
    <form class="form card" onSubmit={submit} noValidate data-testid="law-form">
      <h2 class="card__title">{t("law.title")}</h2>
      <p class="muted">{t("law.lead")}</p>
      <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }} class="stack">
        <Field label={t("law.legalName")} error={form.errorFor("legal_name")} id="legal_name">
          <input name="legal_name" maxLength={100} value={v.legal_name} placeholder={settings.name} onInput={(e) => (setSaved(false), form.set("legal_name", e.currentTarget.value))} />
        </Field>
        <Field label={t("law.postalAddress")} hint={t("law.postalAddress.hint")} error={form.errorFor("postal_address")} id="postal_address">
          <input name="postal_address" maxLength={300} value={v.postal_address} onInput={(e) => (setSaved(false), form.set("postal_address", e.currentTarget.value))} aria-invalid={form.errorFor("postal_address") ? true : undefined} />
        </Field>
        <div class="grid2">
          <Field label={t("law.smsSenderId")} hint={t("law.smsSenderId.hint")} error={form.errorFor("sms_sender_id")} id="sms_sender_id">
            <input name="sms_sender_id" maxLength={11} value={v.sms_sender_id} onInput={(e) => (setSaved(false), form.set("sms_sender_id", e.currentTarget.value))} aria-invalid={form.errorFor("sms_sender_id") ? true : undefined} />
          </Field>
          <Field label={t("law.smsOptout")} hint={t("law.smsOptout.hint")} error={form.errorFor("sms_optout_text")} id="sms_optout_text">
            <input name="sms_optout_text" maxLength={40} value={v.sms_optout_text} placeholder="配信停止はこちら" onInput={(e) => (setSaved(false), form.set("sms_optout_text", e.currentTarget.value))} />
          </Field>
        </div>
        <div>
          <span class="field__label">{t("law.preview")}</span>
          <pre class="muted" style={{ whiteSpace: "pre-wrap", fontSize: "12px" }} data-testid="law-preview">
            {`--\n${name}\n住所: ${v.postal_address || "—"}\nお問い合わせ: (差出人アドレス)\nこのメールは配信を希望された方にお送りしています。\n配信停止: https://…/u/…\n\nSMS: 【${name}】${v.sms_optout_text || "配信停止はこちら"} https://…/u/…`}
          </pre>
        </div>
      </fieldset>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      {canEdit && (
        <div class="row">
          <button type="submit" class="btn" disabled={form.submitting} data-testid="law-save">{form.submitting ? t("common.saving") : t("common.save")}</button>
          {saved && <span class="muted" data-testid="law-saved">{t("common.saved")}</span>}
        </div>
      )}
    </form>
  );
}

export default function SendersScreen() {
  const { api, session } = useApp();
  const canEdit = session.role === "owner" || session.role === "admin";
  const [senders, setSenders] = useState<SenderIdentity[] | null>(null);
  const [law, setLaw] = useState<LawSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = (fresh = false) =>
    api.get<{ items: SenderIdentity[] }>(`/api/senders${fresh ? "?refresh=1" : ""}`).then((r) => (setSenders(r.items), setError(null)), setError);
  useEffect(() => {
    void load();
    api.get<LawSettings>("/api/workspace").then(setLaw, setError);
  }, []);
  return (
    <>
      <PageHeader title={t("nav.senders")} lead={t("snd.lead")}>
        <button type="button" class="btn btn--ghost" onClick={() => void load(true)} data-testid="senders-refresh">
          {t("snd.refresh")}
        </button>
      </PageHeader>
      <ErrorNotice error={error} onRetry={() => (setError(null), void load())} />
      <section data-testid="senders">
        <h2 class="card__title">{t("snd.list")}</h2>
        <p class="muted">{t("snd.defaultHint")}</p>
        {senders === null && !error && <p class="muted">{t("app.loading")}</p>}
        {senders && senders.length === 0 && <p class="muted">{t("snd.none")}</p>}
        <ul class="stack" style={{ listStyle: "none", padding: 0 }}>
          {(senders ?? []).map((s) => (
            <SenderCard key={s.identity_id} sender={s} canEdit={canEdit} onChanged={() => void load(true)} />
          ))}
        </ul>
      </section>
      {canEdit && <AddSender onAdded={() => void load(true)} />}
      {law && <LawForm settings={law} canEdit={canEdit} />}
    </>
  );
}
