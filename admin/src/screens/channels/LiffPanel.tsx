/**
 * A channel's LIFF app (forms and マイページ open inside LINE, LINE identifies the friend): the endpoint URL to
 * register on a LIFF app of the channel's LINE Login channel (with copy), the LIFF ID it issues (the API checks
 * its format and that it belongs to that Login channel; errors at the field), the LIFF URLs to use, and removing
 * it behind a confirm. PUT /api/channels/{id}/liff.
 */
import { TextField } from "../../components/Field";
import { t } from "../../i18n";
import { CopyButton } from "../settings/ui";
import { ChannelSettingPanel, CopyField } from "./ChannelSettingPanel";

export interface LiffChannel {
  channel_id: string;
  login_channel_id?: string | null;
  liff_id?: string | null;
  liff_endpoint_url?: string;
}

export function LiffPanel<C extends LiffChannel>({ channel, onChange }: { channel: C; onChange: (c: C) => void }) {
  const base = channel.liff_id ? `https://liff.line.me/${channel.liff_id}` : null;
  return (
    <ChannelSettingPanel
      channel={channel}
      onChange={onChange}
      keys="lf"
      put={(api, body) => api.put<C>(`/api/channels/${channel.channel_id}/liff`, body)}
      testId="liff-app"
      idPrefix="liff"
      current={channel.liff_id}
      initial={{ liff_id: channel.liff_id ?? "" }}
      body={(v) => ({ liff_id: v.liff_id.trim() })}
      removeBody={{ liff_id: null }}
      onRemoved={(form) => form.set("liff_id", "")}
      before={
        <>
          {!channel.login_channel_id && <p class="notice notice--info" data-testid="liff-needs-login">{t("lf.needsLogin")}</p>}
          {channel.liff_endpoint_url && <CopyField label={t("lf.endpoint")} text={channel.liff_endpoint_url} testId="liff-endpoint-url" copyTestId="liff-endpoint-copy" />}
        </>
      }
      fields={(form, err) => (
        <TextField label={t("lf.liffId")} name="liff_id" hint={t("lf.liffId.help")} value={form.values.liff_id} error={err.at("liff_id")} autoComplete="off" onValue={(x) => form.set("liff_id", x)} />
      )}
      after={
        base && (
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
        )
      }
    />
  );
}
