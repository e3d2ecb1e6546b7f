/**
 * 設定 → メール・SMS 送信者:
 * - e-mail senders (GET/POST /api/senders, POST /api/senders/{id}/default, DELETE /api/senders/{id}): each with its
 *   SES verification state (read from SES, cached briefly; "状態を更新" reads them all afresh, "認証状態を確認" one
 *   sender, GET /api/senders/{id}?refresh=1) and, for a domain, the DNS records to add (3 DKIM CNAMEs, DMARC and SPF advice);
 * - the details every marketing e-mail and SMS must show (特定電子メール法): sender name, postal address, and the SMS
 *   sender ID and opt-out text (PATCH /api/workspace).
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { choices, SelectField, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { useApiGet } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { canEditSettings, CopyButton, SettingsForm } from "./ui";

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
    <>
      <p class="muted">{t("snd.dns")}</p>
      <Table bare cards testId="sender-dns" columns={[t("snd.dns.type"), t("snd.dns.name"), t("snd.dns.value"), ""]}>
        {records.map((r) => (
          <tr key={`${r.type}-${r.name}`} title={r.note}>
            <td>
              {r.type} <span class="muted">({r.purpose}・{r.required === "yes" ? t("snd.dns.required") : t("snd.dns.recommended")})</span>
            </td>
            <td data-label={t("snd.dns.name")}><code class="break">{r.name}</code> <CopyButton text={r.name} /></td>
            <td data-label={t("snd.dns.value")}><code class="break">{r.value}</code> <CopyButton text={r.value} /></td>
            <td class="muted" style={{ fontSize: "12px" }}>{r.note}</td>
          </tr>
        ))}
      </Table>
    </>
  );
}

function SenderCard({ sender: listed, canEdit, onChanged }: { sender: SenderIdentity; canEdit: boolean; onChanged: () => void }) {
  const { api } = useApp();
  const action = useAction();
  const [fresh, setFresh] = useState<SenderIdentity | null>(null); // this sender read afresh from SES
  const sender = fresh ?? listed;
  const run = (call: () => Promise<unknown>) => void action.run(async () => (await call(), true)).then((ok) => ok && onChanged());
  const check = () => void action.run(async () => setFresh(await api.get<SenderIdentity>(`/api/senders/${sender.identity_id}?refresh=1`)));
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
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
      <div class="row">
        {!sender.verified && (
          <button type="button" class="btn btn--small" disabled={action.busy} onClick={check} data-testid={`sender-check-${sender.identity_id}`}>
            {t("snd.check")}
          </button>
        )}
        {canEdit && !sender.default && (
          <button type="button" class="btn btn--small btn--ghost" disabled={action.busy} onClick={() => run(() => api.post(`/api/senders/${sender.identity_id}/default`))}>
            {t("snd.makeDefault")}
          </button>
        )}
        {canEdit && (
          <ConfirmButton
            label={t("snd.remove")}
            confirmLabel={t("snd.removeConfirm")}
            question={t("snd.removeQuestion")}
            busy={action.busy}
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
  const err = fieldErrors(form.error);
  const field = (name: "from_name" | "from_address" | "reply_to") => ({ name, value: v[name], error: err.at(name), onValue: (x: string) => form.set(name, x) });
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
        <TextField label={t("snd.fromName")} maxLength={100} {...field("from_name")} />
        <TextField label={t("snd.fromAddress")} type="email" required {...field("from_address")} />
        <TextField label={t("snd.replyTo")} type="email" {...field("reply_to")} />
        <SelectField label={t("snd.kind")} name="kind" value={v.kind} error={err.at("kind")} onValue={(k) => form.set("kind", k)}
          options={choices(["domain", "address"] as const, (k) => t(k === "domain" ? "snd.kind.domain" : "snd.kind.address"))} />
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
  const v = form.values;
  const err = fieldErrors(form.error);
  const field = (name: keyof LawValues) => ({ name, value: v[name], error: err.at(name), onValue: (x: string) => form.set(name, x) });
  const save = (x: LawValues) =>
    api.patch("/api/workspace", {
      legal_name: x.legal_name || null, postal_address: x.postal_address || null,
      sms_sender_id: x.sms_sender_id || null, sms_optout_text: x.sms_optout_text || null,
    });
  const name = v.legal_name || settings.name;
  return (
    <section class="card">
      <h2 class="card__title">{t("law.title")}</h2>
      <p class="muted">{t("law.lead")}</p>
      <SettingsForm form={form} save={save} testId="law" canEdit={canEdit}>
        <TextField label={t("law.legalName")} maxLength={100} placeholder={settings.name} {...field("legal_name")} />
        <TextField label={t("law.postalAddress")} hint={t("law.postalAddress.hint")} maxLength={300} {...field("postal_address")} />
        <div class="grid2">
          <TextField label={t("law.smsSenderId")} hint={t("law.smsSenderId.hint")} maxLength={11} {...field("sms_sender_id")} />
          <TextField label={t("law.smsOptout")} hint={t("law.smsOptout.hint")} maxLength={40} placeholder="配信停止はこちら" {...field("sms_optout_text")} />
        </div>
        <div>
          <span class="field__label">{t("law.preview")}</span>
          <pre class="muted" style={{ whiteSpace: "pre-wrap", fontSize: "12px" }} data-testid="law-preview">
            {`--\n${name}\n住所: ${v.postal_address || "—"}\nお問い合わせ: (差出人アドレス)\nこのメールは配信を希望された方にお送りしています。\n配信停止: https://…/u/…\n\nSMS: 【${name}】${v.sms_optout_text || "配信停止はこちら"} https://…/u/…`}
          </pre>
        </div>
      </SettingsForm>
    </section>
  );
}

export default function SendersScreen() {
  const { session } = useApp();
  const canEdit = canEditSettings(session.role);
  const [fresh, setFresh] = useState(false);
  const [round, setRound] = useState(0); // each change reads the list again, afresh from SES
  const senders = useApiGet<{ items: SenderIdentity[] }>(`/api/senders${fresh ? "?refresh=1" : ""}`, [round]);
  const law = useApiGet<LawSettings>("/api/workspace");
  const reload = () => (setFresh(true), setRound((n) => n + 1));
  const rows = senders.data?.items ?? null;
  const error = senders.error ?? law.error;
  return (
    <>
      <PageHeader title={t("nav.senders")} lead={t("snd.lead")}>
        <button type="button" class="btn btn--ghost" onClick={reload} data-testid="senders-refresh">
          {t("snd.refresh")}
        </button>
      </PageHeader>
      <ErrorNotice error={error} onRetry={() => (senders.setError(null), law.setError(null), senders.reload(), law.reload())} />
      <section data-testid="senders">
        <h2 class="card__title">{t("snd.list")}</h2>
        <p class="muted">{t("snd.defaultHint")}</p>
        {rows === null && !error && <p class="muted">{t("app.loading")}</p>}
        {rows && rows.length === 0 && <p class="muted">{t("snd.none")}</p>}
        <ul class="stack" style={{ listStyle: "none", padding: 0 }}>
          {(rows ?? []).map((s) => (
            <SenderCard key={`${s.identity_id}-${round}`} sender={s} canEdit={canEdit} onChanged={reload} />
          ))}
        </ul>
      </section>
      {canEdit && <AddSender onAdded={reload} />}
      {law.data && <LawForm settings={law.data} canEdit={canEdit} />}
    </>
  );
}
