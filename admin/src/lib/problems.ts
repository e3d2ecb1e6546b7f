/**
 * The API's error bodies name the place that is wrong (`where`, e.g. "name", "steps[0].line[1].text",
 * "content.email.subject"), and validation errors list every problem in `details`. These helpers turn an error into
 * "where -> message" so each screen can show the message AT the field (see components/Field.tsx).
 */
import { toApiError } from "../api";

/** Every problem an API error names: `where` -> message (from `details` when the API lists them all). */
export function problemsOf(error: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!error) return out;
  const err = toApiError(error);
  if (Array.isArray(err.details)) {
    for (const d of err.details) {
      if (d && typeof d === "object" && typeof (d as { where?: unknown }).where === "string") {
        const p = d as { where: string; message?: unknown };
        if (!out.has(p.where)) out.set(p.where, String(p.message ?? err.message).replace(/^Value error, /, ""));
      }
    }
  }
  if (err.where !== undefined && !out.has(err.where)) out.set(err.where, err.message.replace(/^Value error, /, ""));
  return out;
}

/** The first problem at `where` exactly, or (with prefix) at or under it. */
export function problemAt(problems: Map<string, string>, where: string, prefix = false): string | undefined {
  const exact = problems.get(where);
  if (exact || !prefix) return exact;
  for (const [w, m] of problems) if (w.startsWith(`${where}.`) || w.startsWith(`${where}[`)) return m;
  return undefined;
}

export interface FieldErrors {
  /** every problem: where -> message */
  all: Map<string, string>;
  /** the message at `where`, or (prefix, the default) at or under it */
  at: (where: string, prefix?: boolean) => string | undefined;
}

/** `const err = fieldErrors(form.error); <TextField error={err.at("name")} .../>` */
export function fieldErrors(error: unknown): FieldErrors {
  const all = problemsOf(error);
  return { all, at: (where, prefix = true) => problemAt(all, where, prefix) };
}
