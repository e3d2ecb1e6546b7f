/**
 * パートナー (partners / affiliates): the list with the friends each partner referred and the monthly payout CSV
 * (Shift_JIS or UTF-8 with BOM); a partner's editor (name, e-mail, LINE channel, seminar IDs, commission rules:
 * percent or fixed yen, per product or all, first or last touch within N days); on a saved partner its referral
 * link and code (an inflow route: its QR is on the route's page), per-seminar links, the partner's own report URL
 * (signed; "change URL" stops the old one; "e-mail" sends it to the partner) and the results by month (確定/未確定).
 * The list screen also approves (確定) or rejects (否認) pending commissions in bulk: the payout CSV counts approved
 * ones only. Rules may also earn on every later payment of a subscription (recurring) and a 申し込み時 reward;
 * seminar rewards (fixed per registration / attendance) and linked Stripe promotion codes are set per partner.
 * Routes: #/partners, #/partners/new, #/partners/<partner_id>.
 */
import { useState } from "preact/hooks";
import { CardList } from "../../components/CardList";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, SelectField, TextField } from "../../components/Field";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { requestBlob, saveBlob } from "../../download";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { CopyButton, formatNumber } from "../settings/ui";

export interface Rule {
  kind: "percent" | "fixed";
  percent: number | null;
  yen: number | null;
  product_id: string | null;
  touch: "first" | "last";
  window_days: number;
  recurring?: boolean;
  signup_yen?: number | null;
}

export interface SeminarReward {
  seminar_id: string | null;
  on: "registration" | "attendance";
  yen: number;
}

export interface Commission {
  partner_id: string;
  partner_name: string;
  key: string;
  month: string;
  kind: string;
  order_id: string | null;
  amount: number;
  commission: number;
  status: "pending" | "approved" | "rejected";
  at: string;
}

export interface Partner {
  partner_id: string;
  name: string;
  email: string | null;
  route_id: string;
  code: string;
  channel_id: string;
  referral_url: string;
  seminar_ids: string[];
  seminar_links: { seminar_id: string; url: string }[];
  rules: Rule[];
  seminar_rewards?: SeminarReward[];
  promotion_codes?: string[];
  friends: number;
  report_url?: string;
}

interface Month {
  month: string;
  sales: number;
  sales_amount: number;
  refunds: number;
  refunded_amount: number;
  registrations: number;
  attendances: number;
  commission: number;
  approved_commission: number;
  pending_commission: number;
}

interface Report {
  friends: number;
  months: Month[];
  total_commission: number;
  approved_commission: number;
  pending_commission: number;
}

interface ChannelRow {
  channel_id: string;
  name?: string | null;
}

interface Product {
  product_id: string;
  definition: { name: string };
}

const PARTNERS: ResourceKind = { path: "/partners", title: "nav.partners", lead: "screen.partners.lead", newLabel: "ptn.new", testId: "partner" };

const yen = (n: number) => `¥${formatNumber(n)}`;

function thisMonth(): string {
  const now = new Date(Date.now() + 9 * 3600 * 1000); // JST
  return now.toISOString().slice(0, 7);
}

function Payout() {
  const { api, session } = useApp();
  const [month, setMonth] = useState(thisMonth());
  const [encoding, setEncoding] = useState<"cp932" | "utf-8-sig">("cp932");
  const get = useAction();
  const download = () =>
    get.run(async () => saveBlob(`partner-payout-${month}.csv`, await requestBlob(api, session.token, "GET", `/api/partner-payouts?month=${encodeURIComponent(month)}&encoding=${encoding}`)));
  return (
    <section class="card form" data-testid="partner-payout">
      <h2 class="card__title">{t("ptn.payout")}</h2>
      <div class="row">
        <TextField label={t("ptn.payout.month")} name="month" value={month} placeholder="2026-12" maxLength={7} onValue={setMonth} />
        <SelectField
          label={t("ptn.payout.encoding")}
          name="encoding"
          value={encoding}
          options={[
            ["cp932", t("ptn.payout.sjis")],
            ["utf-8-sig", t("ptn.payout.bom")],
          ]}
          onValue={setEncoding}
        />
      </div>
      <div class="row">
        <button type="button" class="btn btn--small" disabled={get.busy} onClick={() => void download()} data-testid="partner-payout-download">
          {t("ptn.payout.download")}
        </button>
      </div>
      <ErrorNotice error={get.error} onDismiss={() => get.setError(null)} />
    </section>
  );
}

const kindLabel = (kind: string) => t(`ptn.kind.${kind}` as "ptn.kind.sale");

