/**
 * A/B test broadcasts: the composer's variant block (variant A is the composer's own content; B-D each have their
 * content in the shared ChannelMessageBlock and a weight; the optional "test a share first, then the winner to the
 * rest after N minutes"), and the results view on a sent broadcast's page (GET /api/broadcasts/{id}/abtest:
 * recipients, clicks, click rate and probability of being best per variant, as a bar chart, and the verdict sentence).
 */
import { type AbResultsData, AbResultsView, type Parts, type StoredContent, type VariantValues, VariantList, newVariant, partsOf, wholeNumber } from "../../components/AbVariants";
import type { Channel } from "../../components/ChannelMessageBlock";
import type { SenderOption } from "../../components/EmailBodyEditor";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError, SelectField, TextField } from "../../components/Field";
import { useApiGet } from "../../components/ResourceScreen";
import { t } from "../../i18n";

// the variant parts are shared with the scenario step editor (components/AbVariants.tsx)
export { LABELS, MAX_VARIANTS, partsOf } from "../../components/AbVariants";
export type { Parts, StoredContent, VariantValues } from "../../components/AbVariants";

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

/** The A/B part of the broadcast's body: `variants` replaces `content` while the test is on; `[]` ends it. */
export function abBody(channel: string, main: Parts, v: AbValues, body: Record<string, unknown>): Record<string, unknown> {
  if (!v.ab) return v.others.length ? { ...body, variants: [], ab_test_share: 0 } : body; // turned off: end the test
  const { content: _content, ...rest } = body;
  const variants = [
    { content: contentOf(channel, main), weight: wholeNumber(v.weightA) },
    ...v.others.map((o) => ({ content: contentOf(channel, o), weight: wholeNumber(o.weight) })),
  ];
  const metric = v.metric && v.metric !== "click_rate" ? { ab_metric: v.metric } : {};
  return { ...rest, variants, ab_test_share: v.abShare ? wholeNumber(v.share) : 0, ...(v.abShare ? { ab_winner_after_minutes: wholeNumber(v.after) } : {}), ...metric };
}

/** The channels a broadcast's channel choice sends on. */
function channelsOf(channel: string): Channel[] {
  return channel === "line_email" ? ["line", "email"] : channel === "email" ? ["email"] : channel === "sms" ? ["sms"] : ["line"];
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
  const toggle = (on: boolean) => put({ ab: on, others: on && value.others.length === 0 ? [newVariant()] : value.others });
  return (
    <section class="card form" data-testid="broadcast-abtest">
      <h2 class="card__title">{t("ab.title")}</h2>
      <CheckField label={t("ab.on")} name="ab" checked={value.ab} testId="ab-on" onValue={toggle} />
      <FieldError text={problems.get("variants")} name="variants" />
      {value.ab && (
        <>
          <p class="muted">{t("ab.lead")}</p>
          <VariantList channels={channelsOf(channel)} weightA={value.weightA} others={value.others} onWeightA={(x) => put({ weightA: x })} onOthers={(others) => put({ others })} problems={problems} at={(n) => `variants.${n}`} senders={senders} />
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

export interface AbResultsBody extends AbResultsData {
  test_share: number | null;
  winner: { broadcast_id: string; status: string; send_at: string | null; variant: string | null; note: string | null } | null;
}

export function AbResults({ id }: { id: string }) {
  const r = useApiGet<AbResultsBody>(`/api/broadcasts/${id}/abtest`);
  if (r.error) return <ErrorNotice error={r.error} onRetry={() => (r.setError(null), r.reload())} />;
  if (!r.data) return <p class="muted">{t("app.loading")}</p>;
  const d = r.data;
  return (
    <AbResultsView data={d} conversions>
      {d.winner && (
        <p class="muted" data-testid="ab-winner">
          {d.winner.variant ? t("ab.winner.sent", { label: d.winner.variant }) : t("ab.winner.pending", { at: d.winner.send_at ?? "—" })}
          {d.winner.note ? ` ${d.winner.note}` : ""}
        </p>
      )}
    </AbResultsView>
  );
}
