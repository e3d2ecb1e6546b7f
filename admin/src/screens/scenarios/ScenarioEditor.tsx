/** The scenario timeline editor: steps with timing, conditions, messages per channel and actions, with the preview. */
import { useState } from "preact/hooks";
import { CHANNELS, ChannelMessageBlock, emptyContent, useSenders } from "../../components/ChannelMessageBlock";
import { FromSelect } from "../../components/EmailBodyEditor";
import { SelectField, TextField, choices } from "../../components/Field";
import { ItemControls, moveItem, removeItem, replaceItem } from "../../components/ItemControls";
import { MessagePreview } from "../../components/MessagePreview";
import { EditorShell, Loaded, type ResourceKind } from "../../components/ResourceScreen";
import { ScenarioStepStats } from "../stats/MessageStats";
import { EnrollmentSummary, useEnrollmentCounts, waitingAt } from "./EnrollmentCounts";
import { FriendLink } from "./FriendLink";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { problemAt, problemsOf } from "./shared";
import { ActionList } from "./ActionList";
import { StepAbEditor, StepAbResults, variantsBody } from "./StepAbTest";
import { type Condition, type Scenario, type Step, type Timing, TRIGGERS, newScenario, newStep } from "./types";

export const SCENARIOS: ResourceKind = { path: "/scenarios", title: "nav.scenarios", lead: "screen.scenarios.lead", newLabel: "sc.new", testId: "scenario" };
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
      if (timing.minutes != null) return t("sc.timing.sum.minutes", { field: timing.field, n: timing.minutes });
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
  /** friends waiting for this step (saved scenarios) */
  waiting?: number;
  /** a saved scenario whose saved step is an A/B test: its results are shown */
  abResults?: { scenarioId: string; version: number; onAdopted: (s: Scenario) => void };
}

const TIMING_FIELDS = ["type", "amount", "unit", "from", "day", "at", "field", "days", "late_enrollment", "if_missing", "if_past"];

export function TimingEditor({ step, index, problems, onChange }: Pick<StepProps, "step" | "index" | "problems" | "onChange">) {
  const tm = step.timing;
  const base = `steps[${index}].timing`;
  const set = (patch: Partial<Timing>) => onChange({ ...step, timing: { ...tm, ...patch } as Timing });
  const num = (v: string) => (v === "" ? 0 : Number(v));
  /** the input's name and the API's error at it */
  const at = (f: string) => ({ name: `${base}.${f}`, error: problems.get(`${base}.${f}`) });
  const elsewhere = [...problems].filter(([w]) => w.startsWith(base) && !TIMING_FIELDS.some((f) => w === `${base}.${f}`));
  return (
    <div class="step__section">
      <h3>{t("sc.timing")}</h3>
      <div class="row">
        <SelectField
          label={t("sc.timing.type")}
          {...at("type")}
          value={tm.type}
          options={choices(["immediately", "after", "day_at", "relative_to_date"] as const, (k) => t(`sc.timing.${k}`))}
          onValue={(x) => onChange({ ...step, timing: defaultTiming(x) })}
        />
        {tm.type === "after" && (
          <>
            <TextField narrow label={t("sc.timing.amount")} {...at("amount")} type="number" min={0} value={tm.amount} onValue={(x) => set({ amount: num(x) })} />
            <SelectField narrow label={t("sc.timing.unit")} {...at("unit")} value={tm.unit} options={choices(["minutes", "hours", "days"] as const, (u) => t(`sc.unit.${u}`))} onValue={(unit) => set({ unit })} />
            <SelectField label={t("sc.timing.from")} {...at("from")} value={tm.from} options={choices(["previous_step", "enrollment"] as const, (f) => t(`sc.timing.from.${f}`))} onValue={(from) => set({ from })} />
          </>
        )}
        {tm.type === "day_at" && (
          <>
            <TextField narrow label={t("sc.timing.day")} {...at("day")} type="number" min={0} value={tm.day} onValue={(x) => set({ day: num(x) })} />
            <TextField narrow label={t("sc.timing.at")} {...at("at")} value={tm.at} placeholder="10:00" onValue={(x) => set({ at: x })} />
          </>
        )}
        {tm.type === "relative_to_date" && (
          <>
            <TextField label={t("sc.timing.field")} {...at("field")} value={tm.field} placeholder="birthday" onValue={(field) => set({ field })} />
            <TextField narrow label={t("sc.timing.days")} {...at("days")} type="number" value={tm.days} onValue={(x) => set({ days: num(x) })} />
            <TextField narrow label={t("sc.timing.at")} {...at("at")} value={tm.at} onValue={(x) => set({ at: x })} />
            <TextField
              narrow
              label={t("sc.timing.minutes")}
              {...at("minutes")}
              type="number"
              value={tm.minutes ?? ""}
              onValue={(x) => set({ minutes: x.trim() === "" ? null : num(x) })}
            />
          </>
        )}
      </div>
      {tm.type === "after" && (
        <p class="field__hint muted" data-testid="timing-whole-minutes">
          {t("sc.timing.wholeMinutes")}
        </p>
      )}
      {tm.type === "day_at" && (
        <SelectField
          label={t("sc.timing.late")}
          {...at("late_enrollment")}
          hint={t("sc.late.help", { at: tm.at, day: tm.day })}
          value={tm.late_enrollment}
          options={choices(["next_day", "same_day_next_slot", "skip"] as const, (k) => t(`sc.late.${k}`))}
          onValue={(late_enrollment) => set({ late_enrollment })}
        />
      )}
      {tm.type === "relative_to_date" && (
        <div class="row">
          <SelectField label={t("sc.timing.ifMissing")} {...at("if_missing")} value={tm.if_missing} options={choices(["skip_step", "end"] as const, (k) => t(`sc.ifMissing.${k}`))} onValue={(if_missing) => set({ if_missing })} />
          <SelectField label={t("sc.timing.ifPast")} {...at("if_past")} value={tm.if_past} options={choices(["skip_step", "send_now"] as const, (k) => t(`sc.ifPast.${k}`))} onValue={(if_past) => set({ if_past })} />
        </div>
      )}
      {elsewhere.map(([w, m]) => (
        <Err key={w} text={`${w}: ${m}`} />
      ))}
    </div>
  );
}

