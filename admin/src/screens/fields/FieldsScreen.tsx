/**
 * 友だち情報欄 (friend field definitions): the list in definition order and the editor (label, key and type when new,
 * choices for the choice types, scope shared / per scenario, required, order). The friend page shows these fields.
 * Routes: #/settings/fields, #/settings/fields/new, #/settings/fields/<key>
 */
import { CheckField, RadioField, SelectField, TextField, choices } from "../../components/Field";
import { Table } from "../../components/Table";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { type DictKey, t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, useRoute } from "../../router";

export const FIELD_TYPES = ["text", "number", "date", "datetime", "choice", "multi_choice", "boolean"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldDef {
  key: string;
  label: string;
  type: FieldType;
  choices: string[];
  scope: "shared" | "scenario";
  scenario_id: string | null;
  position: number;
  required: boolean;
}

const FIELDS: ResourceKind = { path: "/settings/fields", title: "nav.fields", lead: "screen.fields.lead", newLabel: "fd.new", testId: "field" };

const typeLabel = (x: string) => t(`fd.type.${x}` as DictKey);
export const hasChoices = (x: string) => x === "choice" || x === "multi_choice";

function List() {
  const list = useApiList<FieldDef>("/api/fields", (b: { fields: FieldDef[] }) => b.fields);
  return (
    <ListScreen kind={FIELDS} list={list} empty={t("fd.empty")}>
      {(rows) => (
        <Table testId="field-list" columns={[t("fd.label"), t("fd.key"), t("fd.type"), t("fd.scope"), t("fd.required.badge")]}>
          {rows.map((r) => (
            <tr key={r.key} data-testid="field-row" data-key={r.key}>
              <td>
                <a href={href(`/settings/fields/${r.key}`)}>{r.label}</a>
              </td>
              <td class="mono">{r.key}</td>
              <td>
                {typeLabel(r.type)}
                {hasChoices(r.type) && <span class="muted"> ({r.choices.join(" / ")})</span>}
              </td>
              <td>{t(`fd.scope.${r.scope}`)}</td>
              <td>{r.required ? <span class="badge">{t("fd.required.badge")}</span> : ""}</td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

interface Values {
  key: string;
  label: string;
  type: FieldType;
  choices: string;
  scope: "shared" | "scenario";
  scenario_id: string;
  position: number;
  required: boolean;
}

/** The API body: a new field names key and type; a change leaves them out (they cannot change). */
export function toBody(v: Values, isNew: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    label: v.label.trim(),
    choices: hasChoices(v.type) ? v.choices.split("\n").map((c) => c.trim()).filter(Boolean) : [],
    scope: v.scope,
    scenario_id: v.scope === "scenario" ? v.scenario_id || null : null,
    position: Number(v.position) || 0,
    required: v.required,
  };
  return isNew ? { key: v.key.trim(), type: v.type, ...body } : body;
}

function Editor({ id }: { id: string | null }) {
  return <Loaded<FieldDef> path={id ? `/api/fields/${encodeURIComponent(id)}` : null}>{(def) => <EditorForm id={id} initial={def} />}</Loaded>;
}

function EditorForm({ id, initial }: { id: string | null; initial: FieldDef | null }) {
  const { api } = useApp();
  const scenarios = useApiList<{ id: string; name: string }>("/api/scenarios");
  const form = useForm<Values>(
    {
      key: initial?.key ?? "",
      label: initial?.label ?? "",
      type: initial?.type ?? "text",
      choices: (initial?.choices ?? []).join("\n"),
      scope: initial?.scope ?? "shared",
      scenario_id: initial?.scenario_id ?? "",
      position: initial?.position ?? 0,
      required: initial?.required ?? false,
    },
    `field.${id ?? "new"}`,
  );
  const v = form.values;
  const err = fieldErrors(form.error);
  const save = (x: Values) => (id ? api.patch(`/api/fields/${encodeURIComponent(id)}`, toBody(x, false)) : api.post("/api/fields", toBody(x, true)));
  const remove = id ? { label: t("fd.delete"), question: t("fd.delete.confirm"), run: () => api.delete(`/api/fields/${encodeURIComponent(id)}`), testId: "field-delete" } : undefined;
  return (
    <EditorShell kind={FIELDS} id={id} name={v.label} form={form} save={save} remove={remove}>
      <section class="card form">
        <div class="row">
          <TextField label={t("fd.label")} name="label" value={v.label} maxLength={100} error={err.at("label")} onValue={(x) => form.set("label", x)} />
          {id ? (
            <label class="field field--narrow">
              <span class="field__label">{t("fd.key")}</span>
              <span class="mono">{v.key}</span>
            </label>
          ) : (
            <TextField narrow label={t("fd.key")} name="key" value={v.key} maxLength={64} hint={t("fd.key.hint")} error={err.at("key")} onValue={(x) => form.set("key", x)} />
          )}
        </div>
        {id ? (
          <p class="field__hint">
            {t("fd.type")}: <strong>{typeLabel(v.type)}</strong> — {t("fd.type.fixed")}
          </p>
        ) : (
          <SelectField narrow label={t("fd.type")} name="type" value={v.type} error={err.at("type")} options={choices(FIELD_TYPES, typeLabel)} onValue={(x) => form.set("type", x)} />
        )}
        {hasChoices(v.type) && <TextField label={t("fd.choices")} name="choices" rows={4} value={v.choices} error={err.at("choices")} onValue={(x) => form.set("choices", x)} />}
        <div class="field">
          <span class="field__label">{t("fd.scope")}</span>
          <RadioField label={t("fd.scope")} name="scope" value={v.scope} options={choices(["shared", "scenario"] as const, (s) => t(`fd.scope.${s}`))} onValue={(x) => form.set("scope", x)} />
        </div>
        {v.scope === "scenario" && (
          <SelectField
            narrow
            label={t("fd.scenario")}
            name="scenario_id"
            value={v.scenario_id}
            error={err.at("scenario_id")}
            options={[["", "—"], ...(scenarios.rows ?? []).map((s): [string, string] => [s.id, s.name])]}
            onValue={(x) => form.set("scenario_id", x)}
          />
        )}
        <div class="row">
          <TextField narrow label={t("fd.position")} name="position" type="number" value={v.position} error={err.at("position")} onValue={(x) => form.set("position", Number(x))} />
          <CheckField label={t("fd.required")} name="required" checked={v.required} onValue={(x) => form.set("required", x)} testId="field-required" />
        </div>
      </section>
    </EditorShell>
  );
}

export default function FieldsScreen() {
  const { path } = useRoute();
  const id = decodeURIComponent(path.replace(/^\/settings\/fields\/?/, "").split("/")[0] ?? "");
  if (!id) return <List />;
  return <Editor key={id} id={id === "new" ? null : id} />;
}
