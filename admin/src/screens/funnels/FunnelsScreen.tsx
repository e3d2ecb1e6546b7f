/**
 * ファネル (funnels): the list, the builder (name, status, the scenario an opt-in starts, ordered pages and their
 * blocks), each page's preview and public URL, and the stats per page and A/B variant.
 * The preview is the server's own rendering of the page shown in an iframe with an empty `sandbox` (a unique origin,
 * no script runs), so nothing a page holds can act in the admin. A page's A/B variants (B-D: own title, blocks and
 * weight) are edited under the page; "adopt" makes a variant the page's own content (saved with the funnel). Offer
 * pages (upsell / downsell) show what the visitor sees: the one-click button's label and the fixed decline link.
 * Routes: #/funnels, #/funnels/new, #/funnels/<id>.
 */
import { useState } from "preact/hooks";
import { AssetUpload } from "../../components/AssetUpload";
import { CardList } from "../../components/CardList";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ConfirmButton } from "../../components/ConfirmButton";
import { FieldError, SelectField, TextField } from "../../components/Field";
import { EditorShell, ListScreen, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t, type DictKey } from "../../i18n";
import { type FieldErrors, fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";

type Block = Record<string, unknown> & { type: string };

export interface Variant {
  title: string;
  blocks: Block[];
  weight: number;
}

interface Page {
  page_id: string;
  kind: string;
  title: string;
  blocks: Block[];
  weight?: number;
  variants?: Variant[];
}

export interface Funnel {
  funnel_id: string;
  name: string;
  status: "draft" | "published";
  scenario_id: string;
  pages: Page[];
  urls: Record<string, string>;
  created_at: string;
}

interface StatRow {
  variant: string;
  title: string;
  visitors: number;
  optins: number;
  checkouts: number;
  purchases: number;
  revenue: number;
  refunded: number;
  optin_rate: number;
  checkout_rate: number;
  purchase_rate: number;
  revenue_per_visitor: number;
}

interface Verdict {
  goal: string;
  message: string;
  leader: string | null;
  significant: boolean;
}

interface Stats {
  pages: { page_id: string; title: string; variants: StatRow[]; abtest?: Verdict; revenue_abtest?: Verdict }[];
}

const LABELS = ["A", "B", "C", "D"] as const;
const OFFERS = new Set(["upsell", "downsell"]);

const FUNNELS: ResourceKind = { path: "/funnels", title: "nav.funnels", lead: "screen.funnels.lead", newLabel: "fn.new", testId: "funnel" };
const KINDS = ["optin", "thankyou", "sales", "checkout", "upsell", "downsell", "thanks"] as const;
const BLOCKS = ["heading", "text", "image", "video", "button", "form", "countdown", "faq", "testimonial", "product"] as const;

type FieldSpec = [key: string, label: DictKey, kind?: "textarea" | "number" | "datetime" | readonly [string, DictKey][]];
/** The fields of each block type, as the API names them (FAQ items are edited as "question|answer" lines). */
export const BLOCK_FIELDS: Record<string, FieldSpec[]> = {
  heading: [["text", "fn.f.text"]],
  text: [["text", "fn.f.text", "textarea"]],
  image: [["url", "fn.f.url"], ["alt", "fn.f.alt"]],
  video: [["url", "fn.f.url"], ["title", "fn.f.title"]],
  button: [
    ["label", "fn.f.label"],
    ["target", "fn.f.target", [["next", "fn.f.target.next"], ["url", "fn.f.target.url"], ["route", "fn.f.target.route"]]],
    ["url", "fn.f.url"],
    ["route_code", "fn.f.route_code"],
  ],
  form: [["form_id", "fn.f.form_id"]],
  countdown: [
    ["mode", "fn.f.mode", [["fixed", "fn.f.mode.fixed"], ["evergreen", "fn.f.mode.evergreen"]]],
    ["ends_at", "fn.f.ends_at", "datetime"],
    ["minutes", "fn.f.minutes", "number"],
  ],
  faq: [["faq_text", "fn.f.faq", "textarea"]],
  testimonial: [["quote", "fn.f.quote", "textarea"], ["name", "fn.f.name"]],
  product: [["product_id", "fn.f.product_id"], ["button_label", "fn.f.button_label"]],
};

const NEW_BLOCK: Record<string, Block> = {
  heading: { type: "heading", text: "" },
  text: { type: "text", text: "" },
  image: { type: "image", url: "", alt: "" },
  video: { type: "video", url: "", title: "" },
  button: { type: "button", label: "", target: "next", url: "", route_code: "" },
  form: { type: "form", form_id: "" },
  countdown: { type: "countdown", mode: "evergreen", ends_at: "", minutes: 60 },
  faq: { type: "faq", faq_text: "" },
  testimonial: { type: "testimonial", quote: "", name: "" },
  product: { type: "product", product_id: "", button_label: "購入手続きへ進む" },
};

interface Values {
  name: string;
  status: "draft" | "published";
  scenario_id: string;
  pages: Page[];
}

/** What the builder edits -> the API's body (FAQ lines become items; an empty deadline is no deadline). */
export function funnelBody(v: Values) {
  const block = (b: Block): Record<string, unknown> => {
    if (b.type === "faq") {
      const items = String(b.faq_text ?? "")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => {
          const [q, ...a] = line.split("|");
          return { q: (q ?? "").trim(), a: a.join("|").trim() };
        });
      return { type: "faq", items };
    }
    if (b.type === "countdown") return { ...b, ends_at: b.ends_at || null, minutes: Number(b.minutes) || 0 };
    return b;
  };
  return {
    name: v.name,
    status: v.status,
    scenario_id: v.scenario_id.trim(),
    pages: v.pages.map((p) => ({
      ...p,
      blocks: p.blocks.map(block),
      variants: (p.variants ?? []).map((x) => ({ ...x, weight: Number(x.weight) || 0, blocks: x.blocks.map(block) })),
    })),
  };
}

