/**
 * 回答フォーム: list, builder (fields mapped to friend fields, required, types; actions; thank-you message or
 * redirect; LINE auto-reply), answers with CSV export.
 * Routes: #/forms, #/forms/new, #/forms/<id>, #/forms/<id>/answers
 */
import { useEffect, useState } from "preact/hooks";
import "../../components/MessagePreview.css";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { download, fmtDateTime, problemAt, problemsOf, rawRequest } from "../scenarios/shared";
import type { Action } from "../scenarios/types";

const FIELD_TYPES = ["text", "email", "phone", "number", "date", "select", "checkboxes", "radio", "textarea"] as const;
type FieldType = (typeof FIELD_TYPES)[number];

interface FormField {
  key: string;
  label: string;
  type: FieldType;
  required: boolean;
  options: string[];
  help?: string | null;
  placeholder?: string | null;
  maps_to?: string | null;
}
interface FormDefinition {
  name: string;
  title: string;
  description: string;
  fields: FormField[];
  submit_label: string;
  actions: Action[];
  channel_id?: string | null;
  auto_reply?: string | null;
  thank_you_message: string;
  redirect_url?: string | null;
  status: "open" | "closed";
}
interface FormView {
  form_id: string;
  url: string;
  definition: FormDefinition;
  created_at: string;
  updated_at: string;
}
interface Answer {
  submission_id: string;
  subscriber_id: string | null;
  answers: Record<string, unknown>;
  line_bound: boolean;
  at: string;
}

function newDefinition(): FormDefinition {
  return {
    name: "",
    title: "",
    description: "",
    fields: [{ key: "name", label: "お名前", type: "text", required: true, options: [], maps_to: "display_name" }],
    submit_label: "送信する",
    actions: [],
    auto_reply: "",
    thank_you_message: "ご回答ありがとうございました。",
    redirect_url: "",
    status: "open",
  };
}

