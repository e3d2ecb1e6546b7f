/**
 * インポート履歴 (#/friends/imports): every CSV import of the workspace, newest first (GET /api/imports), and one
 * import's page (#/friends/imports/<id>: GET /api/imports/{import_id} with its per-row errors).
 */
import { ListScreen, Loaded, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { PageHeader } from "../../components/PageHeader";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Table } from "../../components/Table";
import { type DictKey, t } from "../../i18n";
import { href } from "../../router";
import { formatDateTime, formatNumber, Progress } from "../settings/ui";

export interface ImportJob {
  import_id: string;
  status: "uploaded" | "running" | "paused" | "completed" | "failed";
  filename: string | null;
  total: number;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  message: string | null;
  created_at: string;
  finished_at: string | null;
}
export interface RowError {
  line: number;
  column: string | null;
  reason: string;
}

const IMPORTS: ResourceKind = { path: "/friends/imports", title: "imp.history", lead: "imp.history.lead", newLabel: "imp.newImport", testId: "imports" };
const BADGE: Record<ImportJob["status"], string> = { uploaded: "", running: "badge--warn", paused: "badge--warn", completed: "badge--ok", failed: "badge--bad" };

function statusBadge(job: ImportJob) {
  return <span class={`badge ${BADGE[job.status]}`} data-status={job.status}>{t(`import.status.${job.status}` as DictKey)}</span>;
}
const counts = (j: ImportJob) => t("imp.countsN", { created: formatNumber(j.created), updated: formatNumber(j.updated), skipped: formatNumber(j.skipped), errors: formatNumber(j.errors) });

export function ImportHistory() {
  const list = useApiList<ImportJob>("/api/imports", (b: { imports: ImportJob[] }) => b.imports);
  return (
    <ListScreen kind={IMPORTS} list={list} creates={false} empty={t("imp.history.empty")}
      actions={<a class="btn" href={href("/friends/import")} data-testid="imports-new">{t("imp.newImport")}</a>}>
      {(rows) => (
        <Table cards testId="import-history" columns={[t("imp.when"), t("imp.file"), t("imp.state"), t("imp.counts")]}>
          {rows.map((j) => (
            <tr key={j.import_id} data-testid="import-row" data-status={j.status}>
              <td><a href={href(`/friends/imports/${j.import_id}`)}><strong>{formatDateTime(j.created_at)}</strong></a></td>
              <td data-label={t("imp.file")} class="break">{j.filename ?? "—"}</td>
              <td data-label={t("imp.state")}>{statusBadge(j)}</td>
              <td data-label={t("imp.counts")}>{counts(j)}</td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

function ImportErrors({ id }: { id: string }) {
  const errors = useApiGet<{ errors: RowError[] }>(`/api/imports/${id}/errors?limit=1000`);
  if (errors.error) return <ErrorNotice error={errors.error} onRetry={() => (errors.setError(null), errors.reload())} />;
  if (!errors.data) return <p class="muted">{t("app.loading")}</p>;
  if (errors.data.errors.length === 0) return <p class="muted">{t("imp.noErrors")}</p>;
  return <ErrorTable errors={errors.data.errors} testId="import-detail-errors" />;
}

/** The per-row errors of an import (here and at the end of a run in ImportPanel). */
export function ErrorTable({ errors, testId }: { errors: RowError[]; testId: string }) {
  return (
    <Table bare cards testId={testId} columns={[t("import.err.line"), t("import.err.column"), t("import.err.reason")]}>
      {errors.map((e, i) => (
        <tr key={i} data-line={e.line}>
          <td data-label={t("import.err.line")}>{e.line}</td>
          <td data-label={t("import.err.column")}>{e.column || "—"}</td>
          <td data-label={t("import.err.reason")}>{e.reason}</td>
        </tr>
      ))}
    </Table>
  );
}

export function ImportDetail({ id }: { id: string }) {
  return (
    <>
      <PageHeader title={t("imp.detail")}>
        <a class="btn btn--ghost" href={href(IMPORTS.path)}>{t("sc.back")}</a>
      </PageHeader>
      <Loaded<ImportJob> path={`/api/imports/${id}`}>
        {(job) => {
          const j = job as ImportJob;
          return (
            <>
              <section class="card" data-testid="import-detail" data-status={j.status}>
                <dl class="facts">
                  <dt>{t("imp.file")}</dt>
                  <dd class="break">{j.filename ?? "—"}</dd>
                  <dt>{t("imp.state")}</dt>
                  <dd>{statusBadge(j)}</dd>
                  <dt>{t("imp.when")}</dt>
                  <dd>{formatDateTime(j.created_at)}</dd>
                  <dt>{t("imp.finished")}</dt>
                  <dd>{formatDateTime(j.finished_at)}</dd>
                  <dt>{t("imp.counts")}</dt>
                  <dd data-testid="import-detail-counts">{counts(j)}</dd>
                </dl>
                <Progress value={j.processed} max={j.total} label={t("imp.progress", { processed: j.processed, total: j.total })} />
                {j.message && <p class="muted">{j.message}</p>}
              </section>
              {j.errors > 0 && (
                <section class="card">
                  <ImportErrors id={id} />
                </section>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
