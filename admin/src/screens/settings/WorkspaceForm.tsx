/** ワークスペース設定: name, time zone, quiet hours, daily frequency cap, quota policy (GET/PATCH /api/workspace). */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { Field } from "./ui";

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

function WorkspaceEditor({ ws, canEdit }: { ws: Workspace; canEdit: boolean }) {
  const { api } = useApp();
  const form = useForm<Values>(
    {
      name: ws.name, time_zone: ws.time_zone, quiet_hours_start: ws.quiet_hours_start ?? "", quiet_hours_end: ws.quiet_hours_end ?? "",
      frequency_cap_per_day: String(ws.frequency_cap_per_day), quota_policy: ws.quota_policy,
    },
    "settings.workspace",
  );
  const [saved, setSaved] = useState(false);
  const v = form.values;
  const set = <K extends keyof Values>(k: K) => (e: Event) => (setSaved(false), form.set(k, (e.target as HTMLInputElement).value as Values[K]));
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await form.submit((x) =>
      api.patch<Workspace>("/api/workspace", {
        name: x.name, time_zone: x.time_zone, quiet_hours_start: x.quiet_hours_start || null, quiet_hours_end: x.quiet_hours_end || null,
        frequency_cap_per_day: x.frequency_cap_per_day === "" ? 0 : Number.isInteger(Number(x.frequency_cap_per_day)) ? Number(x.frequency_cap_per_day) : x.frequency_cap_per_day,
        quota_policy: x.quota_policy,
      }),
    );
    if (r) setSaved(true);
  };
  const zones = ZONES.includes(v.time_zone) ? ZONES : [v.time_zone, ...ZONES];
  return (
    <form class="form" onSubmit={submit} noValidate data-testid="workspace-form">
      <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }} class="stack">
        <Field label={t("ws.name")} error={form.errorFor("name")} id="name">
          <input name="name" maxLength={100} value={v.name} onInput={set("name")} aria-invalid={form.errorFor("name") ? true : undefined} />
        </Field>
        <Field label={t("ws.timeZone")} hint={t("ws.timeZone.hint")} error={form.errorFor("time_zone")} id="time_zone">
          <select name="time_zone" value={v.time_zone} onChange={set("time_zone")} aria-invalid={form.errorFor("time_zone") ? true : undefined}>
            {zones.map((z) => <option key={z} value={z}>{z}</option>)}
          </select>
        </Field>
        <div class="grid2">
          <Field label={t("ws.quietStart")} error={form.errorFor("quiet_hours_start")} id="quiet_hours_start">
            <input type="time" name="quiet_hours_start" value={v.quiet_hours_start} onInput={set("quiet_hours_start")} aria-invalid={form.errorFor("quiet_hours_start") ? true : undefined} />
          </Field>
          <Field label={t("ws.quietEnd")} error={form.errorFor("quiet_hours_end")} id="quiet_hours_end">
            <input type="time" name="quiet_hours_end" value={v.quiet_hours_end} onInput={set("quiet_hours_end")} aria-invalid={form.errorFor("quiet_hours_end") ? true : undefined} />
          </Field>
        </div>
        <p class="muted" style={{ fontSize: "12px", marginTop: "-6px" }}>{t("ws.quiet.hint")}</p>
        <Field label={t("ws.cap")} hint={t("ws.cap.hint")} error={form.errorFor("frequency_cap_per_day")} id="frequency_cap_per_day">
          <input type="number" min={0} max={100} name="frequency_cap_per_day" value={v.frequency_cap_per_day} onInput={set("frequency_cap_per_day")} aria-invalid={form.errorFor("frequency_cap_per_day") ? true : undefined} />
        </Field>
        <Field label={t("ws.quota")} error={form.errorFor("quota_policy")} id="quota_policy">
          <select name="quota_policy" value={v.quota_policy} onChange={set("quota_policy")}>
            <option value="refuse">{t("ws.quota.refuse")}</option>
            <option value="warn">{t("ws.quota.warn")}</option>
          </select>
        </Field>
      </fieldset>
      <ErrorNotice error={form.error} />
      {canEdit && (
        <div class="row">
          <button type="submit" class="btn" disabled={form.submitting} data-testid="workspace-save">{form.submitting ? t("common.saving") : t("common.save")}</button>
          {saved && <span class="muted" data-testid="workspace-saved">{t("common.saved")}</span>}
        </div>
      )}
    </form>
  );
}

export function WorkspaceSettings() {
  const { api, session } = useApp();
  const [ws, setWs] = useState<Workspace | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api.get<Workspace>("/api/workspace").then((w) => (setWs(w), setError(null)), setError);
  useEffect(() => void load(), []);
  return (
    <section class="card" data-testid="workspace-settings">
      <h2 class="card__title">{t("ws.title")}</h2>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {!ws && !error && <p class="muted">{t("app.loading")}</p>}
      {ws && <WorkspaceEditor ws={ws} canEdit={session.role === "owner" || session.role === "admin"} />}
    </section>
  );
}
