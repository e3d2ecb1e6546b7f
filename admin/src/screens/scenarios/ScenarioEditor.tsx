/** The scenario timeline editor: steps with timing, conditions, messages per channel and actions, with the preview. */
import { useState } from "preact/hooks";
import { CHANNELS, ChannelMessageBlock, emptyContent, useSenders } from "../../components/ChannelMessageBlock";
import { FromSelect } from "../../components/EmailBodyEditor";
import { SelectField, TextField, choices } from "../../components/Field";
import { MessagePreview } from "../../components/MessagePreview";
import { EditorShell, Loaded } from "../../components/ResourceScreen";
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
              {CHANNELS.map((ch) => (
                <label key={ch} class="me-vars">
                  <input
                    type="checkbox"
                    name={`${base}.channel.${ch}`}
                    checked={!!step[ch]}
                    onChange={(e) => {
                      onChange({ ...step, [ch]: e.currentTarget.checked ? emptyContent(ch) : null });
                    }}
                  />
                  {t(`sc.channel.${ch}`)}
                </label>
              ))}
            </div>
            {CHANNELS.map((ch) => {
              if (ch === "line") return step.line && <ChannelMessageBlock key={ch} channel="line" base={base} problems={problems} value={step.line} onChange={(line) => onChange({ ...step, line })} />;
              if (ch === "email") return step.email && <ChannelMessageBlock key={ch} channel="email" base={base} problems={problems} value={step.email} onChange={(email) => onChange({ ...step, email })} />;
              return step.sms && <ChannelMessageBlock key={ch} channel="sms" base={base} problems={problems} value={step.sms} onChange={(sms) => onChange({ ...step, sms })} />;
            })}
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
  return <Loaded<Scenario> path={id ? `/api/scenarios/${id}` : null}>{(loaded) => <EditorForm id={id} initial={loaded ?? newScenario()} />}</Loaded>;
}

/** The field a trigger names (form, product or tag), if any. */
function triggerKey(type: string): "form_id" | "tag" | "product_id" | null {
  if (type === "form_submitted") return "form_id";
  if (type === "tag_added" || type === "tag_removed") return "tag";
  if (type === "purchase_completed") return "product_id";
  return null;
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
  const tKey = triggerKey(trigger.type);
  const focused = v.steps[Math.min(focus, v.steps.length - 1)];
  const hasEmail = v.steps.some((s) => !!s.email);
  const senders = useSenders(hasEmail);

  const save = (vals: Scenario) => {
    setSaved(false);
    return id ? api.put<Scenario>(`/api/scenarios/${id}`, { ...toBody(vals), version }) : api.post<Scenario>("/api/scenarios", toBody(vals));
  };
  const onSaved = (result: Scenario) => {
    setSaved(true);
    setVersion(result.version);
    if (!id) navigate(`/scenarios/${result.id}?saved=1`, true);
  };

  return (
    <EditorShell
      form={form}
      save={save}
      onSaved={onSaved}
      title={id ? v.name || t("nav.scenarios") : t("sc.new")}
      lead={t("sc.editor.lead")}
      backPath="/scenarios"
      testId="scenario-editor"
      saveTestId="scenario-save"
      actions={
        id && (
          <a class="btn btn--ghost" href={href(`/scenarios/${id}/simulate`)} data-testid="scenario-simulate-link">
            {t("sc.simulate")}
          </a>
        )
      }
      notice={
        saved &&
        !form.error && (
          <p class="notice notice--info" role="status" data-testid="scenario-saved">
            {t("sc.saved")}
          </p>
        )
      }
    >
      <div class="split">
        <div>
          <section class="card form">
            <div class="row">
              <TextField label={t("sc.name")} name="name" value={v.name} required error={form.errorFor("name")} onValue={(x) => form.set("name", x)} />
              <SelectField narrow label={t("sc.status")} name="status" value={v.status} options={choices(["active", "paused", "draft"] as const, (s) => t(`sc.status.${s}`))} onValue={(x) => form.set("status", x)} />
            </div>
            <div class="row">
              <SelectField
                label={t("sc.trigger")}
                name="triggers[0].type"
                value={trigger.type}
                options={[["", t("sc.trigger.none")], ...choices(TRIGGERS, (tr) => t(`sc.trigger.${tr}`))]}
                onValue={(x) => form.set("triggers", x ? [{ type: x }] : [])}
              />
              {tKey && (
                <TextField
                  label={t(`sc.trigger.key.${trigger.type as "tag_added"}`)}
                  name={`triggers[0].${tKey}`}
                  value={String((trigger as unknown as Record<string, unknown>)[tKey] ?? "")}
                  onValue={(x) => form.set("triggers", [{ ...trigger, [tKey]: x }])}
                />
              )}
              <SelectField label={t("sc.restart")} name="restart" value={v.restart} options={choices(["ignore", "restart", "after_completion"] as const, (r) => t(`sc.restart.${r}`))} onValue={(x) => form.set("restart", x)} />
            </div>
            <div class="row">
              <SelectField
                label={t("sc.lateness")}
                name="lateness.policy"
                value={v.lateness.policy}
                options={choices(["send_late", "skip_if_late"] as const, (p) => t(`sc.lateness.${p}`))}
                onValue={(x) => form.set("lateness", { ...v.lateness, policy: x })}
              />
              {v.lateness.policy === "skip_if_late" && (
                <TextField
                  narrow
                  label={t("sc.lateness.minutes")}
                  name="lateness.max_late_minutes"
                  type="number"
                  min={1}
                  value={v.lateness.max_late_minutes}
                  onValue={(x) => form.set("lateness", { ...v.lateness, max_late_minutes: Number(x) })}
                />
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
    </EditorShell>
  );
}
