/**
 * クーポン (coupons): the list with each coupon's stats (distributed, redeemed, rate, revenue), a coupon's editor
 * (name, discount, validity, per-friend limit, shared code or a pool of unique codes), on a saved coupon its message
 * variable to copy, its code pool (generate readable codes, import text/CSV), its codes and redemptions; and the
 * staff redemption page (phone-sized: type or paste the code, check, redeem).
 * Routes: #/coupons, #/coupons/new, #/coupons/<id>, #/coupons/redeem.
 */
import { useEffect, useState } from "preact/hooks";
import { CardList } from "../../components/CardList";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, RadioField, SelectField, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { requestBlob, saveBlob } from "../../download";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { CopyButton, formatNumber } from "../settings/ui";

export interface CouponStats {
  pool_size: number;
  available: number | null;
  distributed: number;
  redeemed: number;
  rate: number;
  revenue: number;
}

export interface Coupon {
  coupon_id: string;
  name: string;
  description: string;
  discount_type: "amount" | "percent";
  discount_value: number;
  valid_from: string | null;
  valid_until: string | null;
  per_friend_limit: number;
  mode: "shared" | "pool";
  shared_code: string | null;
  archived: boolean;
  variable: string;
  stripe_promotion_code_id: string | null;
  stripe_codes?: StripeCodesJob | null;
  stats: CouponStats;
}

/** A pool coupon's per-code Stripe promotion codes job (one promotion code per unique code, max 1 use). */
export interface StripeCodesJob {
  job_id: string;
  status: "queued" | "running" | "done" | "failed";
  total: number;
  done: number;
  failed: number;
  errors: string[];
  updated_at: string | null;
}

const STRIPE_POLL_MS = 2000;

interface Redemption {
  redemption_id: string;
  code: string;
  subscriber_id: string | null;
  source: string;
  amount: number;
  redeemed_at: string;
  undone_at: string | null;
  undone_by: string | null;
}

interface CodeRow {
  code: string;
  assigned_to: string | null;
  redeemed: boolean;
  archived: boolean;
}

interface CheckResult {
  code: string;
  discount: string;
  usable: boolean;
  problem: string | null;
  subscriber_id: string | null;
  coupon: Coupon;
}

const COUPONS: ResourceKind = { path: "/coupons", title: "nav.coupons", lead: "cp.lead", newLabel: "cp.new", testId: "cp" };

export function discountLabel(c: Pick<Coupon, "discount_type" | "discount_value">): string {
  return c.discount_type === "percent" ? t("cp.off.percent", { n: c.discount_value }) : t("cp.off.amount", { n: formatNumber(c.discount_value) });
}

