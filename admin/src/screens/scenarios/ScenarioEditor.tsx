/** The scenario timeline editor: steps with timing, conditions, messages per channel and actions, with the preview. */
import { useEffect, useState } from "preact/hooks";
import { EmailBodyEditor, FromSelect, type SenderOption } from "../../components/EmailBodyEditor";
import { ErrorNotice } from "../../components/ErrorNotice";
import { MessageEditor } from "../../components/MessageEditor";
import { MessagePreview } from "../../components/MessagePreview";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { problemAt, problemsOf } from "./shared";
import { ACTION_TYPES, type Action, type Condition, type Scenario, type Step, type Timing, TRIGGERS, newScenario, newStep } from "./types";
import { EndpointPicker } from "../webhooks/EndpointPicker";

const SAMPLES = { name: "山田 花子", display_name: "山田 花子" };

export function timingSummary(timing: Timing): string {
  switch (timing.type) {
    case "immediately":
      return t("sc.timing.sum.immediately");
    case "after":
      return t(timing.from === "enrollment" ? "sc.timing.sum.afterEnroll" : "sc.timing.sum.after", {
        n: timing.amount,
        unit: t(`sc.unit.${timing.unit}`),
      });
    case "day_at":
      return t("sc.timing.sum.dayAt", { day: timing.day, at: timing.at });
    case "relative_to_date":
      return t("sc.timing.sum.relative", { field: timing.field, days: timing.days, at: timing.at });
  }
}

function defaultTiming(type: Timing["type"]): Timing {
  switch (type) {
    case "immediately":
      return { type };
    case "after":
      return { type, amount: 1, unit: "days", from: "previous_step" };
    case "day_at":
      return { type, day: 1, at: "10:00", late_enrollment: "next_day" };
    case "relative_to_date":
      return { type, field: "", days: -1, at: "09:00", if_missing: "skip_step", if_past: "skip_step" };
  }
}

function Err({ text }: { text: string | undefined }) {
  return text ? <span class="field__error">{text}</span> : null;
}

interface StepProps {
  step: Step;
  index: number;
  count: number;
  problems: Map<string, string>;
  onChange: (s: Step) => void;
  onRemove: () => void;
  onMove: (d: number) => void;
  onFocus: () => void;
}

