/**
 * A/B test broadcasts: the composer's variant block (variant A is the composer's own content; B-D each have their
 * content in the shared ChannelMessageBlock and a weight; the optional "test a share first, then the winner to the
 * rest after N minutes"), and the results view on a sent broadcast's page (GET /api/broadcasts/{id}/abtest:
 * recipients, clicks, click rate and probability of being best per variant, as a bar chart, and the verdict sentence).
 */
import { ChannelMessageBlock, type EmailContent, type SmsContent } from "../../components/ChannelMessageBlock";
import { ProbabilityBars } from "../../components/charts/ProbabilityBars";
import type { SenderOption } from "../../components/EmailBodyEditor";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, SelectField, TextField } from "../../components/Field";
import { ItemControls, moveItem } from "../../components/ItemControls";
import type { LineMessage } from "../../components/MessagePreview";
import { Table } from "../../components/Table";
import { useApiGet } from "../../components/ResourceScreen";
import { t } from "../../i18n";
import { fmtNumber } from "../scenarios/shared";

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

export interface AbValues {
  ab: boolean;
  /** variant A's weight (A's content is the composer's own) */
  weightA: string;
  /** variants B-D */
  others: VariantValues[];
  abShare: boolean;
  share: string;
  after: string;
  /** the winner metric: click rate, conversion rate or revenue per recipient */
  metric?: AbMetric;
}

export type AbMetric = "click_rate" | "conversion_rate" | "revenue_per_recipient";
export const METRICS: readonly AbMetric[] = ["click_rate", "conversion_rate", "revenue_per_recipient"];

export interface StoredContent {
  line?: LineMessage[];
  email?: { subject: string; text?: string; html?: string; from?: string };
  sms?: { text: string };
}

export function partsOf(c: StoredContent | undefined): Parts {
  return {
    line: c?.line ?? [{ type: "text", text: "" }],
    email: { subject: "", text: "", html: "", from: "", ...c?.email },
    sms: { text: c?.sms?.text ?? "" },
  };
}

/** The API's content for a channel from the composer's parts. */
export function contentOf(channel: string, p: Parts): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (channel === "line" || channel === "line_email") content.line = p.line;
  if (channel === "email" || channel === "line_email") {
    const email: Record<string, string> = { subject: p.email.subject };
    if (p.email.text) email.text = p.email.text;
    if (p.email.html) email.html = p.email.html;
    if (p.email.from) email.from = p.email.from;
    content.email = email;
  }
  if (channel === "sms") content.sms = { text: p.sms.text };
  return content;
}

export function abValues(b: { variants?: { weight: number; content?: StoredContent }[] | null; ab_test_share?: number | null; ab_winner_after_minutes?: number | null; ab_metric?: AbMetric } | null): AbValues {
  const variants = b?.variants ?? [];
  return {
    ab: variants.length >= 2,
    weightA: String(variants[0]?.weight ?? 1),
    others: variants.length >= 2 ? variants.slice(1).map((x) => ({ weight: String(x.weight), ...partsOf(x.content) })) : [],
    abShare: !!b?.ab_test_share,
    share: String(b?.ab_test_share ?? 20),
    after: String(b?.ab_winner_after_minutes ?? 60),
    metric: b?.ab_metric ?? "click_rate",
  };
}

/** A weight as typed: a whole number, or null (the API names the field when it is not 1-1000). */
function num(s: string): number | null {
  const n = Number(s.trim());
  return s.trim() && Number.isInteger(n) ? n : null;
}

/** The A/B part of the broadcast's body: `variants` replaces `content` while the test is on; `[]` ends it. */
export function abBody(channel: string, main: Parts, v: AbValues, body: Record<string, unknown>): Record<string, unknown> {
  if (!v.ab) return v.others.length ? { ...body, variants: [], ab_test_share: 0 } : body; // turned off: end the test
  const { content: _content, ...rest } = body;
  const variants = [
    { content: contentOf(channel, main), weight: num(v.weightA) },
    ...v.others.map((o) => ({ content: contentOf(channel, o), weight: num(o.weight) })),
  ];
  const metric = v.metric && v.metric !== "click_rate" ? { ab_metric: v.metric } : {};
  return { ...rest, variants, ab_test_share: v.abShare ? num(v.share) : 0, ...(v.abShare ? { ab_winner_after_minutes: num(v.after) } : {}), ...metric };
}

