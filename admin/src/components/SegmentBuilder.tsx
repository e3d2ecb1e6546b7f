/**
 * SegmentBuilder (絞り込み): edits the segment model of haishin.segments.model — nested all/any groups of
 * conditions (tags, fields, follow status, scenario status, inflow route, form answered, purchased, total spent,
 * last interaction, uploaded lists, unsubscribed) — and, with `showCount`, shows the live count from
 * `POST /api/segments/count`.
 *
 *   <SegmentBuilder value={segment} onChange={setSegment} showCount />
 *
 * `value` is the JSON the API takes (`{"match": "all", "conditions": [...]}`). Conditions still being filled in are
 * kept in `value` (so nothing typed is lost) but left out of the count; `completeSegment()` gives the sendable part.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { useApp } from "../context";
import { type DictKey, t } from "../i18n";
import { ErrorNotice } from "./ErrorNotice";
import "./SegmentBuilder.css";

export type Match = "all" | "any";
export type TagMatch = "any" | "all" | "none";
export interface SegmentGroup {
  type?: "group";
  match: Match;
  conditions: Condition[];
}
export type Condition =
  | { type: "tags"; match: TagMatch; tags: string[] }
  | { type: "field"; field: string; op: string; value?: unknown; days?: number }
  | { type: "follow"; status: "following" | "blocked" | "unknown" | "no_line"; channel_id?: string }
  | { type: "scenario"; scenario_id: string; status: "enrolled" | "completed" | "stopped" | "not_in" }
  | { type: "inflow_route"; routes: string[]; negate: boolean }
  | { type: "form_answered"; form_id: string; answered: boolean }
  | { type: "purchased"; products: string[]; match: TagMatch }
  | { type: "total_spent"; op: "gt" | "gte" | "lt" | "lte" | "eq"; amount: number }
  | { type: "last_interaction"; op: "before" | "after" | "within_days" | "not_within_days" | "never"; at?: string; days?: number }
  | { type: "list"; list_id: string; mode: "include" | "exclude" }
  | { type: "unsubscribed"; channel: "all" | "line" | "email" | "sms"; value: boolean }
  | { type: "coupon"; coupon_id?: string | null; status: "unredeemed" | "redeemed" | "received" | "not_received" }
  | (SegmentGroup & { type: "group" });
export type ConditionType = Condition["type"];

export const EMPTY_SEGMENT: SegmentGroup = { match: "all", conditions: [] };

export const CONDITION_TYPES: readonly ConditionType[] = [
  "tags", "field", "follow", "scenario", "inflow_route", "form_answered", "purchased", "total_spent",
  "last_interaction", "list", "unsubscribed", "coupon",
];

export function newCondition(type: ConditionType): Condition {
  switch (type) {
    case "tags": return { type, match: "any", tags: [] };
    case "field": return { type, field: "", op: "eq", value: "" };
    case "follow": return { type, status: "following" };
    case "scenario": return { type, scenario_id: "", status: "enrolled" };
    case "inflow_route": return { type, routes: [], negate: false };
    case "form_answered": return { type, form_id: "", answered: true };
    case "purchased": return { type, products: [], match: "any" };
    case "total_spent": return { type, op: "gte", amount: 0 };
    case "last_interaction": return { type, op: "within_days", days: 30 };
    case "list": return { type, list_id: "", mode: "include" };
    case "unsubscribed": return { type, channel: "all", value: true };
    case "coupon": return { type, status: "unredeemed" };
    case "group": return { type, match: "any", conditions: [] };
  }
}

const NO_VALUE_OPS = new Set(["empty", "not_empty", "within_days"]);

/** Whether the API would accept this condition as it stands (else it is left out of counts and sends). */
export function isComplete(c: Condition): boolean {
  switch (c.type) {
    case "tags": return c.tags.length > 0;
    case "field":
      if (!c.field || !c.op) return false;
      if (c.op === "within_days") return typeof c.days === "number" && c.days >= 0;
      return NO_VALUE_OPS.has(c.op) || (c.value !== undefined && c.value !== null && c.value !== "");
    case "scenario": return !!c.scenario_id;
    case "inflow_route": return c.routes.length > 0;
    case "form_answered": return !!c.form_id;
    case "purchased": return c.products.length > 0;
    case "total_spent": return Number.isFinite(c.amount);
    case "last_interaction":
      if (c.op === "before" || c.op === "after") return !!c.at;
      if (c.op === "within_days" || c.op === "not_within_days") return typeof c.days === "number" && c.days >= 0;
      return true;
    case "list": return !!c.list_id;
    case "group": return true;
    default: return true;
  }
}

