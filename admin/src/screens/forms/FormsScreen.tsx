/**
 * 回答フォーム: list, builder (fields mapped to friend fields, required, types; actions; thank-you message or
 * redirect; LINE auto-reply), answers with CSV export.
 * Routes: #/forms, #/forms/new, #/forms/<id>, #/forms/<id>/answers
 */
import "../../components/MessagePreview.css";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Card, CardList } from "../../components/CardList";
import { CheckField, RadioField, SelectField, TextField, choices } from "../../components/Field";
import { ItemControls, moveItem, removeItem, replaceItem } from "../../components/ItemControls";
import { Table } from "../../components/Table";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiGet, useApiList, useApiPages } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, useRoute } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { FormLinkPanel } from "./FormLinkPanel";
import { download, fmtDateTime, rawRequest } from "../scenarios/shared";
import type { Action } from "../scenarios/types";

const FIELD_TYPES = ["text", "email", "phone", "number", "date", "select", "checkboxes", "radio", "textarea", "seminar_session"] as const;
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
  seminar_id?: string | null; // type seminar_session: the seminar whose sessions the friend picks (submitting registers)
}
interface Seminar {
  event_id: string;
  title: string;
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

const FORMS: ResourceKind = { path: "/forms", title: "nav.forms", lead: "screen.forms.lead", newLabel: "fm.new", testId: "form", editorTestId: "form-builder" };

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
  const list = useApiList<FormView>("/api/forms");
  return (
    <ListScreen kind={FORMS} list={list} empty={t("fm.empty")}>
      {(rows) => (
        <CardList rows={rows} testId="form-list" keyOf={(f) => f.form_id}>
          {(f) => (
            <Card title={f.definition.name} href={href(`/forms/${f.form_id}`)}>
              <span class={`badge ${f.definition.status === "open" ? "badge--ok" : "badge--warn"}`}>{t(`fm.status.${f.definition.status}`)}</span>
              <span class="list-card__meta">{t("fm.fieldsN", { n: f.definition.fields.length })}</span>
              <a class="btn btn--ghost btn--small" href={href(`/forms/${f.form_id}/answers`)}>
                {t("fm.answers")}
              </a>
              <a class="btn btn--ghost btn--small" href={f.url} target="_blank" rel="noopener">
                {t("fm.open")}
              </a>
            </Card>
          )}
        </CardList>
      )}
    </ListScreen>
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
        <ItemControls index={i} count={count} onMove={onMove} onRemove={onRemove} />
      </div>
      {error && <span class="field__error">{error}</span>}
      <div class="row">
        <TextField label={t("fm.label")} name={`${base}.label`} value={f.label} onValue={(label) => onChange({ ...f, label })} />
        <TextField label={t("fm.key")} name={`${base}.key`} value={f.key} placeholder="birthday" onValue={(key) => onChange({ ...f, key })} />
        <SelectField narrow label={t("fm.type")} name={`${base}.type`} value={f.type} options={choices(FIELD_TYPES, (ty) => t(`fm.type.${ty}`))} onValue={(type) => onChange({ ...f, type })} />
        <CheckField label={t("fm.required")} name={`${base}.required`} checked={f.required} onValue={(required) => onChange({ ...f, required })} />
      </div>
      {f.type === "seminar_session" && <SeminarPick f={f} base={base} onChange={onChange} />}
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
      {f.type !== "seminar_session" && <div class="row">
        <SelectField
          label={t("fm.mapsTo")}
          name={`${base}.maps_to`}
          value={mapKind}
          options={[["", t("fm.map.default")], ...choices(["display_name", "email", "phone", "field"] as const, (k) => t(`fm.map.${k}`))]}
          onValue={(k) => onChange({ ...f, maps_to: k === "" ? null : k === "field" ? `field:${f.key}` : k })}
        />
        {mapKind === "field" && (
          <label class="field">
            <span class="field__label">{t("fm.map.fieldName")}</span>
            <input value={(f.maps_to ?? "").slice(6)} onInput={(e) => onChange({ ...f, maps_to: `field:${e.currentTarget.value}` })} />
          </label>
        )}
      </div>}
    </div>
  );
}

/** A seminar session field: which seminar (the friend then picks one of its sessions with seats left, and is
 * registered on submit by the seminar's rules). Not saved to a friend field. */
function SeminarPick({ f, base, onChange }: { f: FormField; base: string; onChange: (f: FormField) => void }) {
  const seminars = useApiGet<{ items: Seminar[] }>("/api/seminars");
  const items = seminars.data?.items ?? [];
  return (
    <div class="row">
      <SelectField
        label={t("fm.seminar")}
        name={`${base}.seminar_id`}
        value={f.seminar_id ?? ""}
        options={[["", t("fm.seminar.pick")], ...items.map((s) => [s.event_id, s.title] as [string, string])]}
        onValue={(seminar_id) => onChange({ ...f, seminar_id: seminar_id || null, maps_to: null })}
      />
      <p class="muted">{t("fm.seminar.lead")}</p>
    </div>
  );
}

function Builder({ id }: { id: string | null }) {
  return <Loaded<FormView> path={id ? `/api/forms/${id}` : null}>{(loaded) => <BuilderForm id={id} view={loaded} />}</Loaded>;
}

type BuilderValues = FormDefinition & { after: "message" | "redirect" };

function toBody({ after, ...def }: BuilderValues) {
  return {
    ...def,
    redirect_url: after === "redirect" ? def.redirect_url || null : null,
    auto_reply: def.auto_reply || null,
    channel_id: def.channel_id || null,
    fields: def.fields.map((f) => ({ ...f, help: f.help || null, placeholder: f.placeholder || null, seminar_id: f.type === "seminar_session" ? f.seminar_id || null : null })),
  };
}

