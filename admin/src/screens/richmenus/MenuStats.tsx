/**
 * A rich menu's tap analytics (#/rich-menus/<id>/stats): taps and unique friends per area for a date range, as a
 * table and on the menu image (each area shows its count), the totals, and LINE's own rich menu insight when LINE
 * has one (it has none for small audiences or recent days: a note says so).
 */
import { useState } from "preact/hooks";
import { TextField } from "../../components/Field";
import { Loaded, useApiGet } from "../../components/ResourceScreen";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { Table } from "../../components/Table";
import { t } from "../../i18n";
import { href } from "../../router";
import { formatNumber } from "../settings/ui";
import { AreaCanvas } from "./AreaCanvas";
import { useStoredImage } from "./image";
import type { MenuStats, RichMenu } from "./model";

function Insight({ insight }: { insight: Record<string, unknown> | null }) {
  if (!insight)
    return (
      <p class="muted" data-testid="rm-insight-none">
        {t("rm.stats.insight.none")}
      </p>
    );
  return (
    <dl class="facts" data-testid="rm-insight">
      {Object.entries(insight).map(([k, val]) => (
        <>
          <dt key={`k${k}`}>{k}</dt>
          <dd key={`v${k}`}>{typeof val === "number" ? formatNumber(val) : typeof val === "object" ? JSON.stringify(val) : String(val)}</dd>
        </>
      ))}
    </dl>
  );
}

/** A count, or "—" for what is not counted here (a message area, an untracked URL: LINE's insight has those). */
function measured(n: number, isMeasured: boolean | undefined) {
  if (isMeasured === false)
    return (
      <span class="muted" title={t("rm.stats.notMeasured")} data-testid="rm-not-measured">
        —
      </span>
    );
  return formatNumber(n);
}

export function StatsView({ menu }: { menu: RichMenu }) {
  // no range of our own at first: the API answers for the last 30 Japan days by the system's clock (which tests and
  // the local system can move), and the date inputs start from the range it used
  const [chosen, setRange] = useState<{ since: string; until: string } | null>(null);
  const query = chosen ? `?since=${chosen.since}&until=${chosen.until}` : "";
  const stats = useApiGet<MenuStats>(`/api/rich-menus/${menu.id}/stats${query}`, [query]);
  const image = useStoredImage(menu.id, !!menu.image, menu.updated_at);
  const s = stats.data;
  const range = chosen ?? { since: s?.since ?? "", until: s?.until ?? "" };
  const byIndex = new Map((s?.areas ?? []).map((a) => [a.index, a]));
  return (
    <>
      <PageHeader title={t("rm.stats.title", { name: menu.name })}>
        <a class="btn btn--ghost" href={href(`/rich-menus/${menu.id}`)}>
          {t("rm.stats.back")}
        </a>
      </PageHeader>
      <section class="card form">
        <div class="row">
          <TextField type={"date" as "text"} label={t("rm.stats.since")} name="since" value={range.since} onValue={(x) => x && setRange({ ...range, since: x })} />
          <TextField type={"date" as "text"} label={t("rm.stats.until")} name="until" value={range.until} onValue={(x) => x && setRange({ ...range, until: x })} />
        </div>
        <ErrorNotice error={stats.error} onRetry={() => (stats.setError(null), stats.reload())} />
        {!s && !stats.error && <p class="muted">{t("app.loading")}</p>}
        {s && (
          <>
            <div class="stats">
              <div class="stat">
                <div class="stat__label">{t("rm.stats.total")}</div>
                <div class="stat__value" data-testid="rm-stats-total">
                  {formatNumber(s.total)}
                </div>
              </div>
              <div class="stat">
                <div class="stat__label">{t("rm.stats.unique")}</div>
                <div class="stat__value" data-testid="rm-stats-unique">
                  {formatNumber(s.unique)}
                </div>
              </div>
            </div>
            <div class="rm-stats-board">
              <AreaCanvas size={menu.size} image={image} areas={menu.areas} selected={null} onChange={null} counts={menu.areas.map((_, i) => (byIndex.get(i)?.taps_measured === false ? "—" : formatNumber(byIndex.get(i)?.taps ?? 0)))} />
            </div>
            <div class="scroll-x">
              <Table bare testId="rm-stats-table" columns={[t("rm.stats.area"), t("rm.area.label"), { label: t("rm.stats.taps"), num: true }, { label: t("rm.stats.uniqueCol"), num: true }]}>
                {menu.areas.map((a, i) => {
                  const row = byIndex.get(i);
                  return (
                    <tr key={i} data-testid="rm-stats-row">
                      <td class="rm-nowrap">{t("rm.area.n", { n: i + 1 })}</td>
                      <td>{row?.label || a.label}</td>
                      <td class="num">{measured(row?.taps ?? 0, row?.taps_measured)}</td>
                      <td class="num">{measured(row?.unique ?? 0, row?.unique_measured)}</td>
                    </tr>
                  );
                })}
              </Table>
            </div>
            <h2 class="card__title">{t("rm.stats.insight")}</h2>
            <Insight insight={s.line_insight} />
            {!s.line_insight && s.line_insight_note && (
              <p class="muted" data-testid="rm-insight-note">
                {s.line_insight_note}
              </p>
            )}
          </>
        )}
      </section>
    </>
  );
}

export function MenuStatsScreen({ id }: { id: string }) {
  return <Loaded<RichMenu> path={`/api/rich-menus/${id}`}>{(m) => <StatsView menu={{ ...m!, id: m!.id ?? id }} />}</Loaded>;
}
