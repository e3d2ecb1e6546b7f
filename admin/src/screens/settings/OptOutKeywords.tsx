/** 配信停止キーワード: the LINE words that stop and resume a friend's LINE messages
 * (GET/PUT /api/workspace/optout-keywords). A word an auto-reply would also answer is refused by the API, naming it. */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { Field } from "./ui";

interface Keywords {
  stop: string[];
  resume: string[];
}
type Values = { stop: string; resume: string };

/** One keyword per line; blank lines dropped. */
export function toList(text: string): string[] {
  return text.split(/\r?\n/).map((k) => k.trim()).filter((k) => k !== "");
}

/** "stop.2" from the API names the third stop keyword; the field is "stop". */
function fieldOf(where: string | undefined | null): string {
  return (where ?? "").split(".")[0] ?? "";
}

function KeywordsEditor({ initial, canEdit }: { initial: Keywords; canEdit: boolean }) {
  const { api } = useApp();
  const form = useForm<Values>({ stop: initial.stop.join("\n"), resume: initial.resume.join("\n") }, "settings.optoutKeywords");
  const [saved, setSaved] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const r = await form.submit((x) => api.put<Keywords>("/api/workspace/optout-keywords", { stop: toList(x.stop), resume: toList(x.resume) }));
    if (r) setSaved(true);
  };
  const where = fieldOf(form.error?.where);
  const message = (name: string) => (where === name ? form.error?.message : undefined);
  return (
    <form class="form" onSubmit={submit} noValidate data-testid="optout-keywords-form">
      <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }} class="stack">
        <div class="grid2">
          <Field label={t("kw.stop")} hint={t("kw.hint")} error={message("stop")} id="optout_stop">
            <textarea name="stop" rows={3} value={form.values.stop} onInput={(e) => (setSaved(false), form.set("stop", e.currentTarget.value))}
              aria-invalid={where === "stop" ? true : undefined} data-testid="optout-keywords-stop" />
          </Field>
          <Field label={t("kw.resume")} hint={t("kw.hint")} error={message("resume")} id="optout_resume">
            <textarea name="resume" rows={3} value={form.values.resume} onInput={(e) => (setSaved(false), form.set("resume", e.currentTarget.value))}
              aria-invalid={where === "resume" ? true : undefined} data-testid="optout-keywords-resume" />
          </Field>
        </div>
      </fieldset>
      {where !== "stop" && where !== "resume" && <ErrorNotice error={form.error} />}
      {canEdit && (
        <div class="row">
          <button type="submit" class="btn" disabled={form.submitting} data-testid="optout-keywords-save">{form.submitting ? t("common.saving") : t("common.save")}</button>
          {saved && <span class="muted" data-testid="optout-keywords-saved">{t("kw.saved")}</span>}
        </div>
      )}
    </form>
  );
}

export function OptOutKeywordSettings() {
  const { api, session } = useApp();
  const [keywords, setKeywords] = useState<Keywords | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api.get<Keywords>("/api/workspace/optout-keywords").then((k) => (setKeywords(k), setError(null)), setError);
  useEffect(() => void load(), []);
  return (
    <section class="card" data-testid="optout-keywords">
      <h2 class="card__title">{t("kw.title")}</h2>
      <p class="muted">{t("kw.lead")}</p>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {!keywords && !error && <p class="muted">{t("app.loading")}</p>}
      {keywords && <KeywordsEditor initial={keywords} canEdit={session.role === "owner" || session.role === "admin"} />}
    </section>
  );
}