function List() {
  const { api } = useApp();
  const [rows, setRows] = useState<FormView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api.get<{ items: FormView[] }>("/api/forms").then((r) => setRows(r.items), setError);
  useEffect(() => void load(), []);
  return (
    <>
      <PageHeader title={t("nav.forms")} lead={t("screen.forms.lead")}>
        <a class="btn" href={href("/forms/new")} data-testid="form-new">
          {t("fm.new")}
        </a>
      </PageHeader>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {rows === null && !error && <p class="muted">{t("app.loading")}</p>}
      {rows && rows.length === 0 && (
        <div class="empty">
          <p>{t("fm.empty")}</p>
          <a class="btn" href={href("/forms/new")}>
            {t("fm.new")}
          </a>
        </div>
      )}
      {rows && rows.length > 0 && (
        <ul class="list-cards" data-testid="form-list">
          {rows.map((f) => (
            <li key={f.form_id}>
              <div class="list-card">
                <a class="list-card__title" href={href(`/forms/${f.form_id}`)}>
                  {f.definition.name}
                </a>
                <span class={`badge ${f.definition.status === "open" ? "badge--ok" : "badge--warn"}`}>{t(`fm.status.${f.definition.status}`)}</span>
                <span class="list-card__meta">{t("fm.fieldsN", { n: f.definition.fields.length })}</span>
                <a class="btn btn--ghost btn--small" href={href(`/forms/${f.form_id}/answers`)}>
                  {t("fm.answers")}
                </a>
                <a class="btn btn--ghost btn--small" href={f.url} target="_blank" rel="noopener">
                  {t("fm.open")}
                </a>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function FieldRow({ f, i, count, onChange, onRemove, onMove, error }: {
  f: FormField;
  i: number;
  count: number;
  onChange: (f: FormField) => void;
  onRemove: () => void;
  onMove: (d: number) => void;
  error: string | undefined;
}) {
  const mapKind = !f.maps_to ? "" : f.maps_to.startsWith("field:") ? "field" : f.maps_to;
  const base = `fields.${i}`;
  return (
    <div class={`me-msg${error ? " me-msg--invalid" : ""}`} data-testid="form-field">
      <div class="me-msg__head">
        <strong>{t("fm.fieldN", { n: i + 1 })}</strong>
        <button type="button" class="btn btn--ghost btn--small" disabled={i === 0} onClick={() => onMove(-1)} aria-label={t("me.up")}>
          ↑
        </button>
        <button type="button" class="btn btn--ghost btn--small" disabled={i === count - 1} onClick={() => onMove(1)} aria-label={t("me.down")}>
          ↓
        </button>
        <button type="button" class="btn btn--ghost btn--small" disabled={count === 1} onClick={onRemove}>
          {t("me.remove")}
        </button>
      </div>
      {error && <span class="field__error">{error}</span>}
      <div class="row">
        <label class="field">
          <span class="field__label">{t("fm.label")}</span>
          <input name={`${base}.label`} value={f.label} onInput={(e) => onChange({ ...f, label: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span class="field__label">{t("fm.key")}</span>
          <input name={`${base}.key`} value={f.key} placeholder="birthday" onInput={(e) => onChange({ ...f, key: e.currentTarget.value })} />
        </label>
        <label class="field field--narrow">
          <span class="field__label">{t("fm.type")}</span>
          <select name={`${base}.type`} value={f.type} onChange={(e) => onChange({ ...f, type: e.currentTarget.value as FieldType })}>
            {FIELD_TYPES.map((ty) => (
              <option key={ty} value={ty}>
                {t(`fm.type.${ty}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="me-vars">
          <input type="checkbox" name={`${base}.required`} checked={f.required} onChange={(e) => onChange({ ...f, required: e.currentTarget.checked })} />
          {t("fm.required")}
        </label>
      </div>
      {(f.type === "select" || f.type === "radio" || f.type === "checkboxes") && (
        <label class="field">
          <span class="field__label">{t("fm.options")}</span>
          <input
            name={`${base}.options`}
            value={f.options.join(", ")}
            onChange={(e) => onChange({ ...f, options: e.currentTarget.value.split(/[,、]/).map((x) => x.trim()).filter(Boolean) })}
          />
        </label>
      )}
      <div class="row">
        <label class="field">
          <span class="field__label">{t("fm.mapsTo")}</span>
          <select
            name={`${base}.maps_to`}
            value={mapKind}
            onChange={(e) => {
              const k = e.currentTarget.value;
              onChange({ ...f, maps_to: k === "" ? null : k === "field" ? `field:${f.key}` : k });
            }}
          >
            <option value="">{t("fm.map.default")}</option>
            <option value="display_name">{t("fm.map.display_name")}</option>
            <option value="email">{t("fm.map.email")}</option>
            <option value="phone">{t("fm.map.phone")}</option>
            <option value="field">{t("fm.map.field")}</option>
          </select>
        </label>
        {mapKind === "field" && (
          <label class="field">
            <span class="field__label">{t("fm.map.fieldName")}</span>
            <input value={(f.maps_to ?? "").slice(6)} onInput={(e) => onChange({ ...f, maps_to: `field:${e.currentTarget.value}` })} />
          </label>
        )}
      </div>
    </div>
  );
}

function Builder({ id }: { id: string | null }) {
  const { api } = useApp();
  const [loaded, setLoaded] = useState<FormView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (id) api.get<FormView>(`/api/forms/${id}`).then(setLoaded, setError);
  }, [id]);
  if (error) return <ErrorNotice error={error} />;
  if (id && !loaded) return <p class="muted">{t("app.loading")}</p>;
  return <BuilderForm id={id} view={loaded} />;
}

function BuilderForm({ id, view }: { id: string | null; view: FormView | null }) {
  const { api } = useApp();
  const init = view?.definition ?? newDefinition();
  const form = useForm<FormDefinition & { after: "message" | "redirect" }>({ ...init, after: init.redirect_url ? "redirect" : "message" }, `form.${id ?? "new"}`);
  const v = form.values;
  const problems = problemsOf(form.error);
  const err = (w: string) => problemAt(problems, w, true);
  const setField = (i: number, f: FormField) => form.set("fields", v.fields.map((x, j) => (j === i ? f : x)));
  const save = async (e: Event) => {
    e.preventDefault();
    const { after, ...def } = v;
    const body = {
      ...def,
      redirect_url: after === "redirect" ? def.redirect_url || null : null,
      auto_reply: def.auto_reply || null,
      channel_id: def.channel_id || null,
      fields: def.fields.map((f) => ({ ...f, help: f.help || null, placeholder: f.placeholder || null })),
    };
    const r = await form.submit(() => (id ? api.put<FormView>(`/api/forms/${id}`, body) : api.post<FormView>("/api/forms", body)));
    if (r) navigate("/forms");
  };
  return (
    <form onSubmit={save} data-testid="form-builder" noValidate>
      <PageHeader title={id ? v.name || t("nav.forms") : t("fm.new")} lead={view ? view.url : t("fm.builder.lead")}>
        <a class="btn btn--ghost" href={href("/forms")}>
          {t("sc.back")}
        </a>
        <button type="submit" class="btn" disabled={form.submitting} data-testid="form-save">
          {form.submitting ? t("sc.saving") : t("sc.save")}
        </button>
      </PageHeader>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      <section class="card form">
        <div class="row">
          <label class="field">
            <span class="field__label">{t("fm.name")}</span>
            <input name="name" value={v.name} aria-invalid={!!err("name")} onInput={(e) => form.set("name", e.currentTarget.value)} />
            {err("name") && <span class="field__error">{err("name")}</span>}
          </label>
          <label class="field field--narrow">
            <span class="field__label">{t("sc.status")}</span>
            <select name="status" value={v.status} onChange={(e) => form.set("status", e.currentTarget.value as "open")}>
              <option value="open">{t("fm.status.open")}</option>
              <option value="closed">{t("fm.status.closed")}</option>
            </select>
          </label>
        </div>
        <label class="field">
          <span class="field__label">{t("fm.title")}</span>
          <input name="title" value={v.title} aria-invalid={!!err("title")} onInput={(e) => form.set("title", e.currentTarget.value)} />
          {err("title") && <span class="field__error">{err("title")}</span>}
        </label>
        <label class="field">
          <span class="field__label">{t("fm.description")}</span>
          <textarea name="description" rows={2} value={v.description} onInput={(e) => form.set("description", e.currentTarget.value)} />
        </label>
      </section>
      <section class="card form">
        <h2 class="card__title">{t("fm.fields")}</h2>
        {v.fields.map((f, i) => (
          <FieldRow
            key={i}
            f={f}
            i={i}
            count={v.fields.length}
            error={err(`fields.${i}`)}
            onChange={(x) => setField(i, x)}
            onRemove={() => form.set("fields", v.fields.filter((_, j) => j !== i))}
            onMove={(d) => {
              const next = v.fields.slice();
              [next[i], next[i + d]] = [next[i + d]!, next[i]!];
              form.set("fields", next);
            }}
          />
        ))}
        <div>
          <button
            type="button"
            class="btn btn--ghost btn--small"
            data-testid="form-add-field"
            onClick={() => form.set("fields", [...v.fields, { key: `q${v.fields.length + 1}`, label: "", type: "text", required: false, options: [] }])}
          >
            + {t("fm.addField")}
          </button>
        </div>
        <label class="field">
          <span class="field__label">{t("fm.submitLabel")}</span>
          <input name="submit_label" value={v.submit_label} onInput={(e) => form.set("submit_label", e.currentTarget.value)} />
        </label>
      </section>
      <section class="card form">
        <h2 class="card__title">{t("fm.after")}</h2>
        <div class="row" role="radiogroup" aria-label={t("fm.after")}>
          <label class="me-vars">
            <input type="radio" name="after" checked={v.after === "message"} onChange={() => form.set("after", "message")} />
            {t("fm.after.message")}
          </label>
          <label class="me-vars">
            <input type="radio" name="after" checked={v.after === "redirect"} onChange={() => form.set("after", "redirect")} />
            {t("fm.after.redirect")}
          </label>
        </div>
        {v.after === "message" ? (
          <label class="field">
            <span class="field__label">{t("fm.thankYou")}</span>
            <textarea name="thank_you_message" rows={2} value={v.thank_you_message} onInput={(e) => form.set("thank_you_message", e.currentTarget.value)} />
          </label>
        ) : (
          <label class="field">
            <span class="field__label">{t("fm.redirect")}</span>
            <input name="redirect_url" type="url" value={v.redirect_url ?? ""} aria-invalid={!!err("redirect_url")} onInput={(e) => form.set("redirect_url", e.currentTarget.value)} />
            {err("redirect_url") && <span class="field__error">{err("redirect_url")}</span>}
          </label>
        )}
        <label class="field">
          <span class="field__label">{t("fm.autoReply")}</span>
          <textarea name="auto_reply" rows={2} value={v.auto_reply ?? ""} placeholder={t("fm.autoReply.placeholder")} onInput={(e) => form.set("auto_reply", e.currentTarget.value)} />
          {err("auto_reply") && <span class="field__error">{err("auto_reply")}</span>}
        </label>
        <h3 class="field__label">{t("fm.actions")}</h3>
        <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => problemAt(problems, `actions.${j}`, true) ?? problemAt(problems, `actions[${j}]`, true)} />
      </section>
    </form>
  );
}

function Answers({ id }: { id: string }) {
  const { api, session } = useApp();
  const [form, setForm] = useState<FormView | null>(null);
  const [rows, setRows] = useState<Answer[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = (after?: string) =>
    api.get<{ items: Answer[]; cursor: string | null }>(`/api/forms/${id}/answers`, { query: { limit: 100, cursor: after } }).then((r) => {
      setRows((prev) => (after ? [...(prev ?? []), ...r.items] : r.items));
      setCursor(r.cursor);
    }, setError);
  useEffect(() => {
    api.get<FormView>(`/api/forms/${id}`).then(setForm, setError);
    void load();
  }, [id]);
  const exportCsv = async () => {
    try {
      const r = await rawRequest(api, session.token, "GET", `/api/forms/${id}/answers?format=csv`);
      download(`form-${id}.csv`, r.text, "text/csv;charset=utf-8");
    } catch (e) {
      setError(e);
    }
  };
  const fields = form?.definition.fields ?? [];
  return (
    <>
      <PageHeader title={t("fm.answersOf", { name: form?.definition.name ?? "" })}>
        <a class="btn btn--ghost" href={href("/forms")}>
          {t("sc.back")}
        </a>
        <button type="button" class="btn" onClick={exportCsv} data-testid="form-csv">
          {t("fm.csv")}
        </button>
      </PageHeader>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {rows && rows.length === 0 && <div class="empty">{t("fm.noAnswers")}</div>}
      {rows && rows.length > 0 && (
        <div class="card table-wrap">
          <table class="table" data-testid="form-answers">
            <thead>
              <tr>
                <th>{t("fm.answeredAt")}</th>
                {fields.map((f) => (
                  <th key={f.key}>{f.label}</th>
                ))}
                <th>{t("fm.friend")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.submission_id}>
                  <td>{fmtDateTime(a.at)}</td>
                  {fields.map((f) => (
                    <td key={f.key}>{Array.isArray(a.answers[f.key]) ? (a.answers[f.key] as unknown[]).join(", ") : String(a.answers[f.key] ?? "")}</td>
                  ))}
                  <td>{a.subscriber_id ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursor && (
            <button type="button" class="btn btn--ghost" onClick={() => load(cursor)}>
              {t("fm.more")}
            </button>
          )}
        </div>
      )}
    </>
  );
}

export default function FormsScreen() {
  const { path } = useRoute();
  const [id, sub] = path.replace(/^\/forms\/?/, "").split("/");
  if (!id) return <List />;
  if (sub === "answers") return <Answers key={id} id={id} />;
  return <Builder key={id} id={id === "new" ? null : id} />;
}
