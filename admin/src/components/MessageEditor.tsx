/**
 * Editor for the 1-5 LINE messages of one send: text (with variable insertion such as {{ name }}), image URL,
 * sticker IDs, buttons template, quick replies; any other type (flex, carousel...) as JSON. LINE's limits are
 * checked as the marketer types (lineLimitProblems); the API checks again and its `where` is shown at the field.
 */
import { useContext, useState } from "preact/hooks";
import { AppContext } from "../context";
import { t } from "../i18n";
import { ItemControls, moveItem, removeItem, replaceItem } from "./ItemControls";
import { LINE_LIMITS, type LineMessage, lineLimitProblems } from "./MessagePreview";

export const VARIABLES = ["name", "display_name", "email", "fields.xxx", "now"] as const;

export interface MessageEditorProps {
  value: LineMessage[];
  onChange: (next: LineMessage[]) => void;
  /** API error text for message `index`, field `field` ("" = the message as a whole). */
  errorAt?: (index: number, field: string) => string | undefined;
  /** Prefix for input names, so e2e and ApiError.where can find them (e.g. "steps[0].line"). */
  name?: string;
  testId?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const s = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

export function newMessage(type: string): LineMessage {
  switch (type) {
    case "image":
      return { type: "image", originalContentUrl: "https://", previewImageUrl: "https://" };
    case "sticker":
      return { type: "sticker", packageId: "446", stickerId: "1988" };
    case "buttons":
      return {
        type: "template",
        altText: "",
        template: { type: "buttons", title: "", text: "", actions: [{ type: "message", label: "", text: "" }] },
      };
    default:
      return { type: "text", text: "" };
  }
}

function quickLabels(m: LineMessage): string {
  const items = isObj(m.quickReply) && Array.isArray(m.quickReply.items) ? m.quickReply.items : [];
  return items.map((q) => (isObj(q) && isObj(q.action) ? s(q.action.label) : "")).join(", ");
}

function withQuick(m: LineMessage, labels: string): LineMessage {
  const list = labels
    .split(/[,、]/)
    .map((x) => x.trim())
    .filter(Boolean);
  const next: LineMessage = { ...m };
  if (list.length === 0) delete next.quickReply;
  else next.quickReply = { items: list.map((l) => ({ type: "action", action: { type: "message", label: l, text: l } })) };
  return next;
}

function JsonMessage({ m, onChange, name }: { m: LineMessage; onChange: (m: LineMessage) => void; name: string }) {
  const [text, setText] = useState(() => JSON.stringify(m, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <label class="field">
      <span class="field__label">{t("me.json")}</span>
      <textarea
        class="mono"
        name={name}
        rows={8}
        value={text}
        aria-invalid={bad}
        onInput={(e) => {
          const v = e.currentTarget.value;
          setText(v);
          try {
            const parsed = JSON.parse(v) as unknown;
            if (isObj(parsed) && typeof parsed.type === "string") {
              setBad(false);
              onChange(parsed as LineMessage);
            } else setBad(true);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <span class="field__error">{t("me.jsonInvalid")}</span>}
    </label>
  );
}

function Err({ text }: { text: string | undefined }) {
  return text ? (
    <span class="field__error" role="alert">
      {text}
    </span>
  ) : null;
}

export function MessageEditor({ value, onChange, errorAt, name = "line", testId = "message-editor" }: MessageEditorProps) {
  const problems = lineLimitProblems(value);
  const [asJson, setAsJson] = useState<Record<number, boolean>>({});
  const put = (i: number, m: LineMessage) => onChange(replaceItem(value, i, m));
  const err = (i: number, f: string) => errorAt?.(i, f);

  return (
    <div class="me" data-testid={testId}>
      {problems
        .filter((p) => p.index === -1)
        .map((p, i) => (
          <p key={i} class="notice notice--warn" role="status">
            {p.message}
          </p>
        ))}
      {value.map((m, i) => {
        const mine = problems.filter((p) => p.index === i);
        const base = `${name}[${i}]`;
        const simple =
          !asJson[i] &&
          (m.type === "text" ||
            m.type === "image" ||
            m.type === "sticker" ||
            (m.type === "template" && isObj(m.template) && m.template.type === "buttons"));
        const tpl = isObj(m.template) ? m.template : {};
        const actions = Array.isArray(tpl.actions) ? (tpl.actions as Obj[]) : [];
        const setTpl = (patch: Obj) => put(i, { ...m, template: { ...tpl, ...patch } });
        const text = s(m.text);
        return (
          <div
            key={i}
            class={`me-msg${mine.length || err(i, "") ? " me-msg--invalid" : ""}`}
            data-testid="editor-message"
          >
            <div class="me-msg__head">
              <strong>
                {t("me.message", { n: i + 1 })} · {t(`me.type.${m.type === "template" ? "buttons" : m.type}` as never) || m.type}
              </strong>
              <ItemControls index={i} count={value.length} minCount={0} onMove={(d) => onChange(moveItem(value, i, d))} onRemove={() => onChange(removeItem(value, i))}>
                <button type="button" class="btn btn--ghost btn--small" onClick={() => setAsJson({ ...asJson, [i]: !asJson[i] })}>
                  {asJson[i] ? t("me.form") : "JSON"}
                </button>
              </ItemControls>
            </div>
            <Err text={err(i, "")} />
            {mine.map((p, j) => (
              <span key={j} class="field__error">
                {p.message}
              </span>
            ))}
            {!simple && <JsonMessage key={`${i}-${m.type}`} m={m} name={`${base}.json`} onChange={(x) => put(i, x)} />}
            {simple && m.type === "text" && (
              <>
                <label class="field">
                  <span class="field__label">{t("me.text")}</span>
                  <textarea
                    name={`${base}.text`}
                    value={text}
                    rows={4}
                    aria-invalid={!!err(i, "text") || text.length > LINE_LIMITS.textChars}
                    onInput={(e) => put(i, { ...m, text: e.currentTarget.value })}
                  />
                  <span class={`me-count${text.length > LINE_LIMITS.textChars ? " me-count--over" : ""}`}>
                    {text.length} / {LINE_LIMITS.textChars}
                  </span>
                  <Err text={err(i, "text")} />
                </label>
                <div class="me-vars">
                  <span class="muted">{t("me.insertVar")}</span>
                  {VARIABLES.map((v) => (
                    <button
                      key={v}
                      type="button"
                      class="chip-btn"
                      data-insert-var={v}
                      onClick={() => put(i, { ...m, text: `${text}{{ ${v} }}` })}
                    >
                      {t(`me.var.${v}` as never)}
                    </button>
                  ))}
                  <CouponVariable onInsert={(code) => put(i, { ...m, text: `${text}${code}` })} />
                </div>
              </>
            )}
            {simple && m.type === "image" && (
              <div class="row">
                <label class="field">
                  <span class="field__label">{t("me.imageUrl")}</span>
                  <input
                    name={`${base}.originalContentUrl`}
                    type="url"
                    value={s(m.originalContentUrl)}
                    aria-invalid={!!err(i, "originalContentUrl")}
                    onInput={(e) => put(i, { ...m, originalContentUrl: e.currentTarget.value, previewImageUrl: e.currentTarget.value })}
                  />
                  <Err text={err(i, "originalContentUrl")} />
                </label>
              </div>
            )}
            {simple && m.type === "sticker" && (
              <div class="row">
                <label class="field">
                  <span class="field__label">{t("me.packageId")}</span>
                  <input name={`${base}.packageId`} inputMode="numeric" value={s(m.packageId)} onInput={(e) => put(i, { ...m, packageId: e.currentTarget.value })} />
                </label>
                <label class="field">
                  <span class="field__label">{t("me.stickerId")}</span>
                  <input name={`${base}.stickerId`} inputMode="numeric" value={s(m.stickerId)} onInput={(e) => put(i, { ...m, stickerId: e.currentTarget.value })} />
                </label>
              </div>
            )}
            {simple && m.type === "template" && (
              <>
                <div class="row">
                  <label class="field">
                    <span class="field__label">{t("me.title")}</span>
                    <input name={`${base}.template.title`} value={s(tpl.title)} maxLength={40} onInput={(e) => setTpl({ title: e.currentTarget.value })} />
                  </label>
                  <label class="field">
                    <span class="field__label">{t("me.altText")}</span>
                    <input name={`${base}.altText`} value={s(m.altText)} maxLength={400} onInput={(e) => put(i, { ...m, altText: e.currentTarget.value })} />
                    <Err text={err(i, "altText")} />
                  </label>
                </div>
                <label class="field">
                  <span class="field__label">{t("me.text")}</span>
                  <textarea name={`${base}.template.text`} rows={2} value={s(tpl.text)} maxLength={160} onInput={(e) => setTpl({ text: e.currentTarget.value })} />
                </label>
                {actions.map((a, j) => (
                  <div class="row" key={j}>
                    <label class="field">
                      <span class="field__label">{t("me.buttonLabel", { n: j + 1 })}</span>
                      <input
                        name={`${base}.template.actions[${j}].label`}
                        value={s(a.label)}
                        maxLength={20}
                        onInput={(e) => setTpl({ actions: actions.map((x, k) => (k === j ? { ...x, label: e.currentTarget.value } : x)) })}
                      />
                    </label>
                    <label class="field">
                      <span class="field__label">{a.type === "uri" ? "URL" : t("me.buttonText")}</span>
                      <input
                        name={`${base}.template.actions[${j}].${a.type === "uri" ? "uri" : "text"}`}
                        value={s(a.type === "uri" ? a.uri : a.text)}
                        onInput={(e) =>
                          setTpl({
                            actions: actions.map((x, k) =>
                              k === j ? { ...x, [a.type === "uri" ? "uri" : "text"]: e.currentTarget.value } : x,
                            ),
                          })
                        }
                      />
                    </label>
                    <label class="field field--narrow">
                      <span class="field__label">{t("me.buttonKind")}</span>
                      <select
                        value={s(a.type)}
                        onChange={(e) =>
                          setTpl({
                            actions: actions.map((x, k) =>
                              k === j
                                ? e.currentTarget.value === "uri"
                                  ? { type: "uri", label: s(x.label), uri: "https://" }
                                  : { type: "message", label: s(x.label), text: s(x.label) }
                                : x,
                            ),
                          })
                        }
                      >
                        <option value="message">{t("me.kind.message")}</option>
                        <option value="uri">{t("me.kind.uri")}</option>
                      </select>
                    </label>
                    <button type="button" class="btn btn--ghost btn--small" onClick={() => setTpl({ actions: actions.filter((_, k) => k !== j) })}>
                      {t("me.remove")}
                    </button>
                  </div>
                ))}
                {actions.length < LINE_LIMITS.buttonsActions && (
                  <button
                    type="button"
                    class="btn btn--ghost btn--small"
                    onClick={() => setTpl({ actions: [...actions, { type: "message", label: "", text: "" }] })}
                  >
                    {t("me.addButton", { max: LINE_LIMITS.buttonsActions })}
                  </button>
                )}
              </>
            )}
            {simple && (
              <label class="field">
                <span class="field__label">{t("me.quick")}</span>
                <input
                  name={`${base}.quickReply`}
                  value={quickLabels(m)}
                  placeholder={t("me.quickPlaceholder")}
                  onChange={(e) => put(i, withQuick(m, e.currentTarget.value))}
                />
              </label>
            )}
          </div>
        );
      })}
      <div class="toolbar">
        {(["text", "image", "sticker", "buttons"] as const).map((type) => (
          <button
            key={type}
            type="button"
            class="btn btn--ghost btn--small"
            data-add-message={type}
            disabled={value.length >= LINE_LIMITS.messages}
            onClick={() => onChange([...value, newMessage(type)])}
          >
            + {t(`me.type.${type}`)}
          </button>
        ))}
        {value.length < LINE_LIMITS.messages && <CouponPicker label={`+ ${t("me.couponCard")}`} testId="me-coupon-card" onPick={(c) => onChange([...value, couponCard(c)])} />}
        <span class="muted">{t("me.count", { n: value.length, max: LINE_LIMITS.messages })}</span>
      </div>
    </div>
  );
}

interface CouponChoice {
  coupon_id: string;
  name: string;
  discount_type: "amount" | "percent";
  discount_value: number;
  valid_until: string | null;
}

/** A coupon picker: lists the workspace's coupons on first click, then calls `onPick` with the chosen one. */
function CouponPicker({ label, testId, onPick }: { label: string; testId: string; onPick: (c: CouponChoice) => void }) {
  const app = useContext(AppContext);
  const [coupons, setCoupons] = useState<CouponChoice[] | null>(null);
  if (!app) return null;
  if (coupons === null)
    return (
      <button
        type="button"
        class="chip-btn"
        data-insert-var={testId === "me-coupon" ? "coupon" : undefined}
        data-testid={`${testId}-open`}
        onClick={() => void app.api.get<{ coupons: CouponChoice[] }>("/api/coupons").then((r) => setCoupons(r.coupons), () => setCoupons([]))}
      >
        {label}
      </button>
    );
  return (
    <select
      aria-label={t("me.coupon.choose")}
      data-testid={testId}
      value=""
      onChange={(e) => {
        const chosen = coupons.find((c) => c.coupon_id === e.currentTarget.value);
        if (chosen) onPick(chosen);
        setCoupons(null);
      }}
    >
      <option value="">{t("me.coupon.choose")}…</option>
      {coupons.map((c) => (
        <option key={c.coupon_id} value={c.coupon_id}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

/** The coupon chip: inserts `{{ coupon("cpn_...") }}` (one code per friend, assigned when the message is rendered for
 * them; see docs/production/coupons.md). */
function CouponVariable({ onInsert }: { onInsert: (text: string) => void }) {
  return <CouponPicker label={t("me.var.coupon")} testId="me-coupon" onPick={(c) => onInsert(`{{ coupon("${c.coupon_id}") }}`)} />;
}

/** A coupon card (flex bubble): the coupon's name, discount, the friend's code and validity, and a 「クーポンを使う」
 * button opening the friend's signed 使う page (`coupon("cpn_...", "url")`, shown at the counter). */
export function couponCard(c: CouponChoice): LineMessage {
  const discount = c.discount_type === "percent" ? `${c.discount_value}%OFF` : `${c.discount_value.toLocaleString("ja-JP")}円引き`;
  const until = c.valid_until ? `有効期限: ${c.valid_until.slice(0, 10).replace(/-/g, "/")} ${c.valid_until.slice(11, 16)}まで` : "有効期限なし";
  const variable = (part: string) => (part === "url" ? `{{ coupon("${c.coupon_id}", "url") }}` : `{{ coupon("${c.coupon_id}") }}`);
  return {
    type: "flex",
    altText: `${c.name} (${discount})`.slice(0, 400),
    contents: {
      type: "bubble",
      body: {
        type: "box",
        layout: "vertical",
        spacing: "md",
        contents: [
          { type: "text", text: "COUPON", size: "xs", color: "#06C755", weight: "bold" },
          { type: "text", text: c.name, size: "lg", weight: "bold", wrap: true },
          { type: "text", text: discount, size: "xxl", weight: "bold", color: "#E53935" },
          { type: "text", text: `コード: ${variable("code")}`, size: "md", wrap: true },
          { type: "text", text: until, size: "xs", color: "#888888", wrap: true },
        ],
      },
      footer: {
        type: "box",
        layout: "vertical",
        contents: [{ type: "button", style: "primary", color: "#06C755", action: { type: "uri", label: "クーポンを使う", uri: variable("url") } }],
      },
    },
  };
}
