/**
 * リンク計測 (tracked links): the list with click counts (total / unique friends) and the public URL to copy, a new
 * link (destination URL, name, inflow route, actions on click), and a link's page: its figures, the public URL,
 * a per-friend URL (POST /api/links/{id}/friend-url), delete behind a confirm. Links are not edited: a link in a
 * message already sent must keep going where it went (make a new one instead).
 * Routes: #/links, #/links/new, #/links/<id>.
 */
import { useState } from "preact/hooks";
import { CardList } from "../../components/CardList";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import type { Action } from "../scenarios/types";
import { CopyButton, formatDateTime, formatNumber } from "../settings/ui";

export interface TrackedLink {
  link_id: string;
  name: string;
  target_url: string;
  inflow_route: string | null;
  actions: Action[];
  url: string;
  clicks: number;
  friend_clicks: number;
  anonymous_clicks: number;
  unique_friends: number;
  created_at: string;
}

const LINKS: ResourceKind = { path: "/links", title: "nav.links", lead: "screen.links.lead", newLabel: "lnk.new", testId: "link" };

function LinkList() {
  const list = useApiList<TrackedLink>("/api/links");
  return (
    <ListScreen kind={LINKS} list={list} empty={t("lnk.empty")}>
      {(rows) => (
        <CardList rows={[...rows].sort((a, b) => b.created_at.localeCompare(a.created_at))} testId="link-list" keyOf={(l) => l.link_id}>
          {(l) => (
            <div class="list-card" data-testid="link-row">
              <a class="list-card__title" href={href(`/links/${l.link_id}`)}>
                {l.name}
              </a>
              <span class="list-card__meta" style={{ overflowWrap: "anywhere" }}>
                {l.target_url}
              </span>
              <span class="list-card__meta" data-testid="link-counts">
                {t("lnk.clicks", { n: formatNumber(l.clicks) })} · {t("lnk.unique", { n: formatNumber(l.unique_friends) })}
              </span>
              <CopyButton text={l.url} testId="link-copy" />
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

interface Values {
  name: string;
  target_url: string;
  inflow_route: string;
  actions: Action[];
}

function NewLink() {
  const { api } = useApp();
  const form = useForm<Values>({ name: "", target_url: "https://", inflow_route: "", actions: [] }, "link.new");
  const err = fieldErrors(form.error);
  const v = form.values;
  const save = (vals: Values) => api.post<TrackedLink>("/api/links", { ...vals, inflow_route: vals.inflow_route.trim() || null });
  return (
    <EditorShell kind={LINKS} id={null} name={v.name} form={form} save={save} onSaved={(l) => navigate(`/links/${l.link_id}`, true)}>
      <section class="card form">
        <TextField label={t("lnk.name")} name="name" value={v.name} maxLength={200} error={err.at("name")} onValue={(x) => form.set("name", x)} />
        <TextField label={t("lnk.target")} name="target_url" type="url" value={v.target_url} error={err.at("target_url")} onValue={(x) => form.set("target_url", x)} />
        <TextField label={t("lnk.inflow")} name="inflow_route" value={v.inflow_route} maxLength={100} error={err.at("inflow_route")} onValue={(x) => form.set("inflow_route", x)} />
      </section>
      <section class="card form">
        <h2 class="card__title">{t("lnk.actions")}</h2>
        <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => err.at(`actions.${j}`)} />
      </section>
    </EditorShell>
  );
}

function FriendUrl({ id }: { id: string }) {
  const { api } = useApp();
  const [subscriber, setSubscriber] = useState("");
  const [url, setUrl] = useState<string | null>(null);
  const make = useAction();
  const err = fieldErrors(make.error);
  const run = () => make.run(async () => setUrl((await api.post<{ url: string }>(`/api/links/${id}/friend-url`, { subscriber_id: subscriber.trim() })).url));
  return (
    <section class="card form" data-testid="link-friend-url">
      <h2 class="card__title">{t("lnk.friendUrl")}</h2>
      <p class="muted">{t("lnk.friendUrl.lead")}</p>
      <div class="row">
        <TextField label={t("lnk.friendUrl.subscriber")} name="subscriber_id" value={subscriber} error={err.at("subscriber_id")} onValue={(x) => (setSubscriber(x), setUrl(null))} />
      </div>
      <div class="row">
        <button type="button" class="btn btn--small" disabled={make.busy || !subscriber.trim()} onClick={() => void run()} data-testid="link-friend-url-make">
          {t("lnk.friendUrl.make")}
        </button>
      </div>
      <ErrorNotice error={make.error} onDismiss={() => make.setError(null)} />
      {url && (
        <p class="row" style={{ overflowWrap: "anywhere" }}>
          <code data-testid="link-friend-url-value">{url}</code> <CopyButton text={url} />
        </p>
      )}
    </section>
  );
}

function LinkDetail({ link }: { link: TrackedLink }) {
  const { api } = useApp();
  const removing = useAction();
  const remove = () => removing.run(async () => (await api.delete(`/api/links/${link.link_id}`), navigate("/links")));
  const stats: [string, number, string][] = [
    [t("lnk.stats.clicks"), link.clicks, "link-clicks"],
    [t("lnk.stats.unique"), link.unique_friends, "link-unique"],
    [t("lnk.stats.friend"), link.friend_clicks, "link-friend-clicks"],
    [t("lnk.stats.anonymous"), link.anonymous_clicks, "link-anonymous-clicks"],
  ];
  return (
    <div data-testid="link-detail">
      <PageHeader title={link.name} lead={formatDateTime(link.created_at)}>
        <a class="btn btn--ghost" href={href("/links")}>
          {t("sc.back")}
        </a>
        <ConfirmButton large label={t("lnk.delete")} confirmLabel={t("lnk.delete")} question={t("lnk.delete.confirm")} busy={removing.busy} onConfirm={() => void remove()} testId="link-delete" />
      </PageHeader>
      <ErrorNotice error={removing.error} onDismiss={() => removing.setError(null)} />
      <section class="card">
        <div class="stats">
          {stats.map(([label, n, testId]) => (
            <div class="stat" key={testId}>
              <div class="stat__label">{label}</div>
              <div class="stat__value" data-testid={testId}>
                {formatNumber(n)}
              </div>
            </div>
          ))}
        </div>
      </section>
      <section class="card form">
        <div class="field">
          <span class="field__label">{t("lnk.url")}</span>
          <p class="row" style={{ overflowWrap: "anywhere" }}>
            <code data-testid="link-url">{link.url}</code> <CopyButton text={link.url} testId="link-copy" />
          </p>
        </div>
        <div class="field">
          <span class="field__label">{t("lnk.target")}</span>
          <a href={link.target_url} target="_blank" rel="noopener noreferrer" style={{ overflowWrap: "anywhere" }}>
            {link.target_url}
          </a>
        </div>
        {link.inflow_route && (
          <div class="field">
            <span class="field__label">{t("lnk.inflow")}</span>
            <span>{link.inflow_route}</span>
          </div>
        )}
        <div class="field">
          <span class="field__label">{t("lnk.actions")}</span>
          {link.actions.length === 0 ? (
            <span class="muted">{t("act.none")}</span>
          ) : (
            <ul>
              {link.actions.map((a, j) => (
                <li key={j}>
                  {t(`sc.action.${a.type}` as never)} {String(a.tag ?? a.field ?? a.scenario_id ?? "")}
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
      <FriendUrl id={link.link_id} />
    </div>
  );
}

export default function LinksScreen() {
  const id = useRoute().path.replace(/^\/links\/?/, "").split("/")[0];
  if (!id) return <LinkList />;
  if (id === "new") return <NewLink />;
  return (
    <Loaded<TrackedLink> key={id} path={`/api/links/${decodeURIComponent(id)}`}>
      {(l) => <LinkDetail link={l!} />}
    </Loaded>
  );
}
