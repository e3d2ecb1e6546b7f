/**
 * A button's action (send, cancel, delete, retry, export) whose failure is shown IN PLACE: `run(fn)` marks it busy,
 * clears the last error, and keeps the new one for <ErrorNotice error={action.error} /> when `fn` throws.
 */
import { useState } from "preact/hooks";

export interface ActionState {
  busy: boolean;
  error: unknown;
  setError: (e: unknown) => void;
  /** `fn`'s result, or undefined when it failed (the error is in `error`) */
  run: <R>(fn: () => Promise<R>) => Promise<R | undefined>;
}

export function useAction(): ActionState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async <R>(fn: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