/** The part of a segment the API accepts: incomplete conditions and empty nested groups dropped. */
export function completeSegment(g: SegmentGroup): SegmentGroup {
  const conditions: Condition[] = [];
  for (const c of g.conditions) {
    if (c.type === "group") {
      const inner = completeSegment(c);
      if (inner.conditions.length) conditions.push({ ...inner, type: "group" });
    } else if (isComplete(c)) {
      conditions.push(c);
    }
  }
  return { match: g.match, conditions };
}

function countIncomplete(g: SegmentGroup): number {
  return g.conditions.reduce((n, c) => n + (c.type === "group" ? countIncomplete(c) : isComplete(c) ? 0 : 1), 0);
}

// ------------------------------------------------------------------ reference data (tags, fields, ...)
interface Option {
  id: string;
  label: string;
}
interface FieldDef {
  key: string;
  label: string;
  type: string;
  choices: string[];
}
export interface SegmentRefs {
  tags: Option[];
  fields: FieldDef[];
  scenarios: Option[];
  forms: Option[];
  products: Option[];
  lists: Option[];
  channels: Option[];
  coupons: Option[];
}
const EMPTY_REFS: SegmentRefs = { tags: [], fields: [], scenarios: [], forms: [], products: [], lists: [], channels: [], coupons: [] };

function settle<T>(p: Promise<T>, pick: (v: T) => Option[] | FieldDef[]): Promise<never[] | Option[] | FieldDef[]> {
  return p.then(pick, () => []);
}
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let refsCache: { api: ApiClient; at: number; promise: Promise<SegmentRefs> } | null = null;

/** Loads tags, fields, scenarios, forms, products, lists and channels once (30 s); a list the caller may not read is empty. */
export function loadSegmentRefs(api: ApiClient, fresh = false): Promise<SegmentRefs> {
  if (!fresh && refsCache && refsCache.api === api && Date.now() - refsCache.at < 30_000) return refsCache.promise;
  const name = (o: Any, ...keys: string[]) => String(keys.map((k) => o[k]).find((v) => typeof v === "string" && v) ?? "");
  const promise = Promise.all([
    settle(api.get<Any>("/api/tags", { query: { counts: 0 } }), (r) => (r.tags ?? []).map((x: Any) => ({ id: x.tag_id, label: x.name }))),
    settle(api.get<Any>("/api/fields"), (r) =>
      (r.fields ?? []).map((f: Any) => ({ key: f.key, label: f.label, type: f.type, choices: f.choices ?? [] })),
    ),
    settle(api.get<Any>("/api/scenarios"), (r) => (r.items ?? []).map((x: Any) => ({ id: x.id, label: name(x, "name", "id") }))),
    settle(api.get<Any>("/api/forms"), (r) =>
      (r.items ?? []).map((x: Any) => ({ id: x.form_id, label: name(x.definition ?? {}, "title", "name") || x.form_id })),
    ),
    settle(api.get<Any>("/api/products"), (r) =>
      (r.items ?? []).map((x: Any) => ({ id: x.product_id, label: name(x.definition ?? {}, "name", "title") || x.product_id })),
    ),
    settle(api.get<Any>("/api/lists"), (r) => (r.lists ?? []).map((x: Any) => ({ id: x.list_id, label: name(x, "name", "list_id") }))),
    settle(api.get<Any>("/api/channels"), (r) =>
      (r.channels ?? []).map((x: Any) => ({ id: x.channel_id, label: name(x, "name", "channel_id") })),
    ),
    settle(api.get<Any>("/api/coupons"), (r) => (r.coupons ?? []).map((x: Any) => ({ id: x.coupon_id, label: name(x, "name", "coupon_id") }))),
  ]).then(([tags, fields, scenarios, forms, products, lists, channels, coupons]) => ({
    tags, fields, scenarios, forms, products, lists, channels, coupons,
  }) as SegmentRefs);
  refsCache = { api, at: Date.now(), promise };
  return promise;
}