const COND_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "exists", "not_exists"] as const;

function ConditionsEditor({ step, index, problems, onChange }: Pick<StepProps, "step" | "index" | "problems" | "onChange">) {
  const c = step.conditions ?? { all: [], any: [], on_fail: "skip" as const };
  const base = `steps[${index}].conditions`;
  const setAll = (all: Condition[]) => onChange({ ...step, conditions: all.length || c.any.length ? { ...c, all } : null });
  return (
    <div class="step__section">
      <h3>{t("sc.conditions")}</h3>
      {c.all.length === 0 && <p class="muted">{t("sc.conditions.none")}</p>}
      {c.all.map((cond, j) => {
        const put = (patch: Partial<Condition>) => setAll(replaceItem(c.all, j, { ...cond, ...patch }));
        const name = (f: string) => `${base}.all[${j}].${f}`;
        return (
          <div class="row" key={j}>
            <SelectField
              narrow
              label={t("sc.cond.type")}
              name={name("type")}
              value={cond.type}
              options={choices(["has_tag", "lacks_tag", "field"] as const, (k) => t(`sc.cond.${k}`))}
              onValue={(type) => setAll(replaceItem(c.all, j, type === "field" ? { type, field: "", op: "eq", value: "" } : { type, tag: "" }))}
            />
            {cond.type !== "field" ? (
              <TextField label={t("sc.cond.tag")} name={name("tag")} value={cond.tag ?? ""} onValue={(tag) => put({ tag })} />
            ) : (
              <>
                <TextField label={t("sc.cond.fieldName")} name={name("field")} value={cond.field ?? ""} onValue={(field) => put({ field })} />
                <SelectField narrow label={t("sc.cond.op")} name={name("op")} value={cond.op ?? "eq"} options={choices(COND_OPS, (op) => t(`sc.op.${op}` as never))} onValue={(op) => put({ op })} />
                <TextField label={t("sc.cond.value")} name={name("value")} value={String(cond.value ?? "")} onValue={(value) => put({ value })} />
              </>
            )}
            <button type="button" class="btn btn--ghost btn--small" onClick={() => setAll(removeItem(c.all, j))}>
              {t("me.remove")}
            </button>
          </div>
        );
      })}
      <div class="row">
        <button type="button" class="btn btn--ghost btn--small" onClick={() => setAll([...c.all, { type: "has_tag", tag: "" }])}>
          + {t("sc.cond.add")}
        </button>
        {c.all.length > 0 && (
          <SelectField
            label={t("sc.cond.onFail")}
            name={`${base}.on_fail`}
            value={c.on_fail}
            options={choices(["skip", "end_enrollment"] as const, (k) => t(`sc.onFail.${k}`))}
            onValue={(on_fail) => onChange({ ...step, conditions: { ...c, on_fail } })}
          />
        )}
      </div>
      <Err text={problemAt(problems, base, true)} />
    </div>
  );
}

