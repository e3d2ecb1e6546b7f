/**
 * CSV import (友だち → CSV インポート): upload (UTF-8 or Shift_JIS, sent as bytes; over INLINE_MAX via a presigned S3 PUT), column mapping, a dry-run preview,
 * the run in slices (POST /start again while it answers "paused") with a progress bar, and the per-row error report.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../api";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { href } from "../../router";
import { formatNumber, Progress } from "../settings/ui";
import { ErrorTable, type ImportJob, type RowError } from "./ImportHistory";

interface Job extends ImportJob {
  encoding: string;
  header: string[];
  options: Options | null;
}
interface Options {
  mapping: Record<string, string>;
  dedupe_by: "auto" | "line_user_id" | "email" | "phone";
  on_duplicate: "update" | "skip";
  empty_values: "keep" | "clear";
  tags_mode: "add" | "replace";
  create_missing_tags: boolean;
  channel_id?: string | null;
}
interface PreviewRow {
  line: number;
  cells: Record<string, string>;
  action: string;
  errors: RowError[];
}
interface Preview {
  total: number;
  encoding: string;
  mapping: Record<string, string>;
  rows: PreviewRow[];
}

/**
 * Files up to 4 MB go inline as base64 in POST /api/imports (base64 adds a third: ~5.4 MB, under the 6 MB Lambda
 * request limit); bigger ones through POST /api/imports/upload-url and a PUT straight to S3.
 */
export const INLINE_MAX = 4 * 1024 * 1024;

