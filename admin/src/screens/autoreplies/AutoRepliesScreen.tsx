/**
 * 自動応答 (keyword auto-replies): list by priority with an "which rule answers?" tester, and the editor
 * (keywords, match type exact / contains / regex, priority, enabled, reply messages with the LINE preview, actions).
 * Routes: #/auto-replies, #/auto-replies/new, #/auto-replies/<id>
 */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { MessageEditor } from "../../components/MessageEditor";
import { type LineMessage, MessagePreview } from "../../components/MessagePreview";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { problemAt, problemsOf } from "../scenarios/shared";
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

function List() {
  const { api } = useApp();
  const [rows, setRows] = useState<AutoReply[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [probe, setProbe] = useState("");
  const load = () => api.get<{ auto_replies: AutoReply[] }>("/api/auto-replies").then((r) => setRows(r.auto_replies), setError);
  useEffect(() => void load(), []);
  const winner = probe.trim() && rows ? rows.find((r) => r.enabled && matches(r, probe)) : undefined;
  const toggle = async (r: AutoReply) => {
    try {
      const { id: _id, ...rest } = r;
      const body = { name: rest.name, channel_id: rest.channel_id, match_type: rest.match_type, keywords: rest.keywords, priority: rest.priority, enabled: !r.enabled, messages: rest.messages, actions: rest.actions };
      await api.put(`/api/auto-replies/${r.id}`, body);
      load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader title={t("nav.autoReplies")} lead={t("screen.autoReplies.lead")}>
        <a class="btn" href={href("/auto-replies/new")} data-testid="autoreply-new">
          {t("ar.new")}
        </a>
      </PageHeader>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {rows && rows.length > 0 && (
        <section class="card form">
          <label class="field">
            <span class="field__label">{t("ar.tester")}</span>
            <input name="probe" value={probe} placeholder={t("ar.tester.placeholder")} onInput={(e) => setProbe(e.currentTarget.value)} />
          </label>
          {probe.trim() && (
            <p role="status" data-testid="autoreply-tester-result">
              {winner ? t("ar.tester.hit", { name: winner.name }) : t("ar.tester.miss")}
            </p>
          )}
        </section>
      )}
      {rows === null && !error && <p class="muted">{t("app.loading")}</p>}
      {rows && rows.length === 0 && (
        <div class="empty">
          <p>{t("ar.empty")}</p>
          <a class="btn" href={href("/auto-replies/new")}>
            {t("ar.new")}
          </a>
        </div>
      )}
      {rows && rows.length > 0 && (
        <div class="card table-wrap">
          <table class="table" data-testid="autoreply-list">
            <thead>
              <tr>
                <th class="num">{t("ar.priority")}</th>
                <th>{t("ar.name")}</th>
                <th>{t("ar.matchType")}</th>
                <th>{t("ar.keywords")}</th>
                <th>{t("ar.enabled")}</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      )}
    </>
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
  const { api } = useApp();
  const [loaded, setLoaded] = useState<AutoReply | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (id) api.get<AutoReply>(`/api/auto-replies/${id}`).then(setLoaded, setError);
  }, [id]);
  if (error) return <ErrorNotice error={error} />;
  if (id && !loaded) return <p class="muted">{t("app.loading")}</p>;
  return <EditorForm id={id} initial={loaded} />;
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
  const problems = problemsOf(form.error);
  const err = (w: string) => problemAt(problems, w, true);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const body = {
      name: v.name,
      match_type: v.match_type,
      keywords: v.keywords.split("\n").map((k) => k.trim()).filter(Boolean),
      priority: Number(v.priority),
      enabled: v.enabled,
      channel_id: v.channel_id || null,
      messages: v.messages,
      actions: v.actions,
    };
    const r = await form.submit(() => (id ? api.put<AutoReply>(`/api/auto-replies/${id}`, body) : api.post<AutoReply>("/api/auto-replies", body)));
    if (r) navigate("/auto-replies");
  };
  const remove = async () => {
    if (!id || !window.confirm(t("ar.delete.confirm"))) return;
    try {
      await api.delete(`/api/auto-replies/${id}`);
      navigate("/auto-replies");
    } catch (e) {
      setDeleteError(e);
    }
  };
  return (
    <form onSubmit={save} data-testid="autoreply-editor" noValidate>
      <PageHeader title={id ? v.name || t("nav.autoReplies") : t("ar.new")}>
        <a class="btn btn--ghost" href={href("/auto-replies")}>
          {t("sc.back")}
        </a>
        {id && (
          <button type="button" class="btn btn--ghost" onClick={remove}>
            {t("ar.delete")}
          </button>
        )}
        <button type="submit" class="btn" disabled={form.submitting} data-testid="autoreply-save">
          {form.submitting ? t("sc.saving") : t("sc.save")}
        </button>
      </PageHeader>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      <ErrorNotice error={deleteError} />
      <div class="split">
        <div>
          <section class="card form">
            <div class="row">
              <label class="field">
                <span class="field__label">{t("ar.name")}</span>
                <input name="name" value={v.name} aria-invalid={!!err("name")} onInput={(e) => form.set("name", e.currentTarget.value)} />
                {err("name") && <span class="field__error">{err("name")}</span>}
              </label>
              <label class="field field--narrow">
                <span class="field__label">{t("ar.priority")}</span>
                <input name="priority" type="number" min={0} value={v.priority} aria-invalid={!!err("priority")} onInput={(e) => form.set("priority", Number(e.currentTarget.value))} />
              </label>
              <label class="me-vars">
                <input type="checkbox" name="enabled" checked={v.enabled} onChange={(e) => form.set("enabled", e.currentTarget.checked)} />
                {t("ar.enabled")}
              </label>
            </div>
            <p class="field__hint">{t("ar.priority.help")}</p>
            <div class="row">
              <label class="field field--narrow">
                <span class="field__label">{t("ar.matchType")}</span>
                <select name="match_type" value={v.match_type} onChange={(e) => form.set("match_type", e.currentTarget.value as "exact")}>
                  {(["exact", "contains", "regex"] as const).map((m) => (
                    <option key={m} value={m}>
                      {t(`ar.match.${m}`)}
                    </option>
                  ))}
                </select>
              </label>
              <label class="field">
                <span class="field__label">{t("ar.keywords.one")}</span>
                <textarea name="keywords" rows={3} value={v.keywords} aria-invalid={!!err("keywords")} onInput={(e) => form.set("keywords", e.currentTarget.value)} />
                {err("keywords") && <span class="field__error">{err("keywords")}</span>}
              </label>
            </div>
          </section>
          <section class="card form">
            <h2 class="card__title">{t("ar.reply")}</h2>
            <MessageEditor
              value={v.messages}
              name="messages"
              errorAt={(j, f) => (f ? problems.get(`messages.${j}.${f}`) : problems.get(`messages.${j}`))}
              onChange={(x) => form.set("messages", x)}
            />
            {problems.get("messages") && <span class="field__error">{problems.get("messages")}</span>}
          </section>
          <section class="card form">
            <h2 class="card__title">{t("ar.actions")}</h2>
            <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => problemAt(problems, `actions.${j}`, true)} />
            {problems.get("actions") && <span class="field__error">{problems.get("actions")}</span>}
          </section>
        </div>
        <aside class="split__side">
          <MessagePreview messages={v.messages} samples={{ name: "山田 花子", display_name: "山田 花子" }} />
        </aside>
      </div>
    </form>
  );
}

export default function AutoRepliesScreen() {
  const { path } = useRoute();
  const id = path.replace(/^\/auto-replies\/?/, "").split("/")[0];
  if (!id) return <List />;
  return <Editor key={id} id={id === "new" ? null : id} />;
}
