/**
 * IDリスト: the サロンズソリューション flow (LINE メッセージ ターゲティング配信) inside Haishin.
 *
 * - #/id-lists: the saved lists (name, entries, created) with "send to this list" (the broadcast composer, audience
 *   preset to the list) and delete behind a confirm.
 * - #/id-lists/search: 顧客検索 — customers by attributes (the friends search, POST /api/subscribers/search) with the
 *   LINE link status (〇 / blank, as in the salon system), and, for operators with the view-LINE-user-IDs permission
 *   only, a CSV of the matching LINE user IDs (POST /api/exports, columns ["line_user_id"]; the API refuses others).
 * - #/id-lists/new: upload a CSV / text file or paste IDs, check it (POST /api/broadcasts/id-lists, save: false) and
 *   see every bad row in the page (row number + reason), then save the known ones as a list (save: true).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { RadioField, TextField, choices } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ListScreen, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { EMPTY_SEGMENT, SegmentBuilder, type SegmentGroup, completeSegment } from "../../components/SegmentBuilder";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { type DictKey, t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href, navigate, useRoute } from "../../router";
import { formatDateTime, formatNumber } from "../settings/ui";
import type { Friend } from "../friends/types";

export interface IdList {
  list_id: string;
  name: string;
  kind: "line_user_id" | "email";
  count: number;
  created_at: string | null;
}
export interface Problem {
  line: number;
  value: string;
  problem: "bad_line" | "duplicate" | "unknown";
  same_as?: number;
  message?: string;
}
export interface Report {
  kind: "line_user_id" | "email";
  list_id: string | null;
  lines: number;
  known: number;
  problems: Problem[];
  problem_counts: Record<string, number>;
}
type Kind = Report["kind"];

const ID_LISTS: ResourceKind = { path: "/id-lists", title: "nav.idLists", lead: "screen.idLists.lead", newLabel: "idl.new", testId: "idlist" };
const SHOWN = 20;

/** The reason for one bad row, in the operator's language. */
export function problemText(p: Problem, kind: Kind): string {
  if (p.problem === "duplicate") return t("idl.problem.duplicate", { n: p.same_as ?? "?" });
  return t(`idl.problem.${p.problem}.${kind}` as DictKey);
}

function Lists() {
  const { api } = useApp();
  const list = useApiList<IdList>("/api/lists", (b: { lists: IdList[] }) => b.lists);
  const removing = useAction();
  const remove = (id: string) => removing.run(async () => (await api.delete(`/api/lists/${id}`), list.reload()));
  const actions = (
    <a class="btn btn--ghost" href={href("/id-lists/search")} data-testid="idlist-search">
      {t("idl.search")}
    </a>
  );
  return (
    <ListScreen kind={ID_LISTS} list={list} empty={t("idl.empty")} actions={actions}>
      {(rows) => (
        <>
          <ErrorNotice error={removing.error} onDismiss={() => removing.setError(null)} />
          <ul class="list-cards" data-testid="idlist-list">
            {[...rows]
              .sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""))
              .map((l) => (
                <li key={l.list_id}>
                  <div class="list-card" data-testid="idlist-row">
                    <span class="list-card__title">{l.name}</span>
                    <span class="list-card__meta">
                      {t(`idl.kind.${l.kind}`)} · {formatNumber(l.count)} · {formatDateTime(l.created_at)}
                    </span>
                    <div class="row">
                      <a class="btn btn--small" href={href(`/broadcasts/new?list=${encodeURIComponent(l.list_id)}`)} data-testid="idlist-send">
                        {t("idl.send")}
                      </a>
                      <ConfirmButton label={t("idl.delete")} confirmLabel={t("idl.delete")} question={t("idl.delete.confirm")} busy={removing.busy} onConfirm={() => void remove(l.list_id)} testId="idlist-delete" />
                    </div>
                  </div>
                </li>
              ))}
          </ul>
        </>
      )}
    </ListScreen>
  );
}

