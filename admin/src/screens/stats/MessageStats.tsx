/**
 * Message statistics, shared by the screens marketers look at after sending (issue 19):
 * - `BroadcastStats`: a sent broadcast's delivered, clicks, friends who clicked and the click rate ("URL クリックで
 *   測る開封率"; GET /api/broadcasts/{id}/clicks; per A/B variant the A/B results show them), then LINE's own
 *   statistics per unit (per variant for an A/B test).
 * - `ScenarioStepStats`: clicks and friends who clicked per step (GET /api/scenarios/{id}/clicks) with LINE's opens
 *   and taps per step (GET /api/scenarios/{id}/line-stats).
 * - `AutoReplyClicks`, `RouteClicks`: clicks and friends who clicked of one auto-reply or one inflow route.
 * - `LineUnitStats`: LINE's opens and URL taps per aggregation unit, with LINE's rule said plainly: below 20 friends
 *   LINE returns nothing (the API's `note`).
 * `children` of `BroadcastStats` is the place for conversions (built elsewhere).
 */
import type { ComponentChildren } from "preact";
import { ErrorNotice } from "../../components/ErrorNotice";
import { type Loadable, useApiGet } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { t } from "../../i18n";
import { fmtNumber } from "../scenarios/shared";

export interface BroadcastClicks {
  broadcast_id: string;
  clicks: number;
  unique_clicks: number;
  delivered: number;
  click_rate: number | null;
  variants: { variant: number; clicks: number; unique_clicks: number; delivered: number | null; click_rate: number | null }[];
}

export interface LineUnit {
  label: string;
  unit: string;
  unique_impressions?: number | null;
  unique_clicks?: number | null;
  hidden?: boolean;
  error?: string;
}

export interface LineStats {
  from?: string;
  to?: string;
  units: LineUnit[];
  note: string | null;
  units_used_this_month?: number | null;
  monthly_unit_limit?: number;
}

export interface ScenarioClicks {
  scenario_id: string;
  steps: { step_id: string; clicks: number; unique_clicks: number }[];
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
}

function lineValue(u: LineUnit | undefined, key: "unique_impressions" | "unique_clicks") {
  if (!u || u.error) return "—";
  const v = u[key];
  return v === null || v === undefined ? <span class="muted" data-testid="line-hidden">{t("st.line.hidden")}</span> : fmtNumber(v);
}

function Stat({ label, value, testId, help }: { label: string; value: string; testId: string; help?: string }) {
  return (
    <div class="stat" data-testid={testId} title={help}>
      <div class="stat__label">{label}</div>
      <div class="stat__value">{value}</div>
    </div>
  );
}

export function BroadcastStats({ id, children }: { id: string; children?: ComponentChildren }) {
  const clicks = useApiGet<BroadcastClicks>(`/api/broadcasts/${id}/clicks`);
  const line = useApiGet<LineStats>(`/api/broadcasts/${id}/line-stats`);
  const c = clicks.data;
  return (
    <section class="card form" data-testid="broadcast-stats">
      <h2 class="card__title">{t("st.title")}</h2>
      <ErrorNotice error={clicks.error} onRetry={() => (clicks.setError(null), clicks.reload())} />
      {!c && !clicks.error && <p class="muted">{t("app.loading")}</p>}
      {c && (
        <>
          <div class="stats">
            <Stat label={t("st.delivered")} value={fmtNumber(c.delivered)} testId="stats-delivered" />
            <Stat label={t("st.clicks")} value={fmtNumber(c.clicks)} testId="stats-clicks" />
            <Stat label={t("st.unique")} value={fmtNumber(c.unique_clicks)} testId="stats-unique" />
            <Stat label={t("st.rate")} value={pct(c.click_rate)} testId="stats-rate" help={t("st.rate.help")} />
          </div>
          <p class="field__hint">{t("st.rate.help")}</p>
        </>
      )}
      <LineUnitStats stats={line} />
      {children}
    </section>
  );
}

