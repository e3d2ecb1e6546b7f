/**
 * リッチメニュー (rich menus). Routes:
 * - #/rich-menus?channel=<id>: the channel's menus (thumbnail, name, published or draft, the tabs each switches to,
 *   edit / analytics / publish / delete), with links to the rules and a new menu;
 * - #/rich-menus/new?channel=<id>, #/rich-menus/<id>: the editor (MenuEditor);
 * - #/rich-menus/<id>/stats: tap analytics (MenuStats);
 * - #/rich-menus/rules?channel=<id>: the default menu and the rules, with the re-link progress (RulesScreen).
 */
import type { ComponentChildren } from "preact";
import { CardList } from "../../components/CardList";
import { type ChannelList, NoChannel, useChannelPicker } from "../../components/ChannelPicker";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListScreen, Loaded, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import { href, useRoute } from "../../router";
import { useStoredImage } from "./image";
import { MENUS, MenuEditor } from "./MenuEditor";
import { MenuStatsScreen } from "./MenuStats";
import { menuIdOf, type RichMenu, tabTargets } from "./model";
import { RulesView } from "./RulesScreen";
import "./richmenus.css";

/** The workspace's LINE channels and the one picked (?channel=, else the first). */
function useChannel() {
  return useChannelPicker({ label: t("rm.channel"), testId: "rm-channel" });
}

function NoMenuChannel({ list }: { list: ChannelList }) {
  return <NoChannel kind={MENUS} list={list} empty={t("rm.noChannel")} />;
}

function Thumb({ menu }: { menu: RichMenu }) {
  const url = useStoredImage(menuIdOf(menu), !!menu.image, menu.updated_at);
  return (
    <span class="rm-thumb" style={{ aspectRatio: `${menu.size.width} / ${menu.size.height}`, backgroundImage: url ? `url("${url}")` : undefined }} aria-hidden="true">
      {!menu.image && <span class="rm-thumb__none">{t("rm.image.none")}</span>}
    </span>
  );
}

function MenuCard({ menu, names, onChanged }: { menu: RichMenu; names: Map<string, string>; onChanged: () => void }) {
  const { api } = useApp();
  const act = useAction();
  const id = menuIdOf(menu);
  const tabs = tabTargets(menu.areas);
  return (
    <div class="list-card rm-card" data-testid="rm-row" data-id={id}>
      <Thumb menu={menu} />
      <div class="rm-card__body">
        <a class="list-card__title" href={href(`/rich-menus/${id}`)}>
          {menu.name}
        </a>
        <span class={`badge ${menu.status === "published" ? "badge--ok" : "badge--warn"}`} data-testid="rm-row-status">
          {t(menu.status === "published" ? "rm.status.published" : "rm.status.draft")}
        </span>
        <span class="list-card__meta">
          {t("rm.row.meta", { w: menu.size.width, h: menu.size.height, n: menu.areas.length, bar: menu.chat_bar_text })}
        </span>
        {tabs.length > 0 && (
          <span class="list-card__meta" data-testid="rm-row-tabs">
            {t("rm.row.tabs")}{" "}
            {tabs.map((x, i) => (
              <>
                {i > 0 && ", "}
                <a key={x} href={href(`/rich-menus/${x}`)}>
                  {names.get(x) ?? x}
                </a>
              </>
            ))}
          </span>
        )}
        <div class="row rm-card__actions">
          <a class="btn btn--ghost btn--small" href={href(`/rich-menus/${id}`)}>
            {t("rm.edit")}
          </a>
          <a class="btn btn--ghost btn--small" href={href(`/rich-menus/${id}/stats`)}>
            {t("rm.stats")}
          </a>
          {menu.status !== "published" && menu.image && (
            <button
              type="button"
              class="btn btn--small"
              disabled={act.busy}
              onClick={() => void act.run(() => api.post(`/api/rich-menus/${id}/publish`)).then((r) => r !== undefined && onChanged())}
              data-testid="rm-row-publish"
            >
              {t("rm.publish")}
            </button>
          )}
          <ConfirmButton
            label={t("rm.delete")}
            confirmLabel={t("rm.delete")}
            question={t("rm.delete.confirm")}
            busy={act.busy}
            onConfirm={() => void act.run(() => api.delete(`/api/rich-menus/${id}`)).then((r) => r !== undefined && onChanged())}
            testId="rm-row-delete"
          />
        </div>
        <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
      </div>
    </div>
  );
}

function MenuList() {
  const { list: channels, channelId, picker } = useChannel();
  if (!channelId) return <NoMenuChannel list={channels} />;
  return <ChannelMenus key={channelId} channelId={channelId} picker={picker} />;
}

function ChannelMenus({ channelId, picker }: { channelId: string; picker: ComponentChildren }) {
  const list = useApiList<RichMenu>(`/api/rich-menus?channel_id=${encodeURIComponent(channelId)}`);
  const names = new Map((list.rows ?? []).map((m) => [menuIdOf(m), m.name]));
  return (
    <ListScreen
      kind={{ ...MENUS, path: "/rich-menus" }}
      list={list}
      creates={false}
      actions={
        <>
          <a class="btn btn--ghost" href={href(`/rich-menus/rules?channel=${encodeURIComponent(channelId)}`)} data-testid="rm-rules-link">
            {t("rm.rules.screen")}
          </a>
          <a class="btn" href={href(`/rich-menus/new?channel=${encodeURIComponent(channelId)}`)} data-testid="rm-new">
            {t("rm.new")}
          </a>
        </>
      }
      above={picker}
      empty={t("rm.empty")}
    >
      {(rows) => (
        <CardList rows={rows} testId="rm-list" keyOf={(r) => menuIdOf(r)}>
          {(r) => <MenuCard menu={r} names={names} onChanged={list.reload} />}
        </CardList>
      )}
    </ListScreen>
  );
}

function Rules() {
  const { list, channelId, picker } = useChannel();
  if (!channelId) return <NoMenuChannel list={list} />;
  return <RulesView key={channelId} channelId={channelId} picker={picker} />;
}

function NewMenu() {
  const { list, channelId } = useChannel();
  if (!channelId) return <NoMenuChannel list={list} />;
  return <MenuEditor id={null} initial={null} channelId={channelId} />;
}

export default function RichMenusScreen() {
  const [id = "", sub = ""] = useRoute().path.replace(/^\/rich-menus\/?/, "").split("/");
  if (!id) return <MenuList />;
  if (id === "rules") return <Rules />;
  if (id === "new") return <NewMenu />;
  if (sub === "stats") return <MenuStatsScreen key={id} id={id} />;
  return (
    <Loaded<RichMenu> key={id} path={`/api/rich-menus/${id}`}>
      {(m) => <MenuEditor id={id} initial={{ ...m!, id: menuIdOf(m!) || id }} channelId={m!.channel_id} />}
    </Loaded>
  );
}
