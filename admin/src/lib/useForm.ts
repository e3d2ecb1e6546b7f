/**
 * Form state that survives failures.
 *
 * - values are kept as they are when a save fails (the error is returned for <ErrorNotice>)
 * - while the form is dirty, values are mirrored to sessionStorage under `draftKey`, so a 401
 *   (session expired -> login screen -> back) or a reload restores what the user typed
 * - a successful save clears the draft
 */
import { useCallback, useRef, useState } from "preact/hooks";
import { ApiError, toApiError } from "../api";

const PREFIX = "haishin.draft.";

export function readDraft<T extends object>(draftKey: string | null, initial: T): T {
  if (!draftKey) return initial;
  try {
    const raw = globalThis.sessionStorage?.getItem(PREFIX + draftKey);
    return raw ? { ...initial, ...(JSON.parse(raw) as Partial<T>) } : initial;
  } catch {
    return initial;
  }
}

function writeDraft(draftKey: string | null, values: object | null): void {
  if (!draftKey) return;
  try {
    if (values === null) globalThis.sessionStorage?.removeItem(PREFIX + draftKey);
    else globalThis.sessionStorage?.setItem(PREFIX + draftKey, JSON.stringify(values));
  } catch {
    /* storage full or disabled: the in-memory values still hold */
  }
}

export interface FormState<T extends object> {
  values: T;
  set: <K extends keyof T>(field: K, value: T[K]) => void;
  submitting: boolean;
  error: ApiError | null;
  setError: (e: ApiError | null) => void;
  /** Run `save(values)`; on failure keep values and expose the error; on success clear the draft. */
  submit: <R>(save: (values: T) => Promise<R>) => Promise<R | undefined>;
  /** The error's message when it points at `field` (ApiError.where === field). */
  errorFor: (field: keyof T & string) => string | undefined;
}

export function useForm<T extends object>(initial: T, draftKey: string | null = null): FormState<T> {
  const [values, setValues] = useState<T>(() => readDraft(draftKey, initial));
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const latest = useRef(values);
  latest.current = values;

  const set = useCallback(
    <K extends keyof T>(field: K, value: T[K]) => {
      setValues((prev) => {
        const next = { ...prev, [field]: value };
        writeDraft(draftKey, next);
        return next;
      });
    },
    [draftKey],
  );

  const submit = useCallback(
    async <R>(save: (values: T) => Promise<R>): Promise<R | undefined> => {
      setSubmitting(true);
      setError(null);
      // Keep a draft while the request is in flight: a 401 navigates away before we return.
      writeDraft(draftKey, latest.current);
      try {
        const result = await save(latest.current);
        writeDraft(draftKey, null);
        return result;
      } catch (e) {
        setError(toApiError(e));
        return undefined;
      } finally {
        setSubmitting(false);
      }
    },
    [draftKey],
  );

  const errorFor = useCallback(
    (field: keyof T & string) => (error && error.where === field ? error.message : undefined),
    [error],
  );

  return { values, set, submitting, error, setError, submit, errorFor };
}