function usePermissions(): string[] | null {
  const { api } = useApp();
  const [perms, setPerms] = useState<string[] | null>(null);
  useEffect(() => {
    api.get<{ permissions: string[] }>("/api/me").then((m) => setPerms(m.permissions ?? []), () => setPerms([]));
  }, []);
  return perms;
}

/** 紐付け済み: the customer has a LINE account with us (following, blocked or not yet seen following). */
function linked(f: Friend): boolean {
  return (f.line ?? []).length > 0 || (!!f.follow_status && f.follow_status !== "no_line");
}

export function CustomerSearch() {
  const { api } = useApp();
  const perms = usePermissions();
  const canDownload = !!perms?.includes("view_line_user_ids");
  const [segment, setSegment] = useState<SegmentGroup>(EMPTY_SEGMENT);
  const [found, setFound] = useState<{ items: Friend[]; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ready, setReady] = useState<{ rows: number; url: string | null } | null>(null);
  const download = useAction();
  const seq = useRef(0);
  const sendable = JSON.stringify(completeSegment(segment));
  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      api.post<{ items: Friend[]; total: number }>("/api/subscribers/search", { segment: JSON.parse(sendable), limit: SHOWN }).then(
        (r) => mine === seq.current && (setFound(r), setError(null)),
        (e: unknown) => mine === seq.current && setError(e),
      );
    }, 300);
    setReady(null);
    return () => clearTimeout(timer);
  }, [sendable]);
  const run = () =>
    download.run(async () => {
      // only the matching customers linked to LINE: a CSV of IDs with no empty lines, ready for an audience upload
      const chosen = JSON.parse(sendable) as SegmentGroup;
      const definition = { match: "all", conditions: [...(chosen.conditions.length ? [{ ...chosen, type: "group" }] : []), { type: "follow", status: "following" }] };
      // no header and no BOM (IDs are ASCII, so cp932 is plain ASCII): one ID per line, as a LINE audience upload takes it
      const r = await api.post<{ rows: number; url: string | null }>("/api/exports", { definition, columns: ["line_user_id"], encoding: "cp932", header: false });
      setReady(r);
    });
  return (
    <>
      <p style={{ marginBottom: "8px" }}>
        <a href={href("/id-lists")}>← {t("nav.idLists")}</a>
      </p>
      <PageHeader title={t("idl.search.title")} lead={t("idl.search.lead")} />
      <section class="card">
        <SegmentBuilder value={segment} onChange={setSegment} />
      </section>
      <ErrorNotice error={error} />
      <section class="card" data-testid="idlist-search-result">
        <p data-testid="idlist-search-total">
          {found ? t("idl.total", { n: formatNumber(found.total) }) : t("app.loading")}
          {found && found.total > found.items.length && <span class="muted"> {t("idl.shown", { n: found.items.length })}</span>}
        </p>
        {found && found.items.length > 0 && (
          <div class="table-wrap">
            <Table bare columns={[t("idl.col.name"), t("idl.col.linked")]} testId="idlist-search-table">
              {found.items.map((f) => (
                <tr key={f.subscriber_id}>
                  <td>
                    <a href={href(`/friends/${f.subscriber_id}`)}>{f.display_name || f.email || f.subscriber_id}</a>
                  </td>
                  <td data-testid="idlist-linked">{linked(f) ? "〇" : ""}</td>
                </tr>
              ))}
            </Table>
          </div>
        )}
      </section>
      <section class="card">
        {canDownload ? (
          <>
            <p class="muted">{t("idl.download.hint")}</p>
            <button type="button" class="btn" disabled={download.busy || !found} onClick={() => void run()} data-testid="idlist-download">
              {download.busy ? t("idl.download.running") : t("idl.download")}
            </button>
            <ErrorNotice error={download.error} />
            {ready && (
              <p class="notice" role="status" data-testid="idlist-download-ready">
                {t("idl.download.ready", { n: formatNumber(ready.rows) })}{" "}
                {ready.url && (
                  <a class="btn btn--small" href={ready.url} download data-testid="idlist-download-link">
                    {t("idl.download.link")}
                  </a>
                )}
              </p>
            )}
          </>
        ) : (
          perms && <p class="muted" data-testid="idlist-no-permission">{t("idl.download.noPermission")}</p>
        )}
      </section>
    </>
  );
}