function Approvals() {
  const { api } = useApp();
  const pending = useApiList<Commission>("/api/partner-commissions?status=pending");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [done, setDone] = useState<number | null>(null);
  const act = useAction();
  const rows = pending.rows ?? [];
  const id = (r: Commission) => `${r.partner_id}|${r.key}`;
  const toggle = (r: Commission, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id(r));
    else next.delete(id(r));
    setChosen(next);
  };
  const decide = (decision: "approved" | "rejected") =>
    act.run(async () => {
      const picked = rows.filter((r) => chosen.has(id(r))).map((r) => ({ partner_id: r.partner_id, key: r.key }));
      const answer = await api.post<{ changed: number }>("/api/partner-commissions/decide", { decision, rows: picked });
      setDone(answer.changed);
      setChosen(new Set());
      pending.reload();
    });
  return (
    <section class="card form" data-testid="partner-approvals">
      <h2 class="card__title">{t("ptn.approve")}</h2>
      <p class="muted">{t("ptn.approve.lead")}</p>
      <ErrorNotice error={pending.error ?? act.error} onDismiss={() => act.setError(null)} />
      {pending.rows && rows.length === 0 && <p class="muted">{t("ptn.approve.none")}</p>}
      {rows.length > 0 && (
        <>
          <CheckField label={t("ptn.approve.all")} name="all" checked={chosen.size === rows.length} onValue={(on) => setChosen(on ? new Set(rows.map(id)) : new Set())} testId="partner-approve-all" />
          <ul class="plain-list">
            {rows.map((r) => (
              <li key={id(r)} data-testid="partner-commission">
                <CheckField
                  label={`${r.at.slice(0, 10)} ${r.partner_name} · ${kindLabel(r.kind)}${r.amount ? ` ${yen(r.amount)}` : ""} → ${yen(r.commission)}`}
                  name={`c-${id(r)}`}
                  checked={chosen.has(id(r))}
                  onValue={(on) => toggle(r, on)}
                />
              </li>
            ))}
          </ul>
          <div class="row">
            <button type="button" class="btn btn--small" disabled={act.busy || chosen.size === 0} onClick={() => void decide("approved")} data-testid="partner-approve">
              {t("ptn.approve.ok")}
            </button>
            <button type="button" class="btn btn--small btn--ghost" disabled={act.busy || chosen.size === 0} onClick={() => void decide("rejected")} data-testid="partner-reject">
              {t("ptn.approve.ng")}
            </button>
          </div>
        </>
      )}
      {done !== null && (
        <p class="muted" role="status" data-testid="partner-approve-done">
          {t("ptn.approve.done", { n: String(done) })}
        </p>
      )}
    </section>
  );
}