function BuilderForm({ id, view }: { id: string | null; view: FormView | null }) {
  const { api } = useApp();
  const init = view?.definition ?? newDefinition();
  const form = useForm<BuilderValues>({ ...init, after: init.redirect_url ? "redirect" : "message" }, `form.${id ?? "new"}`);
  const v = form.values;
  const err = fieldErrors(form.error);
  const setField = (i: number, f: FormField) => form.set("fields", replaceItem(v.fields, i, f));
  const save = (vals: BuilderValues) => (id ? api.put<FormView>(`/api/forms/${id}`, toBody(vals)) : api.post<FormView>("/api/forms", toBody(vals)));
  const remove = id ? { label: t("fm.delete"), question: t("fm.delete.q"), run: () => api.delete(`/api/forms/${id}`), testId: "form-delete" } : undefined;
  return (
    <EditorShell kind={FORMS} id={id} name={v.name} form={form} save={save} remove={remove} lead={view ? view.url : t("fm.builder.lead")}>
      <section class="card form">
        <div class="row">
          <TextField label={t("fm.name")} name="name" value={v.name} error={err.at("name")} onValue={(x) => form.set("name", x)} />
          <SelectField narrow label={t("sc.status")} name="status" value={v.status} options={choices(["open", "closed"] as const, (x) => t(`fm.status.${x}`))} onValue={(x) => form.set("status", x)} />
        </div>
        <TextField label={t("fm.title")} name="title" value={v.title} error={err.at("title")} onValue={(x) => form.set("title", x)} />
        <TextField label={t("fm.description")} name="description" rows={2} value={v.description} onValue={(x) => form.set("description", x)} />
      </section>
      <section class="card form">
        <h2 class="card__title">{t("fm.fields")}</h2>
        {v.fields.map((f, i) => (
          <FieldRow
            key={i}
            f={f}
            i={i}
            count={v.fields.length}
            error={err.at(`fields.${i}`)}
            onChange={(x) => setField(i, x)}
            onRemove={() => form.set("fields", removeItem(v.fields, i))}
            onMove={(d) => form.set("fields", moveItem(v.fields, i, d))}
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
        <TextField label={t("fm.submitLabel")} name="submit_label" value={v.submit_label} onValue={(x) => form.set("submit_label", x)} />
      </section>
      <section class="card form">
        <h2 class="card__title">{t("fm.after")}</h2>
        <RadioField label={t("fm.after")} name="after" value={v.after} options={choices(["message", "redirect"] as const, (a) => t(`fm.after.${a}`))} onValue={(x) => form.set("after", x)} />
        {v.after === "message" ? (
          <TextField label={t("fm.thankYou")} name="thank_you_message" rows={2} value={v.thank_you_message} onValue={(x) => form.set("thank_you_message", x)} />
        ) : (
          <TextField label={t("fm.redirect")} name="redirect_url" type="url" value={v.redirect_url ?? ""} error={err.at("redirect_url")} onValue={(x) => form.set("redirect_url", x)} />
        )}
        <TextField label={t("fm.autoReply")} name="auto_reply" rows={2} value={v.auto_reply ?? ""} placeholder={t("fm.autoReply.placeholder")} error={err.at("auto_reply")} onValue={(x) => form.set("auto_reply", x)} />
        <h3 class="field__label">{t("fm.actions")}</h3>
        <ActionList value={v.actions} name="actions" onChange={(x) => form.set("actions", x)} errorAt={(j) => err.at(`actions.${j}`) ?? err.at(`actions[${j}]`)} />
      </section>
      {id && <FormLinkPanel formId={id} />}
    </EditorShell>
  );
}

function Answers({ id }: { id: string }) {
  const { api, session } = useApp();
  const form = useApiGet<FormView>(`/api/forms/${id}`);
  const list = useApiPages<Answer>(`/api/forms/${id}/answers`, { limit: 100 });
  const csv = useAction();
  const exportCsv = () =>
    csv.run(async () => {
      const r = await rawRequest(api, session.token, "GET", `/api/forms/${id}/answers?format=csv`);
      download(`form-${id}.csv`, r.text, "text/csv;charset=utf-8");
    });
  const fields = form.data?.definition.fields ?? [];
  return (
    <ListScreen
      kind={FORMS}
      title={t("fm.answersOf", { name: form.data?.definition.name ?? "" })}
      creates={false}
      list={list}
      empty={t("fm.noAnswers")}
      actions={
        <>
          <a class="btn btn--ghost" href={href("/forms")}>
            {t("sc.back")}
          </a>
          <button type="button" class="btn" onClick={exportCsv} data-testid="form-csv">
            {t("fm.csv")}
          </button>
        </>
      }
      above={<ErrorNotice error={csv.error || form.error} onDismiss={() => (csv.setError(null), form.setError(null))} />}
    >
      {(rows) => (
        <Table testId="form-answers" columns={[t("fm.answeredAt"), ...fields.map((f) => f.label), t("fm.friend")]}>
          {rows.map((a) => (
            <tr key={a.submission_id}>
              <td>{fmtDateTime(a.at)}</td>
              {fields.map((f) => (
                <td key={f.key}>{Array.isArray(a.answers[f.key]) ? (a.answers[f.key] as unknown[]).join(", ") : String(a.answers[f.key] ?? "")}</td>
              ))}
              <td>{a.subscriber_id ?? "—"}</td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

export default function FormsScreen() {
  const { path } = useRoute();
  const [id, sub] = path.replace(/^\/forms\/?/, "").split("/");
  if (!id) return <List />;
  if (sub === "answers") return <Answers key={id} id={id} />;
  return <Builder key={id} id={id === "new" ? null : id} />;
}