function TimingEditor({ step, index, problems, onChange }: Pick<StepProps, "step" | "index" | "problems" | "onChange">) {
  const tm = step.timing;
  const base = `steps[${index}].timing`;
  const set = (patch: Partial<Timing>) => onChange({ ...step, timing: { ...tm, ...patch } as Timing });
  const num = (v: string) => (v === "" ? 0 : Number(v));
  return (
    <div class="step__section">
      <h3>{t("sc.timing")}</h3>
      <div class="row">
        <label class="field">
          <span class="field__label">{t("sc.timing.type")}</span>
          <select name={`${base}.type`} value={tm.type} onChange={(e) => onChange({ ...step, timing: defaultTiming(e.currentTarget.value as Timing["type"]) })}>
            {(["immediately", "after", "day_at", "relative_to_date"] as const).map((k) => (
              <option key={k} value={k}>
                {t(`sc.timing.${k}`)}
              </option>
            ))}
          </select>
        </label>
        {tm.type === "after" && (
          <>
            <label class="field field--narrow">
              <span class="field__label">{t("sc.timing.amount")}</span>
              <input name={`${base}.amount`} type="number" min={0} value={tm.amount} aria-invalid={!!problems.get(`${base}.amount`)} onInput={(e) => set({ amount: num(e.currentTarget.value) })} />
            </label>
            <label class="field field--narrow">
              <span class="field__label">{t("sc.timing.unit")}</span>
              <select name={`${base}.unit`} value={tm.unit} onChange={(e) => set({ unit: e.currentTarget.value as "days" })}>
                {(["minutes", "hours", "days"] as const).map((u) => (
                  <option key={u} value={u}>
                    {t(`sc.unit.${u}`)}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span class="field__label">{t("sc.timing.from")}</span>
              <select name={`${base}.from`} value={tm.from} onChange={(e) => set({ from: e.currentTarget.value as "enrollment" })}>
                <option value="previous_step">{t("sc.timing.from.previous_step")}</option>
                <option value="enrollment">{t("sc.timing.from.enrollment")}</option>
              </select>
            </label>
          </>
        )}
        {tm.type === "day_at" && (
          <>
            <label class="field field--narrow">
              <span class="field__label">{t("sc.timing.day")}</span>
              <input name={`${base}.day`} type="number" min={0} value={tm.day} aria-invalid={!!problems.get(`${base}.day`)} onInput={(e) => set({ day: num(e.currentTarget.value) })} />
            </label>
            <label class="field field--narrow">
              <span class="field__label">{t("sc.timing.at")}</span>
              <input name={`${base}.at`} value={tm.at} placeholder="10:00" aria-invalid={!!problems.get(`${base}.at`)} onInput={(e) => set({ at: e.currentTarget.value })} />
            </label>
          </>
        )}
        {tm.type === "relative_to_date" && (
          <>
            <label class="field">
              <span class="field__label">{t("sc.timing.field")}</span>
              <input name={`${base}.field`} value={tm.field} placeholder="birthday" aria-invalid={!!problems.get(`${base}.field`)} onInput={(e) => set({ field: e.currentTarget.value })} />
            </label>
            <label class="field field--narrow">
              <span class="field__label">{t("sc.timing.days")}</span>
              <input name={`${base}.days`} type="number" value={tm.days} onInput={(e) => set({ days: num(e.currentTarget.value) })} />
            </label>
            <label class="field field--narrow">
              <span class="field__label">{t("sc.timing.at")}</span>
              <input name={`${base}.at`} value={tm.at} aria-invalid={!!problems.get(`${base}.at`)} onInput={(e) => set({ at: e.currentTarget.value })} />
            </label>
          </>
        )}
      </div>
      {tm.type === "day_at" && (
        <label class="field">
          <span class="field__label">{t("sc.timing.late")}</span>
          <select name={`${base}.late_enrollment`} value={tm.late_enrollment} onChange={(e) => set({ late_enrollment: e.currentTarget.value as "skip" })}>
            {(["next_day", "same_day_next_slot", "skip"] as const).map((k) => (
              <option key={k} value={k}>
                {t(`sc.late.${k}`)}
              </option>
            ))}
          </select>
          <span class="field__hint">{t("sc.late.help", { at: tm.at, day: tm.day })}</span>
        </label>
      )}
      {tm.type === "relative_to_date" && (
        <div class="row">
          <label class="field">
            <span class="field__label">{t("sc.timing.ifMissing")}</span>
            <select value={tm.if_missing} onChange={(e) => set({ if_missing: e.currentTarget.value as "end" })}>
              <option value="skip_step">{t("sc.ifMissing.skip_step")}</option>
              <option value="end">{t("sc.ifMissing.end")}</option>
            </select>
          </label>
          <label class="field">
            <span class="field__label">{t("sc.timing.ifPast")}</span>
            <select value={tm.if_past} onChange={(e) => set({ if_past: e.currentTarget.value as "send_now" })}>
              <option value="skip_step">{t("sc.ifPast.skip_step")}</option>
              <option value="send_now">{t("sc.ifPast.send_now")}</option>
            </select>
          </label>
        </div>
      )}
      {[...problems].filter(([w]) => w.startsWith(base)).map(([w, m]) => (
        <Err key={w} text={`${w}: ${m}`} />
      ))}
    </div>
  );
}

function ConditionsEditor({ step, index, problems, onChange }: Pick<StepProps, "step" | "index" | "problems" | "onChange">) {
  const c = step.conditions ?? { all: [], any: [], on_fail: "skip" as const };
  const base = `steps[${index}].conditions`;
  const setAll = (all: Condition[]) => onChange({ ...step, conditions: all.length || c.any.length ? { ...c, all } : null });
  return (
    <div class="step__section">
      <h3>{t("sc.conditions")}</h3>
      {c.all.length === 0 && <p class="muted">{t("sc.conditions.none")}</p>}
      {c.all.map((cond, j) => (
        <div class="row" key={j}>
          <label class="field field--narrow">
            <span class="field__label">{t("sc.cond.type")}</span>
            <select
              value={cond.type}
              onChange={(e) => {
                const type = e.currentTarget.value as Condition["type"];
                setAll(c.all.map((x, k) => (k === j ? (type === "field" ? { type, field: "", op: "eq", value: "" } : { type, tag: "" }) : x)));
              }}
            >
              <option value="has_tag">{t("sc.cond.has_tag")}</option>
              <option value="lacks_tag">{t("sc.cond.lacks_tag")}</option>
              <option value="field">{t("sc.cond.field")}</option>
            </select>
          </label>
          {cond.type !== "field" ? (
            <label class="field">
              <span class="field__label">{t("sc.cond.tag")}</span>
              <input name={`${base}.all[${j}].tag`} value={cond.tag ?? ""} onInput={(e) => setAll(c.all.map((x, k) => (k === j ? { ...x, tag: e.currentTarget.value } : x)))} />
            </label>
          ) : (
            <>
              <label class="field">
                <span class="field__label">{t("sc.cond.fieldName")}</span>
                <input name={`${base}.all[${j}].field`} value={cond.field ?? ""} onInput={(e) => setAll(c.all.map((x, k) => (k === j ? { ...x, field: e.currentTarget.value } : x)))} />
              </label>
              <label class="field field--narrow">
                <span class="field__label">{t("sc.cond.op")}</span>
                <select value={cond.op ?? "eq"} onChange={(e) => setAll(c.all.map((x, k) => (k === j ? { ...x, op: e.currentTarget.value } : x)))}>
                  {["eq", "ne", "gt", "gte", "lt", "lte", "contains", "exists", "not_exists"].map((op) => (
                    <option key={op} value={op}>
                      {t(`sc.op.${op}` as never)}
                    </option>
                  ))}
                </select>
              </label>
              <label class="field">
                <span class="field__label">{t("sc.cond.value")}</span>
                <input value={String(cond.value ?? "")} onInput={(e) => setAll(c.all.map((x, k) => (k === j ? { ...x, value: e.currentTarget.value } : x)))} />
              </label>
            </>
          )}
          <button type="button" class="btn btn--ghost btn--small" onClick={() => setAll(c.all.filter((_, k) => k !== j))}>
            {t("me.remove")}
          </button>
        </div>
      ))}
      <div class="row">
        <button type="button" class="btn btn--ghost btn--small" onClick={() => setAll([...c.all, { type: "has_tag", tag: "" }])}>
          + {t("sc.cond.add")}
        </button>
        {c.all.length > 0 && (
          <label class="field">
            <span class="field__label">{t("sc.cond.onFail")}</span>
            <select name={`${base}.on_fail`} value={c.on_fail} onChange={(e) => onChange({ ...step, conditions: { ...c, on_fail: e.currentTarget.value as "skip" } })}>
              <option value="skip">{t("sc.onFail.skip")}</option>
              <option value="end_enrollment">{t("sc.onFail.end_enrollment")}</option>
            </select>
          </label>
        )}
      </div>
      <Err text={problemAt(problems, base, true)} />
    </div>
  );
}

function ActionsEditor({ step, index, problems, onChange }: Pick<StepProps, "step" | "index" | "problems" | "onChange">) {
  const base = `steps[${index}].actions`;
  const set = (actions: Action[]) => onChange({ ...step, actions });
  const keyOf = (type: string) =>
    type.endsWith("_tag") ? "tag" : type.endsWith("field") ? "field" : type === "call_webhook" ? "endpoint_id" : type === "stop_all_scenarios" ? null : "scenario_id";
  return (
    <div class="step__section">
      <h3>{t("sc.actions")}</h3>
      {step.actions.map((a, j) => {
        const key = keyOf(a.type);
        return (
          <div class="row" key={j}>
            <label class="field">
              <span class="field__label">{t("sc.action.type")}</span>
              <select
                value={a.type}
                onChange={(e) => {
                  const type = e.currentTarget.value;
                  const k = keyOf(type);
                  const next: Action = { type };
                  if (k) next[k] = "";
                  if (type === "add_to_field") next.amount = 1;
                  if (type === "set_field") next.value = "";
                  set(step.actions.map((x, m) => (m === j ? next : x)));
                }}
              >
                {ACTION_TYPES.map((tp) => (
                  <option key={tp} value={tp}>
                    {t(`sc.action.${tp}`)}
                  </option>
                ))}
              </select>
            </label>
            {key && (
              <label class="field">
                <span class="field__label">{t(`sc.action.key.${key}` as never)}</span>
                {key === "endpoint_id" ? (
                  <EndpointPicker
                    name={`${base}[${j}].${key}`}
                    value={String(a[key] ?? "")}
                    invalid={!!problems.get(`${base}[${j}].${key}`)}
                    onChange={(id) => set(step.actions.map((x, m) => (m === j ? { ...x, [key]: id } : x)))}
                  />
                ) : (
                  <input
                    name={`${base}[${j}].${key}`}
                    value={String(a[key] ?? "")}
                    aria-invalid={!!problems.get(`${base}[${j}].${key}`)}
                    onInput={(e) => set(step.actions.map((x, m) => (m === j ? { ...x, [key]: e.currentTarget.value } : x)))}
                  />
                )}
              </label>
            )}
            {(a.type === "set_field" || a.type === "add_to_field") && (
              <label class="field field--narrow">
                <span class="field__label">{t(a.type === "set_field" ? "sc.cond.value" : "sc.action.amount")}</span>
                <input
                  value={String((a.type === "set_field" ? a.value : a.amount) ?? "")}
                  onInput={(e) =>
                    set(
                      step.actions.map((x, m) =>
                        m === j ? (a.type === "set_field" ? { ...x, value: e.currentTarget.value } : { ...x, amount: Number(e.currentTarget.value) }) : x,
                      ),
                    )
                  }
                />
              </label>
            )}
            <button type="button" class="btn btn--ghost btn--small" onClick={() => set(step.actions.filter((_, m) => m !== j))}>
              {t("me.remove")}
            </button>
          </div>
        );
      })}
      <button type="button" class="btn btn--ghost btn--small" onClick={() => set([...step.actions, { type: "add_tag", tag: "" }])}>
        + {t("sc.action.add")}
      </button>
      <Err text={problemAt(problems, base, true)} />
    </div>
  );
}

function StepCard({ step, index, count, problems, onChange, onRemove, onMove, onFocus }: StepProps) {
  const base = `steps[${index}]`;
  const invalid = [...problems.keys()].some((w) => w === base || w.startsWith(`${base}.`) || w.startsWith(`${base}[`));
  const lineErr = (j: number, f: string) => {
    const w = `${base}.line[${j}]`;
    return f ? problems.get(`${w}.${f}`) : (problems.get(w) ?? [...problems].find(([k]) => k.startsWith(`${w}.`) && !/\.(text|originalContentUrl|altText)$/.test(k))?.[1]);
  };
  return (
    <li class={`timeline__step${invalid ? " timeline__step--invalid" : ""}`} data-testid="scenario-step" data-step-index={index} onFocusCapture={onFocus} onClick={onFocus}>
      <span class="timeline__dot">{index + 1}</span>
      <div class="step">
        <div class="step__head">
          <span class="step__title">
            {step.name || t("sc.stepN", { n: index + 1 })} <span class="badge">{timingSummary(step.timing)}</span>
          </span>
          <button type="button" class="btn btn--ghost btn--small" disabled={index === 0} onClick={() => onMove(-1)} aria-label={t("me.up")}>
            ↑
          </button>
          <button type="button" class="btn btn--ghost btn--small" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={t("me.down")}>
            ↓
          </button>
          <button type="button" class="btn btn--ghost btn--small" disabled={count === 1} onClick={onRemove}>
            {t("sc.step.remove")}
          </button>
        </div>
        {invalid && (
          <p class="field__error" role="alert" data-testid="step-error">
            {[...problems].filter(([w]) => w === base || w.startsWith(`${base}.`) || w.startsWith(`${base}[`)).map(([w, m]) => `${w}: ${m}`).join(" / ")}
          </p>
        )}
        <div class="step__body">
          <label class="field">
            <span class="field__label">{t("sc.step.name")}</span>
            <input name={`${base}.name`} value={step.name} onInput={(e) => onChange({ ...step, name: e.currentTarget.value })} />
          </label>
          <TimingEditor step={step} index={index} problems={problems} onChange={onChange} />
          <ConditionsEditor step={step} index={index} problems={problems} onChange={onChange} />
          <div class="step__section">
            <h3>{t("sc.channels")}</h3>
            <div class="row">
              {(["line", "email", "sms"] as const).map((ch) => (
                <label key={ch} class="me-vars">
                  <input
                    type="checkbox"
                    name={`${base}.channel.${ch}`}
                    checked={!!step[ch]}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      const init = ch === "line" ? [{ type: "text", text: "" }] : ch === "email" ? { subject: "", text: "" } : { text: "" };
                      onChange({ ...step, [ch]: on ? init : null });
                    }}
                  />
                  {t(`sc.channel.${ch}`)}
                </label>
              ))}
            </div>
            {step.line && (
              <MessageEditor value={step.line} name={`${base}.line`} errorAt={lineErr} onChange={(line) => onChange({ ...step, line })} />
            )}
            <Err text={problems.get(`${base}.line`)} />
            {step.email && (
              <>
                <label class="field">
                  <span class="field__label">{t("sc.email.subject")}</span>
                  <input name={`${base}.email.subject`} value={step.email.subject} aria-invalid={!!problems.get(`${base}.email.subject`)} onInput={(e) => onChange({ ...step, email: { ...step.email!, subject: e.currentTarget.value } })} />
                  <Err text={problems.get(`${base}.email.subject`)} />
                </label>
                <EmailBodyEditor
                  name={`${base}.email`}
                  html={step.email.html ?? ""}
                  text={step.email.text ?? ""}
                  htmlError={problems.get(`${base}.email.html`)}
                  textError={problems.get(`${base}.email.text`) ?? problems.get(`${base}.email`)}
                  onChange={({ html, text }) => onChange({ ...step, email: { ...step.email!, html, text } })}
                />
              </>
            )}
            {step.sms && (
              <label class="field">
                <span class="field__label">{t("sc.sms.text")}</span>
                <textarea name={`${base}.sms.text`} rows={2} maxLength={1600} value={step.sms.text} onInput={(e) => onChange({ ...step, sms: { text: e.currentTarget.value } })} />
                <Err text={problems.get(`${base}.sms.text`)} />
              </label>
            )}
          </div>
          <ActionsEditor step={step} index={index} problems={problems} onChange={onChange} />
        </div>
      </div>
    </li>
  );
}

/** Drop nulls the API would fill anyway, keep the body close to the model (by alias). */
function toBody(v: Scenario): Record<string, unknown> {
  const { id: _id, ...rest } = v;
  return {
    ...rest,
    triggers: v.triggers.map((tr) => Object.fromEntries(Object.entries(tr).filter(([, x]) => x !== null && x !== undefined && x !== ""))),
    steps: v.steps.map((s) => ({ ...s, email: s.email ? { subject: s.email.subject, text: s.email.text || null, html: s.email.html || null } : null })),
  };
}

export function ScenarioEditor({ id }: { id: string | null }) {
  const { api } = useApp();
  const [loaded, setLoaded] = useState<Scenario | null>(id ? null : newScenario());
  const [loadError, setLoadError] = useState<unknown>(null);
  const load = () => id && api.get<Scenario>(`/api/scenarios/${id}`).then(setLoaded, setLoadError);
  useEffect(() => void load(), [id]);
  if (loadError) return <ErrorNotice error={loadError} onRetry={() => (setLoadError(null), load())} />;
  if (!loaded) return <p class="muted">{t("app.loading")}</p>;
  return <EditorForm id={id} initial={loaded} />;
}

function EditorForm({ id, initial }: { id: string | null; initial: Scenario }) {
  const { api } = useApp();
  const form = useForm<Scenario>(initial, `scenario.${id ?? "new"}`);
  const v = form.values;
  const [focus, setFocus] = useState(0);
  const [saved, setSaved] = useState(useRoute().query.get("saved") === "1");
  const [version, setVersion] = useState(initial.version);
  const problems = problemsOf(form.error);
  const setStep = (i: number, s: Step) => form.set("steps", v.steps.map((x, j) => (j === i ? s : x)));
  const trigger = v.triggers[0] ?? { type: "" };
  const focused = v.steps[Math.min(focus, v.steps.length - 1)];
  const [senders, setSenders] = useState<SenderOption[]>([]);
  const hasEmail = v.steps.some((s) => !!s.email);
  useEffect(() => {
    if (hasEmail) api.get<{ items: SenderOption[] }>("/api/senders").then((r) => setSenders(r.items), () => setSenders([]));
  }, [hasEmail]);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const result = await form.submit((vals) =>
      id ? api.put<Scenario>(`/api/scenarios/${id}`, { ...toBody(vals), version }) : api.post<Scenario>("/api/scenarios", toBody(vals)),
    );
    if (result) {
      setSaved(true);
      setVersion(result.version);
      if (!id) navigate(`/scenarios/${result.id}?saved=1`, true);
    }
  };

  return (
    <form onSubmit={save} data-testid="scenario-editor" noValidate>
      <PageHeader title={id ? v.name || t("nav.scenarios") : t("sc.new")} lead={t("sc.editor.lead")}>
        <a class="btn btn--ghost" href={href("/scenarios")}>
          {t("sc.back")}
        </a>
        {id && (
          <a class="btn btn--ghost" href={href(`/scenarios/${id}/simulate`)} data-testid="scenario-simulate-link">
            {t("sc.simulate")}
          </a>
        )}
        <button type="submit" class="btn" disabled={form.submitting} data-testid="scenario-save">
          {form.submitting ? t("sc.saving") : t("sc.save")}
        </button>
      </PageHeader>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      {saved && !form.error && (
        <p class="notice notice--info" role="status" data-testid="scenario-saved">
          {t("sc.saved")}
        </p>
      )}
      <div class="split">
        <div>
          <section class="card form">
            <div class="row">
              <label class="field">
                <span class="field__label">{t("sc.name")}</span>
                <input name="name" value={v.name} required aria-invalid={!!form.errorFor("name")} onInput={(e) => form.set("name", e.currentTarget.value)} />
                <Err text={form.errorFor("name")} />
              </label>
              <label class="field field--narrow">
                <span class="field__label">{t("sc.status")}</span>
                <select name="status" value={v.status} onChange={(e) => form.set("status", e.currentTarget.value as "active")}>
                  {(["active", "paused", "draft"] as const).map((s) => (
                    <option key={s} value={s}>
                      {t(`sc.status.${s}`)}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <div class="row">
              <label class="field">
                <span class="field__label">{t("sc.trigger")}</span>
                <select
                  name="triggers[0].type"
                  value={trigger.type}
                  onChange={(e) => form.set("triggers", e.currentTarget.value ? [{ type: e.currentTarget.value }] : [])}
                >
                  <option value="">{t("sc.trigger.none")}</option>
                  {TRIGGERS.map((tr) => (
                    <option key={tr} value={tr}>
                      {t(`sc.trigger.${tr}`)}
                    </option>
                  ))}
                </select>
              </label>
              {(trigger.type === "form_submitted" || trigger.type === "purchase_completed" || trigger.type === "tag_added" || trigger.type === "tag_removed") && (
                <label class="field">
                  <span class="field__label">{t(`sc.trigger.key.${trigger.type}`)}</span>
                  <input
                    name={`triggers[0].${trigger.type === "form_submitted" ? "form_id" : (trigger.type === "tag_added" || trigger.type === "tag_removed") ? "tag" : "product_id"}`}
                    value={String((trigger as unknown as Record<string, unknown>)[trigger.type === "form_submitted" ? "form_id" : (trigger.type === "tag_added" || trigger.type === "tag_removed") ? "tag" : "product_id"] ?? "")}
                    onInput={(e) =>
                      form.set("triggers", [
                        { ...trigger, [trigger.type === "form_submitted" ? "form_id" : (trigger.type === "tag_added" || trigger.type === "tag_removed") ? "tag" : "product_id"]: e.currentTarget.value },
                      ])
                    }
                  />
                </label>
              )}
              <label class="field">
                <span class="field__label">{t("sc.restart")}</span>
                <select name="restart" value={v.restart} onChange={(e) => form.set("restart", e.currentTarget.value as "ignore")}>
                  {(["ignore", "restart", "after_completion"] as const).map((r) => (
                    <option key={r} value={r}>
                      {t(`sc.restart.${r}`)}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <div class="row">
              <label class="field">
                <span class="field__label">{t("sc.lateness")}</span>
                <select
                  name="lateness.policy"
                  value={v.lateness.policy}
                  onChange={(e) => form.set("lateness", { ...v.lateness, policy: e.currentTarget.value as "send_late" })}
                >
                  <option value="send_late">{t("sc.lateness.send_late")}</option>
                  <option value="skip_if_late">{t("sc.lateness.skip_if_late")}</option>
                </select>
              </label>
              {v.lateness.policy === "skip_if_late" && (
                <label class="field field--narrow">
                  <span class="field__label">{t("sc.lateness.minutes")}</span>
                  <input
                    name="lateness.max_late_minutes"
                    type="number"
                    min={1}
                    value={v.lateness.max_late_minutes}
                    onInput={(e) => form.set("lateness", { ...v.lateness, max_late_minutes: Number(e.currentTarget.value) })}
                  />
                </label>
              )}
            </div>
            <div class="row">
              <label class="field" style={{ minWidth: 0, maxWidth: "100%" }}>
                <span class="field__label">{t("sc.channelMode")}</span>
                <select name="channel_mode" value={v.channel_mode} style={{ maxWidth: "100%" }} onChange={(e) => form.set("channel_mode", e.currentTarget.value as "all")} data-testid="scenario-channel-mode">
                  {(["all", "first_available"] as const).map((m) => (
                    <option key={m} value={m}>
                      {t(`sc.channelMode.${m}`)}
                    </option>
                  ))}
                </select>
                <span class="field__hint muted">{t("sc.channelMode.hint")}</span>
              </label>
              {hasEmail && (
                <FromSelect
                  name="email_from"
                  label={t("sc.emailFrom")}
                  value={v.email_from ?? ""}
                  senders={senders}
                  error={form.errorFor("email_from")}
                  onChange={(address) => form.set("email_from", address || null)}
                />
              )}
            </div>
          </section>

          <h2 class="card__title">{t("sc.timeline")}</h2>
          <ol class="timeline" data-testid="scenario-timeline">
            {v.steps.map((s, i) => (
              <StepCard
                key={i}
                step={s}
                index={i}
                count={v.steps.length}
                problems={problems}
                onFocus={() => setFocus(i)}
                onChange={(x) => setStep(i, x)}
                onRemove={() => form.set("steps", v.steps.filter((_, j) => j !== i))}
                onMove={(d) => {
                  const j = i + d;
                  const next = v.steps.slice();
                  [next[i], next[j]] = [next[j]!, next[i]!];
                  form.set("steps", next);
                }}
              />
            ))}
          </ol>
          <button
            type="button"
            class="btn btn--ghost"
            data-testid="scenario-add-step"
            onClick={() => {
              form.set("steps", [...v.steps, newStep(v.steps.length)]);
              setFocus(v.steps.length);
            }}
          >
            + {t("sc.step.add")}
          </button>
        </div>
        <aside class="split__side">
          {focused && (
            <MessagePreview
              messages={focused.line ?? []}
              samples={SAMPLES}
              title={t("sc.previewOf", { n: Math.min(focus, v.steps.length - 1) + 1 })}
            />
          )}
          {focused && !focused.line && <p class="muted">{t("sc.noLine")}</p>}
        </aside>
      </div>
    </form>
  );
}
