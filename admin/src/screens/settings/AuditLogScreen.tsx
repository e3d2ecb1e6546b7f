/**
 * 設定 → 監査ログ (owners only): every change made through the admin API, newest first.
 * GET /api/audit-log?limit&cursor&target_kind -> {items, cursor}; "next" follows the cursor,
 * "previous" goes back through the cursors already seen.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { choices, SelectField } from "../../components/Field";
import { Pager, useCursorPages } from "../../components/Pager";
import { PageHeader } from "../../components/PageHeader";
import { useApiGet } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { t, type DictKey } from "../../i18n";
import { formatDateTime } from "./ui";
import "./operators.css";

interface Entry {
  at: string;
  operator_email: string;
  method: string;
  path: string;
  target_kind: string;
  status: number;
}

const PAGE = 50;
/** target_kind = the first path segment after /api of the changed route. */
export const AUDIT_KINDS = [
  "scenarios", "broadcasts", "operators", "channels", "subscribers", "tags", "tag-folders", "fields", "segments",
  "auto-replies", "forms", "products", "payments", "orders", "imports", "exports", "links", "lists", "deliveries",
  "workspace",
] as const;

function label(prefix: string, value: string): string {
  const key = `${prefix}${value}` as DictKey;
  const s = t(key);
  return s === key ? value : s;
}

export default function AuditLogScreen() {
  const [kind, setKind] = useState("");
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (cursor) q.set("cursor", cursor);
  if (kind) q.set("target_kind", kind);
  const page = useApiGet<{ items: Entry[]; cursor: string | null }>(`/api/audit-log?${q}`);
  const data = page.data;
  const kinds: [string, string][] = [["", t("audit.kind.all")], ...choices(AUDIT_KINDS, (k) => label("audit.kind.", k))];

  return (
    <>
      <PageHeader title={t("nav.auditLog")} lead={t("screen.auditLog.lead")} />
      <section class="card" data-testid="audit-log">
        <div class="audit-filter">
          <SelectField label={t("audit.filter")} name="target_kind" value={kind} options={kinds} testId="audit-kind"
            onValue={(k) => (setKind(k), pages.reset())} />
          <button type="button" class="btn btn--small btn--ghost" onClick={page.reload}>{t("audit.reload")}</button>
        </div>
        <ErrorNotice error={page.error} onRetry={() => (page.setError(null), page.reload())} />
        {!data && !page.error && <p class="muted">{t("app.loading")}</p>}
        {data && data.items.length === 0 && <p class="muted" data-testid="audit-empty">{t("audit.empty")}</p>}
        {data && data.items.length > 0 && (
          <Table bare cards testId="audit-table" columns={[t("audit.at"), t("audit.who"), t("audit.what"), t("audit.path"), t("audit.result")]}>
            {data.items.map((e, i) => (
              <tr key={`${e.at}-${i}`} data-testid="audit-row" data-kind={e.target_kind} data-method={e.method}>
                <td><strong>{formatDateTime(e.at)}</strong></td>
                <td data-label={t("audit.who")} class="break">{e.operator_email || "—"}</td>
                <td data-label={t("audit.what")}>
                  <span class="tag">{label("audit.kind.", e.target_kind)}</span> {label("audit.method.", e.method)}
                </td>
                <td data-label={t("audit.path")}><code class="break">{e.method} {e.path}</code></td>
                <td data-label={t("audit.result")}>
                  <span class={`badge ${e.status < 400 ? "badge--ok" : "badge--bad"}`}>{e.status}</span>
                </td>
              </tr>
            ))}
          </Table>
        )}
        <Pager pages={pages} next={data?.cursor} label={t("audit.page").replace("{n}", String(pages.page))} prevTestId="audit-prev" nextTestId="audit-next" />
      </section>
    </>
  );
}
