/**
 * Screens kept per LINE channel (greeting, rich menus): the workspace's channels, the one picked (?channel= from a
 * channel's link, else the first) with a picker when there are several, and the empty state that sends the user to
 * connect one.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { t } from "../i18n";
import { currentRoute, href } from "../router";
import { SelectField } from "./Field";
import { ListScreen, type ResourceKind, useApiList } from "./ResourceScreen";

export interface ChannelRow {
  channel_id: string;
  name: string | null;
}

export type ChannelList = ReturnType<typeof useApiList<ChannelRow>>;

/** `label`/`testId` name the picker; with `showSingle` a lone channel is named in a line instead of no picker. */
export function useChannelPicker({ label, testId, showSingle = false }: { label: string; testId: string; showSingle?: boolean }): {
  list: ChannelList;
  channelId: string | null;
  picker: ComponentChildren;
} {
  const list = useApiList<ChannelRow>("/api/channels", (b: { channels: ChannelRow[] }) => b.channels);
  const [picked, setPicked] = useState<string | null>(() => currentRoute().query.get("channel"));
  const rows = list.rows ?? [];
  const channelId = picked && rows.some((c) => c.channel_id === picked) ? picked : (rows[0]?.channel_id ?? null);
  let picker: ComponentChildren = null;
  if (rows.length > 1 && channelId)
    picker = (
      <SelectField
        label={label}
        name="channel_id"
        value={channelId}
        options={rows.map((c) => [c.channel_id, c.name ? `${c.name} (${c.channel_id})` : c.channel_id] as [string, string])}
        onValue={setPicked}
        testId={testId}
      />
    );
  else if (showSingle && rows.length === 1)
    picker = (
      <p class="muted">
        {label}: {rows[0]!.name || rows[0]!.channel_id}
      </p>
    );
  return { list, channelId, picker };
}

/** The screen while the workspace has no LINE channel (or the list is loading or failed): a link to connect one. */
export function NoChannel({ kind, list, empty }: { kind: ResourceKind; list: ChannelList; empty: string }) {
  return (
    <ListScreen
      kind={kind}
      list={list}
      creates={false}
      empty={empty}
      actions={
        <a class="btn btn--ghost" href={href("/settings/channels")}>
          {t("gr.connect")}
        </a>
      }
    >
      {() => null}
    </ListScreen>
  );
}
