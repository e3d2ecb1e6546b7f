/**
 * 自動応答 (keyword auto-replies): list by priority with an "which rule answers?" tester, and the editor
 * (keywords, match type exact / contains / regex, priority, enabled, reply messages with the LINE preview, actions).
 * Routes: #/auto-replies, #/auto-replies/new, #/auto-replies/<id>
 */
import { useState } from "preact/hooks";
import { CheckField, FieldError, SelectField, TextField, choices } from "../../components/Field";
import { MessageEditor } from "../../components/MessageEditor";
import { type LineMessage, MessagePreview } from "../../components/MessagePreview";
import { Table } from "../../components/Table";
import { AutoReplyClicks } from "../stats/MessageStats";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import type { Action } from "../scenarios/types";

interface AutoReply {
  id: string;
  name: string;
  channel_id: string | null;
  match_type: "exact" | "contains" | "regex";
  keywords: string[];
  priority: number;
  enabled: boolean;
  messages: LineMessage[];
  actions: Action[];
}

const AUTO_REPLIES: ResourceKind = { path: "/auto-replies", title: "nav.autoReplies", lead: "screen.autoReplies.lead", newLabel: "ar.new", testId: "autoreply" };

const fold = (s: string) => s.normalize("NFKC").trim().toLowerCase();

/** The same matching as haishin.autoreplies.rules (NFKC, case-insensitive; regex as written). */
export function matches(rule: AutoReply, text: string): boolean {
  const f = fold(text);
  return rule.keywords.some((k) => {
    if (rule.match_type === "exact") return f === fold(k);
    if (rule.match_type === "contains") return f.includes(fold(k));
    try {
      return new RegExp(k).test(text);
    } catch {
      return false;
    }
  });
}

function Tester({ rows }: { rows: AutoReply[] }) {
  const [probe, setProbe] = useState("");
  const winner = probe.trim() ? rows.find((r) => r.enabled && matches(r, probe)) : undefined;
  return (
    <section class="card form">
      <TextField label={t("ar.tester")} name="probe" value={probe} placeholder={t("ar.tester.placeholder")} onValue={setProbe} />
      {probe.trim() && (
        <p role="status" data-testid="autoreply-tester-result">
          {winner ? t("ar.tester.hit", { name: winner.name }) : t("ar.tester.miss")}
        </p>
      )}
    </section>
  );
}

