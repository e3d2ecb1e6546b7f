/**
 * CV ポイント (conversion points): the list with each point's conversions and revenue, a point's editor (name, what
 * counts: a purchase, a form answer, a tag added, or a hit on the point's URL / an API call; the attribution window;
 * a fixed value), and on a saved point its URL and pixel snippet to copy, its totals, the breakdown by the source
 * it is attributed to (last click, last message, inflow route) and its recent conversions.
 * Routes: #/conversions, #/conversions/new, #/conversions/<code>.
 */
import { CardList } from "../../components/CardList";
import { FieldError, RadioField, SelectField, TextField } from "../../components/Field";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { CopyButton, formatNumber } from "../settings/ui";

export type Kind = "purchase" | "form" | "tag" | "url";

export interface Totals {
  conversions: number;
  unique_conversions: number;
  revenue: number;
}

export interface Source {
  kind: "broadcast" | "scenario" | "autoreply" | "route" | "unknown";
  id: string;
  sub: string | null;
}

export interface ConversionPoint extends Partial<Totals> {
  code: string;
  name: string;
  kind: Kind;
  form_id: string | null;
  tag_id: string | null;
  product_id: string | null;
  window_days: number;
  value: number | null;
  url: string;
  snippet: string;
  breakdown?: ({ attribution: "click" | "message" | "route"; source: Source } & Totals)[];
  recent?: { subscriber_id: string; value: number; cause: string; at: string; attribution: Record<string, string> }[];
}

const POINTS: ResourceKind = { path: "/conversions", title: "nav.conversions", lead: "screen.conversions.lead", newLabel: "cv.new", testId: "cv" };
const KINDS: readonly Kind[] = ["url", "purchase", "form", "tag"];

export function yen(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : `¥${formatNumber(n)}`;
}

/** A source as the marketer reads it: "一斉配信 b_1 (パターン B)", "シナリオ sc_1 / ステップ day-2"... */
export function sourceLabel(s: Source): string {
  if (s.kind === "broadcast") return t("cv.src.broadcast", { id: s.id }) + (s.sub !== null ? ` (${t("ab.variant", { label: "ABCD"[Number(s.sub)] ?? s.sub })})` : "");
  if (s.kind === "scenario") return t("cv.src.scenario", { id: s.id, step: s.sub ?? "" });
  if (s.kind === "autoreply") return t("cv.src.autoreply", { id: s.id });
  if (s.kind === "route") return t("cv.src.route", { id: s.id });
  return s.id;
}

function sourceHref(s: Source): string | null {
  if (s.kind === "broadcast") return href(`/broadcasts/${s.id}`);
  if (s.kind === "scenario") return href(`/scenarios/${s.id}`);
  if (s.kind === "autoreply") return href(`/auto-replies/${s.id}`);
  return null;
}