// ------------------------------------------------------------------ field operators
const BUILTIN_FIELDS: FieldDef[] = [
  { key: "$display_name", label: "", type: "text", choices: [] },
  { key: "$email", label: "", type: "text", choices: [] },
  { key: "$phone", label: "", type: "text", choices: [] },
  { key: "$inflow_route", label: "", type: "text", choices: [] },
  { key: "$created_at", label: "", type: "datetime", choices: [] },
  { key: "$last_interaction_at", label: "", type: "datetime", choices: [] },
];
export function opsFor(type: string): string[] {
  const base = ["eq", "ne"];
  switch (type) {
    case "number": return [...base, "lt", "gt", "empty", "not_empty"];
    case "text": return [...base, "contains", "not_contains", "lt", "gt", "empty", "not_empty"];
    case "date":
    case "datetime": return [...base, "before", "after", "within_days", "empty", "not_empty"];
    case "multi_choice": return ["contains", "not_contains", "eq", "ne", "empty", "not_empty"];
    default: return [...base, "empty", "not_empty"]; // choice, boolean
  }
}

// ------------------------------------------------------------------ the component
export interface SegmentBuilderProps {
  value: SegmentGroup;
  onChange: (value: SegmentGroup) => void;
  /** Show the live number of matching friends (POST /api/segments/count), debounced. */
  showCount?: boolean;
  /** Reference data; loaded from the API when absent. */
  refs?: SegmentRefs;
}

export function SegmentBuilder({ value, onChange, showCount, refs: given }: SegmentBuilderProps) {
  const { api } = useApp();
  const [refs, setRefs] = useState<SegmentRefs>(given ?? EMPTY_REFS);
  useEffect(() => {
    if (given) return setRefs(given);
    let live = true;
    loadSegmentRefs(api).then((r) => live && setRefs(r));
    return () => {
      live = false;
    };
  }, [given]);
  return (
    <div class="seg" data-testid="segment-builder">
      <GroupEditor group={value} onChange={onChange} refs={refs} depth={0} />
      {showCount && <SegmentCount segment={value} />}
    </div>
  );
}

export function SegmentCount({ segment }: { segment: SegmentGroup }) {
  const { api } = useApp();
  const [count, setCount] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const body = JSON.stringify(completeSegment(segment));
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    const timer = setTimeout(() => {
      api.post<{ count: number }>("/api/segments/count", { definition: JSON.parse(body) }).then(
        (r) => mine === seq.current && (setCount(r.count), setError(null), setLoading(false)),
        (e: unknown) => mine === seq.current && (setError(e), setLoading(false)),
      );
    }, 400);
    return () => clearTimeout(timer);
  }, [body, tick]);
  const incomplete = countIncomplete(segment);
  return (
    <div class="seg-count" aria-live="polite" data-testid="segment-count">
      <span>
        {t("seg.count")} <strong data-testid="segment-count-value">{count === null ? "—" : count.toLocaleString()}</strong> {t("seg.people")}
        {loading && <span class="muted"> {t("seg.counting")}</span>}
      </span>
      {incomplete > 0 && <p class="muted">{t("seg.incomplete", { n: incomplete })}</p>}
      <ErrorNotice error={error} onRetry={() => (setError(null), setTick(tick + 1))} />
    </div>
  );
}

