/**
 * The A/B test parts shared by the broadcast composer and the scenario step editor:
 * - `VariantList`: variant A's weight (A's content is the editor's own) and variants B-D, each with its weight and
 *   its content per channel in the shared ChannelMessageBlock, plus "add variant". Input names are the API's
 *   `where`: `at(n)` is where variant n sits (`variants.1` for a broadcast, `steps[0].variants[1]` for a step).
 * - `AbResultsView`: the verdict sentence, recipients / clicks / click rate / probability of being best per variant,
 *   and the probability chart (`ProbabilityBars`), from either results API (same shape, same statistics).
 */
import type { ComponentChildren } from "preact";
import { t } from "../i18n";
import { type Channel, ChannelMessageBlock, type EmailContent, type SmsContent } from "./ChannelMessageBlock";
import { ProbabilityBars } from "./charts/ProbabilityBars";
import type { SenderOption } from "./EmailBodyEditor";
import { FieldError, TextField } from "./Field";
import { ItemControls, moveItem } from "./ItemControls";
import type { LineMessage } from "./MessagePreview";
import { Table } from "./Table";

export const LABELS = ["A", "B", "C", "D"] as const;
export const MAX_VARIANTS = 4;

export interface Parts {
  line: LineMessage[];
  email: EmailContent;
  sms: SmsContent;
}

export interface VariantValues extends Parts {
  weight: string;
}

export interface StoredContent {
  line?: LineMessage[] | null;
  email?: { subject: string; text?: string | null; html?: string | null; from?: string | null } | null;
  sms?: { text: string } | null;
}

export function partsOf(c: StoredContent | undefined | null): Parts {
  return {
    line: c?.line ?? [{ type: "text", text: "" }],
    email: { subject: "", text: "", html: "", from: "", ...c?.email },
    sms: { text: c?.sms?.text ?? "" },
  };
}

export function newVariant(): VariantValues {
  return { weight: "1", ...partsOf(undefined) };
}

/** A number as typed (a weight, a share): a whole number, or null (the API names the field when it is wrong). */
export function wholeNumber(s: string): number | null {
  const n = Number(s.trim());
  return s.trim() && Number.isInteger(n) ? n : null;
}

export function VariantList({
  channels,
  weightA,
  others,
  onWeightA,
  onOthers,
  problems,
  at,
  senders,
  itemClass = "card form",
}: {
  channels: readonly Channel[];
  weightA: string;
  others: VariantValues[];
  onWeightA: (weight: string) => void;
  onOthers: (next: VariantValues[]) => void;
  problems: Map<string, string>;
  /** where variant n sits in the API body */
  at: (n: number) => string;
  senders?: SenderOption[];
  /** the class of each variant's box: a card (the broadcast composer), a plain section inside a scenario step */
  itemClass?: string;
}) {
  const putOther = (j: number, patch: Partial<VariantValues>) => onOthers(others.map((o, m) => (m === j ? { ...o, ...patch } : o)));
  return (
    <>
      <TextField narrow type="number" min={1} max={1000} label={t("ab.weightOf", { label: "A" })} name={`${at(0)}.weight`} value={weightA} error={problems.get(`${at(0)}.weight`)} onValue={onWeightA} />
      {others.map((o, j) => {
        const base = `${at(j + 1)}.content`;
        const label = LABELS[j + 1]!;
        return (
          <div class={itemClass} key={j} data-testid="ab-variant" data-label={label}>
            <div class="row row--between">
              <h3 class="card__title">{t("ab.variant", { label })}</h3>
              <ItemControls index={j} count={others.length} minCount={1} onMove={(d) => onOthers(moveItem(others, j, d))} onRemove={() => onOthers(others.filter((_, m) => m !== j))} />
            </div>
            <TextField narrow type="number" min={1} max={1000} label={t("ab.weightOf", { label })} name={`${at(j + 1)}.weight`} value={o.weight} error={problems.get(`${at(j + 1)}.weight`)} onValue={(x) => putOther(j, { weight: x })} />
            <FieldError text={problems.get(base) ?? problems.get(at(j + 1))} name={base} />
            {channels.includes("line") && <ChannelMessageBlock channel="line" base={base} problems={problems} value={o.line} onChange={(x) => putOther(j, { line: x })} />}
            {channels.includes("email") && <ChannelMessageBlock channel="email" base={base} problems={problems} value={o.email} senders={senders} onChange={(x) => putOther(j, { email: x })} />}
            {channels.includes("sms") && <ChannelMessageBlock channel="sms" base={base} rows={3} problems={problems} value={o.sms} onChange={(x) => putOther(j, { sms: x })} />}
          </div>
        );
      })}
      {others.length + 1 < MAX_VARIANTS && (
        <div class="row">
          <button type="button" class="btn btn--small btn--ghost" onClick={() => onOthers([...others, newVariant()])} data-testid="ab-add">
            {t("ab.add", { label: LABELS[others.length + 1]! })}
          </button>
        </div>
      )}
    </>
  );
}