function PartnerList() {
  const list = useApiList<Partner>("/api/partners");
  return (
    <ListScreen
      kind={PARTNERS}
      list={list}
      empty={t("ptn.empty")}
      above={
        <>
          <Approvals />
          <Payout />
        </>
      }
    >
      {(rows) => (
        <CardList rows={rows} testId="partner-list" keyOf={(p) => p.partner_id}>
          {(p) => (
            <div class="list-card" data-testid="partner-row">
              <a class="list-card__title" href={href(`/partners/${p.partner_id}`)}>
                {p.name}
              </a>
              <span class="list-card__meta">
                {p.code} · {t("ptn.friends", { n: formatNumber(p.friends) })}
              </span>
              <CopyButton text={p.referral_url} testId="partner-copy" />
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

interface RuleValues {
  kind: "percent" | "fixed";
  amount: string;
  product_id: string;
  touch: "first" | "last";
  window_days: string;
  recurring: boolean;
  signup_yen: string;
}

interface RewardValues {
  seminar_id: string;
  on: "registration" | "attendance";
  yen: string;
}

interface Values {
  name: string;
  email: string;
  channel_id: string;
  seminars: string;
  promos: string;
  rules: RuleValues[];
  rewards: RewardValues[];
}

const NEW_RULE: RuleValues = { kind: "percent", amount: "10", product_id: "", touch: "last", window_days: "30", recurring: false, signup_yen: "" };
const NEW_REWARD: RewardValues = { seminar_id: "", on: "registration", yen: "1000" };

function toRule(r: RuleValues): Rule {
  const n = Number(r.amount);
  return {
    kind: r.kind,
    percent: r.kind === "percent" ? n : null,
    yen: r.kind === "fixed" ? Math.round(n) : null,
    product_id: r.product_id || null,
    touch: r.touch,
    window_days: Math.round(Number(r.window_days)),
    recurring: r.recurring,
    signup_yen: r.signup_yen.trim() ? Math.round(Number(r.signup_yen)) : null,
  };
}

function fromRule(r: Rule): RuleValues {
  return {
    kind: r.kind,
    amount: String((r.kind === "percent" ? r.percent : r.yen) ?? ""),
    product_id: r.product_id ?? "",
    touch: r.touch,
    window_days: String(r.window_days),
    recurring: Boolean(r.recurring),
    signup_yen: r.signup_yen ? String(r.signup_yen) : "",
  };
}

function RewardsEditor({ value, onChange, errorAt }: { value: RewardValues[]; onChange: (v: RewardValues[]) => void; errorAt: (path: string) => string | undefined }) {
  const set = (i: number, patch: Partial<RewardValues>) => onChange(value.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <section class="card form" data-testid="partner-seminar-rewards">
      <h2 class="card__title">{t("ptn.sem")}</h2>
      <p class="muted">{t("ptn.sem.lead")}</p>
      {value.map((r, i) => (
        <fieldset class="card" key={i} data-testid="partner-seminar-reward" style={{ minWidth: 0, maxWidth: "100%" }}>
          <TextField label={t("ptn.sem.seminar")} name={`seminar_rewards.${i}.seminar_id`} value={r.seminar_id} onValue={(x) => set(i, { seminar_id: x })} />
          <SelectField
            label={t("ptn.sem.on")}
            name={`seminar_rewards.${i}.on`}
            value={r.on}
            options={[
              ["registration", t("ptn.sem.on.registration")],
              ["attendance", t("ptn.sem.on.attendance")],
            ]}
            onValue={(x) => set(i, { on: x })}
          />
          <TextField label={t("ptn.sem.yen")} name={`seminar_rewards.${i}.yen`} type="number" value={r.yen} error={errorAt(`seminar_rewards.${i}.yen`) ?? errorAt(`seminar_rewards.${i}`)} onValue={(x) => set(i, { yen: x })} />
          <button type="button" class="btn btn--small btn--ghost" onClick={() => onChange(value.filter((_, j) => j !== i))}>
            {t("ptn.rule.remove")}
          </button>
        </fieldset>
      ))}
      <div class="row">
        <button type="button" class="btn btn--small" onClick={() => onChange([...value, { ...NEW_REWARD }])} data-testid="partner-seminar-reward-add">
          {t("ptn.sem.add")}
        </button>
      </div>
    </section>
  );
}

function RulesEditor({ value, onChange, errorAt }: { value: RuleValues[]; onChange: (v: RuleValues[]) => void; errorAt: (path: string) => string | undefined }) {
  const products = useApiList<Product>("/api/products");
  const set = (i: number, patch: Partial<RuleValues>) => onChange(value.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <section class="card form" data-testid="partner-rules">
      <h2 class="card__title">{t("ptn.rules")}</h2>
      <p class="muted">{t("ptn.rules.lead")}</p>
      {value.map((r, i) => (
        <fieldset class="card" key={i} data-testid="partner-rule" style={{ minWidth: 0, maxWidth: "100%" }}>
          <SelectField
            label={t("ptn.rule.kind")}
            name={`rules.${i}.kind`}
            value={r.kind}
            options={[
              ["percent", t("ptn.rule.kind.percent")],
              ["fixed", t("ptn.rule.kind.fixed")],
            ]}
            onValue={(x) => set(i, { kind: x })}
          />
          <TextField
            label={r.kind === "percent" ? t("ptn.rule.percent") : t("ptn.rule.yen")}
            name={`rules.${i}.amount`}
            type="number"
            value={r.amount}
            error={errorAt(`rules.${i}`) ?? errorAt(`rules.${i}.percent`) ?? errorAt(`rules.${i}.yen`)}
            onValue={(x) => set(i, { amount: x })}
          />
          <SelectField
            label={t("ptn.rule.product")}
            name={`rules.${i}.product_id`}
            value={r.product_id}
            options={[["", t("ptn.rule.product.all")] as [string, string], ...(products.rows ?? []).map((p) => [p.product_id, p.definition.name] as [string, string])]}
            onValue={(x) => set(i, { product_id: x })}
          />
          <SelectField
            label={t("ptn.rule.touch")}
            name={`rules.${i}.touch`}
            value={r.touch}
            options={[
              ["last", t("ptn.rule.touch.last")],
              ["first", t("ptn.rule.touch.first")],
            ]}
            onValue={(x) => set(i, { touch: x })}
          />
          <TextField label={t("ptn.rule.window")} name={`rules.${i}.window_days`} type="number" value={r.window_days} error={errorAt(`rules.${i}.window_days`)} onValue={(x) => set(i, { window_days: x })} />
          <CheckField label={t("ptn.rule.recurring")} name={`rules.${i}.recurring`} checked={r.recurring} onValue={(x) => set(i, { recurring: x })} testId="partner-rule-recurring" />
          <TextField label={t("ptn.rule.signup")} name={`rules.${i}.signup_yen`} type="number" value={r.signup_yen} error={errorAt(`rules.${i}.signup_yen`)} onValue={(x) => set(i, { signup_yen: x })} />
          <button type="button" class="btn btn--small btn--ghost" onClick={() => onChange(value.filter((_, j) => j !== i))}>
            {t("ptn.rule.remove")}
          </button>
        </fieldset>
      ))}
      <div class="row">
        <button type="button" class="btn btn--small" onClick={() => onChange([...value, { ...NEW_RULE }])} data-testid="partner-rule-add">
          {t("ptn.rule.add")}
        </button>
      </div>
    </section>
  );
}

function Links({ partner, onRotated }: { partner: Partner; onRotated: (p: Partner) => void }) {
  const { api } = useApp();
  const rotating = useAction();
  const mailing = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const rotate = () => rotating.run(async () => onRotated(await api.post<Partner>(`/api/partners/${partner.partner_id}/rotate-link`, {})));
  const mail = () => mailing.run(async () => setSentTo((await api.post<{ sent_to: string }>(`/api/partners/${partner.partner_id}/email-report-link`, {})).sent_to));
  return (
    <section class="card form" data-testid="partner-links">
      <div class="field">
        <span class="field__label">{t("ptn.referral")}</span>
        <p class="row" style={{ overflowWrap: "anywhere" }}>
          <code data-testid="partner-referral-url">{partner.referral_url}</code> <CopyButton text={partner.referral_url} />
        </p>
        <span class="muted">
          {t("ptn.code")}: <code data-testid="partner-code">{partner.code}</code>
        </span>
        <p class="muted">{t("ptn.productLink", { code: partner.code })}</p>
      </div>
      <div class="field">
        <a href={href(`/inflow-routes/${partner.route_id}`)} data-testid="partner-qr">
          {t("ptn.qr")}
        </a>
      </div>
      {partner.seminar_links.length > 0 && (
        <div class="field">
          <span class="field__label">{t("ptn.seminarLinks")}</span>
          <ul>
            {partner.seminar_links.map((s) => (
              <li key={s.seminar_id} style={{ overflowWrap: "anywhere" }}>
                {s.seminar_id}: <code>{s.url}</code> <CopyButton text={s.url} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {partner.report_url && (
        <div class="field">
          <span class="field__label">{t("ptn.reportLink")}</span>
          <p class="muted">{t("ptn.reportLink.lead")}</p>
          <p class="row" style={{ overflowWrap: "anywhere" }}>
            <code data-testid="partner-report-url">{partner.report_url}</code> <CopyButton text={partner.report_url} />
          </p>
          <ConfirmButton label={t("ptn.rotate")} confirmLabel={t("ptn.rotate")} question={t("ptn.rotate.confirm")} busy={rotating.busy} onConfirm={() => void rotate()} testId="partner-rotate" />
          <ErrorNotice error={rotating.error} onDismiss={() => rotating.setError(null)} />
          <div class="row">
            <button type="button" class="btn btn--small" disabled={mailing.busy || !partner.email} onClick={() => void mail()} data-testid="partner-mail">
              {t("ptn.mail")}
            </button>
            {!partner.email && <span class="muted">{t("ptn.mail.none")}</span>}
          </div>
          {sentTo && (
            <p class="muted" role="status" data-testid="partner-mail-sent">
              {t("ptn.mail.sent", { to: sentTo })}
            </p>
          )}
          <ErrorNotice error={mailing.error} onDismiss={() => mailing.setError(null)} />
        </div>
      )}
    </section>
  );
}

function ReportCard({ id }: { id: string }) {
  const report = useApiGet<Report>(`/api/partners/${id}/report`, [id]);
  const r = report.data;
  return (
    <section class="card" data-testid="partner-report">
      <h2 class="card__title">{t("ptn.report")}</h2>
      <ErrorNotice error={report.error} />
      {r && r.months.length === 0 && <p class="muted">{t("ptn.report.none")}</p>}
      {r && r.months.length > 0 && (
        <ul class="plain-list">
          {r.months.map((m) => (
            <li key={m.month} data-testid="partner-report-month">
              <strong>{m.month}</strong> · {t("ptn.report.sales")} {m.sales} / {yen(m.sales_amount)} · {t("ptn.report.refunds")} {m.refunds} / {yen(m.refunded_amount)}
              {m.registrations > 0 && ` · ${t("ptn.report.registrations")} ${m.registrations}`}
              {m.attendances > 0 && ` · ${t("ptn.report.attendances")} ${m.attendances}`} · {t("ptn.report.commission")} <strong data-testid="partner-report-commission">{yen(m.commission)}</strong>
              {" "}({t("ptn.report.approved")} <span data-testid="partner-report-approved">{yen(m.approved_commission)}</span> / {t("ptn.report.pending")} {yen(m.pending_commission)})
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PartnerForm({ id, initial }: { id: string | null; initial: Partner | null }) {
  const { api } = useApp();
  const [current, setCurrent] = useState<Partner | null>(initial);
  const channels = useApiList<ChannelRow>("/api/channels", (b: { channels: ChannelRow[] }) => b.channels);
  const form = useForm<Values>(
    {
      name: initial?.name ?? "",
      email: initial?.email ?? "",
      channel_id: initial?.channel_id ?? "",
      seminars: (initial?.seminar_ids ?? []).join(", "),
      promos: (initial?.promotion_codes ?? []).join(", "),
      rules: initial ? initial.rules.map(fromRule) : [{ ...NEW_RULE }],
      rewards: (initial?.seminar_rewards ?? []).map((r) => ({ seminar_id: r.seminar_id ?? "", on: r.on, yen: String(r.yen) })),
    },
    `partner.${id ?? "new"}`,
  );
  const err = fieldErrors(form.error);
  const v = form.values;
  const rows = channels.rows ?? [];
  const channelId = v.channel_id || rows[0]?.channel_id || "";
  const save = (vals: Values) => {
    const body = {
      name: vals.name,
      email: vals.email.trim() || null,
      channel_id: channelId,
      seminar_ids: vals.seminars
        .split(/[,、\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      rules: vals.rules.map(toRule),
      seminar_rewards: vals.rewards.map((r) => ({ seminar_id: r.seminar_id.trim() || null, on: r.on, yen: Math.round(Number(r.yen)) })),
      promotion_codes: vals.promos
        .split(/[,、\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    };
    return id ? api.put<Partner>(`/api/partners/${id}`, body) : api.post<Partner>("/api/partners", body);
  };
  const remove = id ? { label: t("ptn.delete"), question: t("ptn.delete.confirm"), run: () => api.delete(`/api/partners/${id}`), testId: "partner-delete" } : undefined;
  return (
    <EditorShell kind={PARTNERS} id={id} name={v.name} form={form} save={save} remove={remove} onSaved={(p) => (id ? setCurrent(p) : navigate(`/partners/${p.partner_id}`, true))}>
      {current && <Links partner={current} onRotated={setCurrent} />}
      {current && <ReportCard id={current.partner_id} />}
      <section class="card form">
        <TextField label={t("ptn.name")} name="name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
        <TextField label={t("ptn.email")} name="email" type="email" value={v.email} error={err.at("email")} onValue={(x) => form.set("email", x)} />
        <SelectField
          label={t("ptn.channel")}
          name="channel_id"
          value={channelId}
          error={err.at("channel_id")}
          options={rows.map((c) => [c.channel_id, c.name ? `${c.name} (${c.channel_id})` : c.channel_id] as [string, string])}
          onValue={(x) => form.set("channel_id", x)}
        />
        <TextField label={t("ptn.seminars")} name="seminars" value={v.seminars} error={err.at("seminar_ids")} onValue={(x) => form.set("seminars", x)} />
        <TextField label={t("ptn.promos")} name="promotion_codes" value={v.promos} error={err.at("promotion_codes")} onValue={(x) => form.set("promos", x)} />
        <p class="muted">{t("ptn.promos.lead")}</p>
      </section>
      <RulesEditor value={v.rules} onChange={(x) => form.set("rules", x)} errorAt={(p) => err.at(p)} />
      <RewardsEditor value={v.rewards} onChange={(x) => form.set("rewards", x)} errorAt={(p) => err.at(p)} />
      <FieldError text={err.all.get("rules")} name="rules" />
    </EditorShell>
  );
}

export default function PartnersScreen() {
  const id = useRoute().path.replace(/^\/partners\/?/, "").split("/")[0];
  if (!id) return <PartnerList />;
  if (id === "new") return <PartnerForm id={null} initial={null} />;
  return (
    <Loaded<Partner> key={id} path={`/api/partners/${decodeURIComponent(id)}`}>
      {(p) => <PartnerForm id={p!.partner_id} initial={p!} />}
    </Loaded>
  );
}
