/**
 * クロス分析 (#/analysis/cross): pick two dimensions (rows and columns: tags or one tag folder, a friend field, the
 * inflow route, the month added, a scenario's step, purchases) and optionally a saved segment, count
 * (POST /api/analysis/cross), show the table as friends or as a share of the row / column / all, and download it
 * as CSV (POST /api/analysis/cross/csv, UTF-8 with BOM or Shift_JIS). Errors are shown at the field the API names
 * (`rows.kind`, `columns.scenario_id`, `segment_id`...). On a phone the table scrolls sideways with its first
 * column kept in view.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, SelectField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { ApiError } from "../../api";
import { requestBlob, saveBlob } from "../../download";
import { useApiGet } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { formatNumber } from "../settings/ui";
import "./cross.css";

export type Kind = "tag" | "field" | "route" | "month" | "scenario" | "purchase";
export const KINDS: readonly Kind[] = ["tag", "field", "route", "month", "scenario", "purchase"];

export interface Dimension {
  kind: Kind;
  folder_id?: string;
  field_key?: string;
  scenario_id?: string;
  by_product?: boolean;
}

export interface CrossTable {
  rows: { title: string; values: { key: string; label: string }[] };
  columns: { title: string; values: { key: string; label: string }[] };
  cells: number[][];
  row_totals: number[];
  column_totals: number[];
  total: number;
  friends_read: number;
  elapsed_ms: number;
  notes: string[];
}

type Show = "count" | "row" | "column" | "total";
type Encoding = "utf-8-sig" | "cp932";

interface Options {
  folders: { folder_id: string; name: string }[];
  fields: { key: string; label: string }[];
  scenarios: { id: string; name: string }[];
  segments: { segment_id: string; name: string }[];
}

/** The request body: only what the dimension's kind reads. */
export function dimensionBody(d: Dimension): Dimension {
  if (d.kind === "tag") return d.folder_id ? { kind: "tag", folder_id: d.folder_id } : { kind: "tag" };
  if (d.kind === "field") return { kind: "field", ...(d.field_key ? { field_key: d.field_key } : {}) };
  if (d.kind === "scenario") return { kind: "scenario", ...(d.scenario_id ? { scenario_id: d.scenario_id } : {}) };
  if (d.kind === "purchase") return { kind: "purchase", by_product: !!d.by_product };
  return { kind: d.kind };
}

/** A cell as shown: the count, or its share of the row / column / all friends counted (one decimal). */
export function shown(table: CrossTable, show: Show, n: number, row: number | null, column: number | null): string {
  if (show === "count") return formatNumber(n);
  const base = show === "row" ? (row === null ? table.total : table.row_totals[row]) : show === "column" ? (column === null ? table.total : table.column_totals[column]) : table.total;
  if (!base) return "—";
  return `${((n * 100) / base!).toFixed(1)}%`;
}


