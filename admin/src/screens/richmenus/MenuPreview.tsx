/**
 * The rich menu on a phone (the LINE preview's phone frame, MessagePreview.css): the chat, the menu image with its
 * areas outlined, and the chat bar with its text, which opens and closes the menu as on LINE ("open by default"
 * decides the first state). The tab set is shown as a row of tabs above the image.
 */
import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { href } from "../../router";
import "../../components/MessagePreview.css";
import { AreaCanvas } from "./AreaCanvas";
import type { Area, Size } from "./model";

export interface TabItem {
  id: string;
  name: string;
}

export function TabRow({ tabs, current, testId = "rm-tabs" }: { tabs: readonly TabItem[]; current: string; testId?: string }) {
  if (tabs.length < 2) return null;
  return (
    <nav class="tabs rm-tabs" aria-label={t("rm.tabs")} data-testid={testId}>
      {tabs.map((tab) => (
        <a key={tab.id} class={`tabs__tab${tab.id === current ? " tabs__tab--on" : ""}`} href={href(`/rich-menus/${tab.id}`)} aria-current={tab.id === current ? "page" : undefined} data-testid="rm-tab">
          {tab.name}
        </a>
      ))}
    </nav>
  );
}

export function MenuPreview({
  size,
  image,
  areas,
  chatBarText,
  open,
  tabs,
  current,
}: {
  size: Size;
  image: string | null;
  areas: readonly Area[];
  chatBarText: string;
  open: boolean;
  tabs?: readonly TabItem[];
  current?: string;
}) {
  const [shown, setShown] = useState(open);
  useEffect(() => setShown(open), [open]);
  return (
    <figure class="mp rm-preview" data-testid="rm-preview">
      <figcaption class="mp__caption">{t("rm.preview")}</figcaption>
      {tabs && current && <TabRow tabs={tabs} current={current} testId="rm-preview-tabs" />}
      <div class="mp__phone">
        <div class="mp__bar">{t("rm.preview.account")}</div>
        <div class="mp__chat rm-preview__chat" />
        {shown && (
          <div class="rm-preview__menu" data-testid="rm-preview-menu">
            <AreaCanvas size={size} image={image} areas={areas} selected={null} onChange={null} />
          </div>
        )}
        <button type="button" class="rm-chatbar" aria-expanded={shown} onClick={() => setShown(!shown)} data-testid="rm-preview-chatbar">
          <span class="rm-chatbar__kbd" aria-hidden="true">⌨</span>
          <span class="rm-chatbar__text">{chatBarText || t("rm.chatBar.default")}</span>
          <span aria-hidden="true">{shown ? "▼" : "▲"}</span>
        </button>
      </div>
    </figure>
  );
}