/** LINE's opens and URL taps per aggregation unit, and LINE's below-20 rule in words. */
export function LineUnitStats({ stats: s }: { stats: Loadable<LineStats> }) {
  if (s.error) return <ErrorNotice error={s.error} onRetry={() => (s.setError(null), s.reload())} />;
  if (!s.data) return <p class="muted">{t("app.loading")}</p>;
  const d = s.data;
  return (
    <div class="form" data-testid="line-stats">
      <h3 class="card__title">{t("st.line.title")}</h3>
      {d.from && d.to && <p class="muted">{t("st.line.lead", { from: d.from, to: d.to })}</p>}
      {d.note && (
        <p class="notice notice--info" data-testid="line-stats-note">
          {d.note}
        </p>
      )}
      {d.units.length === 0 && !d.note && <p class="muted">{t("st.line.empty")}</p>}
      {d.units.length > 0 && (
        <div class="scroll-x">
          <Table bare testId="line-stats-table" columns={[t("st.line.unit"), { label: t("st.line.opened"), num: true }, { label: t("st.line.tapped"), num: true }]}>
            {d.units.map((u) => (
              <tr key={u.unit} data-testid="line-stats-row" data-unit={u.unit}>
                <td>
                  {u.label ? t("st.variant", { label: u.label }) : t("st.line.all")}
                  {u.error && <div class="field__error">{u.error}</div>}
                </td>
                <td class="num">{lineValue(u, "unique_impressions")}</td>
                <td class="num">{lineValue(u, "unique_clicks")}</td>
              </tr>
            ))}
          </Table>
        </div>
      )}
      {d.units_used_this_month !== null && d.units_used_this_month !== undefined && (
        <p class="field__hint" data-testid="line-stats-usage">
          {t("st.line.usage", { n: d.units_used_this_month, limit: d.monthly_unit_limit ?? 1000 })}
        </p>
      )}
    </div>
  );
}

/** Per step of a scenario: clicks, friends who clicked, and LINE's opens and taps. `names`: step ID -> label. */
export function ScenarioStepStats({ id, names }: { id: string; names?: Record<string, string> }) {
  const clicks = useApiGet<ScenarioClicks>(`/api/scenarios/${id}/clicks`);
  const line = useApiGet<LineStats>(`/api/scenarios/${id}/line-stats`);
  const byStep = new Map((line.data?.units ?? []).map((u) => [u.label, u]));
  return (
    <section class="card form" data-testid="scenario-stats">
      <h2 class="card__title">{t("st.scenario.title")}</h2>
      <ErrorNotice error={clicks.error} onRetry={() => (clicks.setError(null), clicks.reload())} />
      {!clicks.data && !clicks.error && <p class="muted">{t("app.loading")}</p>}
      {clicks.data && (
        <div class="scroll-x">
          <Table bare testId="scenario-stats-table" columns={[t("st.col.step"), { label: t("st.clicks"), num: true }, { label: t("st.unique"), num: true }, { label: t("st.line.opened"), num: true }, { label: t("st.line.tapped"), num: true }]}>
            {clicks.data.steps.map((s, i) => (
              <tr key={s.step_id} data-testid="scenario-stats-row" data-step={s.step_id}>
                <td>{names?.[s.step_id] || `${i + 1}. ${s.step_id}`}</td>
                <td class="num">{fmtNumber(s.clicks)}</td>
                <td class="num">{fmtNumber(s.unique_clicks)}</td>
                <td class="num">{lineValue(byStep.get(s.step_id), "unique_impressions")}</td>
                <td class="num">{lineValue(byStep.get(s.step_id), "unique_clicks")}</td>
              </tr>
            ))}
          </Table>
        </div>
      )}
      {line.data?.note && (
        <p class="notice notice--info" data-testid="line-stats-note">
          {line.data.note}
        </p>
      )}
      <ErrorNotice error={line.error} />
    </section>
  );
}

interface Clicks {
  clicks: number;
  unique_clicks: number;
}

/** Clicks on the URLs of one auto-reply's replies. */
export function AutoReplyClicks({ id }: { id: string }) {
  const s = useApiGet<Clicks>(`/api/auto-replies/${id}/clicks`);
  return <SourceClicks s={s} title={t("st.autoreply.title")} testId="autoreply-clicks" />;
}

/** Clicks by the friends who came through one inflow route (the route's name is on the friend). */
export function RouteClicks({ name }: { name: string }) {
  const s = useApiGet<Clicks>(`/api/clicks/by-route?route=${encodeURIComponent(name)}`);
  return <SourceClicks s={s} title={t("st.route.title")} testId="route-clicks" />;
}

function SourceClicks({ s, title, testId }: { s: Loadable<Clicks>; title: string; testId: string }) {
  return (
    <section class="card form" data-testid={testId}>
      <h2 class="card__title">{title}</h2>
      <ErrorNotice error={s.error} onRetry={() => (s.setError(null), s.reload())} />
      {s.data && (
        <div class="stats">
          <Stat label={t("st.clicks")} value={fmtNumber(s.data.clicks)} testId={`${testId}-clicks`} />
          <Stat label={t("st.unique")} value={fmtNumber(s.data.unique_clicks)} testId={`${testId}-unique`} />
        </div>
      )}
    </section>
  );
}
