/**
 * 流入経路 (inflow routes): the list grouped by folder with the friends each route brought, a route's editor (name,
 * folder, LINE channel, actions on arrival run the first time only or every time, an optional greeting that replaces
 * the channel's), and on a saved route its URL (copy), its QR code (preview, PNG and SVG downloads) and delete behind
 * a confirm. The route's code never changes on save, so printed QR codes keep working.
 * Routes: #/inflow-routes, #/inflow-routes/new, #/inflow-routes/<route_id>.
 */
import { useEffect, useState } from "preact/hooks";
import { CardList } from "../../components/CardList";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, RadioField, SelectField, TextField } from "../../components/Field";
import { requestBlob, saveBlob } from "../../download";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { RouteClicks } from "../stats/MessageStats";
import type { Action } from "../scenarios/types";
import { CopyButton, formatNumber } from "../settings/ui";

export interface InflowRoute {
  route_id: string;
  name: string;
  folder: string | null;
  code: string;
  channel_id: string;
  actions: Action[];
  greeting: { type: "text"; text: string }[] | null;
  run: "once" | "every";
  url: string;
  friends?: number;
  /** friends who come by it skip the friend-added scenarios (always, for a scenario's own link) */
  replace_friend_added?: boolean;
  /** set on a scenario's own friend-add link: the scenario it starts */
  scenario_id?: string | null;
}

interface ChannelRow {
  channel_id: string;
  name: string | null;
}

const ROUTES: ResourceKind = { path: "/inflow-routes", title: "nav.inflowRoutes", lead: "screen.routes.lead", newLabel: "rt.new", testId: "route" };

/** Routes by folder (in the API's order: folder, then name); routes in no folder last. */
export function byFolder(rows: readonly InflowRoute[]): [string | null, InflowRoute[]][] {
  const groups = new Map<string | null, InflowRoute[]>();
  for (const r of rows) groups.set(r.folder, [...(groups.get(r.folder) ?? []), r]);
  const named = [...groups.entries()].filter(([f]) => f !== null);
  return groups.has(null) ? [...named, [null, groups.get(null)!]] : named;
}

function RouteList() {
  const list = useApiList<InflowRoute>("/api/inflow-routes");
  return (
    <ListScreen kind={ROUTES} list={list} empty={t("rt.empty")}>
      {(rows) => (
        <div class="form">
          {byFolder(rows).map(([folder, routes]) => (
            <section key={folder ?? ""} data-testid="route-group" data-folder={folder ?? ""}>
              <h2 class="card__title">{folder ?? t("rt.folder.none")}</h2>
              <CardList rows={routes} testId="route-list" keyOf={(r) => r.route_id}>
                {(r) => (
                  <div class="list-card" data-testid="route-row">
                    <a class="list-card__title" href={href(`/inflow-routes/${r.route_id}`)}>
                      {r.name}
                    </a>
                    <span class="list-card__meta" data-testid="route-friends">
                      {t("rt.friends", { n: formatNumber(r.friends ?? 0) })}
                    </span>
                    <CopyButton text={r.url} testId="route-copy" />
                  </div>
                )}
              </CardList>
            </section>
          ))}
        </div>
      )}
    </ListScreen>
  );
}


