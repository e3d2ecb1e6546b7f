/**
 * Who sees which rich menu (#/rich-menus/rules): the channel's default menu and ordered rules (the first that
 * matches wins) on a tag, a saved segment, a scenario step or an inflow route. Saving starts the re-link of every
 * friend affected, in bulk; its progress (done / total, LINE calls, status) is polled until it ends.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { useApiGet } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href } from "../../router";
import { formatNumber } from "../settings/ui";
import { CONDITION_TYPES, localError, menuIdOf, type MenuRule, type Problem, type RelinkJob, type RichMenu, type RuleCondition, type RuleConditionType, type RulesBody } from "./model";

type Opt = [string, string];
interface Refs {
  tags: Opt[];
  segments: Opt[];
  scenarios: { id: string; name: string; steps: Opt[] }[];
  routes: Opt[];
}

function useRefs(): Refs {
  const tags = useApiGet<{ tags: { tag_id: string; name: string }[] }>("/api/tags?counts=0");
  const segments = useApiGet<{ segments: { segment_id: string; name: string }[] }>("/api/segments");
  const scenarios = useApiGet<{ items: { id: string; name: string; steps?: { id: string; name: string }[] }[] }>("/api/scenarios");
  const routes = useApiGet<{ items: { route_id: string; name: string }[] }>("/api/inflow-routes");
  return {
    tags: (tags.data?.tags ?? []).map((x) => [x.tag_id, x.name]),
    segments: (segments.data?.segments ?? []).map((x) => [x.segment_id, x.name]),
    scenarios: (scenarios.data?.items ?? []).map((s) => ({ id: s.id, name: s.name || s.id, steps: (s.steps ?? []).map((st, i) => [String(i), t("rm.rules.step", { n: i + 1, name: st.name || st.id })] as Opt) })),
    routes: (routes.data?.items ?? []).map((x) => [x.route_id, x.name]),
  };
}

export function emptyCondition(type: RuleConditionType): RuleCondition {
  if (type === "tag") return { type, tag_id: "" };
  if (type === "segment") return { type, segment_id: "" };
  if (type === "scenario_step") return { type, scenario_id: "", step_index: 0 };
  return { type, route_id: "" };
}

export function ruleProblems(rules: readonly MenuRule[]): Problem[] {
  const out: Problem[] = [];
  rules.forEach((r, i) => {
    if (!r.menu_id) out.push({ where: `rules[${i}].menu_id`, message: t("rm.rules.menu.empty", { n: i + 1 }) });
    const c = r.condition;
    const missing = (c.type === "tag" && !c.tag_id) || (c.type === "segment" && !c.segment_id) || (c.type === "scenario_step" && !c.scenario_id) || (c.type === "route" && !c.route_id);
    if (missing) out.push({ where: `rules[${i}].condition`, message: t("rm.rules.condition.empty", { n: i + 1 }) });
  });
  return out;
}

function ConditionPicker({ value, onChange, refs, where, err }: { value: RuleCondition; onChange: (c: RuleCondition) => void; refs: Refs; where: string; err?: string | undefined }) {
  const choose = (label: string): Opt => ["", label];
  let detail: ComponentChildren = null;
  if (value.type === "tag")
    detail = <SelectField label={t("rm.rules.tag")} name={`${where}.tag_id`} value={value.tag_id} error={err} options={[choose(t("rm.rules.choose")), ...refs.tags]} onValue={(x) => onChange({ ...value, tag_id: x })} />;
  if (value.type === "segment")
    detail = <SelectField label={t("rm.rules.segment")} name={`${where}.segment_id`} value={value.segment_id} error={err} options={[choose(t("rm.rules.choose")), ...refs.segments]} onValue={(x) => onChange({ ...value, segment_id: x })} />;
  if (value.type === "route")
    detail = <SelectField label={t("rm.rules.route")} name={`${where}.route_id`} value={value.route_id} error={err} options={[choose(t("rm.rules.choose")), ...refs.routes]} onValue={(x) => onChange({ ...value, route_id: x })} />;
  if (value.type === "scenario_step") {
    const sc = refs.scenarios.find((s) => s.id === value.scenario_id);
    detail = (
      <>
        <SelectField
          label={t("rm.rules.scenario")}
          name={`${where}.scenario_id`}
          value={value.scenario_id}
          error={err}
          options={[choose(t("rm.rules.choose")), ...refs.scenarios.map((s) => [s.id, s.name] as Opt)]}
          onValue={(x) => onChange({ ...value, scenario_id: x, step_index: 0 })}
        />
        <SelectField
          label={t("rm.rules.stepAtOrAfter")}
          name={`${where}.step_index`}
          value={String(value.step_index)}
          options={sc && sc.steps.length ? sc.steps : [["0", t("rm.rules.step", { n: 1, name: "" })]]}
          onValue={(x) => onChange({ ...value, step_index: Number(x) })}
        />
      </>
    );
  }
  return (
    <>
      <SelectField<RuleConditionType>
        label={t("rm.rules.condition")}
        name={`${where}.type`}
        value={value.type}
        options={CONDITION_TYPES.map((c) => [c, t(`rm.rules.cond.${c}`)] as [RuleConditionType, string])}
        onValue={(x) => onChange(emptyCondition(x))}
      />
      {detail}
    </>
  );
}

export function JobProgress({ job }: { job: RelinkJob }) {
  const pct = job.total > 0 ? Math.min(100, Math.round((job.done / job.total) * 100)) : job.status === "done" ? 100 : 0;
  return (
    <section class="card" data-testid="rm-job" data-status={job.status} aria-live="polite">
      <h2 class="card__title">{t("rm.job.title")}</h2>
      <div class="progress" role="progressbar" aria-label={t("rm.job.title")} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <span class="progress__sent" style={{ width: `${pct}%` }} />
      </div>
      <p data-testid="rm-job-text">
        {t("rm.job.progress", { done: formatNumber(job.done), total: formatNumber(job.total), pct })} · {t(`rm.job.status.${job.status}`)}
      </p>
      <p class="muted" data-testid="rm-job-calls">
        {t("rm.job.calls", { calls: formatNumber(job.calls), linked: formatNumber(job.linked), unlinked: formatNumber(job.unlinked) })}
      </p>
      {job.error && <p class="field__error">{job.error}</p>}
    </section>
  );
}

/** Poll the job every `pollMs` until it is done or failed. */
function useJob(initial: RelinkJob | null, pollMs: number): [RelinkJob | null, (j: RelinkJob | null) => void, unknown, () => void] {
  const { api } = useApp();
  const [job, setJob] = useState<RelinkJob | null>(initial);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!job || job.status === "done" || job.status === "failed") return;
    if (error) return; // stopped on a failed poll: the notice's retry polls again
    timer.current = setTimeout(() => {
      api.get<RelinkJob>(`/api/rich-menu-rules/jobs/${job.id}`).then((j) => (setError(null), setJob(j)), setError);
    }, pollMs);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [job, error]);
  return [job, setJob, error, () => setError(null)];
}