function DimensionPicker({ side, value, onValue, options, error }: { side: "rows" | "columns"; value: Dimension; onValue: (d: Dimension) => void; options: Options; error: (where: string) => string | undefined }) {
  const set = (patch: Partial<Dimension>) => onValue({ ...value, ...patch });
  return (
    <fieldset class="cx-dim" data-testid={`cx-${side}`}>
      <legend>{t(side === "rows" ? "cx.rows" : "cx.columns")}</legend>
      <SelectField<Kind>
        label={t("cx.kind")}
        name={`${side}.kind`}
        value={value.kind}
        onValue={(kind) => onValue({ kind })}
        options={KINDS.map((k) => [k, t(`cx.kind.${k}`)] as const)}
        error={error(`${side}.kind`)}
        testId={`cx-${side}-kind`}
      />
      {value.kind === "tag" && (
        <SelectField
          label={t("cx.folder")}
          name={`${side}.folder_id`}
          value={value.folder_id ?? ""}
          onValue={(v) => set({ folder_id: v || undefined })}
          options={[["", t("cx.folder.all")], ...options.folders.map((f) => [f.folder_id, f.name] as const)]}
          error={error(`${side}.folder_id`)}
          testId={`cx-${side}-folder`}
        />
      )}
      {value.kind === "field" && (
        <SelectField
          label={t("cx.field")}
          name={`${side}.field_key`}
          value={value.field_key ?? ""}
          onValue={(v) => set({ field_key: v || undefined })}
          options={[["", t("cx.field.pick")], ...options.fields.map((f) => [f.key, f.label] as const)]}
          error={error(`${side}.field_key`)}
          testId={`cx-${side}-field`}
        />
      )}
      {value.kind === "scenario" && (
        <SelectField
          label={t("cx.scenario")}
          name={`${side}.scenario_id`}
          value={value.scenario_id ?? ""}
          onValue={(v) => set({ scenario_id: v || undefined })}
          options={[["", t("cx.scenario.pick")], ...options.scenarios.map((s) => [s.id, s.name] as const)]}
          error={error(`${side}.scenario_id`)}
          testId={`cx-${side}-scenario`}
        />
      )}
      {value.kind === "purchase" && <CheckField label={t("cx.byProduct")} name={`${side}.by_product`} checked={!!value.by_product} onValue={(c) => set({ by_product: c })} testId={`cx-${side}-by-product`} />}
    </fieldset>
  );
}