function ActionsEditor({ step, index, problems, onChange }: Pick<StepProps, "step" | "index" | "problems" | "onChange">) {
  const base = `steps[${index}].actions`;
  return (
    <div class="step__section">
      <h3>{t("sc.actions")}</h3>
      <ActionList value={step.actions} name={base} onChange={(actions) => onChange({ ...step, actions })} errorAt={(j) => problemAt(problems, `${base}[${j}]`, true)} />
      <Err text={problems.get(base)} />
    </div>
  );
}

function StepCard({ step, index, count, problems, onChange, onRemove, onMove, onFocus, waiting, abResults }: StepProps) {
  const base = `steps[${index}]`;
  const invalid = [...problems.keys()].some((w) => w === base || w.startsWith(`${base}.`) || w.startsWith(`${base}[`));
  return (
    <li class={`timeline__step${invalid ? " timeline__step--invalid" : ""}`} data-testid="scenario-step" data-step-index={index} onFocusCapture={onFocus} onClick={onFocus}>
      <span class="timeline__dot">{index + 1}</span>
      <div class="step">
        <div class="step__head">
          <span class="step__title">
            {step.name || t("sc.stepN", { n: index + 1 })} <span class="badge">{timingSummary(step.timing)}</span>
            {waiting !== undefined && (
              <span class={`badge${waiting ? " badge--ok" : ""}`} data-testid="step-waiting">
                {t("ec.waiting", { n: waiting })}
              </span>
            )}
          </span>
          <ItemControls index={index} count={count} onMove={onMove} onRemove={onRemove} removeLabel={t("sc.step.remove")} />
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
          <StepAbEditor step={step} index={index} problems={problems} onChange={onChange} />
          {abResults && <StepAbResults step={step} {...abResults} />}
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
    steps: v.steps.map((s) => ({ ...s, email: s.email ? { subject: s.email.subject, text: s.email.text || null, html: s.email.html || null } : null, variants: variantsBody(s) })),
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
  const setStep = (i: number, s: Step) => form.set("steps", replaceItem(v.steps, i, s));
  const trigger = v.triggers[0] ?? { type: "" };
  const tKey = triggerKey(trigger.type);
  const focused = v.steps[Math.min(focus, v.steps.length - 1)];
  const hasEmail = v.steps.some((s) => !!s.email);
  const senders = useSenders(hasEmail);
  const counts = useEnrollmentCounts(id);
  // steps saved as A/B tests (their results and "adopt" are shown; they stay after a winner was adopted)
  const abIds = (sc: Scenario) => sc.steps.filter((s) => (s.variants?.length ?? 0) >= 2).map((s) => s.id);
  const [abSteps, setAbSteps] = useState(() => new Set(abIds(initial)));
  /** "adopt the winner" saved a new version: the step shows the adopted content (other unsaved edits stay) */
  const onAdopted = (i: number, stepId: string) => (saved: Scenario) => {
    setVersion(saved.version);
    const adopted = saved.steps.find((x) => x.id === stepId);
    if (adopted) setStep(i, adopted);
  };

  const save = (vals: Scenario) => {
    setSaved(false);
    return id ? api.put<Scenario>(`/api/scenarios/${id}`, { ...toBody(vals), version }) : api.post<Scenario>("/api/scenarios", toBody(vals));
  };
  const onSaved = (result: Scenario) => {
    setSaved(true);
    setVersion(result.version);
    setAbSteps((prev) => new Set([...prev, ...abIds(result)]));
    if (!id) navigate(`/scenarios/${result.id}?saved=1`, true);
  };

  return (
    <EditorShell kind={SCENARIOS} id={id} name={v.name} form={form} save={save} onSaved={onSaved} lead={t("sc.editor.lead")}
      remove={id ? { label: t("sc.delete"), question: t("sc.delete.q"), run: () => api.delete(`/api/scenarios/${id}`), testId: "scenario-delete" } : undefined}
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
      {counts.data && <EnrollmentSummary counts={counts.data} />}
      {id && <FriendLink scenarioId={id} />}
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
                waiting={counts.data ? waitingAt(counts.data, i) : undefined}
                abResults={id && s.id && abSteps.has(s.id) ? { scenarioId: id, version, onAdopted: onAdopted(i, s.id) } : undefined}
                onChange={(x) => setStep(i, x)}
                onRemove={() => form.set("steps", removeItem(v.steps, i))}
                onMove={(d) => form.set("steps", moveItem(v.steps, i, d))}
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
          {id && <ScenarioStepStats id={id} names={Object.fromEntries(v.steps.map((s, i) => [s.id, `${i + 1}. ${s.name || s.id}`]))} />}
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
