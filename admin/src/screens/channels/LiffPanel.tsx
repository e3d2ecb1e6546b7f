/**
 * A channel's LIFF app (forms and マイページ open inside LINE, LINE identifies the friend): the endpoint URL to
 * register on a LIFF app of the channel's LINE Login channel (with copy), the LIFF ID it issues (the API checks
 * its format and that it belongs to that Login channel; errors at the field), the LIFF URLs to use, and removing
 * it behind a confirm. PUT /api/channels/{id}/liff.
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/Field";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { CopyButton } from "../settings/ui";

export interface LiffChannel {
  channel_id: string;
  login_channel_id?: string | null;
  liff_id?: string | null;
  liff_endpoint_url?: string;
}

export function LiffPanel<C extends LiffChannel>({ channel, onChange }: { channel: C; onChange: (c: C) => void }) {
  const { api } = useApp();
  const form = useForm({ liff_id: channel.liff_id ?? "" });
  const [saved, setSaved] = useState(false);
  const removing = useAction();
  const err = fieldErrors(form.error);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const c = await form.submit((v) => api.put<C>(`/api/channels/${channel.channel_id}/liff`, { liff_id: v.liff_id.trim() }));
    if (c) {
      setSaved(true);
      onChange(c);
    }
  };
  const remove = () =>
    removing.run(async () => {
      const c = await api.put<C>(`/api/channels/${channel.channel_id}/liff`, { liff_id: null });
      form.set("liff_id", "");
      onChange(c);
    });
  const base = channel.liff_id ? `https://liff.line.me/${channel.liff_id}` : null;
  return (
    <form class="form" onSubmit={save} noValidate data-testid="liff-app">
      <h4 class="card__title">
        {t("lf.title")}{" "}
        <span class={`badge ${channel.liff_id ? "badge--ok" : ""}`} data-testid="liff-status">
          {channel.liff_id ? `${t("lf.set")} (${channel.liff_id})` : t("lf.unset")}
        </span>
      </h4>
      <p class="muted">{t("lf.lead")}</p>
      {!channel.login_channel_id && <p class="notice notice--info" data-testid="liff-needs-login">{t("lf.needsLogin")}</p>}
      {channel.liff_endpoint_url && (
        <div class="field">
          <span class="field__label">{t("lf.endpoint")}</span>
          <span class="copybox">
            <code data-testid="liff-endpoint-url">{channel.liff_endpoint_url}</code>
            <CopyButton text={channel.liff_endpoint_url} testId="liff-endpoint-copy" />
          </span>
        </div>
      )}
      <TextField label={t("lf.liffId")} name="liff_id" hint={t("lf.liffId.help")} value={form.values.liff_id} error={err.at("liff_id")} autoComplete="off" onValue={(x) => form.set("liff_id", x)} />
      <div class="row">
        <button type="submit" class="btn btn--small" disabled={form.submitting} data-testid="liff-save">
          {t("lf.save")}
        </button>
        {channel.liff_id && (
          <ConfirmButton label={t("lf.remove")} confirmLabel={t("lf.remove")} question={t("lf.remove.confirm")} busy={removing.busy} onConfirm={() => void remove()} testId="liff-remove" />
        )}
      </div>
      {base && (
        <div class="field" data-testid="liff-urls">
          <span class="field__label">{t("lf.urls")}</span>
          <span class="copybox">
            {t("lf.url.me")}: <code data-testid="liff-url-me">{`${base}/me`}</code>
            <CopyButton text={`${base}/me`} testId="liff-url-me-copy" />
          </span>
          <span class="muted">
            {t("lf.url.form")}: <code>{`${base}/f/<form_id>`}</code>
          </span>
        </div>
      )}
      {saved && <p class="notice notice--info" data-testid="liff-saved">{t("lf.saved")}</p>}
      <ErrorNotice error={form.error ?? removing.error} onDismiss={() => (form.setError(null), removing.setError(null))} />
    </form>
  );
}