const DEFAULT_OPTIONS: Options = { mapping: {}, dedupe_by: "auto", on_duplicate: "update", empty_values: "keep", tags_mode: "add", create_missing_tags: true };
const TARGETS = ["display_name", "email", "phone", "line_user_id", "inflow_route", "tags", "subscriber_id", "ignore"] as const;

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function ImportPanel() {
  const { api } = useApp();
  const [job, setJob] = useState<Job | null>(null);
  const [options, setOptions] = useState<Options>(DEFAULT_OPTIONS);
  const [fields, setFields] = useState<{ key: string; label: string }[]>([]);
  const [channels, setChannels] = useState<{ channel_id: string; name: string | null }[]>([]);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [errors, setErrors] = useState<RowError[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"" | "upload" | "preview" | "run">("");

  useEffect(() => {
    api.get<{ fields: { key: string; label: string }[] }>("/api/fields").then((r) => setFields(r.fields), () => setFields([]));
    api.get<{ channels: { channel_id: string; name: string | null }[] }>("/api/channels").then((r) => setChannels(r.channels), () => setChannels([]));
  }, []);

  const upload = async (file: File) => {
    setBusy("upload");
    setError(null);
    setPreview(null);
    setErrors(null);
    try {
      const j = file.size > INLINE_MAX ? await uploadViaS3(file) : await api.post<Job>("/api/imports", { filename: file.name, base64: toBase64(await file.arrayBuffer()) });
      setJob(j);
      setOptions({ ...DEFAULT_OPTIONS, ...(j.options ?? {}) });
    } catch (e) {
      setError(e);
    } finally {
      setBusy("");
    }
  };

  /** A big file goes straight to S3 (a presigned PUT), then the job is made from its key. */
  const uploadViaS3 = async (file: File): Promise<Job> => {
    const target = await api.post<{ upload_url: string; s3_key: string }>("/api/imports/upload-url", {});
    const put = await fetch(target.upload_url, { method: "PUT", body: file, headers: { "content-type": "text/csv" } });
    if (!put.ok) throw new ApiError({ status: put.status, code: "upload_failed", message: t("imp.uploadFailed"), where: "file" });
    return api.post<Job>("/api/imports", { filename: file.name, s3_key: target.s3_key });
  };

  const saveOptions = async (): Promise<boolean> => {
    if (!job) return false;
    try {
      const j = await api.put<Job>(`/api/imports/${job.import_id}/options`, options);
      setJob(j);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };

  const dryRun = async () => {
    if (!job) return;
    setBusy("preview");
    setError(null);
    if (await saveOptions()) {
      try {
        setPreview(await api.get<Preview>(`/api/imports/${job.import_id}/preview`, { query: { rows: 20 } }));
      } catch (e) {
        setError(e);
      }
    }
    setBusy("");
  };

  const run = async () => {
    if (!job) return;
    setBusy("run");
    setError(null);
    try {
      if (job.status === "uploaded" && !(await saveOptions())) return;
      let j = job;
      for (let round = 0; round < 10_000; round++) {
        j = await api.post<Job>(`/api/imports/${job.import_id}/start`);
        setJob(j);
        if (j.status === "completed" || j.status === "failed") break;
        if (j.status === "running") await sleep(2000); // another tab is running it: wait, then resume
      }
      if (j.errors > 0) {
        const r = await api.get<{ errors: RowError[] }>(`/api/imports/${job.import_id}/errors`, { query: { limit: 1000 } });
        setErrors(r.errors);
      } else setErrors([]);
    } catch (e) {
      setError(e); // the job keeps its committed progress: "resume" calls start again
    } finally {
      setBusy("");
    }
  };

  const started = job && job.status !== "uploaded";
  const setMap = (col: string, target: string) => {
    const mapping = { ...options.mapping };
    if (target) mapping[col] = target;
    else delete mapping[col];
    setOptions({ ...options, mapping });
    setPreview(null);
  };

  return (
    <>
      <p style={{ marginBottom: "8px" }}><a href={href("/friends")}>← {t("friends.back")}</a></p>
      <PageHeader title={t("import.title")} lead={t("import.lead")}>
        <a class="btn btn--ghost" href={href("/friends/imports")} data-testid="go-import-history">{t("imp.history")}</a>
      </PageHeader>
      <section class="card">
        <h2 class="card__title">1. {t("import.step.file")}</h2>
        <p class="muted" style={{ marginBottom: "8px" }}>{t("import.file.hint")}</p>
        <input type="file" accept=".csv,text/csv" name="file" data-testid="import-file" disabled={!!busy}
          onChange={(e) => {
            const f = (e.target as HTMLInputElement).files?.[0];
            if (f) void upload(f);
          }} />
        {busy === "upload" && <p class="muted">{t("import.uploading")}</p>}
        {job && (
          <p style={{ marginTop: "8px" }} data-testid="import-file-info">
            {t("import.file.info", { name: job.filename ?? "", encoding: job.encoding, total: formatNumber(job.total) })}
          </p>
        )}
      </section>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />

      {job && !started && (
        <section class="card" data-testid="import-mapping">
          <h2 class="card__title">2. {t("import.step.map")}</h2>
          <div class="table-wrap">
            <table class="table table--cards">
              <thead><tr><th>{t("import.map.column")}</th><th>{t("import.map.target")}</th></tr></thead>
              <tbody>
                {job.header.map((col) => (
                  <tr key={col}>
                    <td><strong>{col}</strong>{preview?.mapping[col] && <div class="muted" style={{ fontSize: "12px" }}>→ {preview.mapping[col]}</div>}</td>
                    <td>
                      <select aria-label={col} value={options.mapping[col] ?? ""} onChange={(e) => setMap(col, (e.target as HTMLSelectElement).value)}
                        style={{ minHeight: "36px", font: "inherit", maxWidth: "100%" }}>
                        <option value="">{t("import.map.auto")}</option>
                        {TARGETS.map((x) => <option key={x} value={x}>{t(`import.target.${x}` as never)}</option>)}
                        {fields.map((f) => <option key={f.key} value={`field:${f.key}`}>{t("import.target.field", { label: f.label })}</option>)}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="grid2" style={{ marginTop: "12px" }}>
            <label class="field">
              <span class="field__label">{t("import.opt.duplicate")}</span>
              <select name="on_duplicate" value={options.on_duplicate} onChange={(e) => setOptions({ ...options, on_duplicate: (e.target as HTMLSelectElement).value as Options["on_duplicate"] })}>
                <option value="update">{t("import.opt.update")}</option>
                <option value="skip">{t("import.opt.skip")}</option>
              </select>
            </label>
            <label class="field">
              <span class="field__label">{t("import.opt.empty")}</span>
              <select name="empty_values" value={options.empty_values} onChange={(e) => setOptions({ ...options, empty_values: (e.target as HTMLSelectElement).value as Options["empty_values"] })}>
                <option value="keep">{t("import.opt.keep")}</option>
                <option value="clear">{t("import.opt.clear")}</option>
              </select>
            </label>
            <label class="field">
              <span class="field__label">{t("import.opt.tags")}</span>
              <select name="tags_mode" value={options.tags_mode} onChange={(e) => setOptions({ ...options, tags_mode: (e.target as HTMLSelectElement).value as Options["tags_mode"] })}>
                <option value="add">{t("import.opt.tagsAdd")}</option>
                <option value="replace">{t("import.opt.tagsReplace")}</option>
              </select>
            </label>
            {channels.length > 0 && (
              <label class="field">
                <span class="field__label">{t("import.opt.channel")}</span>
                <select name="channel_id" value={options.channel_id ?? ""} onChange={(e) => setOptions({ ...options, channel_id: (e.target as HTMLSelectElement).value || null })}>
                  <option value="">—</option>
                  {channels.map((c) => <option key={c.channel_id} value={c.channel_id}>{c.name || c.channel_id}</option>)}
                </select>
              </label>
            )}
          </div>
          <div class="row" style={{ marginTop: "12px" }}>
            <button type="button" class="btn btn--ghost" disabled={!!busy} onClick={dryRun} data-testid="import-preview">
              {busy === "preview" ? t("import.previewing") : t("import.preview")}
            </button>
            <button type="button" class="btn" disabled={!!busy} onClick={run} data-testid="import-run">{t("import.run")}</button>
          </div>
        </section>
      )}

      {preview && !started && (
        <section class="card" data-testid="import-preview-result">
          <h2 class="card__title">{t("import.preview.title", { n: preview.rows.length, total: formatNumber(preview.total) })}</h2>
          <div class="table-wrap">
            <table class="table table--cards">
              <thead><tr><th>{t("import.err.line")}</th><th>{t("import.preview.action")}</th>{job!.header.slice(0, 4).map((h) => <th key={h}>{h}</th>)}<th>{t("import.err.reason")}</th></tr></thead>
              <tbody>
                {preview.rows.map((r) => (
                  <tr key={r.line}>
                    <td data-label={t("import.err.line")}>{r.line}</td>
                    <td data-label={t("import.preview.action")}>
                      <span class={`badge ${r.action === "error" ? "badge--bad" : r.action === "create" ? "badge--ok" : ""}`}>{t(`import.action.${r.action}` as never) || r.action}</span>
                    </td>
                    {job!.header.slice(0, 4).map((h) => <td key={h} data-label={h}>{r.cells[h] ?? ""}</td>)}
                    <td data-label={t("import.err.reason")}>{r.errors.map((e) => `${e.column ?? ""}: ${e.reason}`).join(" / ") || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {job && started && (
        <section class="card" data-testid="import-progress">
          <h2 class="card__title">3. {t("import.step.run")}</h2>
          <Progress value={job.processed} max={job.total || 1} label={t("import.progress")} />
          <p style={{ marginTop: "8px" }} data-testid="import-status" data-status={job.status}>
            {t(`import.status.${job.status}` as never)} — {t("import.counts", {
              processed: formatNumber(job.processed), total: formatNumber(job.total), created: formatNumber(job.created),
              updated: formatNumber(job.updated), skipped: formatNumber(job.skipped), errors: formatNumber(job.errors),
            })}
          </p>
          {job.message && <p class="notice notice--warn">{job.message}</p>}
          {!busy && job.status !== "completed" && (
            <button type="button" class="btn" onClick={run} data-testid="import-resume">{t("import.resume")}</button>
          )}
        </section>
      )}

      {errors && (
        <section class="card" data-testid="import-report">
          <h2 class="card__title">{t("import.report", { n: errors.length })}</h2>
          {errors.length === 0 ? <p class="muted">{t("import.report.none")}</p> : <>
            <p class="muted" style={{ marginBottom: "8px" }}>{t("import.report.hint")}</p>
            <ErrorTable errors={errors} testId="import-errors" />
          </>}
        </section>
      )}
    </>
  );
}