export function RoutePanel({ route }: { route: InflowRoute }) {
  const { api, session } = useApp();
  const [preview, setPreview] = useState<string | null>(null);
  const load = useAction();
  const get = useAction();
  const qr = (format: "png" | "svg") => requestBlob(api, session.token, "GET", `/api/inflow-routes/${route.route_id}/qr?format=${format}`);
  useEffect(() => {
    let url: string | null = null;
    void load.run(async () => {
      const blob = await qr("svg");
      url = URL.createObjectURL(blob);
      setPreview(url);
    });
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [route.route_id]);
  const download = (format: "png" | "svg") => get.run(async () => saveBlob(`route-${route.code}.${format}`, await qr(format)));
  return (
    <section class="card form" data-testid="route-panel">
      <div class="stats">
        <div class="stat">
          <div class="stat__label">{t("rt.stats.friends")}</div>
          <div class="stat__value" data-testid="route-friends-count">
            {formatNumber(route.friends ?? 0)}
          </div>
        </div>
      </div>
      <div class="field">
        <span class="field__label">{t("rt.url")}</span>
        <p class="row" style={{ overflowWrap: "anywhere" }}>
          <code data-testid="route-url">{route.url}</code> <CopyButton text={route.url} testId="route-copy" />
        </p>
      </div>
      <div class="field">
        <span class="field__label">{t("rt.qr")}</span>
        {preview && <img src={preview} alt={t("rt.qr")} width={160} height={160} data-testid="route-qr" />}
        <div class="row">
          <button type="button" class="btn btn--small" disabled={get.busy} onClick={() => void download("png")} data-testid="route-qr-png">
            {t("rt.qr.png")}
          </button>
          <button type="button" class="btn btn--small btn--ghost" disabled={get.busy} onClick={() => void download("svg")} data-testid="route-qr-svg">
            {t("rt.qr.svg")}
          </button>
        </div>
        <ErrorNotice error={get.error || load.error} onDismiss={() => (get.setError(null), load.setError(null))} />
      </div>
    </section>
  );
}

interface Values {
  name: string;
  folder: string;
  channel_id: string;
  actions: Action[];
  run: "once" | "every";
  replace: boolean;
  greet: boolean;
  greeting: string;
}

function RouteForm({ id, initial }: { id: string | null; initial: InflowRoute | null }) {
  const { api } = useApp();
  const channels = useApiList<ChannelRow>("/api/channels", (b: { channels: ChannelRow[] }) => b.channels);
  const form = useForm<Values>(
    {
      name: initial?.name ?? "",
      folder: initial?.folder ?? "",
      channel_id: initial?.channel_id ?? "",
      actions: initial?.actions ?? [],
      run: initial?.run ?? "once",
      replace: !!initial?.replace_friend_added,
      greet: !!initial?.greeting?.length,
      greeting: initial?.greeting?.[0]?.text ?? "",
    },
    `route.${id ?? "new"}`,
  );
  const err = fieldErrors(form.error);
  const v = form.values;
  const rows = channels.rows ?? [];
  const channelId = v.channel_id || rows[0]?.channel_id || "";
  const save = (vals: Values) => {
    const body = {
      name: vals.name,
      folder: vals.folder.trim() || null,
      channel_id: channelId,
      actions: vals.actions,
      run: vals.run,
      replace_friend_added: vals.replace,
      greeting: vals.greet ? [{ type: "text", text: vals.greeting }] : null,
    };
    return id ? api.put<InflowRoute>(`/api/inflow-routes/${id}`, body) : api.post<InflowRoute>("/api/inflow-routes", body);
  };
  const remove = id
    ? { label: t("rt.delete"), question: t("rt.delete.confirm"), run: () => api.delete(`/api/inflow-routes/${id}`), testId: "route-delete" }
    : undefined;
  return (
    <EditorShell kind={ROUTES} id={id} name={v.name} form={form} save={save} remove={remove} onSaved={(r) => navigate(id ? ROUTES.path : `/inflow-routes/${r.route_id}`, true)}>
      {initial && <RoutePanel route={initial} />}
      {initial && <RouteClicks name={initial.name} />}
      <section class="card form">
        <TextField label={t("rt.name")} name="name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
        <TextField label={t("rt.folder")} name="folder" value={v.folder} maxLength={100} error={err.at("folder")} onValue={(x) => form.set("folder", x)} />
        <SelectField
          label={t("rt.channel")}
          name="channel_id"
          value={channelId}
          error={err.at("channel_id")}
          options={rows.map((c) => [c.channel_id, c.name ? `${c.name} (${c.channel_id})` : c.channel_id] as [string, string])}
          onValue={(x) => form.set("channel_id", x)}
        />
      </section>
      <section class="card form">
        <h2 class="card__title">{t("rt.actions")}</h2>
        <RadioField
          label={t("rt.run")}
          name="run"
          value={v.run}
          options={[
            ["once", t("rt.run.once")],
            ["every", t("rt.run.every")],
          ]}
          onValue={(x) => form.set("run", x)}
        />
        <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => err.at(`actions.${j}`) ?? err.at(`actions[${j}]`)} />
        <FieldError text={err.all.get("actions")} name="actions" />
        {initial?.scenario_id ? (
          <p class="muted" data-testid="route-scenario-link">{t("rt.replace.scenario")}</p>
        ) : (
          <CheckField label={t("rt.replace")} name="replace_friend_added" checked={v.replace} onValue={(x) => form.set("replace", x)} testId="route-replace" />
        )}
      </section>
      <section class="card form">
        <CheckField label={t("rt.greeting")} name="greet" checked={v.greet} onValue={(x) => form.set("greet", x)} testId="route-greet" />
        <p class="muted">{t("rt.greeting.help")}</p>
        {v.greet && <TextField label={t("rt.greeting.text")} name="greeting.0" rows={4} maxLength={5000} value={v.greeting} error={err.at("greeting")} onValue={(x) => form.set("greeting", x)} />}
      </section>
    </EditorShell>
  );
}

export default function RoutesScreen() {
  const id = useRoute().path.replace(/^\/inflow-routes\/?/, "").split("/")[0];
  if (!id) return <RouteList />;
  if (id === "new") return <RouteForm key="new" id={null} initial={null} />;
  return (
    <Loaded<InflowRoute> key={id} path={`/api/inflow-routes/${decodeURIComponent(id)}`}>
      {(r) => <RouteForm id={r!.route_id} initial={r} />}
    </Loaded>
  );
}