function GroupEditor({
  group,
  onChange,
  onRemove,
  refs,
  depth,
}: {
  group: SegmentGroup;
  onChange: (g: SegmentGroup) => void;
  onRemove?: () => void;
  refs: SegmentRefs;
  depth: number;
}) {
  const [adding, setAdding] = useState<ConditionType>("tags");
  const setAt = (i: number, c: Condition) => onChange({ ...group, conditions: group.conditions.map((x, j) => (j === i ? c : x)) });
  const removeAt = (i: number) => onChange({ ...group, conditions: group.conditions.filter((_, j) => j !== i) });
  const add = (c: Condition) => onChange({ ...group, conditions: [...group.conditions, c] });
  return (
    <div class="seg-group" data-testid={`seg-group-${depth}`}>
      <div class="seg-head">
        <span>{t("seg.match.pre")}</span>
        <select
          aria-label={t("seg.match.label")}
          value={group.match}
          data-testid="seg-match"
          onChange={(e) => onChange({ ...group, match: (e.target as HTMLSelectElement).value as Match })}
        >
          <option value="all">{t("seg.match.all")}</option>
          <option value="any">{t("seg.match.any")}</option>
        </select>
        <span>{t("seg.match.post")}</span>
        {onRemove && (
          <button type="button" class="btn btn--small btn--ghost" onClick={onRemove} data-testid="seg-remove-group">
            {t("seg.removeGroup")}
          </button>
        )}
      </div>
      {group.conditions.length === 0 && <p class="muted">{depth === 0 ? t("seg.empty") : t("seg.emptyGroup")}</p>}
      {group.conditions.map((c, i) =>
        c.type === "group" ? (
          <GroupEditor
            key={i}
            group={c}
            onChange={(g) => setAt(i, { ...g, type: "group" })}
            onRemove={() => removeAt(i)}
            refs={refs}
            depth={depth + 1}
          />
        ) : (
          <div class="seg-cond" key={i} data-testid="seg-cond" data-type={c.type}>
            <ConditionEditor cond={c} onChange={(x) => setAt(i, x)} refs={refs} />
            <button type="button" class="btn btn--small btn--ghost" aria-label={t("seg.removeCond")} title={t("seg.removeCond")}
              onClick={() => removeAt(i)} data-testid="seg-remove">
              ×
            </button>
          </div>
        ),
      )}
      <div class="seg-head">
        <select aria-label={t("seg.addType")} value={adding} data-testid="seg-add-type"
          onChange={(e) => setAdding((e.target as HTMLSelectElement).value as ConditionType)}>
          {CONDITION_TYPES.map((ty) => (
            <option key={ty} value={ty}>{t(`seg.type.${ty}` as DictKey)}</option>
          ))}
        </select>
        <button type="button" class="btn btn--small btn--ghost" onClick={() => add(newCondition(adding))} data-testid="seg-add">
          + {t("seg.addCond")}
        </button>
        {depth < 3 && (
          <button type="button" class="btn btn--small btn--ghost" onClick={() => add(newCondition("group"))} data-testid="seg-add-group">
            + {t("seg.addGroup")}
          </button>
        )}
      </div>
    </div>
  );
}

function Select<T extends string>({ value, options, onChange, label, testId }: {
  value: T; options: readonly (readonly [T, string])[]; onChange: (v: T) => void; label: string; testId?: string;
}) {
  return (
    <select aria-label={label} value={value} data-testid={testId} onChange={(e) => onChange((e.target as HTMLSelectElement).value as T)}>
      {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
    </select>
  );
}

/** Chips with a picker (known options) or free text (unknown reference data). */
function MultiPick({ values, options, onChange, label }: { values: string[]; options: Option[]; onChange: (v: string[]) => void; label: string }) {
  const [text, setText] = useState("");
  const nameOf = (id: string) => options.find((o) => o.id === id)?.label ?? id;
  const add = (v: string) => v && !values.includes(v) && onChange([...values, v]);
  return (
    <span class="row" style={{ gap: "4px" }}>
      {values.map((v) => (
        <span class="tag" key={v}>
          {nameOf(v)}
          <button type="button" aria-label={`${t("common.remove")} ${nameOf(v)}`} onClick={() => onChange(values.filter((x) => x !== v))}>×</button>
        </span>
      ))}
      {options.length > 0 ? (
        <select aria-label={label} value="" data-testid="seg-pick" onChange={(e) => add((e.target as HTMLSelectElement).value)}>
          <option value="">{label}…</option>
          {options.filter((o) => !values.includes(o.id)).map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
        </select>
      ) : (
        <input aria-label={label} placeholder={label} value={text} data-testid="seg-pick-text"
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" || e.key === ",") {
              e.preventDefault();
              add(text.trim());
              setText("");
            }
          }}
          onBlur={() => (add(text.trim()), setText(""))} />
      )}
    </span>
  );
}

function OnePick({ value, options, onChange, label }: { value: string; options: Option[]; onChange: (v: string) => void; label: string }) {
  if (options.length === 0)
    return <input aria-label={label} placeholder={label} value={value} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />;
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="">{label}…</option>
      {options.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
    </select>
  );
}

const L = (k: string) => t(k as DictKey);
const opts = <T extends string>(prefix: string, values: readonly T[]) => values.map((v) => [v, L(`${prefix}.${v}`)] as const);

