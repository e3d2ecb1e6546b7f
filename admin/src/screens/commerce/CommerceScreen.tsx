/**
 * 商品・注文: products (one-time / 分割払い installments / 継続課金 subscription, post-purchase actions, purchase
 * links), orders (cancel, remaining installments included) and revenue by day (a small SVG bar chart).
 * Routes: #/commerce (products), #/commerce/new, #/commerce/<product_id>, #/commerce/orders, #/commerce/revenue
 */
import { useEffect, useState } from "preact/hooks";
import "../../components/MessagePreview.css";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { fmtDateTime, fmtYen, problemAt, problemsOf } from "../scenarios/shared";
import type { Action } from "../scenarios/types";

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
  status: "active" | "archived";
}
interface Product {
  product_id: string;
  definition: ProductDefinition;
}
interface Order {
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
  created_at: string;
}
interface Revenue {
  from: string;
  to: string;
  by_day: { day: string; product_id: string; amount: number; count: number }[];
  by_product: { product_id: string; amount: number; count: number; refunded: number }[];
  total: number;
}

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

function Products() {
  const { api } = useApp();
  const [rows, setRows] = useState<Product[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [link, setLink] = useState<Record<string, string>>({});
  const load = () => api.get<{ items: Product[] }>("/api/products").then((r) => setRows(r.items), setError);
  useEffect(() => void load(), []);
  const makeLink = async (id: string) => {
    try {
      const r = await api.post<{ url: string }>(`/api/products/${id}/link`, {});
      setLink({ ...link, [id]: r.url });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader title={t("nav.commerce")} lead={t("screen.commerce.lead")}>
        <a class="btn" href={href("/commerce/new")} data-testid="product-new">
          {t("cm.new")}
        </a>
      </PageHeader>
      <Tabs at="/commerce" />
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {rows && rows.length === 0 && (
        <div class="empty">
          <p>{t("cm.empty")}</p>
          <a class="btn" href={href("/commerce/new")}>
            {t("cm.new")}
          </a>
        </div>
      )}
      {rows && rows.length > 0 && (
        <ul class="list-cards" data-testid="product-list">
          {rows.map((p) => (
            <li key={p.product_id}>
              <div class="list-card">
                <a class="list-card__title" href={href(`/commerce/${p.product_id}`)}>
                  {p.definition.name}
                </a>
                <span class="badge">{t(`cm.kind.${p.definition.kind}`)}</span>
                <span class="list-card__meta">{priceText(p.definition)}</span>
                {p.definition.status === "archived" && <span class="badge badge--warn">{t("cm.status.archived")}</span>}
                <button type="button" class="btn btn--ghost btn--small" onClick={() => makeLink(p.product_id)}>
                  {t("cm.link")}
                </button>
                {link[p.product_id] && <code style="overflow-wrap:anywhere">{link[p.product_id]}</code>}
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ProductEditor({ id }: { id: string | null }) {
  const { api } = useApp();
  const [loaded, setLoaded] = useState<Product | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (id) api.get<Product>(`/api/products/${id}`).then(setLoaded, setError);
  }, [id]);
  if (error) return <ErrorNotice error={error} />;
  if (id && !loaded) return <p class="muted">{t("app.loading")}</p>;
  return <ProductForm id={id} initial={loaded?.definition ?? null} />;
}

function ProductForm({ id, initial }: { id: string | null; initial: ProductDefinition | null }) {
  const { api } = useApp();
  const form = useForm<ProductDefinition>(
    initial ?? { name: "", kind: "one_time", amount: 3000, currency: "jpy", interval: "month", installments: 0, actions: [], dunning_tag: "支払い失敗", thank_you_message: "", success_url: "", dunning_scenario_id: "", status: "active" },
    `product.${id ?? "new"}`,
  );
  const v = form.values;
  const problems = problemsOf(form.error);
  const err = (w: string) => problemAt(problems, w, true);
  const save = async (e: Event) => {
    e.preventDefault();
    const body = {
      ...v,
      installments: v.kind === "installments" ? v.installments : 0,
      thank_you_message: v.thank_you_message || null,
      success_url: v.success_url || null,
      dunning_scenario_id: v.dunning_scenario_id || null,
    };
    const r = await form.submit(() => (id ? api.put(`/api/products/${id}`, body) : api.post("/api/products", body)));
    if (r) navigate("/commerce");
  };
  return (
    <form onSubmit={save} data-testid="product-editor" noValidate>
      <PageHeader title={id ? v.name || t("nav.commerce") : t("cm.new")}>
        <a class="btn btn--ghost" href={href("/commerce")}>
          {t("sc.back")}
        </a>
        <button type="submit" class="btn" disabled={form.submitting} data-testid="product-save">
          {form.submitting ? t("sc.saving") : t("sc.save")}
        </button>
      </PageHeader>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      <section class="card form">
        <div class="row">
          <label class="field">
            <span class="field__label">{t("cm.name")}</span>
            <input name="name" value={v.name} aria-invalid={!!err("name")} onInput={(e) => form.set("name", e.currentTarget.value)} />
            {err("name") && <span class="field__error">{err("name")}</span>}
          </label>
          <label class="field field--narrow">
            <span class="field__label">{t("sc.status")}</span>
            <select name="status" value={v.status} onChange={(e) => form.set("status", e.currentTarget.value as "active")}>
              <option value="active">{t("cm.status.active")}</option>
              <option value="archived">{t("cm.status.archived")}</option>
            </select>
          </label>
        </div>
        <div class="row" role="radiogroup" aria-label={t("cm.kind")}>
          {(["one_time", "installments", "subscription"] as const).map((k) => (
            <label key={k} class="me-vars">
              <input type="radio" name="kind" value={k} checked={v.kind === k} onChange={() => form.set("kind", k)} />
              {t(`cm.kind.${k}`)}
            </label>
          ))}
        </div>
        <div class="row">
          <label class="field">
            <span class="field__label">{v.kind === "one_time" ? t("cm.amount") : t("cm.amountEach")}</span>
            <input name="amount" type="number" min={50} value={v.amount} aria-invalid={!!err("amount")} onInput={(e) => form.set("amount", Number(e.currentTarget.value))} />
            {err("amount") && <span class="field__error">{err("amount")}</span>}
          </label>
          <label class="field field--narrow">
            <span class="field__label">{t("cm.currency")}</span>
            <select name="currency" value={v.currency} onChange={(e) => form.set("currency", e.currentTarget.value as "jpy")}>
              <option value="jpy">JPY</option>
              <option value="usd">USD</option>
              <option value="eur">EUR</option>
            </select>
          </label>
          {v.kind !== "one_time" && (
            <label class="field field--narrow">
              <span class="field__label">{t("cm.interval")}</span>
              <select name="interval" value={v.interval} onChange={(e) => form.set("interval", e.currentTarget.value as "month")}>
                {(["day", "week", "month", "year"] as const).map((i) => (
                  <option key={i} value={i}>
                    {t(`cm.interval.${i}`)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {v.kind === "installments" && (
            <label class="field field--narrow">
              <span class="field__label">{t("cm.installments")}</span>
              <input name="installments" type="number" min={2} max={60} value={v.installments} aria-invalid={!!err("installments")} onInput={(e) => form.set("installments", Number(e.currentTarget.value))} />
            </label>
          )}
        </div>
        {err("installments") && <span class="field__error">{err("installments")}</span>}
        {problems.get("") && <span class="field__error">{problems.get("")}</span>}
        <p class="muted" data-testid="product-price">
          {priceText(v)}
          {v.kind === "installments" && v.installments >= 2 && ` ・ ${t("cm.totalOf", { total: fmtYen(v.amount * v.installments) })}`}
        </p>
      </section>
      <section class="card form">
        <h2 class="card__title">{t("cm.after")}</h2>
        <label class="field">
          <span class="field__label">{t("cm.thankYou")}</span>
          <textarea name="thank_you_message" rows={2} value={v.thank_you_message ?? ""} onInput={(e) => form.set("thank_you_message", e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="field__label">{t("cm.successUrl")}</span>
          <input name="success_url" type="url" value={v.success_url ?? ""} aria-invalid={!!err("success_url")} onInput={(e) => form.set("success_url", e.currentTarget.value)} />
          {err("success_url") && <span class="field__error">{err("success_url")}</span>}
        </label>
        <h3 class="field__label">{t("cm.actions")}</h3>
        <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => problemAt(problems, `actions.${j}`, true) ?? problemAt(problems, `actions[${j}]`, true)} />
        {v.kind !== "one_time" && (
          <div class="row">
            <label class="field">
              <span class="field__label">{t("cm.dunningScenario")}</span>
              <input name="dunning_scenario_id" value={v.dunning_scenario_id ?? ""} onInput={(e) => form.set("dunning_scenario_id", e.currentTarget.value)} />
            </label>
            <label class="field">
              <span class="field__label">{t("cm.dunningTag")}</span>
              <input name="dunning_tag" value={v.dunning_tag} onInput={(e) => form.set("dunning_tag", e.currentTarget.value)} />
            </label>
          </div>
        )}
      </section>
    </form>
  );
}

function Orders() {
  const { api } = useApp();
  const [rows, setRows] = useState<Order[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const load = () => api.get<{ items: Order[] }>("/api/orders").then((r) => setRows(r.items), setError);
  useEffect(() => {
    void load();
    api.get<{ items: Product[] }>("/api/products").then((r) => setNames(Object.fromEntries(r.items.map((p) => [p.product_id, p.definition.name]))), () => undefined);
  }, []);
  const cancel = async (o: Order) => {
    if (!window.confirm(t("cm.cancel.confirm"))) return;
    setError(null);
    try {
      await api.post(`/api/orders/${o.order_id}/cancel`);
      load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader title={t("nav.commerce")} lead={t("screen.commerce.lead")} />
      <Tabs at="/commerce/orders" />
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {rows && rows.length === 0 && <div class="empty">{t("cm.noOrders")}</div>}
      {rows && rows.length > 0 && (
        <div class="card table-wrap">
          <table class="table" data-testid="order-list">
            <thead>
              <tr>
                <th>{t("cm.o.at")}</th>
                <th>{t("cm.o.product")}</th>
                <th>{t("cm.o.status")}</th>
                <th class="num">{t("cm.o.paid")}</th>
                <th>{t("cm.o.payments")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {[...rows]
                .sort((a, b) => b.created_at.localeCompare(a.created_at))
                .map((o) => (
                  <tr key={o.order_id}>
                    <td>{fmtDateTime(o.created_at)}</td>
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
                      {o.expects_payment && (
                        <button type="button" class="btn btn--ghost btn--small" onClick={() => cancel(o)}>
                          {t("cm.cancel")}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
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
  const { api } = useApp();
  const [rev, setRev] = useState<Revenue | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    api.get<Revenue>("/api/revenue").then(setRev, setError);
    api.get<{ items: Product[] }>("/api/products").then((r) => setNames(Object.fromEntries(r.items.map((p) => [p.product_id, p.definition.name]))), () => undefined);
  }, []);
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
      <ErrorNotice error={error} />
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
            <table class="table">
              <thead>
                <tr>
                  <th>{t("cm.o.product")}</th>
                  <th class="num">{t("cm.count")}</th>
                  <th class="num">{t("cm.o.paid")}</th>
                  <th class="num">{t("cm.refund")}</th>
                </tr>
              </thead>
              <tbody>
                {rev.by_product.map((p) => (
                  <tr key={p.product_id}>
                    <td>{names[p.product_id] ?? p.product_id}</td>
                    <td class="num">{p.count}</td>
                    <td class="num">{fmtYen(p.amount)}</td>
                    <td class="num">{fmtYen(p.refunded)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}

export default function CommerceScreen() {
  const { path } = useRoute();
  const id = path.replace(/^\/commerce\/?/, "").split("/")[0];
  if (!id) return <Products />;
  if (id === "orders") return <Orders />;
  if (id === "revenue") return <RevenueView />;
  return <ProductEditor key={id} id={id === "new" ? null : id} />;
}