function RulesForm({ channelId, initial, menus, pollMs }: { channelId: string; initial: RulesBody; menus: RichMenu[]; pollMs: number }) {
  const { api } = useApp();
  const refs = useRefs();
  const [defaultMenu, setDefaultMenu] = useState(initial.default_menu_id ?? "");
  const [rules, setRules] = useState<MenuRule[]>(initial.rules.map((r) => ({ menu_id: r.menu_id, condition: r.condition })));
  const [job, setJob, jobError, retryJob] = useJob(initial.job, pollMs);
  const saving = useAction();
  const err = fieldErrors(saving.error);
  const menuOpts: Opt[] = menus.map((m) => [menuIdOf(m), m.status === "published" ? m.name : t("rm.rules.draftMenu", { name: m.name })]);
  const put = (i: number, r: MenuRule) => setRules(rules.map((x, j) => (j === i ? r : x)));
  const swap = (i: number, j: number) => {
    const next = [...rules];
    [next[i], next[j]] = [next[j]!, next[i]!];
    setRules(next);
  };
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const save = () =>
    saving.run(async () => {
      const problems = ruleProblems(rules);
      if (problems.length) throw localError(problems);
      const body = await api.put<RulesBody>("/api/rich-menu-rules", { channel_id: channelId, default_menu_id: defaultMenu || null, rules });
      setJob(body.job);
    });
  return (
    <>
      <ErrorNotice error={saving.error} onDismiss={() => saving.setError(null)} />
      <section class="card form">
        <SelectField label={t("rm.rules.default")} name="default_menu_id" value={defaultMenu} error={err.at("default_menu_id")} options={[["", t("rm.rules.default.none")], ...menuOpts]} onValue={setDefaultMenu} testId="rm-default" />
        <p class="muted">{t("rm.rules.default.help")}</p>
      </section>
      <section class="card form">
        <h2 class="card__title">{t("rm.rules.title")}</h2>
        <p class="muted">{t("rm.rules.help")}</p>
        {rules.length === 0 && <p class="muted">{t("rm.rules.empty")}</p>}
        <ol class="rm-rules" data-testid="rm-rules">
          {rules.map((r, i) => (
            <li
              key={i}
              class={`rm-rule${dragFrom === i ? " rm-rule--drag" : ""}`}
              data-testid="rm-rule"
              draggable
              onDragStart={() => setDragFrom(i)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={() => {
                if (dragFrom !== null && dragFrom !== i) {
                  const next = [...rules];
                  const [moved] = next.splice(dragFrom, 1);
                  next.splice(i, 0, moved!);
                  setRules(next);
                }
                setDragFrom(null);
              }}
              onDragEnd={() => setDragFrom(null)}
              aria-label={t("rm.rules.n", { n: i + 1 })}
            >
              <div class="rm-rule__head">
                <strong>{t("rm.rules.n", { n: i + 1 })}</strong>
                <button type="button" class="btn btn--ghost btn--small" disabled={i === 0} onClick={() => swap(i, i - 1)} aria-label={t("rm.rules.up", { n: i + 1 })}>
                  ↑
                </button>
                <button type="button" class="btn btn--ghost btn--small" disabled={i === rules.length - 1} onClick={() => swap(i, i + 1)} aria-label={t("rm.rules.down", { n: i + 1 })}>
                  ↓
                </button>
                <button type="button" class="btn btn--ghost btn--small" onClick={() => setRules(rules.filter((_, j) => j !== i))} aria-label={t("rm.rules.remove", { n: i + 1 })}>
                  {t("me.remove")}
                </button>
              </div>
              <div class="row">
                <ConditionPicker value={r.condition} refs={refs} where={`rules[${i}].condition`} err={err.at(`rules[${i}].condition`)} onChange={(c) => put(i, { ...r, condition: c })} />
                <SelectField label={t("rm.rules.menu")} name={`rules[${i}].menu_id`} value={r.menu_id} error={err.at(`rules[${i}].menu_id`)} options={[["", t("rm.rules.choose")], ...menuOpts]} onValue={(x) => put(i, { ...r, menu_id: x })} />
              </div>
            </li>
          ))}
        </ol>
        <div class="row">
          <button type="button" class="btn btn--ghost btn--small" onClick={() => setRules([...rules, { menu_id: "", condition: emptyCondition("tag") }])} data-testid="rm-rule-add">
            + {t("rm.rules.add")}
          </button>
        </div>
      </section>
      <p>
        <button type="button" class="btn" disabled={saving.busy || (!!job && (job.status === "queued" || job.status === "running"))} onClick={() => void save()} data-testid="rm-rules-save">
          {saving.busy ? t("sc.saving") : t("rm.rules.save")}
        </button>
      </p>
      {job && <JobProgress job={job} />}
      <ErrorNotice error={jobError} onRetry={retryJob} />
    </>
  );
}

export function RulesView({ channelId, picker, pollMs = 1500 }: { channelId: string; picker?: ComponentChildren; pollMs?: number }) {
  const rules = useApiGet<RulesBody>(`/api/rich-menu-rules?channel_id=${encodeURIComponent(channelId)}`, [channelId]);
  const menus = useApiGet<{ items: RichMenu[] }>(`/api/rich-menus?channel_id=${encodeURIComponent(channelId)}`, [channelId]);
  const error = rules.error ?? menus.error;
  return (
    <>
      <PageHeader title={t("rm.rules.screen")} lead={t("rm.rules.lead")}>
        <a class="btn btn--ghost" href={href(`/rich-menus?channel=${encodeURIComponent(channelId)}`)}>
          {t("rm.rules.back")}
        </a>
      </PageHeader>
      {picker}
      <ErrorNotice error={error} onRetry={() => (rules.setError(null), menus.setError(null), rules.reload(), menus.reload())} />
      {!error && (!rules.data || !menus.data) && <p class="muted">{t("app.loading")}</p>}
      {rules.data && menus.data && <RulesForm key={channelId} channelId={channelId} initial={rules.data} menus={menus.data.items} pollMs={pollMs} />}
    </>
  );
}
