/**
 * あいさつメッセージ: what a new friend receives on friend-add, per LINE channel (GET/PUT
 * /api/channels/{id}/greeting). The shared MessageEditor (1-5 messages, LINE's limits as typed) with the preview;
 * the API's error shows at the field (`messages.N.text` -> the textarea `messages[N].text`).
 * Route: #/settings/greeting (listed in the settings hub next to the LINE channels).
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { NoChannel, useChannelPicker } from "../../components/ChannelPicker";
import { CheckField, FieldError } from "../../components/Field";
import { MessageEditor } from "../../components/MessageEditor";
import { type LineMessage, MessagePreview } from "../../components/MessagePreview";
import { EditorShell, Loaded, type ResourceKind } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { formatDateTime } from "../settings/ui";

export interface Greeting {
  channel_id: string;
  enabled: boolean;
  messages: LineMessage[];
  updated_at?: string | null;
}

export const GREETING: ResourceKind = { path: "/settings", title: "nav.greeting", lead: "gr.lead", newLabel: "nav.greeting", testId: "greeting" };
const SAMPLES = { name: "山田 花子", display_name: "山田 花子" };

/** The API's error for message `j` (field `f`; "" = the message): `messages.j.f` or `messages[j].f`. */
function messageErrorAt(problems: Map<string, string>) {
  return (j: number, f: string): string | undefined => {
    for (const w of [`messages.${j}`, `messages[${j}]`]) {
      const hit = problems.get(f ? `${w}.${f}` : w);
      if (hit) return hit;
    }
    return undefined;
  };
}

export function GreetingForm({ channelId, initial, picker }: { channelId: string; initial: Greeting; picker?: ComponentChildren }) {
  const { api } = useApp();
  const form = useForm({ enabled: initial.enabled, messages: initial.messages }, `greeting.${channelId}`);
  const [saved, setSaved] = useState<string | null>(null);
  const err = fieldErrors(form.error);
  const v = form.values;
  const save = (vals: typeof v) => {
    setSaved(null);
    return api.put<Greeting>(`/api/channels/${channelId}/greeting`, { enabled: vals.enabled, messages: vals.messages });
  };
  return (
    <EditorShell
      kind={GREETING}
      id={channelId}
      name={t("nav.greeting")}
      lead={t("gr.lead")}
      form={form}
      save={save}
      onSaved={() => setSaved(new Date().toISOString())}
      notice={
        saved &&
        !form.error && (
          <p class="notice notice--info" role="status" data-testid="greeting-saved">
            {t("gr.saved")}
          </p>
        )
      }
    >
      <div class="split">
        <div>
          <section class="card form">
            {picker}
            <CheckField label={t("gr.enabled")} name="enabled" checked={v.enabled} onValue={(x) => form.set("enabled", x)} testId="greeting-enabled" />
            {(saved ?? initial.updated_at) && <p class="muted">{t("gr.updated", { at: formatDateTime(saved ?? initial.updated_at) })}</p>}
          </section>
          <h2 class="card__title">{t("gr.messages")}</h2>
          {v.messages.length === 0 && <p class="muted">{t("gr.noMessages")}</p>}
          <MessageEditor value={v.messages} name="messages" testId="greeting-messages" errorAt={messageErrorAt(err.all)} onChange={(m) => form.set("messages", m)} />
          <FieldError text={err.all.get("messages")} name="messages" />
        </div>
        <aside class="split__side">
          <MessagePreview messages={v.messages} samples={SAMPLES} title={t("gr.preview")} />
        </aside>
      </div>
    </EditorShell>
  );
}

export default function GreetingScreen() {
  const { list, channelId, picker } = useChannelPicker({ label: t("gr.channel"), testId: "greeting-channel", showSingle: true });
  if (!channelId) return <NoChannel kind={GREETING} list={list} empty={t("gr.noChannel")} />;
  return (
    <Loaded<Greeting> key={channelId} path={`/api/channels/${channelId}/greeting`}>
      {(g) => <GreetingForm key={channelId} channelId={channelId} initial={g!} picker={picker} />}
    </Loaded>
  );
}
