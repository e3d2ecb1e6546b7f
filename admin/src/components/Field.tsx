/**
 * Form fields that show the API's error AT the field (the shared parts of every editor screen).
 *
 * - <Field>: a label around any control, with hint and error (used by the crm screens).
 * - <TextField>/<SelectField>: a labelled input / textarea / select whose `aria-invalid` and error line come from
 *   `error` (usually `problemAt(problems, "name")` or `form.errorFor("name")`). `name` is the API's `where`, so the
 *   browser journeys and the error both point at the same place.
 * - <FieldError>: just the error line, for a field group (a list of messages, actions, fields).
 */
import type { ComponentChildren } from "preact";
import "./shell.css";

export function FieldError({ text, name }: { text: string | undefined; name?: string }) {
  return text ? (
    <span class="field__error" data-field-error={name}>
      {text}
    </span>
  ) : null;
}

export function Field({
  label,
  hint,
  error,
  children,
  id,
}: {
  label: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <label class={`field${error ? " field--error" : ""}`} data-field={id}>
      <span class="field__label">{label}</span>
      {children}
      {hint && <span class="field__hint muted">{hint}</span>}
      {error && (
        <span class="field__error" role="alert" data-field-error={id}>
          {error}
        </span>
      )}
    </label>
  );
}

interface Common {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: ComponentChildren;
  /** a short field (numbers, selects) in a `.row` */
  narrow?: boolean;
  testId?: string;
}

function Wrap({ label, name, error, hint, narrow, children }: Omit<Common, "testId"> & { children: ComponentChildren }) {
  return (
    <label class={`field${narrow ? " field--narrow" : ""}`}>
      <span class="field__label">{label}</span>
      {children}
      {hint && <span class="field__hint">{hint}</span>}
      <FieldError text={error} name={name} />
    </label>
  );
}

export interface TextFieldProps extends Common {
  value: string | number;
  onValue: (value: string) => void;
  type?: "text" | "number" | "url" | "email" | "time" | "password" | "datetime-local";
  /** a textarea of this many rows */
  rows?: number;
  placeholder?: string;
  min?: number;
  max?: number;
  maxLength?: number;
  required?: boolean;
  /** the id of a <datalist> of suggestions */
  list?: string;
  /** "new-password" for a secret the browser must not fill in */
  autoComplete?: string;
}

export function TextField({ value, onValue, type, rows, placeholder, min, max, maxLength, required, list, autoComplete, testId, ...wrap }: TextFieldProps) {
  const invalid = !!wrap.error;
  return (
    <Wrap {...wrap}>
      {rows ? (
        <textarea
          name={wrap.name}
          rows={rows}
          value={String(value)}
          placeholder={placeholder}
          maxLength={maxLength}
          aria-invalid={invalid}
          data-testid={testId}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      ) : (
        <input
          name={wrap.name}
          type={(type ?? "text") as "text"}
          value={value}
          placeholder={placeholder}
          min={min}
          max={max}
          maxLength={maxLength}
          required={required}
          list={list}
          autoComplete={autoComplete}
          spellcheck={autoComplete === "new-password" ? false : undefined}
          aria-invalid={invalid}
          data-testid={testId}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Wrap>
  );
}

export interface SelectFieldProps<V extends string> extends Common {
  value: V;
  onValue: (value: V) => void;
  /** [value, visible label] pairs, in order */
  options: readonly (readonly [V, string])[];
}

export function SelectField<V extends string>({ value, onValue, options, testId, ...wrap }: SelectFieldProps<V>) {
  return (
    <Wrap {...wrap}>
      <select name={wrap.name} value={value} aria-invalid={!!wrap.error} data-testid={testId} onChange={(e) => onValue(e.currentTarget.value as V)}>
        {options.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
      </select>
    </Wrap>
  );
}

/** `[value, t(prefix + value)]` pairs for a SelectField, e.g. `choices(["a", "b"], (v) => t(`x.${v}`))`. */
export function choices<V extends string>(values: readonly V[], label: (v: V) => string): [V, string][] {
  return values.map((v) => [v, label(v)]);
}

/** One choice of several, as radio buttons in a row (`value` attributes are the values). */
export function RadioField<V extends string>({
  label,
  name,
  value,
  onValue,
  options,
}: {
  /** the group's accessible name */
  label: string;
  name: string;
  value: V;
  onValue: (value: V) => void;
  options: readonly (readonly [V, string])[];
}) {
  return (
    <div class="row" role="radiogroup" aria-label={label}>
      {options.map(([v, text]) => (
        <label key={v} class="me-vars">
          <input type="radio" name={name} value={v} checked={value === v} onChange={() => onValue(v)} />
          {text}
        </label>
      ))}
    </div>
  );
}

/** A yes/no choice as a labelled checkbox. */
export function CheckField({ label, name, checked, onValue, testId, title }: { label: string; name: string; checked: boolean; onValue: (checked: boolean) => void; testId?: string; title?: string }) {
  return (
    <label class="me-vars" data-testid={testId} title={title}>
      <input type="checkbox" name={name} checked={checked} onChange={(e) => onValue(e.currentTarget.checked)} />
      {label}
    </label>
  );
}
