/**
 * A channel's LINE Login channel (流入経路 log friends in with it): the callback URL to paste in the LINE Developers
 * console (with copy), the Login channel ID and secret (the API's errors at the field; the secret is write-only),
 * and removing it behind a confirm. PUT /api/channels/{id}/login.
 */
import { TextField } from "../../components/Field";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { ChannelSettingPanel, CopyField } from "./ChannelSettingPanel";

export interface LoginChannel {
  channel_id: string;
  login_channel_id?: string | null;
  login_callback_url?: string;
  member_login_callback_url?: string;
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
  return (
    <ChannelSettingPanel
      channel={channel}
      onChange={onChange}
      keys="lg"
      put={(api, body) => api.put<C>(`/api/channels/${channel.channel_id}/login`, body)}
      testId="login-channel"
      idPrefix="login-channel"
      current={channel.login_channel_id}
      initial={{ login_channel_id: "", login_channel_secret: "" }}
      body={(v) => ({ login_channel_id: v.login_channel_id.trim(), login_channel_secret: v.login_channel_secret.trim() })}
      removeBody={{ login_channel_id: null, login_channel_secret: null }}
      onSaved={(form) => form.set("login_channel_secret", "")}
      before={
        channel.login_callback_url && (
          <>
            <CopyField label={t("lg.callback")} text={channel.login_callback_url} testId="login-callback-url" copyTestId="login-callback-copy" />
            {channel.member_login_callback_url && <CopyField label={t("lg.memberCallback")} text={channel.member_login_callback_url} testId="member-login-callback-url" copyTestId="member-login-callback-copy" />}
          </>
        )
      }
      fields={(form, err) => (
        <>
          <TextField label={t("lg.channelId")} name="login_channel_id" value={form.values.login_channel_id} error={err.at("login_channel_id")} autoComplete="off" onValue={(x) => form.set("login_channel_id", x)} />
          <TextField label={t("lg.secret")} name="login_channel_secret" type="password" value={form.values.login_channel_secret} error={err.at("login_channel_secret")} autoComplete="off" onValue={(x) => form.set("login_channel_secret", x)} />
        </>
      )}
    />
  );
}