function newVariant(): VariantValues {
  return { weight: "1", ...partsOf(undefined) };
}

export function VariantsBlock({
  channel,
  value,
  onChange,
  problems,
  senders,
}: {
  channel: string;
  value: AbValues;
  onChange: (next: AbValues) => void;
  problems: Map<string, string>;
  senders?: SenderOption[];
}) {
  const put = (patch: Partial<AbValues>) => onChange({ ...value, ...patch });
  const putOther = (j: number, patch: Partial<VariantValues>) => put({ others: value.others.map((o, m) => (m === j ? { ...o, ...patch } : o)) });
  const toggle = (on: boolean) => put({ ab: on, others: on && value.others.length === 0 ? [newVariant()] : value.others });
  return (
    <section class="card form" data-testid="broadcast-abtest">
      <h2 class="card__title">{t("ab.title")}</h2>
      <CheckField label={t("ab.on")} name="ab" checked={value.ab} testId="ab-on" onValue={toggle} />
      <FieldError text={problems.get("variants")} name="variants" />
      {value.ab && (
        <>
          <p class="muted">{t("ab.lead")}</p>
          <TextField narrow type="number" min={1} max={1000} label={t("ab.weightOf", { label: "A" })} name="variants.0.weight" value={value.weightA} error={problems.get("variants.0.weight")} onValue={(x) => put({ weightA: x })} />
          {value.others.map((o, j) => {
            const base = `variants.${j + 1}.content`;
            const label = LABELS[j + 1]!;
            return (
              <div class="card form" key={j} data-testid="ab-variant" data-label={label}>
                <div class="row row--between">
                  <h3 class="card__title">{t("ab.variant", { label })}</h3>
                  <ItemControls index={j} count={value.others.length} minCount={1} onMove={(d) => put({ others: moveItem(value.others, j, d) })} onRemove={() => put({ others: value.others.filter((_, m) => m !== j) })} />
                </div>
                <TextField narrow type="number" min={1} max={1000} label={t("ab.weightOf", { label })} name={`variants.${j + 1}.weight`} value={o.weight} error={problems.get(`variants.${j + 1}.weight`)} onValue={(x) => putOther(j, { weight: x })} />
                <FieldError text={problems.get(base)} name={base} />
                {channel.startsWith("line") && <ChannelMessageBlock channel="line" base={base} problems={problems} value={o.line} onChange={(x) => putOther(j, { line: x })} />}
                {(channel === "email" || channel === "line_email") && (
                  <ChannelMessageBlock channel="email" base={base} problems={problems} value={o.email} senders={senders} onChange={(x) => putOther(j, { email: x })} />
                )}
                {channel === "sms" && <ChannelMessageBlock channel="sms" base={base} rows={3} problems={problems} value={o.sms} onChange={(x) => putOther(j, { sms: x })} />}
              </div>
            );
          })}
          {value.others.length + 1 < MAX_VARIANTS && (
            <div class="row">
              <button type="button" class="btn btn--small btn--ghost" onClick={() => put({ others: [...value.others, newVariant()] })} data-testid="ab-add">
                {t("ab.add", { label: LABELS[value.others.length + 1]! })}
              </button>
            </div>
          )}
          <SelectField narrow label={t("ab.metric")} name="ab_metric" value={value.metric ?? "click_rate"} error={problems.get("ab_metric")} testId="ab-metric" options={METRICS.map((m) => [m, t(`ab.metric.${m}`)] as [AbMetric, string])} onValue={(x) => put({ metric: x })} />
          <CheckField label={t("ab.share.on")} name="ab_share" checked={value.abShare} testId="ab-share-on" onValue={(x) => put({ abShare: x })} />
          {value.abShare && (
            <div class="row">
              <TextField narrow type="number" min={5} max={95} label={t("ab.share")} name="ab_test_share" value={value.share} error={problems.get("ab_test_share")} onValue={(x) => put({ share: x })} />
              <TextField narrow type="number" min={10} max={10080} label={t("ab.after")} name="ab_winner_after_minutes" value={value.after} error={problems.get("ab_winner_after_minutes")} onValue={(x) => put({ after: x })} />
            </div>
          )}
        </>
      )}
    </section>
  );
}