export function UploadList() {
  const { api } = useApp();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("line_user_id");
  const [text, setText] = useState("");
  const [report, setReport] = useState<Report | null>(null);
  const checking = useAction();
  const saving = useAction();
  const err = fieldErrors(checking.error ?? saving.error);
  const body = (save: boolean) => ({ kind, text, name: name.trim() || t("idl.defaultName"), save });
  const check = () => checking.run(async () => setReport(await api.post<Report>("/api/broadcasts/id-lists", body(false))));
  const save = () =>
    saving.run(async () => {
      const r = await api.post<Report>("/api/broadcasts/id-lists", body(true));
      setReport(r);
      if (r.list_id) navigate("/id-lists");
    });
  const onFile = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setText(await file.text());
    if (!name.trim()) setName(file.name.replace(/\.(csv|txt)$/i, ""));
    setReport(null);
  };
  const bad = report?.problems ?? [];
  const textError = err.at("text") ?? (bad.length > 0 ? t("idl.report.problems", { n: bad.length }) : undefined);
  return (
    <>
      <p style={{ marginBottom: "8px" }}>
        <a href={href("/id-lists")}>← {t("nav.idLists")}</a>
      </p>
      <PageHeader title={t("idl.upload.title")} lead={t("idl.upload.lead")} />
      <section class="card form" data-testid="idlist-upload">
        <TextField label={t("idl.name")} name="name" value={name} maxLength={200} error={err.at("name")} onValue={setName} />
        <RadioField label={t("idl.kind")} name="kind" value={kind} options={choices(["line_user_id", "email"] as const, (k) => t(`idl.kind.${k}`))} onValue={(k) => (setKind(k), setReport(null))} />
        <label class="field">
          <span class="field__label">{t("idl.file")}</span>
          <input type="file" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => void onFile(e)} data-testid="idlist-file" />
        </label>
        <TextField label={t("idl.text")} name="text" rows={8} value={text} error={textError} onValue={(x) => (setText(x), setReport(null))} placeholder={"U0123456789abcdef0123456789abcdef"} />
        {bad.length > 0 && (
          <ol class="idlist-problems" style={{ listStyle: "none", padding: 0, margin: 0, display: "grid", gap: "4px" }} data-testid="idlist-problems" aria-label={t("idl.report.problems", { n: bad.length })}>
            {bad.slice(0, 200).map((p) => (
              <li key={p.line} data-line={p.line} class="field__error">
                <strong>{t("idl.row", { line: p.line })}</strong> <code>{p.value}</code> — {problemText(p, report!.kind)}
              </li>
            ))}
          </ol>
        )}
        <div class="row">
          <button type="button" class="btn btn--ghost" disabled={checking.busy || !text.trim()} onClick={() => void check()} data-testid="idlist-check">
            {checking.busy ? t("idl.checking") : t("idl.check")}
          </button>
          <button type="button" class="btn" disabled={saving.busy || !report || report.known === 0} onClick={() => void save()} data-testid="idlist-save">
            {saving.busy ? t("common.saving") : t("idl.saveList")}
          </button>
        </div>
        {report && (
          <p class={report.problems.length ? "notice notice--warn" : "notice"} role="status" data-testid="idlist-report">
            {t("idl.report", { lines: formatNumber(report.lines), known: formatNumber(report.known) })}{" "}
            {report.problems.length ? t("idl.report.problems", { n: report.problems.length }) : t("idl.report.ok")}
          </p>
        )}
        <ErrorNotice error={checking.error ?? saving.error} />
      </section>
    </>
  );
}

export default function IdListsScreen() {
  const rest = useRoute().path.replace(/^\/id-lists\/?/, "");
  if (rest === "search") return <CustomerSearch />;
  if (rest === "new") return <UploadList />;
  return <Lists />;
}
