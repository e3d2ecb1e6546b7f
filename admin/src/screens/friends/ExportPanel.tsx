/** CSV export (友だち → CSV エクスポート): a segment, chosen columns, UTF-8 with BOM (Excel) or Shift_JIS. */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { completeSegment, EMPTY_SEGMENT, SegmentBuilder, type SegmentGroup } from "../../components/SegmentBuilder";
import { useApp } from "../../context";
import { type DictKey, t } from "../../i18n";
import { href } from "../../router";
import { formatNumber } from "../settings/ui";

const BUILTIN = ["subscriber_id", "display_name", "line_user_id", "email", "phone", "tags", "inflow_route", "follow_status", "created_at", "last_interaction_at", "total_spent"];

interface ExportResult {
  export_id: string;
  rows: number;
  columns: string[];
  omitted_columns: string[];
  replaced_count: number;
  url: string | null;
}

export function ExportPanel() {
  const { api } = useApp();
  const [segment, setSegment] = useState<SegmentGroup>(() => {
    try {
      return JSON.parse(sessionStorage.getItem("haishin.friends.segment") || "null") ?? EMPTY_SEGMENT;
    } catch {
      return EMPTY_SEGMENT;
    }
  });
  const [fields, setFields] = useState<{ key: string; label: string }[]>([]);
  const [canSeeLineIds, setCanSeeLineIds] = useState(false);
  const [columns, setColumns] = useState<string[]>(BUILTIN.filter((c) => c !== "line_user_id"));
  const [encoding, setEncoding] = useState<"utf-8-sig" | "cp932">("utf-8-sig");
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.get<{ fields: { key: string; label: string }[] }>("/api/fields").then((r) => {
      setFields(r.fields);
      setColumns((c) => [...c, ...r.fields.map((f) => `field:${f.key}`)]);
    }, () => setFields([]));
    api.get<{ permissions: string[] }>("/api/me").then((m) => setCanSeeLineIds(m.permissions.includes("view_line_user_ids")), () => setCanSeeLineIds(false));
  }, []);
  const all = [...BUILTIN.filter((c) => c !== "line_user_id" || canSeeLineIds), ...fields.map((f) => `field:${f.key}`)];
  const label = (c: string) => (c.startsWith("field:") ? fields.find((f) => `field:${f.key}` === c)?.label ?? c : t(`export.col.${c}` as DictKey));
  const toggle = (c: string) => setColumns(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c]);
  const run = () => {
    setBusy(true);
    setError(null);
    setResult(null);
    api
      .post<ExportResult>("/api/exports", { definition: completeSegment(segment), columns: all.filter((c) => columns.includes(c)), encoding })
      .then((r) => (setBusy(false), setResult(r)), (e: unknown) => (setBusy(false), setError(e)));
  };
  return (
    <>
      <p style={{ marginBottom: "8px" }}><a href={href("/friends")}>← {t("friends.back")}</a></p>
      <PageHeader title={t("export.title")} lead={t("export.lead")} />
      <section class="card">
        <h2 class="card__title">{t("export.who")}</h2>
        <SegmentBuilder value={segment} onChange={setSegment} showCount />
      </section>
      <section class="card">
        <h2 class="card__title">{t("export.columns")}</h2>
        <div class="row" data-testid="export-columns">
          {all.map((c) => (
            <label key={c} class="tag" style={{ fontSize: "14px", padding: "4px 10px" }}>
              <input type="checkbox" checked={columns.includes(c)} onChange={() => toggle(c)} /> {label(c)}
            </label>
          ))}
        </div>
        {!canSeeLineIds && <p class="muted" style={{ fontSize: "13px", marginTop: "6px" }}>{t("export.noLineIds")}</p>}
        <h2 class="card__title" style={{ marginTop: "14px" }}>{t("export.encoding")}</h2>
        <div class="row">
          <label><input type="radio" name="encoding" checked={encoding === "utf-8-sig"} onChange={() => setEncoding("utf-8-sig")} /> {t("export.utf8")}</label>
          <label><input type="radio" name="encoding" checked={encoding === "cp932"} onChange={() => setEncoding("cp932")} /> {t("export.sjis")}</label>
        </div>
        <div class="row" style={{ marginTop: "14px" }}>
          <button type="button" class="btn" disabled={busy || columns.length === 0} onClick={run} data-testid="export-run">
            {busy ? t("export.running") : t("export.run")}
          </button>
        </div>
      </section>
      <ErrorNotice error={error} onRetry={run} />
      {result && (
        <section class="card card--accent" data-testid="export-result">
          <h2 class="card__title">{t("export.done", { n: formatNumber(result.rows) })}</h2>
          {result.url && <a class="btn" href={result.url} download>{t("export.download")}</a>}
          {result.omitted_columns.length > 0 && <p class="muted">{t("export.omitted", { cols: result.omitted_columns.join(", ") })}</p>}
          {result.replaced_count > 0 && <p class="notice notice--warn">{t("export.replaced", { n: result.replaced_count })}</p>}
        </section>
      )}
    </>
  );
}
