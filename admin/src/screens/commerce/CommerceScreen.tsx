/**
 * 商品・注文: products (one-time / 分割払い installments / 継続課金 subscription, post-purchase actions, purchase
 * links), orders (cancel, remaining installments included) and revenue by day (a small SVG bar chart).
 * Routes: #/commerce (products), #/commerce/new, #/commerce/<product_id>, #/commerce/orders, #/commerce/revenue
 */
import { useState } from "preact/hooks";
import "../../components/MessagePreview.css";
import { Card, CardList } from "../../components/CardList";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FieldError, RadioField, SelectField, TextField, choices } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { Table } from "../../components/Table";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { fmtDateTime, fmtYen } from "../scenarios/shared";
import type { Action } from "../scenarios/types";
import { type Order, OrderDetail } from "./OrderDetail";

interface ProductDefinition {
  name: string;
  kind: "one_time" | "installments" | "subscription";
  amount: number;
  currency: "jpy" | "usd" | "eur";
  interval: "day" | "week" | "month" | "year";
  installments: number;
  actions: Action[];
  dunning_scenario_id?: string | null;
  dunning_tag: string;
  thank_you_message?: string | null;
  success_url?: string | null;
  course_ids?: string[];
  status: "active" | "archived";
}
interface Product {
  product_id: string;
  definition: ProductDefinition;
}
interface Revenue {
  from: string;
  to: string;
  by_day: { day: string; product_id: string; amount: number; count: number }[];
  by_product: { product_id: string; amount: number; count: number; refunded: number }[];
  total: number;
}

const PRODUCTS: ResourceKind = { path: "/commerce", title: "nav.commerce", lead: "screen.commerce.lead", newLabel: "cm.new", testId: "product" };

function Tabs({ at }: { at: string }) {
  return (
    <nav class="tabs" aria-label={t("nav.commerce")}>
      {(
        [
          ["/commerce", "cm.tab.products"],
          ["/commerce/orders", "cm.tab.orders"],
          ["/commerce/revenue", "cm.tab.revenue"],
        ] as const
      ).map(([p, k]) => (
        <a key={p} class={`tabs__tab${at === p ? " tabs__tab--on" : ""}`} href={href(p)} aria-current={at === p ? "page" : undefined}>
          {t(k)}
        </a>
      ))}
    </nav>
  );
}

function priceText(d: ProductDefinition): string {
  const yen = d.currency === "jpy" ? fmtYen(d.amount) : `${d.amount} ${d.currency.toUpperCase()}`;
  if (d.kind === "subscription") return t("cm.price.sub", { price: yen, interval: t(`cm.interval.${d.interval}`) });
  if (d.kind === "installments") return t("cm.price.inst", { price: yen, n: d.installments, interval: t(`cm.interval.${d.interval}`) });
  return yen;
}

/** product_id -> name, for the orders and revenue tables. */
function useProductNames(): Record<string, string> {
  const products = useApiList<Product>("/api/products");
  return Object.fromEntries((products.rows ?? []).map((p) => [p.product_id, p.definition.name]));
}