export interface AbVariantResult {
  label: string;
  /** conversions (docs/production/conv.md): present when the results API counts them (broadcasts) */
  conversions?: number;
  conversion_rate?: number | null;
  revenue?: number;
  revenue_per_recipient?: number | null;
  weight: number | null;
  share: number | null;
  recipients: number;
  clicks: number;
  click_rate: number | null;
  probability_best: number | null;
}

export interface AbResultsData {
  /** the winner metric (broadcasts): click rate, conversion rate or revenue per recipient */
  metric?: "click_rate" | "conversion_rate" | "revenue_per_recipient";
  variants: AbVariantResult[];
  verdict: { ready: boolean; message: string; leader: string | null; significant: boolean };
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
}

function count(n: number): string {
  return n.toLocaleString("ja-JP");
}

/** The results of one A/B test; `children` go under the chart (the broadcast's winner, the step's "adopt"). */
/** `conversions`: show the conversion columns (broadcasts count conversions per variant; steps do not yet). */
export function AbResultsView({ data, children, testId = "ab-results", conversions = false }: { data: AbResultsData; children?: ComponentChildren; testId?: string; conversions?: boolean }) {
  const withConversions = conversions || data.variants.some((v) => v.conversions !== undefined);
  return (
    <section class="card form" data-testid={testId}>
      <h2 class="card__title">{t("ab.results")}</h2>
      {data.metric && <p class="muted" data-testid="ab-metric-shown">{t("ab.metric")}: {t(`ab.metric.${data.metric}`)}</p>}
      <p class={`notice ${data.verdict.significant ? "notice--info" : ""}`} data-testid="ab-verdict">
        {data.verdict.message}
      </p>
      {/* width 0 + min-width 100%: the table scrolls inside instead of widening the page (inside a scenario step) */}
      <div class="scroll-x">
        <Table bare testId="ab-table" columns={[t("ab.col.variant"), { label: t("ab.col.recipients"), num: true }, { label: t("ab.col.clicks"), num: true }, { label: t("ab.col.rate"), num: true },
          ...(withConversions ? [{ label: t("ab.col.conversions"), num: true }, { label: t("ab.col.cvr"), num: true }, { label: t("ab.col.revenue"), num: true }, { label: t("ab.col.rpr"), num: true }] : []),
          { label: t("ab.col.best"), num: true }]}>
          {data.variants.map((v) => (
            <tr key={v.label} data-testid="ab-row" data-label={v.label}>
              <td>{v.label}</td>
              <td class="num">{count(v.recipients)}</td>
              <td class="num">{count(v.clicks)}</td>
              <td class="num">{pct(v.click_rate)}</td>
              {withConversions && (
                <>
                  <td class="num" data-testid="ab-conversions">{count(v.conversions ?? 0)}</td>
                  <td class="num">{pct(v.conversion_rate)}</td>
                  <td class="num" data-testid="ab-revenue">{`¥${count(v.revenue ?? 0)}`}</td>
                  <td class="num">{v.revenue_per_recipient === null || v.revenue_per_recipient === undefined ? "—" : `¥${v.revenue_per_recipient.toFixed(1)}`}</td>
                </>
              )}
              <td class="num">{pct(v.probability_best)}</td>
            </tr>
          ))}
        </Table>
      </div>
      <ProbabilityBars title={t("ab.col.best")} rows={data.variants.map((v) => ({ label: v.label, value: v.probability_best }))} />
      {children}
    </section>
  );
}
