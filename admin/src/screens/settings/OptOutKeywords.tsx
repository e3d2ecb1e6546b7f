/** 配信停止キーワード: the LINE words that stop and resume a friend's LINE messages
 * (GET/PUT /api/workspace/optout-keywords). A word an auto-reply would also answer is refused by the API, naming it. */
import { TextField } from "../../components/Field";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { canEditSettings, SettingsCard, SettingsForm } from "./ui";

interface Keywords {
  stop: string[];
  resume: string[];
}
type Values = { stop: string; resume: string };

/** One keyword per line; blank lines dropped. */
export function toList(text: string): string[] {
  return text.split(/\r?\n/).map((k) => k.trim()).filter((k) => k !== "");
}

function KeywordsEditor({ initial, canEdit }: { initial: Keywords; canEdit: boolean }) {
  const { api } = useApp();
  const form = useForm<Values>({ stop: initial.stop.join("\n"), resume: initial.resume.join("\n") }, "settings.optoutKeywords");
  const err = fieldErrors(form.error); // "stop.2" names the third stop keyword: shown at "stop"
  const save = (x: Values) => api.put<Keywords>("/api/workspace/optout-keywords", { stop: toList(x.stop), resume: toList(x.resume) });
  return (
    <SettingsForm form={form} save={save} testId="optout-keywords" canEdit={canEdit} savedLabel={t("kw.saved")}>
      <div class="grid2">
        {(["stop", "resume"] as const).map((name) => (
          <TextField key={name} label={t(name === "stop" ? "kw.stop" : "kw.resume")} hint={t("kw.hint")} rows={3} name={name} value={form.values[name]}
            error={err.at(name)} testId={`optout-keywords-${name}`} onValue={(x) => form.set(name, x)} />
        ))}
      </div>
    </SettingsForm>
  );
}

export function OptOutKeywordSettings() {
  const { session } = useApp();
  return (
    <SettingsCard<Keywords> title={t("kw.title")} lead={t("kw.lead")} testId="optout-keywords" path={"/api/workspace/optout-keywords"}>
      {(k) => <KeywordsEditor initial={k} canEdit={canEditSettings(session.role)} />}
    </SettingsCard>
  );
}
