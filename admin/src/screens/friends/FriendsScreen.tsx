/**
 * 友だち: the list (segment filter, sort, pages), a friend's page (#/friends/<id>), add one by hand (#/friends/new), merge two (#/friends/<id>/merge),
 * CSV import (#/friends/import), its history (#/friends/imports[/<id>]) and export (#/friends/export).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Pager, useCursorPages } from "../../components/Pager";
import { PageHeader } from "../../components/PageHeader";
import { completeSegment, EMPTY_SEGMENT, SegmentBuilder, type SegmentGroup } from "../../components/SegmentBuilder";
import { useApp } from "../../context";
import { type DictKey, t } from "../../i18n";
import { href, navigate, useRoute } from "../../router";
import { formatDateTime, formatNumber } from "../settings/ui";
import { ExportPanel } from "./ExportPanel";
import { FriendDetailView } from "./FriendDetail";
import { AddFriend } from "./AddFriend";
import { ImportDetail, ImportHistory } from "./ImportHistory";
import { ImportPanel } from "./ImportPanel";
import { MergeFriend } from "./MergeFriend";
import { SaveSegmentPanel } from "../segments/SaveSegmentPanel";
import type { Friend } from "./types";

const SEGMENT_KEY = "haishin.friends.segment";
const PAGE = 25;
type SortKey = "created_at" | "display_name" | "last_interaction_at" | "total_spent";

function loadSegment(): SegmentGroup {
  try {
    const raw = sessionStorage.getItem(SEGMENT_KEY);
    return raw ? (JSON.parse(raw) as SegmentGroup) : EMPTY_SEGMENT;
  } catch {
    return EMPTY_SEGMENT;
  }
}

export function followBadge(status: string) {
  const cls = status === "following" ? "badge--ok" : status === "blocked" ? "badge--bad" : "";
  return <span class={`badge ${cls}`}>{t(`friends.follow.${status}` as DictKey) || status}</span>;
}

function FriendList() {
  const { api } = useApp();
  const [segment, setSegment] = useState<SegmentGroup>(loadSegment);
  const [filterOpen, setFilterOpen] = useState(() => loadSegment().conditions.length > 0);
  const [sort, setSort] = useState<SortKey>("created_at");
  const [order, setOrder] = useState<"asc" | "desc">("desc");
  const pages = useCursorPages();
  const [data, setData] = useState<{ items: Friend[]; total: number; next_cursor: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  const sendable = JSON.stringify(completeSegment(segment));
  const cursor = pages.cursor;

  const load = () => {
    const mine = ++seq.current;
    setLoading(true);
    api
      .post<{ items: Friend[]; total: number; next_cursor: string | null }>("/api/subscribers/search", {
        segment: JSON.parse(sendable),
        limit: PAGE,
        sort,
        order,
        ...(cursor ? { cursor } : {}),
      })
      .then(
        (r) => mine === seq.current && (setData(r), setError(null), setLoading(false)),
        (e: unknown) => mine === seq.current && (setError(e), setLoading(false)),
      );
  };
  useEffect(() => {
    const timer = setTimeout(load, 300);
    return () => clearTimeout(timer);
  }, [sendable, sort, order, cursor]);
  useEffect(() => {
    try {
      sessionStorage.setItem(SEGMENT_KEY, JSON.stringify(segment));
    } catch {
      /* private mode */
    }
  }, [segment]);

  const changeSegment = (g: SegmentGroup) => {
    setSegment(g);
    pages.reset();
  };
  const sortBy = (key: SortKey) => {
    if (sort === key) setOrder(order === "asc" ? "desc" : "asc");
    else (setSort(key), setOrder(key === "display_name" ? "asc" : "desc"));
    pages.reset();
  };
  const head = (key: SortKey, label: string) => (
    <th aria-sort={sort === key ? (order === "asc" ? "ascending" : "descending") : undefined}>
      <button type="button" onClick={() => sortBy(key)} data-sort={key}>
        {label} {sort === key ? (order === "asc" ? "▲" : "▼") : ""}
      </button>
    </th>
  );

  return (
    <>
      <PageHeader title={t("nav.friends")} lead={t("screen.friends.lead")}>
        <a class="btn btn--ghost btn--small" href={href("/friends/import")} data-testid="go-import">{t("friends.import")}</a>
        <a class="btn btn--ghost btn--small" href={href("/friends/export")} data-testid="go-export">{t("friends.export")}</a>
        <a class="btn btn--small" href={href("/friends/new")} data-testid="friend-add-new">{t("fa.new")}</a>
      </PageHeader>
      <section class="card">
        <div class="row row--between">
          <h2 class="card__title" style={{ margin: 0 }}>{t("friends.filter")}</h2>
          <button type="button" class="btn btn--small btn--ghost" onClick={() => setFilterOpen(!filterOpen)} aria-expanded={filterOpen} data-testid="toggle-filter">
            {filterOpen ? t("friends.filter.hide") : t("friends.filter.show")}
          </button>
        </div>
        {filterOpen && (
          <div style={{ marginTop: "10px" }}>
            <SegmentBuilder value={segment} onChange={changeSegment} showCount />
            {segment.conditions.length > 0 && (
              <p style={{ marginTop: "8px" }}>
                <button type="button" class="btn btn--small btn--ghost" onClick={() => changeSegment(EMPTY_SEGMENT)}>{t("friends.filter.clear")}</button>
              </p>
            )}
            {segment.conditions.length > 0 && <SaveSegmentPanel segment={segment} />}
          </div>
        )}
      </section>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      <section class="card">
        <div class="row row--between">
          <p data-testid="friends-total">
            {data ? t("friends.total", { n: formatNumber(data.total) }) : t("app.loading")}
            {loading && data && <span class="muted"> {t("seg.counting")}</span>}
          </p>
        </div>
        {data && data.items.length === 0 && <p class="muted">{t("friends.empty")}</p>}
        {data && data.items.length > 0 && (
          <div class="table-wrap">
            <table class="table table--cards" data-testid="friends-table">
              <thead>
                <tr>
                  {head("display_name", t("friends.col.name"))}
                  <th>{t("friends.col.status")}</th>
                  <th>{t("friends.col.tags")}</th>
                  {head("created_at", t("friends.col.created"))}
                  {head("last_interaction_at", t("friends.col.last"))}
                  {head("total_spent", t("friends.col.spent"))}
                </tr>
              </thead>
              <tbody>
                {data.items.map((f) => (
                  <tr key={f.subscriber_id} class="is-link" onClick={() => navigate(`/friends/${f.subscriber_id}`)} data-testid="friend-row">
                    <td>
                      <a href={href(`/friends/${f.subscriber_id}`)} onClick={(e) => e.stopPropagation()}>
                        <strong>{f.display_name || f.email || f.subscriber_id}</strong>
                      </a>
                      {f.email && f.display_name && <div class="muted" style={{ fontSize: "12px" }}>{f.email}</div>}
                    </td>
                    <td data-label={t("friends.col.status")}>{followBadge(f.follow_status)}{f.unsubscribed_all && <span class="badge badge--warn">{t("friends.unsubscribed")}</span>}</td>
                    <td data-label={t("friends.col.tags")}>{f.tags.length ? f.tags.map((tg) => <span class="tag" key={tg.tag_id}>{tg.name}</span>) : <span class="muted">—</span>}</td>
                    <td data-label={t("friends.col.created")}>{formatDateTime(f.created_at)}</td>
                    <td data-label={t("friends.col.last")}>{formatDateTime(f.last_interaction_at)}</td>
                    <td data-label={t("friends.col.spent")}>{f.total_spent ? `¥${formatNumber(f.total_spent)}` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager pages={pages} next={data?.next_cursor} label={t("friends.page", { n: pages.page })} nextTestId="next-page" />
      </section>
    </>
  );
}

export default function FriendsScreen() {
  const route = useRoute();
  const rest = route.path.replace(/^\/friends\/?/, "");
  if (rest === "import") return <ImportPanel />;
  if (rest === "new") return <AddFriend />;
  if (rest === "imports") return <ImportHistory />;
  if (rest.endsWith("/merge")) return <MergeFriend key={rest} id={decodeURIComponent(rest.slice(0, -"/merge".length))} />;
  if (rest.startsWith("imports/")) return <ImportDetail key={rest} id={decodeURIComponent(rest.slice("imports/".length))} />;
  if (rest === "export") return <ExportPanel />;
  if (rest) return <FriendDetailView id={decodeURIComponent(rest)} />;
  return <FriendList />;
}