export function ratePercent(rate: number): string {
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

function statsLine(s: CouponStats): string {
  return t("cp.statsLine", { d: formatNumber(s.distributed), r: formatNumber(s.redeemed), rate: ratePercent(s.rate) });
}

function CouponList() {
  const list = useApiList<Coupon>("/api/coupons", (b: { coupons: Coupon[] }) => b.coupons);
  return (
    <ListScreen
      kind={COUPONS}
      list={list}
      empty={t("cp.empty")}
      actions={
        <a class="btn btn--ghost" href={href("/coupons/redeem")} data-testid="cp-redeem-link">
          {t("cp.redeem.title")}
        </a>
      }
    >
      {(rows) => (
        <CardList rows={rows} testId="cp-list" keyOf={(r) => r.coupon_id}>
          {(r) => (
            <div class="list-card" data-testid="cp-row" data-id={r.coupon_id}>
              <a class="list-card__title" href={href(`/coupons/${r.coupon_id}`)}>
                {r.name}
              </a>
              <span class="list-card__meta">
                {discountLabel(r)} · {t(`cp.mode.${r.mode}`)}
              </span>
              <span class="list-card__meta" data-testid="cp-row-stats">
                {statsLine(r.stats)}
              </span>
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

function PoolTools({ coupon, onChanged }: { coupon: Coupon; onChanged: () => void }) {
  const { api } = useApp();
  const [count, setCount] = useState("100");
  const [text, setText] = useState("");
  const [note, setNote] = useState("");
  const action = useAction();
  const generate = () =>
    action.run(async () => {
      const r = await api.post<{ added: number }>(`/api/coupons/${coupon.coupon_id}/codes/generate`, { count: Number(count) || count });
      setNote(t("cp.pool.added", { n: formatNumber(r.added) }));
      onChanged();
    });
  const importCodes = () =>
    action.run(async () => {
      const r = await api.post<{ added: number; duplicate_count: number }>(`/api/coupons/${coupon.coupon_id}/codes/import`, { text });
      setNote(t("cp.pool.imported", { n: formatNumber(r.added), dup: formatNumber(r.duplicate_count) }));
      setText("");
      onChanged();
    });
  return (
    <section class="card form" data-testid="cp-pool">
      <h2 class="card__title">{t("cp.pool")}</h2>
      <p class="muted">{t("cp.pool.help")}</p>
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
      <div class="row">
        <TextField narrow type="number" min={1} max={5000} label={t("cp.pool.count")} name="count" value={count} onValue={setCount} />
        <button type="button" class="btn" disabled={action.busy} onClick={() => void generate()} data-testid="cp-generate">
          {t("cp.pool.generate")}
        </button>
      </div>
      <TextField label={t("cp.pool.import")} name="import" rows={4} value={text} placeholder={"ABCD2345\nEFGH6789"} onValue={setText} />
      <div class="row">
        <button type="button" class="btn btn--ghost" disabled={action.busy || !text.trim()} onClick={() => void importCodes()} data-testid="cp-import">
          {t("cp.pool.importButton")}
        </button>
      </div>
      {note && (
        <p class="muted" role="status" data-testid="cp-pool-note">
          {note}
        </p>
      )}
    </section>
  );
}

/** The progress of a pool coupon's Stripe job: done / total, refused codes with Stripe's reasons. */
export function StripeCodesProgress({ job }: { job: StripeCodesJob }) {
  const pct = job.total > 0 ? Math.min(100, Math.round(((job.done + job.failed) / job.total) * 100)) : job.status === "done" ? 100 : 0;
  return (
    <div data-testid="cp-stripe-job" data-status={job.status} aria-live="polite">
      <div class="progress" role="progressbar" aria-label={t("cp.stripe.job")} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <span class="progress__sent" style={{ width: `${pct}%` }} />
      </div>
      <p data-testid="cp-stripe-job-text">
        {t("cp.stripe.job.progress", { done: formatNumber(job.done), total: formatNumber(job.total), pct })} · {t(`cp.stripe.job.status.${job.status}`)}
        {job.failed > 0 && <> · {t("cp.stripe.job.failed", { n: formatNumber(job.failed) })}</>}
      </p>
      {job.errors.length > 0 && (
        <ul class="field__error" data-testid="cp-stripe-job-errors">
          {job.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A coupon at Stripe Checkout. Shared code: linked (its promotion code ID), or a button creating the Stripe coupon +
 * promotion code with the same code. Pool: a button starting (or re-running) the job that gives every unique code its
 * own promotion code, and the job's progress, polled while it runs. PATCH {stripe: true} either way; the API refuses
 * in Japanese without Stripe keys. */
function StripeTools({ coupon, onChanged }: { coupon: Coupon; onChanged: () => void }) {
  const { api } = useApp();
  const action = useAction();
  const job = coupon.stripe_codes ?? null;
  const running = job !== null && (job.status === "queued" || job.status === "running");
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(onChanged, STRIPE_POLL_MS); // the coupon (with its job) is fetched again
    return () => clearTimeout(timer);
  }, [running, job?.done, job?.failed, job?.status]);
  const create = () =>
    action.run(async () => {
      await api.patch<Coupon>(`/api/coupons/${coupon.coupon_id}`, { stripe: true });
      onChanged();
    });
  return (
    <div class="field" data-testid="cp-stripe">
      <span class="field__label">{t("cp.stripe")}</span>
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
      {coupon.stripe_promotion_code_id ? (
        <p class="muted" style={{ overflowWrap: "anywhere" }} data-testid="cp-stripe-linked">
          {t("cp.stripe.linked", { id: coupon.stripe_promotion_code_id })}
        </p>
      ) : coupon.mode === "shared" ? (
        <p class="row">
          <button type="button" class="btn btn--ghost" disabled={action.busy} onClick={() => void create()} data-testid="cp-stripe-create">
            {t("cp.stripe.create")}
          </button>
          <span class="muted">{t("cp.stripe.help")}</span>
        </p>
      ) : (
        <>
          {job && <StripeCodesProgress job={job} />}
          <p class="row">
            <button type="button" class="btn btn--ghost" disabled={action.busy || running} onClick={() => void create()} data-testid="cp-stripe-codes">
              {t(job ? "cp.stripe.codes.again" : "cp.stripe.codes")}
            </button>
            <span class="muted">{t("cp.stripe.codes.help")}</span>
          </p>
        </>
      )}
    </div>
  );
}

function CouponPanel({ coupon, onChanged }: { coupon: Coupon; onChanged: () => void }) {
  const { api, session } = useApp();
  const s = coupon.stats;
  const [changes, setChanges] = useState(0);
  const redemptions = useApiGet<{ redemptions: Redemption[] }>(`/api/coupons/${coupon.coupon_id}/redemptions`, [s.redeemed, changes]);
  const codes = useApiGet<{ codes: CodeRow[] }>(`/api/coupons/${coupon.coupon_id}/codes`, [s.pool_size, s.distributed, s.redeemed, changes]);
  const [encoding, setEncoding] = useState<"cp932" | "utf-8-sig">("cp932");
  const codeAction = useAction();
  const undoAction = useAction();
  const exportCodes = () =>
    codeAction.run(async () =>
      saveBlob(`coupon-codes-${coupon.coupon_id}.csv`, await requestBlob(api, session.token, "GET", `/api/coupons/${coupon.coupon_id}/codes/csv?encoding=${encoding}`)),
    );
  const archiveCode = (code: string) =>
    codeAction.run(async () => {
      if (!window.confirm(t("cp.code.archive.confirm", { code }))) return;
      await api.post(`/api/coupons/${coupon.coupon_id}/codes/archive`, { codes: [code] });
      setChanges((n) => n + 1);
      onChanged();
    });
  const undo = (id: string) =>
    undoAction.run(async () => {
      if (!window.confirm(t("cp.undo.confirm"))) return;
      await api.post(`/api/coupons/${coupon.coupon_id}/redemptions/${id}/undo`, {});
      setChanges((n) => n + 1);
      onChanged();
    });
  return (
    <>
      <section class="card form" data-testid="cp-panel">
        <div class="stats">
          <div class="stat">
            <div class="stat__label">{t("cp.stat.distributed")}</div>
            <div class="stat__value" data-testid="cp-distributed">{formatNumber(s.distributed)}</div>
          </div>
          <div class="stat">
            <div class="stat__label">{t("cp.stat.redeemed")}</div>
            <div class="stat__value" data-testid="cp-redeemed">{formatNumber(s.redeemed)}</div>
          </div>
          <div class="stat">
            <div class="stat__label">{t("cp.stat.rate")}</div>
            <div class="stat__value" data-testid="cp-rate">{ratePercent(s.rate)}</div>
          </div>
          <div class="stat">
            <div class="stat__label">{t("cp.stat.revenue")}</div>
            <div class="stat__value" data-testid="cp-revenue">¥{formatNumber(s.revenue)}</div>
          </div>
          {coupon.mode === "pool" && (
            <div class="stat">
              <div class="stat__label">{t("cp.stat.available")}</div>
              <div class="stat__value" data-testid="cp-available">{formatNumber(s.available ?? 0)} / {formatNumber(s.pool_size)}</div>
            </div>
          )}
        </div>
        <div class="field">
          <span class="field__label">{t("cp.variable")}</span>
          <p class="row" style={{ overflowWrap: "anywhere" }}>
            <code data-testid="cp-variable">{coupon.variable}</code> <CopyButton text={coupon.variable} testId="cp-variable-copy" />
          </p>
          <p class="muted">{t("cp.variable.help")}</p>
        </div>
        <StripeTools coupon={coupon} onChanged={onChanged} />
      </section>
      {coupon.mode === "pool" && <PoolTools coupon={coupon} onChanged={onChanged} />}
      {coupon.mode === "pool" && (codes.data?.codes ?? []).length > 0 && (
        <section class="card" data-testid="cp-codes-card">
          <h2 class="card__title">{t("cp.codes")}</h2>
          <ErrorNotice error={codeAction.error} onDismiss={() => codeAction.setError(null)} />
          <div class="row">
            <SelectField
              label={t("cp.export.encoding")}
              name="encoding"
              value={encoding}
              options={[
                ["cp932", t("cp.export.sjis")],
                ["utf-8-sig", t("cp.export.bom")],
              ]}
              onValue={setEncoding}
            />
            <button type="button" class="btn btn--small" disabled={codeAction.busy} onClick={() => void exportCodes()} data-testid="cp-export">
              {t("cp.export")}
            </button>
          </div>
          <div class="scroll-x">
            <Table bare testId="cp-codes" columns={[t("cp.col.code"), t("cp.col.friend"), t("cp.col.state"), ""]}>
              {(codes.data?.codes ?? []).map((c) => (
                <tr key={c.code} data-testid="cp-code-row">
                  <td><code>{c.code}</code></td>
                  <td>{c.assigned_to ? <a href={href(`/friends/${c.assigned_to}`)}>{c.assigned_to}</a> : "—"}</td>
                  <td>{t(codeState(c))}</td>
                  <td>
                    {!c.archived && !c.redeemed && (
                      <button type="button" class="btn btn--small btn--ghost" disabled={codeAction.busy} onClick={() => void archiveCode(c.code)} data-testid="cp-code-archive">
                        {t("cp.code.archive")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          </div>
        </section>
      )}
      {(redemptions.data?.redemptions ?? []).length > 0 && (
        <section class="card">
          <h2 class="card__title">{t("cp.redemptions")}</h2>
          <ErrorNotice error={undoAction.error} onDismiss={() => undoAction.setError(null)} />
          <div class="scroll-x">
            <Table bare testId="cp-redemptions" columns={[t("cp.col.at"), t("cp.col.code"), t("cp.col.friend"), t("cp.col.source"), { label: t("cp.col.amount"), num: true }, ""]}>
              {(redemptions.data?.redemptions ?? []).map((r) => (
                <tr key={r.redemption_id} data-testid="cp-redemption-row" data-undone={r.undone_at ? "1" : "0"}>
                  <td>{new Date(r.redeemed_at).toLocaleString()}</td>
                  <td><code>{r.code}</code></td>
                  <td>{r.subscriber_id ? <a href={href(`/friends/${r.subscriber_id}`)}>{r.subscriber_id}</a> : "—"}</td>
                  <td>{t(`cp.source.${r.source}` as never)}</td>
                  <td class="num">{r.amount ? `¥${formatNumber(r.amount)}` : "—"}</td>
                  <td>
                    {r.undone_at ? (
                      <span class="muted" data-testid="cp-redemption-undone">{t("cp.undone", { at: new Date(r.undone_at).toLocaleString() })}</span>
                    ) : r.source !== "stripe" ? (
                      <button type="button" class="btn btn--small btn--ghost" disabled={undoAction.busy} onClick={() => void undo(r.redemption_id)} data-testid="cp-redemption-undo">
                        {t("cp.undo")}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </Table>
          </div>
        </section>
      )}
    </>
  );
}

export function codeState(c: CodeRow): "cp.state.archived" | "cp.state.redeemed" | "cp.state.assigned" | "cp.state.free" {
  if (c.archived) return "cp.state.archived";
  return c.redeemed ? "cp.state.redeemed" : c.assigned_to ? "cp.state.assigned" : "cp.state.free";
}

interface Values {
  name: string;
  discount_type: "amount" | "percent";
  discount_value: string;
  valid_from: string;
  valid_until: string;
  per_friend_limit: string;
  mode: "shared" | "pool";
  shared_code: string;
  stripe_promotion_code_id: string;
  no_stripe: boolean;
}

const num = (v: string): number | string => (v.trim() && Number.isInteger(Number(v)) ? Number(v) : v);
const local = (iso: string | null): string => (iso ? iso.slice(0, 16) : "");

/** The API body from the form: a new coupon gets everything; an edit only what may change. */
export function bodyOf(v: Values, editing: boolean): Record<string, unknown> {
  const when = { valid_from: v.valid_from || null, valid_until: v.valid_until || null };
  if (editing) return { name: v.name, ...when, per_friend_limit: num(v.per_friend_limit), stripe_promotion_code_id: v.stripe_promotion_code_id.trim() || null };
  const body: Record<string, unknown> = { name: v.name, discount_type: v.discount_type, discount_value: num(v.discount_value), ...when, per_friend_limit: num(v.per_friend_limit), mode: v.mode };
  if (v.mode === "shared") {
    body.shared_code = v.shared_code;
    body.stripe = !v.no_stripe;
  }
  return body;
}

function CouponForm({ id, initial, reload }: { id: string | null; initial: Coupon | null; reload: () => void }) {
  const { api } = useApp();
  const form = useForm<Values>(
    {
      name: initial?.name ?? "",
      discount_type: initial?.discount_type ?? "percent",
      discount_value: String(initial?.discount_value ?? ""),
      valid_from: local(initial?.valid_from ?? null),
      valid_until: local(initial?.valid_until ?? null),
      per_friend_limit: String(initial?.per_friend_limit ?? 1),
      mode: initial?.mode ?? "pool",
      shared_code: initial?.shared_code ?? "",
      stripe_promotion_code_id: initial?.stripe_promotion_code_id ?? "",
      no_stripe: false,
    },
    `cp.${id ?? "new"}`,
  );
  const v = form.values;
  const err = fieldErrors(form.error);
  const save = (vals: Values) => (id ? api.patch<Coupon>(`/api/coupons/${id}`, bodyOf(vals, true)) : api.post<Coupon>("/api/coupons", bodyOf(vals, false)));
  return (
    <EditorShell kind={COUPONS} id={id} name={v.name} form={form} save={save} onSaved={(c) => (id ? reload() : navigate(`/coupons/${c.coupon_id}`, true))}>
      {initial && <CouponPanel coupon={initial} onChanged={reload} />}
      <section class="card form">
        <TextField label={t("cp.name")} name="name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
        {!id && (
          <>
            <RadioField label={t("cp.discountType")} name="discount_type" value={v.discount_type} options={[["percent", t("cp.discount.percent")], ["amount", t("cp.discount.amount")]]} onValue={(x) => form.set("discount_type", x)} />
            <TextField narrow type="number" min={1} label={t("cp.discountValue")} name="discount_value" value={v.discount_value} error={err.at("discount_value")} onValue={(x) => form.set("discount_value", x)} />
            <RadioField label={t("cp.mode")} name="mode" value={v.mode} options={[["pool", t("cp.mode.pool")], ["shared", t("cp.mode.shared")]]} onValue={(x) => form.set("mode", x)} />
            <FieldError text={err.at("mode")} name="mode" />
            <p class="muted">{t(`cp.mode.${v.mode}.help`)}</p>
            {v.mode === "shared" && (
              <>
                <TextField label={t("cp.sharedCode")} name="shared_code" value={v.shared_code} maxLength={40} error={err.at("shared_code")} onValue={(x) => form.set("shared_code", x)} />
                <CheckField label={t("cp.noStripe")} name="no_stripe" checked={v.no_stripe} testId="cp-no-stripe" title={t("cp.noStripe.help")} onValue={(x) => form.set("no_stripe", x)} />
              </>
            )}
          </>
        )}
        {id && initial && <p class="muted" data-testid="cp-discount">{discountLabel(initial)} · {t(`cp.mode.${initial.mode}`)}{initial.shared_code ? ` · ${initial.shared_code}` : ""}</p>}
        <TextField type="datetime-local" label={t("cp.validFrom")} name="valid_from" value={v.valid_from} error={err.at("valid_from")} onValue={(x) => form.set("valid_from", x)} />
        <TextField type="datetime-local" label={t("cp.validUntil")} name="valid_until" value={v.valid_until} error={err.at("valid_until")} onValue={(x) => form.set("valid_until", x)} />
        <p class="muted">{t("cp.valid.help")}</p>
        <TextField narrow type="number" min={1} max={100} label={t("cp.perFriend")} name="per_friend_limit" value={v.per_friend_limit} error={err.at("per_friend_limit")} onValue={(x) => form.set("per_friend_limit", x)} />
        {id && (
          <TextField label={t("cp.stripePromo")} name="stripe_promotion_code_id" value={v.stripe_promotion_code_id} placeholder="promo_..." maxLength={100} hint={t("cp.stripePromo.help")} error={err.at("stripe_promotion_code_id")} onValue={(x) => form.set("stripe_promotion_code_id", x)} />
        )}
      </section>
    </EditorShell>
  );
}

function CouponEditor({ id }: { id: string | null }) {
  const [n, setN] = useState(0);
  return (
    <Loaded<Coupon> path={id ? `/api/coupons/${id}` : null} deps={[n]}>
      {(c) => <CouponForm id={id} initial={c} reload={() => setN((x) => x + 1)} />}
    </Loaded>
  );
}

/** The staff page: phone-sized, type or paste the code, check it, redeem it once. */
export function RedeemPage() {
  const { api } = useApp();
  const [code, setCode] = useState("");
  const [checked, setChecked] = useState<CheckResult | null>(null);
  const [done, setDone] = useState<{ code: string; coupon_name: string; discount: string } | null>(null);
  const action = useAction();
  const check = () =>
    action.run(async () => {
      setDone(null);
      setChecked(await api.get<CheckResult>("/api/coupon-codes/check", { query: { code } }));
    });
  const redeem = () =>
    action.run(async () => {
      const r = await api.post<{ code: string; coupon_name: string; discount: string }>("/api/coupon-codes/redeem", { code });
      setDone(r);
      setChecked(null);
      setCode("");
    });
  return (
    <div class="redeem-page" style={{ maxWidth: "28rem" }} data-testid="cp-redeem-page">
      <PageHeader title={t("cp.redeem.title")} lead={t("cp.redeem.lead")}>
        <a class="btn btn--ghost" href={href("/coupons")}>
          {t("sc.back")}
        </a>
      </PageHeader>
      <form
        class="card form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void (checked?.usable && checked.code ? redeem() : check());
        }}
      >
        <TextField label={t("cp.redeem.code")} name="code" value={code} autoComplete="off" testId="cp-redeem-code" onValue={(x) => {
          setCode(x);
          setChecked(null);
        }} />
        <div class="row">
          <button type="button" class="btn btn--ghost" disabled={action.busy || !code.trim()} onClick={() => void check()} data-testid="cp-redeem-check">
            {t("cp.redeem.check")}
          </button>
          <button type="button" class="btn" disabled={action.busy || !code.trim()} onClick={() => void redeem()} data-testid="cp-redeem-submit">
            {t("cp.redeem.submit")}
          </button>
        </div>
      </form>
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
      {checked && (
        <section class="card" data-testid="cp-redeem-checked" data-usable={checked.usable ? "1" : "0"}>
          <h2 class="card__title">{checked.coupon.name}</h2>
          <p>
            <code>{checked.code}</code> · {discountLabel(checked.coupon)}
          </p>
          <p class={checked.usable ? "" : "muted"}>{checked.usable ? t("cp.redeem.usable") : checked.problem}</p>
        </section>
      )}
      {done && (
        <section class="card" role="status" data-testid="cp-redeem-done">
          <h2 class="card__title">{t("cp.redeem.done")}</h2>
          <p>
            {done.coupon_name} · <code>{done.code}</code> · {done.discount}
          </p>
        </section>
      )}
    </div>
  );
}

export default function CouponsScreen() {
  const id = useRoute().path.replace(/^\/coupons\/?/, "").split("/")[0];
  if (id === "redeem") return <RedeemPage />;
  return id ? <CouponEditor key={id} id={id === "new" ? null : id} /> : <CouponList />;
}
