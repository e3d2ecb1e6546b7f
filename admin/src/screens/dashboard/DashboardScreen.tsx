/** ダッシュボード: friends and deliveries per day (SVG charts), LINE quota per channel, the newest delivery errors. */
import { useEffect, useState } from "preact/hooks";
import { BarChart, Gauge } from "../../components/charts/BarChart";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Icon } from "../../components/Icon";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { href } from "../../router";
import { formatDateTime, formatNumber } from "../settings/ui";

interface Dashboard {
  days: number;
  time_zone: string;
  friends: { series: { date: string; added: number; blocked: number }[]; total: number; following: number; blocked: number; truncated: boolean };
  deliveries: { series: { date: string; sent: number; failed: number; skipped: number; replied?: number }[]; sent: number; failed: number; replied_this_month?: number };
  opt_outs?: { series: { date: string; line: number; email: number; sms: number; all: number; stopped: number; resumed: number }[]; stopped: number; resumed: number };
  quota: { channel_id: string; name: string | null; type?: string; limit?: number | null; used?: number; left?: number | null; error?: string }[];
  errors: { delivery_id: string; at: string; kind: string; channel: string; status: string; error: string | null; attempts: number; subscriber_id: string | null }[];
}

const RANGES = [7, 30, 90] as const;

export default function DashboardScreen() {
  const { api, session } = useApp();
  const canConnect = session.role === "owner" || session.role === "admin";
  const [days, setDays] = useState<number>(30);
  const [data, setData] = useState<Dashboard | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api.get<Dashboard>("/api/dashboard", { query: { days } }).then((d) => (setData(d), setError(null)), setError);
  useEffect(() => void load(), [days]);
  const noChannel = data !== null && data.quota.length === 0;

  return (
    <>
      <PageHeader title={t("nav.dashboard")} lead={t("screen.dashboard.lead")}>
        <div class="lang-switch" role="group" aria-label={t("dash.range")}>
          {RANGES.map((d) => (
            <button key={d} type="button" class={`lang-switch__btn${d === days ? " lang-switch__btn--on" : ""}`} aria-pressed={d === days} onClick={() => setDays(d)}>
              {t("dash.days", { n: d })}
            </button>
          ))}
        </div>
      </PageHeader>
      {canConnect && noChannel && (
        <section class="card card--accent">
          <h2 class="card__title">{t("dashboard.start.title")}</h2>
          <p>{t("dashboard.start.body")}</p>
          <a class="btn" href={href("/settings/channels")}>
            <Icon name="channels" size={18} />
            {t("dashboard.start.cta")}
          </a>
        </section>
      )}
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {!data && !error && <p class="muted">{t("app.loading")}</p>}
      {data && (
        <>
          <div class="kpis" data-testid="kpis">
            <div class="kpi"><div class="kpi__label">{t("dash.kpi.following")}</div><div class="kpi__value">{formatNumber(data.friends.following)}</div></div>
            <div class="kpi"><div class="kpi__label">{t("dash.kpi.added", { n: days })}</div><div class="kpi__value">{formatNumber(data.friends.series.reduce((n, d) => n + d.added, 0))}</div></div>
            <div class="kpi"><div class="kpi__label">{t("dash.kpi.sent", { n: days })}</div><div class="kpi__value">{formatNumber(data.deliveries.sent)}</div></div>
            <div class="kpi"><div class="kpi__label">{t("dash.kpi.failed", { n: days })}</div><div class="kpi__value" style={{ color: data.deliveries.failed ? "var(--danger)" : undefined }}>{formatNumber(data.deliveries.failed)}</div></div>
            {data.deliveries.replied_this_month !== undefined && <div class="kpi" data-testid="kpi-replied"><div class="kpi__label">{t("dash.kpi.replied")}</div><div class="kpi__value">{formatNumber(data.deliveries.replied_this_month)}</div></div>}
            {data.opt_outs && <div class="kpi" data-testid="kpi-optouts"><div class="kpi__label">{t("dash.kpi.optouts", { n: days })}</div><div class="kpi__value">{formatNumber(data.opt_outs.stopped)}</div></div>}
          </div>
          <div class="grid2">
            <section class="card" data-testid="chart-friends">
              <h2 class="card__title">{t("dash.friends")}</h2>
              <BarChart title={t("dash.friends")} data={data.friends.series} series={[
                { key: "added", label: t("dash.added"), color: "#06c755" },
                { key: "blocked", label: t("dash.blocked"), color: "#9aa5a0" },
              ]} />
              {data.friends.truncated && <p class="muted" style={{ fontSize: "12px" }}>{t("dash.truncated")}</p>}
            </section>
            <section class="card" data-testid="chart-deliveries">
              <h2 class="card__title">{t("dash.deliveries")}</h2>
              <BarChart title={t("dash.deliveries")} data={data.deliveries.series} series={[
                { key: "sent", label: t("dash.sent"), color: "#2f80ed" },
                { key: "failed", label: t("dash.failed"), color: "#c62828" },
              ]} />
            </section>
          </div>
          {data.opt_outs && <OptOuts data={data.opt_outs} />}
          <section class="card" data-testid="quota">
            <h2 class="card__title">{t("dash.quota")}</h2>
            {data.quota.length === 0 && <p class="muted">{t("dash.quota.none")}</p>}
            <div class="stack">
              {data.quota.map((q) => (
                <div key={q.channel_id}>
                  <div class="row row--between">
                    <strong>{q.name || q.channel_id}</strong>
                    {q.error ? <span class="badge badge--bad">{t("dash.quota.error")}</span> : q.limit != null ? (
                      <span>{t("dash.quota.usage", { used: formatNumber(q.used ?? 0), limit: formatNumber(q.limit), left: formatNumber(q.left ?? 0) })}</span>
                    ) : <span>{t("dash.quota.unlimited", { used: formatNumber(q.used ?? 0) })}</span>}
                  </div>
                  {q.error ? <p class="muted" style={{ fontSize: "13px" }}>{q.error} — {t("dash.quota.errorHint")}</p> : q.limit != null && <Gauge used={q.used ?? 0} limit={q.limit} label={q.name || q.channel_id} />}
                </div>
              ))}
            </div>
          </section>
          <section class="card" data-testid="error-log">
            <h2 class="card__title">{t("dash.errors")}</h2>
            {data.errors.length === 0 ? <p class="muted">{t("dash.errors.none")}</p> : (
              <div class="table-wrap">
                <table class="table table--cards">
                  <thead><tr><th>{t("dash.errors.at")}</th><th>{t("dash.errors.kind")}</th><th>{t("dash.errors.status")}</th><th>{t("dash.errors.error")}</th></tr></thead>
                  <tbody>
                    {data.errors.map((e) => (
                      <tr key={e.delivery_id}>
                        <td data-label={t("dash.errors.at")}>{formatDateTime(e.at)}</td>
                        <td data-label={t("dash.errors.kind")}>{e.kind} / {e.channel}{e.subscriber_id && <> · <a href={href(`/friends/${e.subscriber_id}`)}>{t("dash.errors.friend")}</a></>}</td>
                        <td data-label={t("dash.errors.status")}><span class={`badge ${e.status === "failed" ? "badge--bad" : "badge--warn"}`}>{e.status === "failed" ? t("dash.errors.failed") : t("dash.errors.retrying")}</span> ×{e.attempts}</td>
                        <td data-label={t("dash.errors.error")} style={{ overflowWrap: "anywhere" }}>{e.error}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}

/** 配信停止の推移: stopped (any channel or all) and resumed per day, as a chart and, for the days with any, a table. */
function OptOuts({ data }: { data: NonNullable<Dashboard["opt_outs"]> }) {
  const days = data.series.filter((d) => d.stopped > 0 || d.resumed > 0);
  return (
    <section class="card" data-testid="chart-optouts">
      <h2 class="card__title">{t("dash.optouts")}</h2>
      <div class="grid2">
      <div>
      <BarChart title={t("dash.optouts")} data={data.series} series={[
        { key: "stopped", label: t("dash.optouts.stopped"), color: "#e6a23c" },
        { key: "resumed", label: t("dash.optouts.resumed"), color: "#06c755" },
      ]} />
      </div>
      {days.length > 0 && (
        <div class="table-wrap">
          <table class="table" data-testid="optouts-table" aria-label={t("dash.optouts.table")}>
            <thead>
              <tr>
                <th>{t("dash.optouts.date")}</th><th>{t("oo.scope.line")}</th><th>{t("oo.scope.email")}</th><th>{t("oo.scope.sms")}</th>
                <th>{t("oo.scope.all")}</th><th>{t("dash.optouts.resumed")}</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.date}>
                  <td>{d.date}</td><td>{formatNumber(d.line)}</td><td>{formatNumber(d.email)}</td><td>{formatNumber(d.sms)}</td>
                  <td>{formatNumber(d.all)}</td><td>{formatNumber(d.resumed)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      </div>
    </section>
  );
}