function List() {
  const { api } = useApp();
  const list = useApiList<AutoReply>("/api/auto-replies", (b: { auto_replies: AutoReply[] }) => b.auto_replies);
  const toggle = async (r: AutoReply) => {
    try {
      const body = { name: r.name, channel_id: r.channel_id, match_type: r.match_type, keywords: r.keywords, priority: r.priority, enabled: !r.enabled, messages: r.messages, actions: r.actions };
      await api.put(`/api/auto-replies/${r.id}`, body);
      list.reload();
    } catch (e) {
      list.setError(e);
    }
  };
  return (
    <ListScreen kind={AUTO_REPLIES} list={list} empty={t("ar.empty")} tools={(rows) => <Tester rows={rows} />}>
      {(rows) => (
        <Table testId="autoreply-list" columns={[{ label: t("ar.priority"), num: true }, t("ar.name"), t("ar.matchType"), t("ar.keywords"), t("ar.enabled")]}>
          {rows.map((r) => (
            <tr key={r.id}>
              <td class="num">{r.priority}</td>
              <td>
                <a href={href(`/auto-replies/${r.id}`)}>{r.name}</a>
              </td>
              <td>{t(`ar.match.${r.match_type}`)}</td>
              <td>{r.keywords.join(" / ")}</td>
              <td>
                <button type="button" class={`btn btn--small ${r.enabled ? "" : "btn--ghost"}`} aria-pressed={r.enabled} onClick={() => toggle(r)}>
                  {r.enabled ? t("ar.on") : t("ar.off")}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

interface Values {
  name: string;
  match_type: AutoReply["match_type"];
  keywords: string;
  priority: number;
  enabled: boolean;
  channel_id: string;
  messages: LineMessage[];
  actions: Action[];
}

function Editor({ id }: { id: string | null }) {
  return <Loaded<AutoReply> path={id ? `/api/auto-replies/${id}` : null}>{(loaded) => <EditorForm id={id} initial={loaded} />}</Loaded>;
}

function toBody(v: Values) {
  return {
    name: v.name,
    match_type: v.match_type,
    keywords: v.keywords.split("\n").map((k) => k.trim()).filter(Boolean),
    priority: Number(v.priority),
    enabled: v.enabled,
    channel_id: v.channel_id || null,
    messages: v.messages,
    actions: v.actions,
  };
}

function EditorForm({ id, initial }: { id: string | null; initial: AutoReply | null }) {
  const { api } = useApp();
  const form = useForm<Values>(
    {
      name: initial?.name ?? "",
      match_type: initial?.match_type ?? "contains",
      keywords: (initial?.keywords ?? []).join("\n"),
      priority: initial?.priority ?? 100,
      enabled: initial?.enabled ?? true,
      channel_id: initial?.channel_id ?? "",
      messages: initial?.messages ?? [{ type: "text", text: "" }],
      actions: initial?.actions ?? [],
    },
    `autoreply.${id ?? "new"}`,
  );
  const v = form.values;
  const err = fieldErrors(form.error);
  const save = (vals: Values) => (id ? api.put<AutoReply>(`/api/auto-replies/${id}`, toBody(vals)) : api.post<AutoReply>("/api/auto-replies", toBody(vals)));
  const remove = id ? { label: t("ar.delete"), question: t("ar.delete.confirm"), run: () => api.delete(`/api/auto-replies/${id}`), testId: "autoreply-delete" } : undefined;
  return (
    <EditorShell kind={AUTO_REPLIES} id={id} name={v.name} form={form} save={save} remove={remove}>
      <div class="split">
        <div>
          <section class="card form">
            <div class="row">
              <TextField label={t("ar.name")} name="name" value={v.name} error={err.at("name")} onValue={(x) => form.set("name", x)} />
              <TextField narrow label={t("ar.priority")} name="priority" type="number" min={0} value={v.priority} error={err.at("priority")} onValue={(x) => form.set("priority", Number(x))} />
              <CheckField label={t("ar.enabled")} name="enabled" checked={v.enabled} onValue={(x) => form.set("enabled", x)} />
            </div>
            <p class="field__hint">{t("ar.priority.help")}</p>
            <div class="row">
              <SelectField narrow label={t("ar.matchType")} name="match_type" value={v.match_type} options={choices(["exact", "contains", "regex"] as const, (m) => t(`ar.match.${m}`))} onValue={(x) => form.set("match_type", x)} />
              <TextField label={t("ar.keywords.one")} name="keywords" rows={3} value={v.keywords} error={err.at("keywords")} onValue={(x) => form.set("keywords", x)} />
            </div>
          </section>
          <section class="card form">
            <h2 class="card__title">{t("ar.reply")}</h2>
            <MessageEditor
              value={v.messages}
              name="messages"
              errorAt={(j, f) => (f ? err.all.get(`messages.${j}.${f}`) : err.all.get(`messages.${j}`))}
              onChange={(x) => form.set("messages", x)}
            />
            <FieldError text={err.all.get("messages")} />
          </section>
          <section class="card form">
            <h2 class="card__title">{t("ar.actions")}</h2>
            <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => err.at(`actions.${j}`)} />
            <FieldError text={err.all.get("actions")} />
          </section>
        </div>
        <aside class="split__side">
          <MessagePreview messages={v.messages} samples={{ name: "山田 花子", display_name: "山田 花子" }} />
          {id && <AutoReplyClicks id={id} />}
        </aside>
      </div>
    </EditorShell>
  );
}

export default function AutoRepliesScreen() {
  const { path } = useRoute();
  const id = path.replace(/^\/auto-replies\/?/, "").split("/")[0];
  if (!id) return <List />;
  return <Editor key={id} id={id === "new" ? null : id} />;
}