function PointList() {
  const list = useApiList<ConversionPoint>("/api/conversion-points");
  return (
    <ListScreen kind={POINTS} list={list} empty={t("cv.empty")}>
      {(rows) => (
        <CardList rows={rows} testId="cv-list" keyOf={(r) => r.code}>
          {(r) => (
            <div class="list-card" data-testid="cv-row" data-code={r.code}>
              <a class="list-card__title" href={href(`/conversions/${r.code}`)}>
                {r.name}
              </a>
              <span class="list-card__meta">{t(`cv.kind.${r.kind}`)}</span>
              <span class="list-card__meta" data-testid="cv-row-totals">
                {t("cv.totals", { n: formatNumber(r.conversions ?? 0), revenue: yen(r.revenue ?? 0) })}
              </span>
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

function PointPanel({ point }: { point: ConversionPoint }) {
  const breakdown = point.breakdown ?? [];
  return (
    <section class="card form" data-testid="cv-panel">
      <div class="stats">
        <div class="stat">
          <div class="stat__label">{t("cv.stat.conversions")}</div>
          <div class="stat__value" data-testid="cv-conversions">{formatNumber(point.conversions ?? 0)}</div>
        </div>
        <div class="stat">
          <div class="stat__label">{t("cv.stat.unique")}</div>
          <div class="stat__value" data-testid="cv-unique">{formatNumber(point.unique_conversions ?? 0)}</div>
        </div>
        <div class="stat">
          <div class="stat__label">{t("cv.stat.revenue")}</div>
          <div class="stat__value" data-testid="cv-revenue">{yen(point.revenue ?? 0)}</div>
        </div>
      </div>
      {point.kind === "url" && (
        <>
          <div class="field">
            <span class="field__label">{t("cv.url")}</span>
            <p class="row" style={{ overflowWrap: "anywhere" }}>
              <code data-testid="cv-url">{point.url}</code> <CopyButton text={point.url} testId="cv-url-copy" />
            </p>
          </div>
          <div class="field">
            <span class="field__label">{t("cv.snippet")}</span>
            <p class="row" style={{ overflowWrap: "anywhere" }}>
              <code data-testid="cv-snippet">{point.snippet}</code> <CopyButton text={point.snippet} testId="cv-snippet-copy" />
            </p>
            <p class="muted">{t("cv.snippet.help")}</p>
          </div>
        </>
      )}
      <h2 class="card__title">{t("cv.breakdown")}</h2>
      {breakdown.length === 0 ? (
        <p class="muted" data-testid="cv-breakdown-empty">{t("cv.breakdown.empty")}</p>
      ) : (
        <div class="scroll-x">
          <Table bare testId="cv-breakdown" columns={[t("cv.col.attribution"), t("cv.col.source"), { label: t("cv.col.conversions"), num: true }, { label: t("cv.col.unique"), num: true }, { label: t("cv.col.revenue"), num: true }]}>
            {breakdown.map((b) => {
              const link = sourceHref(b.source);
              return (
                <tr key={`${b.attribution}:${b.source.kind}:${b.source.id}:${b.source.sub ?? ""}`} data-testid="cv-breakdown-row" data-attribution={b.attribution} data-source-kind={b.source.kind} data-source-id={b.source.id}>
                  <td>{t(`cv.attr.${b.attribution}`)}</td>
                  <td>{link ? <a href={link}>{sourceLabel(b.source)}</a> : sourceLabel(b.source)}</td>
                  <td class="num">{formatNumber(b.conversions)}</td>
                  <td class="num">{formatNumber(b.unique_conversions)}</td>
                  <td class="num">{yen(b.revenue)}</td>
                </tr>
              );
            })}
          </Table>
        </div>
      )}
      {(point.recent ?? []).length > 0 && (
        <>
          <h2 class="card__title">{t("cv.recent")}</h2>
          <div class="scroll-x">
          <Table bare testId="cv-recent" columns={[t("cv.col.at"), t("cv.col.friend"), { label: t("cv.col.revenue"), num: true }]}>
            {(point.recent ?? []).map((r) => (
              <tr key={`${r.at}:${r.subscriber_id}`} data-testid="cv-recent-row">
                <td>{new Date(r.at).toLocaleString()}</td>
                <td><a href={href(`/friends/${r.subscriber_id}`)}>{r.subscriber_id}</a></td>
                <td class="num">{yen(r.value)}</td>
              </tr>
            ))}
          </Table>
          </div>
        </>
      )}
    </section>
  );
}

interface Values {
  name: string;
  kind: Kind;
  form_id: string;
  tag_id: string;
  window_days: string;
  value: string;
}

/** The API body from the form (fields that do not apply to the kind are left out). */
export function bodyOf(v: Values): Record<string, unknown> {
  const days = Number(v.window_days);
  const body: Record<string, unknown> = { name: v.name, kind: v.kind, window_days: v.window_days.trim() && Number.isInteger(days) ? days : v.window_days };
  if (v.kind === "form" && v.form_id) body.form_id = v.form_id;
  if (v.kind === "tag") body.tag_id = v.tag_id || null;
  if (v.kind !== "purchase" && v.value.trim()) body.value = Number.isInteger(Number(v.value)) ? Number(v.value) : v.value;
  return body;
}

function PointForm({ code, initial }: { code: string | null; initial: ConversionPoint | null }) {
  const { api } = useApp();
  const form = useForm<Values>(
    {
      name: initial?.name ?? "",
      kind: initial?.kind ?? "url",
      form_id: initial?.form_id ?? "",
      tag_id: initial?.tag_id ?? "",
      window_days: String(initial?.window_days ?? 7),
      value: initial?.value === null || initial?.value === undefined ? "" : String(initial.value),
    },
    `cv.${code ?? "new"}`,
  );
  const v = form.values;
  const forms = useApiList<{ form_id: string; definition: { name: string } }>(v.kind === "form" ? "/api/forms" : "");
  const tags = useApiGet<{ tags: { tag_id: string; name: string }[] }>(v.kind === "tag" ? "/api/tags?counts=0" : null, [v.kind]);
  const err = fieldErrors(form.error);
  const save = (vals: Values) => (code ? api.put<ConversionPoint>(`/api/conversion-points/${code}`, bodyOf(vals)) : api.post<ConversionPoint>("/api/conversion-points", bodyOf(vals)));
  const remove = code
    ? { label: t("cv.delete"), question: t("cv.delete.confirm"), run: () => api.delete(`/api/conversion-points/${code}`), testId: "cv-delete" }
    : undefined;
  return (
    <EditorShell kind={POINTS} id={code} name={v.name} form={form} save={save} remove={remove} onSaved={(p) => navigate(code ? POINTS.path : `/conversions/${p.code}`, true)}>
      {initial && <PointPanel point={initial} />}
      <section class="card form">
        <TextField label={t("cv.name")} name="name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
        <RadioField label={t("cv.kind")} name="kind" value={v.kind} options={KINDS.map((k) => [k, t(`cv.kind.${k}`)] as [Kind, string])} onValue={(x) => form.set("kind", x)} />
        <FieldError text={err.at("kind")} name="kind" />
        <p class="muted">{t(`cv.kind.${v.kind}.help`)}</p>
        {v.kind === "form" && (
          <SelectField
            label={t("cv.form")}
            name="form_id"
            value={v.form_id}
            error={err.at("form_id")}
            options={[["", t("cv.form.any")] as [string, string], ...(forms.rows ?? []).map((f) => [f.form_id, f.definition.name] as [string, string])]}
            onValue={(x) => form.set("form_id", x)}
          />
        )}
        {v.kind === "tag" && (
          <SelectField
            label={t("cv.tag")}
            name="tag_id"
            value={v.tag_id}
            error={err.at("tag_id")}
            options={[["", t("cv.tag.choose")] as [string, string], ...(tags.data?.tags ?? []).map((x) => [x.tag_id, x.name] as [string, string])]}
            onValue={(x) => form.set("tag_id", x)}
          />
        )}
        <TextField narrow type="number" min={1} max={90} label={t("cv.window")} name="window_days" value={v.window_days} error={err.at("window_days")} onValue={(x) => form.set("window_days", x)} />
        {v.kind !== "purchase" && (
          <TextField narrow type="number" min={0} label={t("cv.value")} name="value" value={v.value} error={err.at("value")} onValue={(x) => form.set("value", x)} />
        )}
      </section>
    </EditorShell>
  );
}

function PointEditor({ code }: { code: string | null }) {
  return <Loaded<ConversionPoint> path={code ? `/api/conversion-points/${code}` : null}>{(p) => <PointForm code={code} initial={p} />}</Loaded>;
}

export default function ConversionsScreen() {
  const code = useRoute().path.replace(/^\/conversions\/?/, "").split("/")[0];
  return code ? <PointEditor key={code} code={code === "new" ? null : code} /> : <PointList />;
}
