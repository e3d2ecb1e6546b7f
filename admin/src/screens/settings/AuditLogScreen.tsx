/**
 * 設定 → 監査ログ (owners only): every change made through the admin API, newest first.
 * GET /api/audit-log?limit&cursor&target_kind -> {items, cursor}; "next" follows the cursor,
 * "previous" goes back through the cursors already seen.
 */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t, type DictKey } from "../../i18n";
import { Field, formatDateTime } from "./ui";
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
  const { api } = useApp();
  const [kind, setKind] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]); // cursor of each page seen
  const [data, setData] = useState<{ items: Entry[]; cursor: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const cursor = cursors[cursors.length - 1] ?? null;

  const load = () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) q.set("cursor", cursor);
    if (kind) q.set("target_kind", kind);
    setLoading(true);
    return api
      .get<{ items: Entry[]; cursor: string | null }>(`/api/audit-log?${q}`)
      .then((r) => (setData(r), setError(null)), setError)
      .finally(() => setLoading(false));
  };
  useEffect(() => void load(), [kind, cursor]);

  return (
    <>
      <PageHeader title={t("nav.auditLog")} lead={t("screen.auditLog.lead")} />
      <section class="card" data-testid="audit-log">
        <div class="audit-filter">
          <Field label={t("audit.filter")} id="target_kind">
            <select name="target_kind" value={kind} onChange={(e) => (setKind((e.target as HTMLSelectElement).value), setCursors([null]))} data-testid="audit-kind">
              <option value="">{t("audit.kind.all")}</option>
              {AUDIT_KINDS.map((k) => <option key={k} value={k}>{label("audit.kind.", k)}</option>)}
            </select>
          </Field>
          <button type="button" class="btn btn--small btn--ghost" onClick={() => void load()} disabled={loading}>{t("audit.reload")}</button>
        </div>
        <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
        {!data && !error && <p class="muted">{t("app.loading")}</p>}
        {data && data.items.length === 0 && <p class="muted" data-testid="audit-empty">{t("audit.empty")}</p>}
        {data && data.items.length > 0 && (
          <div class="table-wrap">
            <table class="table table--cards" data-testid="audit-table">
              <thead>
                <tr>
                  <th>{t("audit.at")}</th>
                  <th>{t("audit.who")}</th>
                  <th>{t("audit.what")}</th>
                  <th>{t("audit.path")}</th>
                  <th>{t("audit.result")}</th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          </div>
        )}
        <div class="pager">
          <button type="button" class="btn btn--small btn--ghost" disabled={cursors.length <= 1 || loading} onClick={() => setCursors(cursors.slice(0, -1))} data-testid="audit-prev">
            {t("common.prev")}
          </button>
          <span class="muted">{t("audit.page").replace("{n}", String(cursors.length))}</span>
          <button type="button" class="btn btn--small btn--ghost" disabled={!data?.cursor || loading}
            onClick={() => data?.cursor && setCursors([...cursors, data.cursor])} data-testid="audit-next">
            {t("common.next")}
          </button>
        </div>
      </section>
    </>
  );
}
