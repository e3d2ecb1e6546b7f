/**
 * The friend page's 友だち情報: every defined field in definition order, with its label, a control for its type
 * (a select of the choices, checkboxes for several, yes/no, date, number, text) and "必須" on required ones.
 * Only changed values are sent; the API's refusal (a required field cleared: 422 where fields.<key>) shows at the field.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Field } from "../../components/Field";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href } from "../../router";
import "../tags/tags.css";
import type { FriendDetail, FriendField } from "./types";

/** The stored value as the form's text: lists joined by "," (multi choice), everything else as text. */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return "";
  return Array.isArray(v) ? v.join(",") : String(v);
}

/** The form's text as the API's value for the field's type ("" clears it). */
export function apiValue(f: FriendField, v: string): unknown {
  if (v === "") return null;
  if (f.type === "number") return Number(v);
  if (f.type === "boolean") return v === "true";
  if (f.type === "multi_choice") return v.split(/[,、]/).map((s) => s.trim()).filter(Boolean);
  return v;
}

function Control({ f, value, set }: { f: FriendField; value: string; set: (v: string) => void }) {
  const name = `fields.${f.key}`;
  const onInput = (e: Event) => set((e.currentTarget as HTMLInputElement).value);
  if (f.type === "choice")
    return (
      <select name={name} value={value} onChange={onInput}>
        <option value="">—</option>
        {(f.choices ?? []).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  if (f.type === "multi_choice") {
    const on = new Set(value ? value.split(",") : []);
    const toggle = (c: string) => {
      const next = new Set(on);
      if (next.has(c)) next.delete(c);
      else next.add(c);
      set((f.choices ?? []).filter((x) => next.has(x)).join(","));
    };
    return (
      <span class="fd-value-checks" role="group" aria-label={f.label}>
        {(f.choices ?? []).map((c) => (
          <label key={c} class="me-vars">
            <input type="checkbox" name={name} value={c} checked={on.has(c)} onChange={() => toggle(c)} />
            {c}
          </label>
        ))}
      </span>
    );
  }
  if (f.type === "boolean")
    return (
      <select name={name} value={value} onChange={onInput}>
        <option value="">—</option>
        <option value="true">{t("seg.yes")}</option>
        <option value="false">{t("seg.no")}</option>
      </select>
    );
  if (f.type === "number") return <input type="number" step="any" name={name} value={value} onInput={onInput} />;
  if (f.type === "date") return <input type="date" name={name} value={value} onInput={onInput} />;
  return <input name={name} value={value} onInput={onInput} />;
}

export function FriendFields({ friend, onSaved }: { friend: FriendDetail; onSaved: (f: FriendDetail) => void }) {
  const { api } = useApp();
  const initial: Record<string, string> = {};
  for (const f of friend.fields) initial[f.key] = valueText(f.value);
  const form = useForm(initial, `friends.fields.${friend.subscriber_id}`);
  const [saved, setSaved] = useState(false);
  const err = fieldErrors(form.error);
  if (friend.fields.length === 0)
    return (
      <section class="card" data-testid="fields">
        <h2 class="card__title">{t("friends.fields")}</h2>
        <p class="muted">
          {t("fd.none.friend")} <a href={href("/settings/fields")}>{t("fd.define")}</a>
        </p>
      </section>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    const fields: Record<string, unknown> = {};
    for (const f of friend.fields) {
      const v = form.values[f.key] ?? "";
      if (v !== initial[f.key]) fields[f.key] = apiValue(f, v);
    }
    const r = await form.submit(() => api.patch<FriendDetail>(`/api/subscribers/${friend.subscriber_id}`, { fields }));
    if (r) (setSaved(true), onSaved(r));
  };
  const errorFor = (key: string) => err.at(`fields.${key}`) ?? err.all.get(key);
  const generalError = form.error && !friend.fields.some((f) => errorFor(f.key));
  return (
    <section class="card" data-testid="fields">
      <h2 class="card__title">{t("friends.fields")}</h2>
      <form class="form" onSubmit={submit} noValidate>
        <div class="grid2">
          {friend.fields.map((f) => (
            <Field key={f.key} id={`fields.${f.key}`} label={f.required ? `${f.label}(${t("fd.required.badge")})` : f.label} error={errorFor(f.key)}>
              <Control f={f} value={form.values[f.key] ?? ""} set={(v) => (setSaved(false), form.set(f.key, v))} />
            </Field>
          ))}
        </div>
        {generalError && <ErrorNotice error={form.error} />}
        <div class="row">
          <button class="btn btn--small" type="submit" disabled={form.submitting} data-testid="fields-save">
            {form.submitting ? t("common.saving") : t("common.save")}
          </button>
          {saved && <span class="muted">{t("common.saved")}</span>}
        </div>
      </form>
    </section>
  );
}
