/**
 * 注文の詳細 (#/commerce/orders/<order_id>, GET /api/orders/{order_id}): product, friend, kind and mode, amounts,
 * payments made, the Stripe subscription / schedule, and the cancel (behind the in-page confirm) while it still
 * expects payments.
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { Loaded } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
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
  created_at: string;
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
        <dd>{fmtYen(o.paid_total)}{o.refunded_total > 0 && <span class="muted"> ・ {t("ord.refunded")} {fmtYen(o.refunded_total)}</span>}</dd>
        <dt>{t("cm.o.payments")}</dt>
        <dd>{o.kind === "installments" ? `${o.payments_made} / ${o.installments}` : o.payments_made}</dd>
        {(o.subscription_id || o.schedule_id) && (
          <>
            <dt>{t("ord.payment")}</dt>
            <dd><code class="break">{o.subscription_id ?? o.schedule_id}</code></dd>
          </>
        )}
      </dl>
      <ErrorNotice error={cancel.error} onDismiss={() => cancel.setError(null)} />
      {o.expects_payment && (
        <ConfirmButton label={t("cm.cancel")} confirmLabel={t("cm.cancel")} question={t("cm.cancel.confirm")} busy={cancel.busy} testId="order-cancel"
          onConfirm={() => void cancel.run(() => api.post(`/api/orders/${o.order_id}/cancel`)).then((r) => r !== undefined && onChanged())} />
      )}
    </section>
  );
}

export function OrderDetail({ id, names }: { id: string; names: Record<string, string> }) {
  const [round, setRound] = useState(0); // read the order again after a cancel
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
