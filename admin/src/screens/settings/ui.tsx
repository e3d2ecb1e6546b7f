/** Small building blocks shared by the crm screens (channels, dashboard, friends, settings). */
import type { ComponentChildren, VNode } from "preact";
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loaded } from "../../components/ResourceScreen";
import { getLang, t } from "../../i18n";
import type { FormState } from "../../lib/useForm";
import "./crm.css";

// The field and the two-step confirm are shared by every screen: they live in components/.
export { Field } from "../../components/Field";
export { ConfirmButton } from "../../components/ConfirmButton";

/** Copy text to the clipboard; falls back to selecting a hidden textarea when the Clipboard API is unavailable. */
export function CopyButton({ text, testId }: { text: string; testId?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy");
      } catch {
        /* the user can still select the text by hand */
      }
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  };
  return (
    <button type="button" class="btn btn--small btn--ghost" onClick={copy} data-testid={testId}>
      {done ? t("common.copied") : t("common.copy")}
    </button>
  );
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(getLang() === "ja" ? "ja-JP" : "en-US", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return n.toLocaleString(getLang() === "ja" ? "ja-JP" : "en-US");
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
      <div class="progress__bar" style={{ width: `${pct}%` }} />
      <span class="progress__text">{pct}%</span>
    </div>
  );
}

/**
 * A settings card's form that saves in place (workspace, opt-out keywords, Stripe keys): the fields (disabled for
 * who may not edit), the API's error (also shown at the field by the fields themselves), save, and "saved" until the
 * next change. Test ids: `${testId}-form`, `${testId}-save`, `${testId}-saved`. A page-level editor uses EditorShell.
 */
export function SettingsForm<T extends object>({
  form,
  save,
  testId,
  canEdit = true,
  savedLabel,
  saveLabel,
  onSaved,
  children,
}: {
  form: FormState<T>;
  save: (values: T) => Promise<unknown>;
  testId: string;
  canEdit?: boolean;
  savedLabel?: string;
  saveLabel?: string;
  onSaved?: () => void;
  children: ComponentChildren;
}) {
  const [savedValues, setSavedValues] = useState<T | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const before = form.values;
    let ok = false;
    await form.submit(async (v) => {
      const r = await save(v);
      ok = true;
      return r;
    });
    if (ok) {
      setSavedValues(before);
      onSaved?.();
    }
  };
  return (
    <form class="form" onSubmit={submit} noValidate autoComplete="off" data-testid={`${testId}-form`}>
      <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }} class="stack">
        {children}
      </fieldset>
      <ErrorNotice error={form.error} />
      {canEdit && (
        <div class="row">
          <button type="submit" class="btn" disabled={form.submitting} data-testid={`${testId}-save`}>
            {form.submitting ? t("common.saving") : (saveLabel ?? t("common.save"))}
          </button>
          {savedValues !== null && savedValues === form.values && (
            <span class="muted" role="status" data-testid={`${testId}-saved`}>{savedLabel ?? t("common.saved")}</span>
          )}
        </div>
      )}
    </form>
  );
}

/** Owners and admins change the workspace's settings; operators see them. */
export function canEditSettings(role: string): boolean {
  return role === "owner" || role === "admin";
}

/** A settings card on the hub that loads its settings (GET `path`) and renders the form with them. */
export function SettingsCard<T>({ title, lead, testId, path, children }: { title: string; lead?: string; testId: string; path: string; children: (data: T) => VNode }) {
  return (
    <section class="card" data-testid={testId}>
      <h2 class="card__title">{title}</h2>
      {lead && <p class="muted">{lead}</p>}
      <Loaded<T> path={path}>{(data) => children(data as T)}</Loaded>
    </section>
  );
}
