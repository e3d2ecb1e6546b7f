/**
 * One optional setting of a channel saved with PUT /api/channels/{id}/<setting> (its LINE Login channel, its LIFF
 * app): the title with a set/unset badge, the lead, what to paste in the LINE Developers console (with copy), the
 * fields (the API's errors at the field), save, and removing it behind a confirm. The texts are the `<keys>.*`
 * entries of the i18n dictionary; test IDs are `<idPrefix>-status|save|remove|saved`.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import type { ApiClient } from "../../api";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { type FormState, useForm } from "../../lib/useForm";
import { CopyButton } from "../settings/ui";

/** A URL to paste elsewhere, with a copy button. */
export function CopyField({ label, text, testId, copyTestId }: { label: string; text: string; testId: string; copyTestId: string }) {
  return (
    <div class="field">
      <span class="field__label">{label}</span>
      <span class="copybox">
        <code data-testid={testId}>{text}</code>
        <CopyButton text={text} testId={copyTestId} />
      </span>
    </div>
  );
}

export function ChannelSettingPanel<F extends object, C extends { channel_id: string }>(props: {
  channel: C;
  keys: "lg" | "lf";
  /** The PUT that saves the setting (spelt out by each panel, so the API coverage check sees the operation). */
  put: (api: ApiClient, body: Record<string, unknown>) => Promise<C>;
  testId: string;
  idPrefix: string;
  /** The value set now (shown in the badge); removing is offered only when there is one. */
  current: string | null | undefined;
  initial: F;
  body: (values: F) => Record<string, unknown>;
  removeBody: Record<string, null>;
  onChange: (c: C) => void;
  onSaved?: (form: FormState<F>) => void;
  onRemoved?: (form: FormState<F>) => void;
  /** Between the lead and the fields: notices, what to paste in the console. */
  before?: ComponentChildren;
  fields: (form: FormState<F>, err: ReturnType<typeof fieldErrors>) => ComponentChildren;
  /** After the buttons (what to use once it is set). */
  after?: ComponentChildren;
}) {
  const { keys, testId, idPrefix, current, onChange } = props;
  const { api } = useApp();
  const form = useForm(props.initial);
  const [saved, setSaved] = useState(false);
  const removing = useAction();
  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const c = await form.submit((v) => props.put(api, props.body(v)));
    if (c) {
      props.onSaved?.(form);
      setSaved(true);
      onChange(c);
    }
  };
  const remove = () =>
    removing.run(async () => {
      const c = await props.put(api, props.removeBody);
      props.onRemoved?.(form);
      onChange(c);
    });
  return (
    <form class="form" onSubmit={save} noValidate data-testid={testId}>
      <h4 class="card__title">
        {t(`${keys}.title`)}{" "}
        <span class={`badge ${current ? "badge--ok" : ""}`} data-testid={`${idPrefix}-status`}>
          {current ? `${t(`${keys}.set`)} (${current})` : t(`${keys}.unset`)}
        </span>
      </h4>
      <p class="muted">{t(`${keys}.lead`)}</p>
      {props.before}
      {props.fields(form, fieldErrors(form.error))}
      <div class="row">
        <button type="submit" class="btn btn--small" disabled={form.submitting} data-testid={`${idPrefix}-save`}>
          {t(`${keys}.save`)}
        </button>
        {current && (
          <ConfirmButton label={t(`${keys}.remove`)} confirmLabel={t(`${keys}.remove`)} question={t(`${keys}.remove.confirm`)} busy={removing.busy} onConfirm={() => void remove()} testId={`${idPrefix}-remove`} />
        )}
      </div>
      {props.after}
      {saved && <p class="notice notice--info" data-testid={`${idPrefix}-saved`}>{t(`${keys}.saved`)}</p>}
      <ErrorNotice error={form.error ?? removing.error} onDismiss={() => (form.setError(null), removing.setError(null))} />
    </form>
  );
}