function Products() {
  const { api } = useApp();
  const list = useApiList<Product>("/api/products");
  const [link, setLink] = useState<Record<string, string>>({});
  const makeLink = async (id: string) => {
    try {
      const r = await api.post<{ url: string }>(`/api/products/${id}/link`, {});
      setLink({ ...link, [id]: r.url });
    } catch (e) {
      list.setError(e);
    }
  };
  return (
    <ListScreen kind={PRODUCTS} list={list} above={<Tabs at="/commerce" />} empty={t("cm.empty")}>
      {(rows) => (
        <CardList rows={rows} testId="product-list" keyOf={(p) => p.product_id}>
          {(p) => (
            <Card title={p.definition.name} href={href(`/commerce/${p.product_id}`)}>
              <span class="badge">{t(`cm.kind.${p.definition.kind}`)}</span>
              <span class="list-card__meta">{priceText(p.definition)}</span>
              {p.definition.status === "archived" && <span class="badge badge--warn">{t("cm.status.archived")}</span>}
              <button type="button" class="btn btn--ghost btn--small" onClick={() => makeLink(p.product_id)}>
                {t("cm.link")}
              </button>
              {link[p.product_id] && <code style="overflow-wrap:anywhere">{link[p.product_id]}</code>}
            </Card>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

function ProductEditor({ id }: { id: string | null }) {
  return <Loaded<Product> path={id ? `/api/products/${id}` : null}>{(loaded) => <ProductForm id={id} initial={loaded?.definition ?? null} />}</Loaded>;
}

function toBody(v: ProductDefinition) {
  return {
    ...v,
    installments: v.kind === "installments" ? v.installments : 0,
    thank_you_message: v.thank_you_message || null,
    success_url: v.success_url || null,
    dunning_scenario_id: v.dunning_scenario_id || null,
  };
}

function ProductForm({ id, initial }: { id: string | null; initial: ProductDefinition | null }) {
  const { api } = useApp();
  const form = useForm<ProductDefinition>(
    initial ?? { name: "", kind: "one_time", amount: 3000, currency: "jpy", interval: "month", installments: 0, actions: [], dunning_tag: "支払い失敗", thank_you_message: "", success_url: "", dunning_scenario_id: "", status: "active" },
    `product.${id ?? "new"}`,
  );
  const v = form.values;
  const err = fieldErrors(form.error);
  return (
    <EditorShell kind={PRODUCTS} id={id} name={v.name} form={form} save={(vals) => (id ? api.put(`/api/products/${id}`, toBody(vals)) : api.post("/api/products", toBody(vals)))}>
      <section class="card form">
        <div class="row">
          <TextField label={t("cm.name")} name="name" value={v.name} error={err.at("name")} onValue={(x) => form.set("name", x)} />
          <SelectField narrow label={t("sc.status")} name="status" value={v.status} options={choices(["active", "archived"] as const, (x) => t(`cm.status.${x}`))} onValue={(x) => form.set("status", x)} />
        </div>
        <RadioField label={t("cm.kind")} name="kind" value={v.kind} options={choices(["one_time", "installments", "subscription"] as const, (k) => t(`cm.kind.${k}`))} onValue={(x) => form.set("kind", x)} />
        <div class="row">
          <TextField
            label={v.kind === "one_time" ? t("cm.amount") : t("cm.amountEach")}
            name="amount"
            type="number"
            min={50}
            value={v.amount}
            error={err.at("amount")}
            onValue={(x) => form.set("amount", Number(x))}
          />
          <SelectField narrow label={t("cm.currency")} name="currency" value={v.currency} options={[["jpy", "JPY"], ["usd", "USD"], ["eur", "EUR"]] as const} onValue={(x) => form.set("currency", x)} />
          {v.kind !== "one_time" && (
            <SelectField narrow label={t("cm.interval")} name="interval" value={v.interval} options={choices(["day", "week", "month", "year"] as const, (i) => t(`cm.interval.${i}`))} onValue={(x) => form.set("interval", x)} />
          )}
          {v.kind === "installments" && (
            <TextField narrow label={t("cm.installments")} name="installments" type="number" min={2} max={60} value={v.installments} error={err.at("installments")} onValue={(x) => form.set("installments", Number(x))} />
          )}
        </div>
        <FieldError text={err.all.get("")} />
        <p class="muted" data-testid="product-price">
          {priceText(v)}
          {v.kind === "installments" && v.installments >= 2 && ` ・ ${t("cm.totalOf", { total: fmtYen(v.amount * v.installments) })}`}
        </p>
      </section>
      <section class="card form">
        <h2 class="card__title">{t("cm.after")}</h2>
        <TextField label={t("cm.thankYou")} name="thank_you_message" rows={2} value={v.thank_you_message ?? ""} onValue={(x) => form.set("thank_you_message", x)} />
        <TextField label={t("cm.successUrl")} name="success_url" type="url" value={v.success_url ?? ""} error={err.at("success_url")} onValue={(x) => form.set("success_url", x)} />
        <TextField
          label={t("cm.courseIds")}
          hint={t("cm.courseIds.hint")}
          name="course_ids"
          value={(v.course_ids ?? []).join(", ")}
          error={err.at("course_ids")}
          onValue={(x) => form.set("course_ids", x.split(/[,\s、]+/).filter(Boolean))}
        />
        <h3 class="field__label">{t("cm.actions")}</h3>
        <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => err.at(`actions.${j}`) ?? err.at(`actions[${j}]`)} />
        {v.kind !== "one_time" && (
          <div class="row">
            <TextField label={t("cm.dunningScenario")} name="dunning_scenario_id" value={v.dunning_scenario_id ?? ""} onValue={(x) => form.set("dunning_scenario_id", x)} />
            <TextField label={t("cm.dunningTag")} name="dunning_tag" value={v.dunning_tag} onValue={(x) => form.set("dunning_tag", x)} />
          </div>
        )}
      </section>
    </EditorShell>
  );
}

function Orders() {
  const { api } = useApp();
  const list = useApiList<Order>("/api/orders");
  const names = useProductNames();
  const cancel = async (o: Order) => {
    list.setError(null);
    try {
      await api.post(`/api/orders/${o.order_id}/cancel`);
      list.reload();
    } catch (e) {
      list.setError(e);
    }
  };
  return (
    <ListScreen kind={PRODUCTS} creates={false} list={list} above={<Tabs at="/commerce/orders" />} empty={t("cm.noOrders")}>
      {(rows) => (
        <Table testId="order-list" columns={[t("cm.o.at"), t("cm.o.product"), t("cm.o.status"), { label: t("cm.o.paid"), num: true }, t("cm.o.payments"), ""]}>
          {[...rows]
            .sort((a, b) => b.created_at.localeCompare(a.created_at))
            .map((o) => (
              <tr key={o.order_id}>
                <td><a href={href(`/commerce/orders/${o.order_id}`)} data-testid="order-link">{fmtDateTime(o.created_at)}</a></td>
                <td>
                  {names[o.product_id] ?? o.product_id}
                  <div class="muted">{t(`cm.kind.${o.kind}` as never)}</div>
                </td>
                <td>
                  <span class="badge">{t(`cm.ostatus.${o.status}` as never) || o.status}</span>
                  {o.mode === "test" && <span class="badge badge--warn">{t("cm.test")}</span>}
                </td>
                <td class="num">
                  {fmtYen(o.paid_total)}
                  {o.refunded_total > 0 && <div class="muted">{t("cm.refunded", { n: fmtYen(o.refunded_total) })}</div>}
                </td>
                <td>{o.kind === "installments" ? `${o.payments_made} / ${o.installments}` : o.kind === "subscription" ? `${o.payments_made}` : "—"}</td>
                <td>
                  {o.expects_payment && <ConfirmButton label={t("cm.cancel")} confirmLabel={t("cm.cancel")} question={t("cm.cancel.confirm")} onConfirm={() => void cancel(o)} />}
                </td>
              </tr>
            ))}
        </Table>
      )}
    </ListScreen>
  );
}

function OrderPage({ id }: { id: string }) {
  return <OrderDetail id={id} names={useProductNames()} />;
}

/** Revenue per day as bars (hand-written SVG, no library). */
export function BarChart({ data }: { data: { label: string; value: number }[] }) {
  const w = 640;
  const h = 200;
  const pad = 24;
  const max = Math.max(1, ...data.map((d) => d.value));
  const bw = data.length ? (w - pad * 2) / data.length : 0;
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h + 20}`} role="img" aria-label={t("cm.chart")} data-testid="revenue-chart">
      <line class="chart__axis" x1={pad} y1={h} x2={w - pad} y2={h} />
      {data.map((d, i) => {
        const bh = (d.value / max) * (h - pad);
        return (
          <g key={d.label}>
            <rect class="chart__bar" x={pad + i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh}>
              <title>{`${d.label}: ${fmtYen(d.value)}`}</title>
            </rect>
            {(i % Math.ceil(data.length / 8) === 0 || i === data.length - 1) && (
              <text class="chart__label" x={pad + i * bw + bw / 2} y={h + 14} text-anchor="middle">
                {d.label.slice(5)}
              </text>
            )}
          </g>
        );
      })}
      <text class="chart__label" x={pad} y={12}>
        {fmtYen(max)}
      </text>
    </svg>
  );
}

function RevenueView() {
  const revenue = useApiGet<Revenue>("/api/revenue");
  const rev = revenue.data;
  const names = useProductNames();
  const days: { label: string; value: number }[] = [];
  if (rev) {
    const sums = new Map<string, number>();
    for (const d of rev.by_day) sums.set(d.day, (sums.get(d.day) ?? 0) + d.amount);
    for (let d = new Date(`${rev.from}T00:00:00Z`); d <= new Date(`${rev.to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) {
      const key = d.toISOString().slice(0, 10);
      days.push({ label: key, value: sums.get(key) ?? 0 });
    }
  }
  return (
    <>
      <PageHeader title={t("nav.commerce")} lead={t("screen.commerce.lead")} />
      <Tabs at="/commerce/revenue" />
      <ErrorNotice error={revenue.error} onRetry={() => (revenue.setError(null), revenue.reload())} />
      {rev && (
        <section class="card">
          <div class="toolbar">
            <h2 class="card__title">{t("cm.revenueOf", { from: rev.from, to: rev.to })}</h2>
            <strong style="margin-left:auto" data-testid="revenue-total">
              {fmtYen(rev.total)}
            </strong>
          </div>
          {rev.total === 0 && rev.by_day.length === 0 ? <p class="empty">{t("cm.noRevenue")}</p> : <BarChart data={days} />}
          {rev.by_product.length > 0 && (
            <Table bare columns={[t("cm.o.product"), { label: t("cm.count"), num: true }, { label: t("cm.o.paid"), num: true }, { label: t("cm.refund"), num: true }]}>
              {rev.by_product.map((p) => (
                <tr key={p.product_id}>
                  <td>{names[p.product_id] ?? p.product_id}</td>
                  <td class="num">{p.count}</td>
                  <td class="num">{fmtYen(p.amount)}</td>
                  <td class="num">{fmtYen(p.refunded)}</td>
                </tr>
              ))}
            </Table>
          )}
        </section>
      )}
    </>
  );
}

export default function CommerceScreen() {
  const { path } = useRoute();
  const [id, sub] = path.replace(/^\/commerce\/?/, "").split("/");
  if (!id) return <Products />;
  if (id === "orders" && sub) return <OrderPage key={sub} id={sub} />;
  if (id === "orders") return <Orders />;
  if (id === "revenue") return <RevenueView />;
  return <ProductEditor key={id} id={id === "new" ? null : id} />;
}
