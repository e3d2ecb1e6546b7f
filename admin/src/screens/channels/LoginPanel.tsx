/**
 * A channel's LINE Login channel (流入経路 log friends in with it): the callback URL to paste in the LINE Developers
 * console (with copy), the Login channel ID and secret (the API's errors at the field; the secret is write-only),
 * and removing it behind a confirm. PUT /api/channels/{id}/login.
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

export interface LoginChannel {
  channel_id: string;
  login_channel_id?: string | null;
  login_callback_url?: string;
}

/** The connect wizard's optional step: the Login channel given with the channel (both or neither, the API checks). */
export function loginFields(v: { login_channel_id?: string; login_channel_secret?: string }): Record<string, string> {
  const id = (v.login_channel_id ?? "").trim();
  const secret = (v.login_channel_secret ?? "").trim();
  return id || secret ? { login_channel_id: id, login_channel_secret: secret } : {};
}

export function LoginStep({
  values,
  error,
  onValue,
}: {
  values: { login_channel_id?: string; login_channel_secret?: string };
  error: unknown;
  onValue: (k: "login_channel_id" | "login_channel_secret", v: string) => void;
}) {
  const err = fieldErrors(error);
  return (
    <li data-testid="wizard-login">
      <h3>{t("lg.step")}</h3>
      <p class="where">{t("lg.step.where")}</p>
      <TextField label={t("lg.channelId")} name="login_channel_id" value={values.login_channel_id ?? ""} error={err.at("login_channel_id")} autoComplete="off" onValue={(x) => onValue("login_channel_id", x)} />
      <TextField label={t("lg.secret")} name="login_channel_secret" type="password" value={values.login_channel_secret ?? ""} error={err.at("login_channel_secret")} autoComplete="off" onValue={(x) => onValue("login_channel_secret", x)} />
    </li>
  );
}

export function LoginPanel<C extends LoginChannel>({ channel, onChange }: { channel: C; onChange: (c: C) => void }) {
  const { api } = useApp();
  const form = useForm({ login_channel_id: "", login_channel_secret: "" });
  const [saved, setSaved] = useState(false);
  const removing = useAction();
  const err = fieldErrors(form.error);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const c = await form.submit((v) => api.put<C>(`/api/channels/${channel.channel_id}/login`, { login_channel_id: v.login_channel_id.trim(), login_channel_secret: v.login_channel_secret.trim() }));
    if (c) {
      form.set("login_channel_secret", "");
      setSaved(true);
      onChange(c);
    }
  };
  const remove = () => removing.run(async () => onChange(await api.put<C>(`/api/channels/${channel.channel_id}/login`, { login_channel_id: null, login_channel_secret: null })));
  return (
    <form class="form" onSubmit={save} noValidate data-testid="login-channel">
      <h4 class="card__title">
        {t("lg.title")}{" "}
        <span class={`badge ${channel.login_channel_id ? "badge--ok" : ""}`} data-testid="login-channel-status">
          {channel.login_channel_id ? `${t("lg.set")} (${channel.login_channel_id})` : t("lg.unset")}
        </span>
      </h4>
      <p class="muted">{t("lg.lead")}</p>
      {channel.login_callback_url && (
        <div class="field">
          <span class="field__label">{t("lg.callback")}</span>
          <span class="copybox">
            <code data-testid="login-callback-url">{channel.login_callback_url}</code>
            <CopyButton text={channel.login_callback_url} testId="login-callback-copy" />
          </span>
        </div>
      )}
      <TextField label={t("lg.channelId")} name="login_channel_id" value={form.values.login_channel_id} error={err.at("login_channel_id")} autoComplete="off" onValue={(x) => form.set("login_channel_id", x)} />
      <TextField label={t("lg.secret")} name="login_channel_secret" type="password" value={form.values.login_channel_secret} error={err.at("login_channel_secret")} autoComplete="off" onValue={(x) => form.set("login_channel_secret", x)} />
      <div class="row">
        <button type="submit" class="btn btn--small" disabled={form.submitting} data-testid="login-channel-save">
          {t("lg.save")}
        </button>
        {channel.login_channel_id && (
          <ConfirmButton label={t("lg.remove")} confirmLabel={t("lg.remove")} question={t("lg.remove.confirm")} busy={removing.busy} onConfirm={() => void remove()} testId="login-channel-remove" />
        )}
      </div>
      {saved && <p class="notice notice--info" data-testid="login-channel-saved">{t("lg.saved")}</p>}
      <ErrorNotice error={form.error ?? removing.error} onDismiss={() => (form.setError(null), removing.setError(null))} />
    </form>
  );
}