function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function ConditionEditor({ cond: c, onChange, refs }: { cond: Condition; onChange: (c: Condition) => void; refs: SegmentRefs }) {
  const typeLabel = <strong class="seg-type">{L(`seg.type.${c.type}`)}</strong>;
  switch (c.type) {
    case "tags":
      return (<>{typeLabel}
        <Select label={L("seg.type.tags")} value={c.match} options={opts("seg.tagMatch", ["any", "all", "none"] as const)} onChange={(match) => onChange({ ...c, match })} />
        <MultiPick label={L("seg.pickTag")} values={c.tags} options={refs.tags} onChange={(tags) => onChange({ ...c, tags })} />
      </>);
    case "field": {
      const all = [...BUILTIN_FIELDS.map((f) => ({ ...f, label: L(`seg.builtin.${f.key.slice(1)}`) })), ...refs.fields];
      const def = all.find((f) => f.key === c.field);
      const type = def?.type ?? "text";
      const ops = opsFor(type);
      const needsValue = !NO_VALUE_OPS.has(c.op);
      const val = c.value === undefined || c.value === null ? "" : String(c.value);
      let input = null;
      if (c.op === "within_days") {
        input = (<><input type="number" min={0} aria-label={L("seg.days")} value={c.days ?? ""} onInput={(e) => onChange({ ...c, days: Number((e.target as HTMLInputElement).value) })} /><span>{L("seg.daysUnit")}</span></>);
      } else if (needsValue) {
        if (type === "boolean")
          input = <Select label={L("seg.value")} value={val || "true"} options={[["true", L("seg.yes")], ["false", L("seg.no")]] as const} onChange={(v) => onChange({ ...c, value: v === "true" })} />;
        else if ((type === "choice" || type === "multi_choice") && def && def.choices.length)
          input = <Select label={L("seg.value")} value={val} options={[["", "…"] as const, ...def.choices.map((x) => [x, x] as const)]} onChange={(v) => onChange({ ...c, value: v })} />;
        else if (type === "number")
          input = <input type="number" aria-label={L("seg.value")} value={val} onInput={(e) => { const s = (e.target as HTMLInputElement).value; onChange({ ...c, value: s === "" ? "" : Number(s) }); }} />;
        else if (type === "date")
          input = <input type="date" aria-label={L("seg.value")} value={val} onInput={(e) => onChange({ ...c, value: (e.target as HTMLInputElement).value })} />;
        else if (type === "datetime")
          input = <input type="datetime-local" aria-label={L("seg.value")} value={toLocalInput(val)} onInput={(e) => { const s = (e.target as HTMLInputElement).value; onChange({ ...c, value: s ? new Date(s).toISOString() : "" }); }} />;
        else input = <input aria-label={L("seg.value")} value={val} onInput={(e) => onChange({ ...c, value: (e.target as HTMLInputElement).value })} />;
      }
      return (<>{typeLabel}
        <select aria-label={L("seg.type.field")} value={c.field} data-testid="seg-field"
          onChange={(e) => {
            const key = (e.target as HTMLSelectElement).value;
            const nt = all.find((f) => f.key === key)?.type ?? "text";
            const op = opsFor(nt).includes(c.op) ? c.op : opsFor(nt)[0]!;
            onChange({ type: "field", field: key, op, value: nt === "boolean" ? true : "" });
          }}>
          <option value="">{L("seg.pickField")}…</option>
          {all.map((f) => <option key={f.key} value={f.key}>{f.label || f.key}</option>)}
        </select>
        <Select label={L("seg.op")} value={c.op} options={opts("seg.op", ops)} testId="seg-op"
          onChange={(op) => onChange(op === "within_days" ? { type: "field", field: c.field, op, days: c.days ?? 30 } : NO_VALUE_OPS.has(op) ? { type: "field", field: c.field, op } : { ...c, op, value: c.value ?? "" })} />
        {input}
      </>);
    }
    case "follow":
      return (<>{typeLabel}
        <Select label={L("seg.type.follow")} value={c.status} options={opts("seg.follow", ["following", "blocked", "unknown", "no_line"] as const)} onChange={(status) => onChange({ ...c, status })} />
        {refs.channels.length > 1 && (
          <select aria-label={L("seg.channel")} value={c.channel_id ?? ""} onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            const { channel_id: _drop, ...rest } = c;
            onChange(v ? { ...rest, channel_id: v } : rest);
          }}>
            <option value="">{L("seg.anyChannel")}</option>
            {refs.channels.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
          </select>
        )}
      </>);
    case "scenario":
      return (<>{typeLabel}
        <OnePick label={L("seg.pickScenario")} value={c.scenario_id} options={refs.scenarios} onChange={(scenario_id) => onChange({ ...c, scenario_id })} />
        <Select label={L("seg.status")} value={c.status} options={opts("seg.scenario", ["enrolled", "completed", "stopped", "not_in"] as const)} onChange={(status) => onChange({ ...c, status })} />
      </>);
    case "inflow_route":
      return (<>{typeLabel}
        <Select label={L("seg.type.inflow_route")} value={c.negate ? "1" : "0"} options={[["0", L("seg.is")], ["1", L("seg.isNot")]] as const} onChange={(v) => onChange({ ...c, negate: v === "1" })} />
        <MultiPick label={L("seg.route")} values={c.routes} options={[]} onChange={(routes) => onChange({ ...c, routes })} />
      </>);
    case "form_answered":
      return (<>{typeLabel}
        <OnePick label={L("seg.pickForm")} value={c.form_id} options={refs.forms} onChange={(form_id) => onChange({ ...c, form_id })} />
        <Select label={L("seg.status")} value={c.answered ? "1" : "0"} options={[["1", L("seg.answered")], ["0", L("seg.notAnswered")]] as const} onChange={(v) => onChange({ ...c, answered: v === "1" })} />
      </>);
    case "purchased":
      return (<>{typeLabel}
        <Select label={L("seg.type.purchased")} value={c.match} options={opts("seg.tagMatch", ["any", "all", "none"] as const)} onChange={(match) => onChange({ ...c, match })} />
        <MultiPick label={L("seg.pickProduct")} values={c.products} options={refs.products} onChange={(products) => onChange({ ...c, products })} />
      </>);
    case "total_spent":
      return (<>{typeLabel}
        <input type="number" min={0} aria-label={L("seg.amount")} value={c.amount} onInput={(e) => onChange({ ...c, amount: Number((e.target as HTMLInputElement).value) })} />
        <span>{L("seg.yen")}</span>
        <Select label={L("seg.op")} value={c.op} options={opts("seg.num", ["gte", "gt", "lte", "lt", "eq"] as const)} onChange={(op) => onChange({ ...c, op })} />
      </>);
    case "last_interaction":
      return (<>{typeLabel}
        <Select label={L("seg.op")} value={c.op} options={opts("seg.last", ["within_days", "not_within_days", "before", "after", "never"] as const)}
          onChange={(op) => onChange(op === "never" ? { type: c.type, op } : op === "before" || op === "after" ? { type: c.type, op, at: c.at ?? "" } : { type: c.type, op, days: c.days ?? 30 })} />
        {(c.op === "within_days" || c.op === "not_within_days") && (<><input type="number" min={0} aria-label={L("seg.days")} value={c.days ?? ""} onInput={(e) => onChange({ ...c, days: Number((e.target as HTMLInputElement).value) })} /><span>{L("seg.daysUnit")}</span></>)}
        {(c.op === "before" || c.op === "after") && (
          <input type="datetime-local" aria-label={L("seg.at")} value={toLocalInput(c.at)} onInput={(e) => { const s = (e.target as HTMLInputElement).value; onChange({ ...c, at: s ? new Date(s).toISOString() : "" }); }} />
        )}
      </>);
    case "list":
      return (<>{typeLabel}
        <OnePick label={L("seg.pickList")} value={c.list_id} options={refs.lists} onChange={(list_id) => onChange({ ...c, list_id })} />
        <Select label={L("seg.mode")} value={c.mode} options={opts("seg.list", ["include", "exclude"] as const)} onChange={(mode) => onChange({ ...c, mode })} />
      </>);
    case "unsubscribed":
      return (<>{typeLabel}
        <Select label={L("seg.channel")} value={c.channel} options={opts("seg.unsub", ["all", "line", "email", "sms"] as const)} onChange={(channel) => onChange({ ...c, channel })} />
        <Select label={L("seg.status")} value={c.value ? "1" : "0"} options={[["1", L("seg.unsubYes")], ["0", L("seg.unsubNo")]] as const} onChange={(v) => onChange({ ...c, value: v === "1" })} />
      </>);
    case "coupon":
      return (<>{typeLabel}
        <select aria-label={L("seg.pickCoupon")} value={c.coupon_id ?? ""} data-testid="seg-coupon"
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            onChange(v ? { ...c, coupon_id: v } : { type: c.type, status: c.status });
          }}>
          <option value="">{L("seg.anyCoupon")}</option>
          {refs.coupons.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
        </select>
        <Select label={L("seg.status")} value={c.status} options={opts("seg.coupon", ["unredeemed", "redeemed", "received", "not_received"] as const)} onChange={(status) => onChange({ ...c, status })} />
      </>);
    default:
      return null;
  }
}

export default SegmentBuilder;
