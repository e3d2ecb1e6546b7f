/** ワークスペース設定: name, time zone, quiet hours, daily frequency cap, quota policy (GET/PATCH /api/workspace). */
import { choices, SelectField, TextField } from "../../components/Field";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { canEditSettings, SettingsCard, SettingsForm } from "./ui";

interface Workspace {
  name: string;
  time_zone: string;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  frequency_cap_per_day: number;
  quota_policy: "refuse" | "warn";
}
type Values = { name: string; time_zone: string; quiet_hours_start: string; quiet_hours_end: string; frequency_cap_per_day: string; quota_policy: string };

const ZONES = ["Asia/Tokyo", "Asia/Seoul", "Asia/Taipei", "Asia/Shanghai", "Asia/Bangkok", "Asia/Singapore", "Australia/Sydney", "Europe/London", "America/Los_Angeles", "America/New_York", "UTC"];

/** The cap as a number when it is one; anything else goes as typed, for the API to name. */
function cap(text: string): number | string {
  if (text === "") return 0;
  return Number.isInteger(Number(text)) ? Number(text) : text;
}

function WorkspaceEditor({ ws, canEdit }: { ws: Workspace; canEdit: boolean }) {
  const { api } = useApp();
  const form = useForm<Values>(
    {
      name: ws.name, time_zone: ws.time_zone, quiet_hours_start: ws.quiet_hours_start ?? "", quiet_hours_end: ws.quiet_hours_end ?? "",
      frequency_cap_per_day: String(ws.frequency_cap_per_day), quota_policy: ws.quota_policy,
    },
    "settings.workspace",
  );
  const v = form.values;
  const err = fieldErrors(form.error);
  const field = (name: keyof Values) => ({ name, value: v[name], error: err.at(name), onValue: (x: string) => form.set(name, x) });
  const save = (x: Values) =>
    api.patch<Workspace>("/api/workspace", {
      name: x.name, time_zone: x.time_zone, quiet_hours_start: x.quiet_hours_start || null, quiet_hours_end: x.quiet_hours_end || null,
      frequency_cap_per_day: cap(x.frequency_cap_per_day), quota_policy: x.quota_policy,
    });
  const zones = ZONES.includes(v.time_zone) ? ZONES : [v.time_zone, ...ZONES];
  return (
    <SettingsForm form={form} save={save} testId="workspace" canEdit={canEdit}>
      <TextField label={t("ws.name")} maxLength={100} {...field("name")} />
      <SelectField label={t("ws.timeZone")} hint={t("ws.timeZone.hint")} options={zones.map((z) => [z, z] as const)} {...field("time_zone")} />
      <div class="grid2">
        <TextField label={t("ws.quietStart")} type="time" {...field("quiet_hours_start")} />
        <TextField label={t("ws.quietEnd")} type="time" {...field("quiet_hours_end")} />
      </div>
      <p class="muted" style={{ fontSize: "12px", marginTop: "-6px" }}>{t("ws.quiet.hint")}</p>
      <TextField label={t("ws.cap")} hint={t("ws.cap.hint")} type="number" min={0} max={100} {...field("frequency_cap_per_day")} />
      <SelectField label={t("ws.quota")} options={choices(["refuse", "warn"], (q) => t(q === "refuse" ? "ws.quota.refuse" : "ws.quota.warn"))} {...field("quota_policy")} />
    </SettingsForm>
  );
}

export function WorkspaceSettings() {
  const { session } = useApp();
  return (
    <SettingsCard<Workspace> title={t("ws.title")} testId="workspace-settings" path={"/api/workspace"}>
      {(ws) => <WorkspaceEditor ws={ws} canEdit={canEditSettings(session.role)} />}
    </SettingsCard>
  );
}
