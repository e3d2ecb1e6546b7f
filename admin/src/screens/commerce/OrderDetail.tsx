/**
 * 注文の詳細 (#/commerce/orders/<order_id>, GET /api/orders/{order_id}): product, friend, kind and mode, amounts,
 * payments made, the Stripe subscription / schedule and its current period, the cancel (behind the in-page confirm)
 * while it still expects payments, and 「返金する」 for a paid one-time order (POST /api/orders/{id}/refund: the
 * amount prefilled with what is left, one Idempotency-Key per confirm so a double click is one refund). A subscription
 * or installments order lists its payments (paid invoices) instead, each with its own 「返金する」 (`invoice_id`).
 */
import { useRef, useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FieldError, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { Loaded } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { newRequestKey } from "../../lib/requestKey";
import { useAction } from "../../lib/useAction";
import { href } from "../../router";
import { fmtDateTime, fmtYen } from "../scenarios/shared";

export interface Order {
  order_id: string;
  product_id: string;
  subscriber_id: string | null;
  kind: string;
  mode: string;
  status: string;
  amount: number;
  installments: number;
  payments_made: number;
  paid_total: number;
  refunded_total: number;
  expects_payment: boolean;
  subscription_id?: string | null;
  schedule_id?: string | null;
  /** yen that can still be refunded here (a paid one-time order), else 0 */
  refundable?: number;
  /** the end of the subscription's current period as Stripe said it, and whether it cancels then */
  current_period_end?: string | null;
  cancel_at_period_end?: boolean;
  /** a subscription's / installments' paid invoices, oldest first, each refundable on its own */
  payments?: Payment[];
  created_at: string;
}

export interface Payment {
  invoice_id: string;
  paid_at: string | null;
  amount: number;
  refunded: number;
  refundable: number;
}

/** 「返金する」 -> the amount (prefilled with all that is left) and the confirm; the API's error shows at the field.
 * `invoiceId`: one payment of a subscription / installments order (`notes` say what the refund does and does not). */
function Refund({ order, left, invoiceId, notes = [], onChanged }: {
  order: Order; left: number; invoiceId?: string; notes?: string[]; onChanged: () => void;
}) {
  const { api } = useApp();
  const refund = useAction();
  const [open, setOpen] = useState(false);
  const [amount, setAmount] = useState(String(left));
  const [sent, setSent] = useState(false);
  const key = useRef(newRequestKey()); // one per confirmed refund: a double click or a retry sends the same key
  const err = fieldErrors(refund.error);
  if (left <= 0) return sent ? <p class="muted" data-testid="order-refund-sent">{t("ord.refund.sent")}</p> : null;
  if (!open)
    return (
      <>
        {sent && <p class="muted" data-testid="order-refund-sent">{t("ord.refund.sent")}</p>}
        <button type="button" class="btn btn--small btn--danger-ghost" data-testid="order-refund"
          onClick={() => { setAmount(String(left)); refund.setError(null); setOpen(true); }}>
          {t("ord.refund")}
        </button>
      </>
    );
  const confirm = async () => {
    const value = amount.trim() === "" ? null : Number(amount);
    const body = invoiceId ? { invoice_id: invoiceId, amount: value } : { amount: value };
    const r = await refund.run(() => api.post(`/api/orders/${order.order_id}/refund`, body, { headers: { "Idempotency-Key": key.current } }));
    if (r === undefined) return;
    key.current = newRequestKey();
    setOpen(false);
    setSent(true);
    onChanged();
  };
  return (
    <div class="card" role="group" data-testid="order-refund-form">
      <TextField label={t("ord.refund.amount")} name="amount" type="number" min={1} max={left} value={amount} onValue={setAmount}
        hint={t("ord.refund.left", { left: fmtYen(left) })} error={err.at("amount")} testId="order-refund-amount" narrow />
      <FieldError text={err.at("invoice_id")} name="invoice_id" />
      {!err.at("amount") && !err.at("invoice_id") && <ErrorNotice error={refund.error} onDismiss={() => refund.setError(null)} />}
      {notes.map((note) => <p class="muted" key={note}>{note}</p>)}
      <p class="confirm__q">{t("ord.refund.question")}</p>
      <button type="button" class="btn btn--small btn--danger" disabled={refund.busy} data-testid="order-refund-confirm" onClick={() => void confirm()}>
        {t("ord.refund.confirm")}
      </button>{" "}
      <button type="button" class="btn btn--small btn--ghost" onClick={() => setOpen(false)}>
        {t("common.cancel")}
      </button>
    </div>
  );
}

/** A subscription's / installments' payments: date, amount, refunded, and 「返金する」 for each with something left. */
function Payments({ order, onChanged }: { order: Order; onChanged: () => void }) {
  const payments = order.payments ?? [];
  if (payments.length === 0) return null;
  const latest = payments[payments.length - 1]?.invoice_id;
  return (
    <section data-testid="order-payments">
      <h3>{t("ord.payments")}</h3>
      <table class="table">
        <thead>
          <tr><th>{t("ord.paidAt")}</th><th>{t("ord.amount")}</th><th>{t("ord.refunded")}</th><th /></tr>
        </thead>
        <tbody>
          {payments.map((p) => (
            <tr key={p.invoice_id} data-testid="order-payment" data-invoice={p.invoice_id}>
              <td>{p.paid_at ? fmtDateTime(p.paid_at) : "—"}{p.invoice_id === latest && <span class="badge">{t("ord.latest")}</span>}</td>
              <td>{fmtYen(p.amount)}</td>
              <td data-testid="order-payment-refunded">{p.refunded > 0 ? fmtYen(p.refunded) : "—"}</td>
              <td>
                {p.refundable <= 0 && p.refunded > 0 ? <span class="muted">{t("ord.refund.done")}</span> : (
                  <Refund order={order} left={p.refundable} invoiceId={p.invoice_id} onChanged={onChanged}
                    notes={[t("ord.refund.notCancel"), t(p.invoice_id === latest ? "ord.refund.latestAccess" : "ord.refund.olderAccess")]} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A running subscription: 「期間終了時に解約」 (Stripe's cancel_at_period_end; the confirm says until when the
 * customer keeps access) next to 「今すぐ解約」; once scheduled, 「<date> に解約予定」 with 「解約予約を取り消す」. */
function SubscriptionCancel({ order, onChanged }: { order: Order; onChanged: () => void }) {
  const { api } = useApp();
  const action = useAction();
  const o = order;
  const send = (body?: { at_period_end: boolean }) =>
    void action.run(() => api.post(`/api/orders/${o.order_id}/cancel`, body)).then((r) => r !== undefined && onChanged());
  const end = o.current_period_end ? fmtDateTime(o.current_period_end) : null;
  return (
    <div class="row" data-testid="order-cancel-actions">
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
      {o.cancel_at_period_end ? (
        <>
          <span class="badge badge--warn" data-testid="order-cancel-scheduled">
            {end ? t("ord.cancelScheduled", { date: end }) : t("ord.cancelAtEnd")}
          </span>
          <button type="button" class="btn btn--small" disabled={action.busy} data-testid="order-cancel-undo"
            onClick={() => send({ at_period_end: false })}>{t("ord.cancelUndo")}</button>
        </>
      ) : (
        <ConfirmButton label={t("ord.cancelAtEnd.action")} confirmLabel={t("ord.cancelAtEnd.action")} busy={action.busy}
          question={end ? t("ord.cancelAtEnd.confirm", { date: end }) : t("ord.cancelAtEnd.confirmNoDate")}
          testId="order-cancel-at-end" onConfirm={() => send({ at_period_end: true })} />
      )}
      <ConfirmButton label={t("ord.cancelNow")} confirmLabel={t("ord.cancelNow")} question={t("cm.cancel.confirm")} busy={action.busy}
        testId="order-cancel" onConfirm={() => send()} />
    </div>
  );
}

function OrderFacts({ order, productName, onChanged }: { order: Order; productName: string; onChanged: () => void }) {
  const { api } = useApp();
  const cancel = useAction();
  const o = order;
  return (
    <section class="card" data-testid="order-detail" data-status={o.status}>
      <dl class="facts">
        <dt>{t("cm.o.product")}</dt>
        <dd><a href={href(`/commerce/${o.product_id}`)}>{productName}</a> <span class="muted">{t(`cm.kind.${o.kind}` as never)}</span></dd>
        <dt>{t("ord.friend")}</dt>
        <dd>{o.subscriber_id ? <a href={href(`/friends/${encodeURIComponent(o.subscriber_id)}`)} data-testid="order-friend">{o.subscriber_id}</a> : "—"}</dd>
        <dt>{t("cm.o.status")}</dt>
        <dd>
          <span class="badge">{t(`cm.ostatus.${o.status}` as never) || o.status}</span>
          {o.mode === "test" && <span class="badge badge--warn">{t("cm.test")}</span>}
        </dd>
        <dt>{t("cm.o.at")}</dt>
        <dd>{fmtDateTime(o.created_at)}</dd>
        <dt>{t("cm.o.paid")}</dt>
        <dd>
          {fmtYen(o.paid_total)}
          {o.refunded_total > 0 && <span class="muted" data-testid="order-refunded"> ・ {t("ord.refunded")} {fmtYen(o.refunded_total)}</span>}
        </dd>
        <dt>{t("cm.o.payments")}</dt>
        <dd>{o.kind === "installments" ? `${o.payments_made} / ${o.installments}` : o.payments_made}</dd>
        {(o.subscription_id || o.schedule_id) && (
          <>
            <dt>{t("ord.payment")}</dt>
            <dd><code class="break">{o.subscription_id ?? o.schedule_id}</code></dd>
          </>
        )}
        {o.current_period_end && (
          <>
            <dt>{t("ord.periodEnd")}</dt>
            <dd data-testid="order-period-end">
              {fmtDateTime(o.current_period_end)}
              {o.cancel_at_period_end && <span class="badge badge--warn">{t("ord.cancelAtEnd")}</span>}
            </dd>
          </>
        )}
      </dl>
      <ErrorNotice error={cancel.error} onDismiss={() => cancel.setError(null)} />
      {o.expects_payment && (o.kind === "subscription" && o.subscription_id ? <SubscriptionCancel order={o} onChanged={onChanged} /> : (
        <ConfirmButton label={t("cm.cancel")} confirmLabel={t("cm.cancel")} question={t("cm.cancel.confirm")} busy={cancel.busy} testId="order-cancel"
          onConfirm={() => void cancel.run(() => api.post(`/api/orders/${o.order_id}/cancel`)).then((r) => r !== undefined && onChanged())} />
      ))}
      {o.kind === "one_time" ? <Refund order={o} left={o.refundable ?? 0} onChanged={onChanged} /> : <Payments order={o} onChanged={onChanged} />}
    </section>
  );
}

export function OrderDetail({ id, names }: { id: string; names: Record<string, string> }) {
  const [round, setRound] = useState(0); // read the order again after a cancel or a refund
  return (
    <>
      <PageHeader title={t("ord.detail")}>
        <a class="btn btn--ghost" href={href("/commerce/orders")}>{t("sc.back")}</a>
      </PageHeader>
      <Loaded<Order> path={`/api/orders/${id}`} deps={[round]}>
        {(o) => <OrderFacts order={o as Order} productName={names[(o as Order).product_id] ?? (o as Order).product_id} onChanged={() => setRound(round + 1)} />}
      </Loaded>
    </>
  );
}