export interface AbResultsBody {
  test_share: number | null;
  winner: { broadcast_id: string; status: string; send_at: string | null; variant: string | null; note: string | null } | null;
  metric?: AbMetric;
  variants: {
    label: string; weight: number; share: number; recipients: number; clicks: number; click_rate: number | null; probability_best: number | null;
    conversions?: number; conversion_rate?: number | null; revenue?: number; revenue_per_recipient?: number | null;
  }[];
  verdict: { ready: boolean; message: string; leader: string | null; significant: boolean };
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
}

export function AbResults({ id }: { id: string }) {
  const r = useApiGet<AbResultsBody>(`/api/broadcasts/${id}/abtest`);
  if (r.error) return <ErrorNotice error={r.error} onRetry={() => (r.setError(null), r.reload())} />;
  if (!r.data) return <p class="muted">{t("app.loading")}</p>;
  const d = r.data;
  return (
    <section class="card form" data-testid="ab-results">
      <h2 class="card__title">{t("ab.results")}</h2>
      <p class="muted" data-testid="ab-metric-shown">{t("ab.metric")}: {t(`ab.metric.${d.metric ?? "click_rate"}`)}</p>
      <p class={`notice ${d.verdict.significant ? "notice--info" : ""}`} data-testid="ab-verdict">
        {d.verdict.message}
      </p>
      <div style={{ overflowX: "auto" }}>
      <Table bare testId="ab-table" columns={[t("ab.col.variant"), { label: t("ab.col.recipients"), num: true }, { label: t("ab.col.clicks"), num: true }, { label: t("ab.col.rate"), num: true }, { label: t("ab.col.conversions"), num: true }, { label: t("ab.col.cvr"), num: true }, { label: t("ab.col.revenue"), num: true }, { label: t("ab.col.rpr"), num: true }, { label: t("ab.col.best"), num: true }]}>
        {d.variants.map((v) => (
          <tr key={v.label} data-testid="ab-row" data-label={v.label}>
            <td>{v.label}</td>
            <td class="num">{fmtNumber(v.recipients)}</td>
            <td class="num">{fmtNumber(v.clicks)}</td>
            <td class="num">{pct(v.click_rate)}</td>
            <td class="num" data-testid="ab-conversions">{fmtNumber(v.conversions ?? 0)}</td>
            <td class="num">{pct(v.conversion_rate)}</td>
            <td class="num" data-testid="ab-revenue">{`¥${fmtNumber(v.revenue ?? 0)}`}</td>
            <td class="num">{v.revenue_per_recipient === null || v.revenue_per_recipient === undefined ? "—" : `¥${v.revenue_per_recipient.toFixed(1)}`}</td>
            <td class="num">{pct(v.probability_best)}</td>
          </tr>
        ))}
      </Table>
      </div>
      <ProbabilityBars title={t("ab.col.best")} rows={d.variants.map((v) => ({ label: v.label, value: v.probability_best }))} />
      {d.winner && (
        <p class="muted" data-testid="ab-winner">
          {d.winner.variant ? t("ab.winner.sent", { label: d.winner.variant }) : t("ab.winner.pending", { at: d.winner.send_at ?? "—" })}
          {d.winner.note ? ` ${d.winner.note}` : ""}
        </p>
      )}
    </section>
  );
}
