/**
 * The A/B test of one scenario step: the variant editor (the shared VariantList of components/AbVariants; variant A
 * is the step's own content, B-D are `steps[i].variants[j]`) and, on a saved step, its results
 * (GET /api/scenarios/{id}/steps/{step_id}/abtest, the shared AbResultsView with the probability chart) with
 * "adopt the winner" (POST .../abtest/adopt: the step becomes that variant's content and the test ends).
 */
import { AbResultsView, type AbResultsData, type Parts, type StoredContent, VariantList, newVariant, partsOf, wholeNumber } from "../../components/AbVariants";
import { CHANNELS, type Channel } from "../../components/ChannelMessageBlock";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { CheckField, FieldError } from "../../components/Field";
import { useApiGet } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import type { Scenario, Step, StepVariant } from "./types";

/** The channels a step sends on (every variant uses the same ones). */
export function stepChannels(step: Step): Channel[] {
  return CHANNELS.filter((ch) => !!step[ch]);
}

/** A variant's API content on the step's channels (an e-mail without empty bodies, as the step's own). */
export function stepContentOf(channels: readonly Channel[], p: Parts): StoredContent {
  const content: StoredContent = {};
  if (channels.includes("line")) content.line = p.line;
  if (channels.includes("email")) content.email = { subject: p.email.subject, text: p.email.text || null, html: p.email.html || null };
  if (channels.includes("sms")) content.sms = { text: p.sms.text };
  return content;
}

/** The step's `variants` for the API: A = the step's own content (what the editor shows above), B-D on its channels. */
export function variantsBody(step: Step): StepVariant[] | null {
  const variants = step.variants;
  if (!variants || variants.length < 2) return null;
  const channels = stepChannels(step);
  const own = stepContentOf(channels, partsOf(step));
  return variants.map((v, n) => ({ weight: v.weight, content: n === 0 ? own : stepContentOf(channels, partsOf(v.content)) }));
}

export function StepAbEditor({ step, index, problems, onChange }: { step: Step; index: number; problems: Map<string, string>; onChange: (s: Step) => void }) {
  const variants = step.variants ?? [];
  const on = variants.length >= 2;
  const channels = stepChannels(step);
  const at = (n: number) => `steps[${index}].variants[${n}]`;
  const toggle = (x: boolean) =>
    onChange({ ...step, variants: x ? [{ weight: 1, content: {} }, { weight: 1, content: stepContentOf(channels, newVariant()) }] : null });
  return (
    <div class="step__section" data-testid="step-abtest">
      <h3>{t("ab.title")}</h3>
      <CheckField label={t("ab.on")} name={`steps[${index}].variants`} checked={on} testId="step-ab-on" onValue={toggle} />
      <FieldError text={problems.get(`steps[${index}].variants`)} name={`steps[${index}].variants`} />
      {on && (
        <>
          <p class="muted">{t("sab.lead")}</p>
          <VariantList
            channels={channels}
            weightA={String(variants[0]!.weight ?? "")}
            others={variants.slice(1).map((v) => ({ weight: String(v.weight ?? ""), ...partsOf(v.content) }))}
            onWeightA={(x) => onChange({ ...step, variants: [{ ...variants[0]!, weight: wholeNumber(x) }, ...variants.slice(1)] })}
            onOthers={(others) => onChange({ ...step, variants: [variants[0]!, ...others.map((o) => ({ weight: wholeNumber(o.weight), content: stepContentOf(channels, o) }))] })}
            problems={problems}
            at={at}
            itemClass="step__section"
          />
        </>
      )}
    </div>
  );
}

interface StepAbResultsBody extends AbResultsData {
  active: boolean;
  version: number;
}

/** A saved A/B step's results, with "adopt" per variant while the test runs. */
export function StepAbResults({ scenarioId, step, version, onAdopted }: { scenarioId: string; step: Step; version: number; onAdopted: (s: Scenario) => void }) {
  const { api } = useApp();
  const r = useApiGet<StepAbResultsBody>(`/api/scenarios/${scenarioId}/steps/${step.id}/abtest`, [version]);
  const adopt = useAction();
  if (r.error) return <ErrorNotice error={r.error} onRetry={() => (r.setError(null), r.reload())} />;
  if (!r.data) return <p class="muted">{t("app.loading")}</p>;
  const d = r.data;
  return (
    <AbResultsView data={d} testId="step-ab-results">
      {d.active ? (
        <div class="row">
          {d.variants.map((v) => (
            <ConfirmButton
              key={v.label}
              label={t("sab.adopt", { label: v.label })}
              question={t("sab.adopt.q", { label: v.label })}
              confirmLabel={t("sab.adopt.yes")}
              busy={adopt.busy}
              testId={`step-ab-adopt-${v.label}`}
              onConfirm={() =>
                void adopt.run(async () => {
                  const saved = await api.post<Scenario>(`/api/scenarios/${scenarioId}/steps/${step.id}/abtest/adopt`, { variant: v.label, version });
                  onAdopted(saved);
                  r.reload();
                })
              }
            />
          ))}
        </div>
      ) : (
        <p class="muted" data-testid="step-ab-adopted">
          {t("sab.adopted")}
        </p>
      )}
      {adopt.error !== null && <ErrorNotice error={adopt.error} />}
    </AbResultsView>
  );
}