/** "Adopt" variant `n` (1 = B): its title and blocks become the page's own and the test ends (saved with the funnel). */
export function adoptVariant(page: Page, n: number): Page {
  const won = page.variants?.[n - 1];
  if (!won) return page;
  return { ...page, title: won.title, blocks: won.blocks, weight: 1, variants: [] };
}

function toValues(f: Funnel | null): Values {
  if (!f) return { name: "", status: "draft", scenario_id: "", pages: [{ page_id: "lp", kind: "optin", title: "", blocks: [] }] };
  const block = (b: Block): Block =>
    b.type === "faq" ? { type: "faq", faq_text: ((b.items as { q: string; a: string }[]) ?? []).map((i) => `${i.q}|${i.a}`).join("\n") } : b;
  return {
    name: f.name,
    status: f.status,
    scenario_id: f.scenario_id,
    pages: f.pages.map((p) => ({ ...p, blocks: p.blocks.map(block), variants: (p.variants ?? []).map((x) => ({ ...x, blocks: x.blocks.map(block) })) })),
  };
}

function FunnelList() {
  const list = useApiList<Funnel>("/api/funnels");
  return (
    <ListScreen kind={FUNNELS} list={list} empty={t("fn.empty")}>
      {(rows) => (
        <CardList rows={[...rows].sort((a, b) => b.created_at.localeCompare(a.created_at))} testId="funnel-list" keyOf={(f) => f.funnel_id}>
          {(f) => (
            <div class="list-card" data-testid="funnel-row">
              <a class="list-card__title" href={href(`/funnels/${f.funnel_id}`)}>
                {f.name}
              </a>
              <span class="list-card__meta">
                {f.status === "published" ? t("fn.status.published") : t("fn.status.draft")} · {f.pages.length}
              </span>
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

/** An image block's uploaded image (asset_id; its URL field is then left empty): upload, or take it off again. */
function ImageUpload({ block, where, onChange }: { block: Block; where: string; onChange: (b: Block) => void }) {
  return (
    <>
      {block.asset_id ? (
        <p class="row" data-testid="funnel-image-asset">
          {t("asset.uploaded", { name: String(block.asset_id) })}
          <button type="button" class="btn btn--ghost btn--small" onClick={() => onChange({ ...block, asset_id: "" })}>
            {t("asset.remove")}
          </button>
        </p>
      ) : null}
      <AssetUpload
        kind="image"
        name={`${where}.asset_id`}
        testId="funnel-image-upload"
        onUploaded={(a) => onChange({ ...block, asset_id: a.asset_id, url: "", ...(a.width && a.height ? { width: a.width, height: a.height } : {}) })}
      />
    </>
  );
}

/** Where a block sits, in both ways the API names it: the body's check (`pages.0.variants.1.blocks.2.text.text`,
 * with the block type) and the service's (`pages[0].variants[1].blocks[2]`). */
interface Place {
  dotted: string;
  bracketed: string;
}

function BlockEditor({ block, place, err, onChange, onRemove }: { block: Block; place: Place; err: FieldErrors; onChange: (b: Block) => void; onRemove: () => void }) {
  const fields = BLOCK_FIELDS[block.type] ?? [];
  const fieldError = (key: string) => err.at(`${place.dotted}.${block.type}.${key}`) ?? err.at(`${place.dotted}.${key}`);
  const known = new Set(fields.map(([key]) => fieldError(key)).filter(Boolean));
  const blockError = [err.at(place.bracketed, false), err.at(`${place.dotted}.${block.type}`, false), err.at(place.dotted, false)].find((m) => m && !known.has(m));
  return (
    <fieldset class="card form" data-testid="funnel-block">
      <legend>{t(`fn.block.${block.type}` as DictKey)}</legend>
      {fields.map(([key, label, kind]) => {
        const value = String(block[key] ?? "");
        const set = (x: string) => onChange({ ...block, [key]: kind === "number" ? Number(x) : x });
        const name = `${place.dotted}.${key}`;
        if (Array.isArray(kind)) {
          return <SelectField key={key} label={t(label)} name={name} value={value} error={fieldError(key)} options={kind.map(([v, l]) => [v, t(l)] as [string, string])} onValue={set} />;
        }
        return (
          <TextField
            key={key}
            label={t(label)}
            name={name}
            testId={`funnel-${key}`}
            error={fieldError(key)}
            rows={kind === "textarea" ? 3 : undefined}
            type={kind === "number" ? "number" : kind === "datetime" ? "datetime-local" : undefined}
            value={kind === "datetime" ? value.slice(0, 16) : value}
            onValue={set}
          />
        );
      })}
      <FieldError text={blockError} name={place.dotted} />
      {block.type === "image" && <ImageUpload block={block} where={place.dotted} onChange={onChange} />}
      <button type="button" class="btn btn--ghost btn--small" onClick={onRemove}>
        {t("fn.block.remove")}
      </button>
    </fieldset>
  );
}

/** The blocks of a page or of one of its variants, and "add block". */
function BlocksEditor({ blocks, place, err, onChange }: { blocks: Block[]; place: Place; err: FieldErrors; onChange: (blocks: Block[]) => void }) {
  const [adding, setAdding] = useState<string>("heading");
  return (
    <>
      {blocks.map((b, i) => (
        <BlockEditor
          key={i}
          block={b}
          place={{ dotted: `${place.dotted}.blocks.${i}`, bracketed: `${place.bracketed}.blocks[${i}]` }}
          err={err}
          onChange={(x) => onChange(blocks.map((y, j) => (j === i ? x : y)))}
          onRemove={() => onChange(blocks.filter((_, j) => j !== i))}
        />
      ))}
      <div class="row">
        <SelectField label={t("fn.block.add")} name={`${place.dotted}.add`} testId="funnel-block-type" value={adding} options={BLOCKS.map((k) => [k, t(`fn.block.${k}` as DictKey)] as [string, string])} onValue={setAdding} />
        <button type="button" class="btn btn--small" data-testid="funnel-block-add" onClick={() => onChange([...blocks, { ...(NEW_BLOCK[adding] ?? NEW_BLOCK.heading!) }])}>
          {t("fn.block.add")}
        </button>
      </div>
    </>
  );
}

/** An upsell / downsell page as the visitor sees it: the one-click button's label and the fixed decline link. */
function OfferSummary({ page }: { page: Page }) {
  const product = page.blocks.find((b) => b.type === "product");
  return (
    <div class="notice" data-testid="funnel-offer">
      <p>{t("fn.offer.lead")}</p>
      {product ? (
        <p>
          {t("fn.offer.buy")}: <strong data-testid="funnel-offer-button">{String(product.button_label || "購入手続きへ進む")}</strong> · {t("fn.offer.decline")}: <strong>いいえ、けっこうです</strong>
        </p>
      ) : (
        <p>{t("fn.offer.noProduct")}</p>
      )}
    </div>
  );
}

function VariantsEditor({ page, index, err, onChange }: { page: Page; index: number; err: FieldErrors; onChange: (p: Page) => void }) {
  const variants = page.variants ?? [];
  const setVariant = (n: number, x: Variant) => onChange({ ...page, variants: variants.map((y, j) => (j === n ? x : y)) });
  return (
    <section class="card form" data-testid="funnel-variants">
      <h3>{t("fn.ab")}</h3>
      <p class="muted">{t("fn.ab.lead")}</p>
      {variants.length > 0 && (
        <TextField label={t("fn.ab.weightA")} name={`pages.${index}.weight`} testId="funnel-weight-a" type="number" value={String(page.weight ?? 1)} error={err.at(`pages.${index}.weight`)} onValue={(x) => onChange({ ...page, weight: Number(x) })} />
      )}
      {variants.map((x, n) => {
        const label = LABELS[n + 1]!;
        const dotted = `pages.${index}.variants.${n}`;
        return (
          <fieldset key={n} class="card form" data-testid="funnel-variant" data-label={label}>
            <legend>{t("fn.ab.variant")} {label}</legend>
            <TextField label={t("fn.page.title")} name={`${dotted}.title`} testId="funnel-variant-title" value={x.title} maxLength={100} error={err.at(`${dotted}.title`)} onValue={(v) => setVariant(n, { ...x, title: v })} />
            <TextField label={t("fn.ab.weight")} name={`${dotted}.weight`} testId="funnel-variant-weight" type="number" value={String(x.weight)} error={err.at(`${dotted}.weight`)} onValue={(v) => setVariant(n, { ...x, weight: Number(v) })} />
            <BlocksEditor blocks={x.blocks} place={{ dotted, bracketed: `pages[${index}].variants[${n}]` }} err={err} onChange={(blocks) => setVariant(n, { ...x, blocks })} />
            <FieldError text={err.at(dotted, false) ?? err.at(`pages[${index}].variants[${n}]`, false)} name={dotted} />
            <div class="row">
              <ConfirmButton label={t("fn.ab.adopt")} confirmLabel={t("fn.ab.adopt.yes")} question={t("fn.ab.adopt.q")} testId="funnel-variant-adopt" onConfirm={() => onChange(adoptVariant(page, n + 1))} />
              <button type="button" class="btn btn--ghost btn--small" data-testid="funnel-variant-remove" onClick={() => onChange({ ...page, variants: variants.filter((_, j) => j !== n) })}>
                {t("fn.ab.remove")}
              </button>
            </div>
          </fieldset>
        );
      })}
      {variants.length < 3 && (
        <button
          type="button"
          class="btn btn--small"
          data-testid="funnel-variant-add"
          onClick={() => onChange({ ...page, variants: [...variants, { title: page.title, blocks: page.blocks.map((b) => ({ ...b })), weight: 1 }] })}
        >
          {t("fn.ab.add")}
        </button>
      )}
    </section>
  );
}

function PageEditor({ page, index, err, onChange, onRemove }: { page: Page; index: number; err: FieldErrors; onChange: (p: Page) => void; onRemove: () => void }) {
  return (
    <section class="card form" data-testid="funnel-page">
      <TextField label={t("fn.page.id")} name={`pages.${index}.page_id`} testId="funnel-page-id" value={page.page_id} maxLength={40} error={err.at(`pages.${index}.page_id`)} onValue={(x) => onChange({ ...page, page_id: x })} />
      <SelectField label={t("fn.page.kind")} name={`pages.${index}.kind`} value={page.kind} options={KINDS.map((k) => [k, t(`fn.kind.${k}` as DictKey)] as [string, string])} onValue={(x) => onChange({ ...page, kind: x })} />
      <TextField label={t("fn.page.title")} name={`pages.${index}.title`} testId="funnel-page-title" value={page.title} maxLength={100} error={err.at(`pages.${index}.title`)} onValue={(x) => onChange({ ...page, title: x })} />
      {OFFERS.has(page.kind) && <OfferSummary page={page} />}
      <h3>{(page.variants ?? []).length ? `${t("fn.blocks")} (${t("fn.ab.variant")} A)` : t("fn.blocks")}</h3>
      <BlocksEditor blocks={page.blocks} place={{ dotted: `pages.${index}`, bracketed: `pages[${index}]` }} err={err} onChange={(blocks) => onChange({ ...page, blocks })} />
      <FieldError text={err.at(`pages.${index}`, false) ?? err.at(`pages[${index}]`, false)} name={`pages.${index}`} />
      <VariantsEditor page={page} index={index} err={err} onChange={onChange} />
      <button type="button" class="btn btn--ghost btn--small" onClick={onRemove}>
        {t("fn.page.remove")}
      </button>
    </section>
  );
}

function FunnelEditor({ funnel, onSaved }: { funnel: Funnel | null; onSaved?: () => void }) {
  const { api } = useApp();
  const form = useForm<Values>(toValues(funnel), funnel ? null : "funnel.new");
  const err = fieldErrors(form.error);
  const v = form.values;
  const save = (vals: Values) => (funnel ? api.put<Funnel>(`/api/funnels/${funnel.funnel_id}`, funnelBody(vals)) : api.post<Funnel>("/api/funnels", funnelBody(vals)));
  const setPage = (i: number) => (p: Page) => form.set("pages", v.pages.map((x, j) => (j === i ? p : x)));
  return (
    <EditorShell
      kind={FUNNELS}
      id={funnel?.funnel_id ?? null}
      name={v.name}
      form={form}
      save={save}
      onSaved={(f) => (funnel ? onSaved?.() : navigate(`/funnels/${f.funnel_id}`, true))}
      remove={funnel ? { label: t("fn.delete"), question: t("fn.delete.q"), testId: "funnel-delete", run: () => api.delete(`/api/funnels/${funnel.funnel_id}`) } : undefined}
    >
      <section class="card form">
        <TextField label={t("fn.name")} name="name" testId="funnel-name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
        <SelectField
          label={t("fn.status")}
          name="status"
          testId="funnel-status"
          value={v.status}
          options={[
            ["draft", t("fn.status.draft")],
            ["published", t("fn.status.published")],
          ]}
          onValue={(x) => form.set("status", x)}
        />
        <TextField label={t("fn.scenario")} name="scenario_id" testId="funnel-scenario" value={v.scenario_id} maxLength={64} error={err.at("scenario_id")} onValue={(x) => form.set("scenario_id", x)} />
        {v.scenario_id.trim() && (
          // each step of the funnel's scenario is A/B tested in the scenario editor (docs/production/stepab.md)
          <p class="muted">
            <a href={href(`/scenarios/${encodeURIComponent(v.scenario_id.trim())}`)} data-testid="funnel-step-ab">
              {t("fn.stepAb")}
            </a>
          </p>
        )}
      </section>
      <h2>{t("fn.pages")}</h2>
      {v.pages.map((p, i) => (
        <PageEditor key={i} page={p} index={i} err={err} onChange={setPage(i)} onRemove={() => form.set("pages", v.pages.filter((_, j) => j !== i))} />
      ))}
      <FieldError text={err.at("pages", false)} name="pages" />
      <button type="button" class="btn btn--small" data-testid="funnel-page-add" onClick={() => form.set("pages", [...v.pages, { page_id: `p${v.pages.length + 1}`, kind: "thanks", title: "", blocks: [], variants: [] }])}>
        {t("fn.page.add")}
      </button>
    </EditorShell>
  );
}

function Preview({ funnelId, pageId }: { funnelId: string; pageId: string }) {
  const got = useApiGet<{ html: string }>(`/api/funnels/${funnelId}/pages/${encodeURIComponent(pageId)}/preview`, [pageId]);
  if (!got.data) return <ErrorNotice error={got.error} onDismiss={() => got.setError(null)} />;
  // sandbox="" : a unique origin, no scripts, no forms, no navigation of the admin
  return <iframe sandbox="" srcdoc={got.data.html} title={`${t("fn.preview")} ${pageId}`} data-testid="funnel-preview" style={{ width: "375px", height: "640px", border: "1px solid #d0d7de" }} />;
}

function FunnelStats({ id }: { id: string }) {
  const got = useApiGet<Stats>(`/api/funnels/${id}/stats`);
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const yen = (x: number) => `¥${Math.round(x).toLocaleString("ja-JP")}`;
  return (
    <section class="card" data-testid="funnel-stats">
      <h2 class="card__title">{t("fn.stats")}</h2>
      <ErrorNotice error={got.error} onDismiss={() => got.setError(null)} />
      <div class="scroll-x">
        <table class="table">
          <thead>
            <tr>
              <th>{t("fn.stats.page")}</th>
              <th>{t("fn.stats.variant")}</th>
              <th class="num">{t("fn.stats.visitors")}</th>
              <th class="num">{t("fn.stats.optins")}</th>
              <th class="num">{t("fn.stats.optinRate")}</th>
              <th class="num">{t("fn.stats.checkouts")}</th>
              <th class="num">{t("fn.stats.purchases")}</th>
              <th class="num">{t("fn.stats.purchaseRate")}</th>
              <th class="num">{t("fn.stats.revenue")}</th>
              <th class="num">{t("fn.stats.rpv")}</th>
              <th class="num">{t("fn.stats.refunded")}</th>
            </tr>
          </thead>
          <tbody>
            {(got.data?.pages ?? []).flatMap((p) =>
              p.variants.map((r) => (
                <tr key={`${p.page_id}-${r.variant}`} data-testid="funnel-stat-row" data-page={p.page_id} data-variant={r.variant}>
                  <td>{p.page_id}</td>
                  <td>{r.variant}</td>
                  <td class="num" data-testid="funnel-stat-visitors">{r.visitors}</td>
                  <td class="num">{r.optins}</td>
                  <td class="num">{pct(r.optin_rate)}</td>
                  <td class="num">{r.checkouts}</td>
                  <td class="num" data-testid="funnel-stat-purchases">{r.purchases}</td>
                  <td class="num">{pct(r.purchase_rate)}</td>
                  <td class="num" data-testid="funnel-stat-revenue">{yen(r.revenue)}</td>
                  <td class="num">{yen(r.revenue_per_visitor)}</td>
                  <td class="num">{r.refunded ? yen(r.refunded) : "—"}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </div>
      {(got.data?.pages ?? []).filter((p) => p.abtest).map((p) => (
        <div key={p.page_id} data-testid="funnel-verdict">
          <p class={`notice ${p.abtest?.significant ? "notice--info" : ""}`}>
            {p.page_id} ({p.abtest?.goal === "purchases" ? t("fn.stats.purchaseRate") : t("fn.stats.optinRate")}): {p.abtest?.message}
          </p>
          {p.revenue_abtest && (
            <p class={`notice ${p.revenue_abtest.significant ? "notice--info" : ""}`}>
              {p.page_id} ({t("fn.stats.rpv")}): {p.revenue_abtest.message}
            </p>
          )}
          {p.abtest?.leader && p.abtest.leader !== "A" && <p class="muted">{t("fn.ab.adoptHint")}</p>}
        </div>
      ))}
    </section>
  );
}

function FunnelDetail({ id }: { id: string }) {
  const got = useApiGet<Funnel>(`/api/funnels/${id}`);
  const [previewed, setPreviewed] = useState<string | null>(null);
  if (!got.data) return <ErrorNotice error={got.error} onDismiss={() => got.setError(null)} />;
  const funnel = got.data;
  const pageId = previewed ?? funnel.pages[0]?.page_id ?? "";
  return (
    <div data-testid="funnel-detail">
      <FunnelEditor key={funnel.funnel_id + funnel.created_at} funnel={funnel} onSaved={got.reload} />
      <section class="card" data-testid="funnel-urls">
        <h2 class="card__title">{t("fn.urls")}</h2>
        <ul>
          {funnel.pages.map((p) => (
            <li key={p.page_id}>
              <button type="button" class="btn btn--ghost btn--small" onClick={() => setPreviewed(p.page_id)}>
                {p.page_id}
              </button>{" "}
              <a href={funnel.urls[p.page_id]} target="_blank" rel="noopener noreferrer" data-testid="funnel-public-url">
                {funnel.urls[p.page_id]}
              </a>
            </li>
          ))}
        </ul>
        <h3>{t("fn.preview")}</h3>
        {pageId && <Preview funnelId={funnel.funnel_id} pageId={pageId} />}
      </section>
      <FunnelStats id={id} />
    </div>
  );
}

export default function FunnelsScreen() {
  const id = useRoute().path.replace(/^\/funnels\/?/, "").split("/")[0];
  if (!id) return <FunnelList />;
  if (id === "new") return <FunnelEditor funnel={null} />;
  return <FunnelDetail key={id} id={decodeURIComponent(id)} />;
}