export function CrossTableView({ table, show }: { table: CrossTable; show: Show }) {
  return (
    <div class="card table-wrap cx-wrap">
      <table class="table cx-table" data-testid="cx-table">
        <thead>
          <tr>
            <th class="cx-corner" scope="col">
              {table.rows.title} ＼ {table.columns.title}
            </th>
            {table.columns.values.map((c) => (
              <th key={c.key} class="num" scope="col">
                {c.label}
              </th>
            ))}
            <th class="num cx-total" scope="col">
              {t("cx.total")}
            </th>
          </tr>
        </thead>
        <tbody>
          {table.rows.values.map((r, i) => (
            <tr key={r.key} data-row={r.label}>
              <th scope="row">{r.label}</th>
              {table.columns.values.map((c, j) => (
                <td key={c.key} class="num" data-column={c.label} data-count={table.cells[i]![j]}>
                  {shown(table, show, table.cells[i]![j]!, i, j)}
                </td>
              ))}
              <td class="num cx-total" data-column="total" data-count={table.row_totals[i]}>
                {shown(table, show === "row" ? "row" : show, table.row_totals[i]!, i, null)}
              </td>
            </tr>
          ))}
          <tr class="cx-total" data-row="total">
            <th scope="row">{t("cx.total")}</th>
            {table.columns.values.map((c, j) => (
              <td key={c.key} class="num" data-column={c.label} data-count={table.column_totals[j]}>
                {shown(table, show === "column" ? "column" : show, table.column_totals[j]!, null, j)}
              </td>
            ))}
            <td class="num" data-column="total" data-count={table.total}>
              {shown(table, show, table.total, null, null)}
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

export default function CrossAnalysisScreen() {
  const { api, session } = useApp();
  const tags = useApiGet<{ folders: { folder_id: string; name: string }[] }>("/api/tags?counts=0");
  const fields = useApiGet<{ fields: { key: string; label: string }[] }>("/api/fields");
  const scenarios = useApiGet<{ items: { id: string; name: string }[] }>("/api/scenarios");
  const segments = useApiGet<{ segments: { segment_id: string; name: string }[] }>("/api/segments");
  const options: Options = {
    folders: tags.data?.folders ?? [],
    fields: fields.data?.fields ?? [],
    scenarios: scenarios.data?.items ?? [],
    segments: segments.data?.segments ?? [],
  };
  const [rows, setRows] = useState<Dimension>({ kind: "tag" });
  const [columns, setColumns] = useState<Dimension>({ kind: "route" });
  const [segmentId, setSegmentId] = useState("");
  const [blocked, setBlocked] = useState(false);
  const [show, setShow] = useState<Show>("count");
  const [encoding, setEncoding] = useState<Encoding>("utf-8-sig");
  const [table, setTable] = useState<CrossTable | null>(null);
  const count = useAction();
  const csv = useAction();
  const err = fieldErrors(count.error ?? csv.error);
  const body = () => ({
    rows: dimensionBody(rows),
    columns: dimensionBody(columns),
    ...(segmentId ? { segment_id: segmentId } : {}),
    include_blocked: blocked,
  });
  const run = () =>
    count.run(async () => {
      setTable(await api.post<CrossTable>("/api/analysis/cross", body()));
    });
  const download = () =>
    csv.run(async () => {
      saveBlob("cross-analysis.csv", await requestBlob(api, session.token, "POST", "/api/analysis/cross/csv", { ...body(), encoding }));
    });
  const placed = (e: unknown) => {
    const where = e instanceof ApiError ? e.where : undefined;
    return where && (where.startsWith("rows.") || where.startsWith("columns.") || where === "segment_id") ? null : e;
  };
  return (
    <div class="page cx" data-testid="cross-analysis">
      <PageHeader title={t("nav.crossAnalysis")} lead={t("screen.cross.lead")} />
      <ErrorNotice error={tags.error ?? fields.error ?? scenarios.error ?? segments.error} />
      <form
        class="card form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <div class="cx-dims">
          <DimensionPicker side="rows" value={rows} onValue={setRows} options={options} error={(w) => err.at(w, false)} />
          <DimensionPicker side="columns" value={columns} onValue={setColumns} options={options} error={(w) => err.at(w, false)} />
        </div>
        <SelectField
          label={t("cx.segment")}
          name="segment_id"
          value={segmentId}
          onValue={setSegmentId}
          options={[["", t("cx.segment.none")], ...options.segments.map((s) => [s.segment_id, s.name] as const)]}
          error={err.at("segment_id", false)}
          testId="cx-segment"
        />
        <CheckField label={t("cx.blocked")} name="include_blocked" checked={blocked} onValue={setBlocked} testId="cx-blocked" />
        <div class="row">
          <button type="submit" class="btn btn--primary" disabled={count.busy} data-testid="cx-run">
            {count.busy ? t("cx.running") : t("cx.run")}
          </button>
        </div>
        <ErrorNotice error={placed(count.error)} />
      </form>
      {table ? (
        <section class="cx-result" data-testid="cx-result">
          <div class="cx-tools">
            <SelectField<Show> label={t("cx.show")} name="show" value={show} onValue={setShow} options={(["count", "row", "column", "total"] as const).map((s) => [s, t(`cx.show.${s}`)] as const)} narrow testId="cx-show" />
            <SelectField<Encoding> label={t("cx.encoding")} name="encoding" value={encoding} onValue={setEncoding} options={[["utf-8-sig", t("cx.encoding.utf8")], ["cp932", t("cx.encoding.sjis")]]} narrow testId="cx-encoding" />
            <button type="button" class="btn" disabled={csv.busy} onClick={() => void download()} data-testid="cx-csv">
              {t("cx.csv")}
            </button>
          </div>
          <ErrorNotice error={placed(csv.error)} />
          <p class="muted" data-testid="cx-summary">
            {t("cx.summary", { n: formatNumber(table.friends_read), ms: formatNumber(table.elapsed_ms) })}
          </p>
          <CrossTableView table={table} show={show} />
          <p class="muted cx-note">{t("cx.note.totals")}</p>
          {table.notes.map((n) => (
            <p key={n} class="muted cx-note" data-testid="cx-note">
              {n}
            </p>
          ))}
        </section>
      ) : (
        <p class="muted" data-testid="cx-empty">
          {t("cx.empty")}
        </p>
      )}
    </div>
  );
}
