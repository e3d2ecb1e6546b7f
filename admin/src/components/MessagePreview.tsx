/**
 * THE LINE message preview: renders LINE message objects (Messaging API JSON) roughly as a phone shows them.
 * Text bubbles (variables `{{ name }}` as chips, or sample values), image, sticker label, template
 * buttons/confirm/carousel, flex (best effort), quick replies as chips. LINE's limits are flagged in place
 * (more than 5 messages per send, text over 5,000 characters, too many actions / quick replies / columns).
 * Used by scenarios, broadcasts and auto-replies.
 */
import type { ComponentChildren } from "preact";
import { t } from "../i18n";
import "./MessagePreview.css";

export type LineMessage = { type: string } & Record<string, unknown>;

export const LINE_LIMITS = {
  messages: 5,
  textChars: 5000,
  quickReplies: 13,
  buttonsActions: 4,
  confirmActions: 2,
  carouselColumns: 10,
  altText: 400,
} as const;

export interface LimitProblem {
  /** message index, or -1 for the whole send */
  index: number;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

/** Every LINE limit the messages break (the UI shows them in place; the API checks again). */
export function lineLimitProblems(messages: readonly LineMessage[]): LimitProblem[] {
  const out: LimitProblem[] = [];
  if (messages.length === 0) out.push({ index: -1, message: t("mp.limit.none") });
  if (messages.length > LINE_LIMITS.messages) {
    out.push({ index: -1, message: t("mp.limit.count", { n: messages.length, max: LINE_LIMITS.messages }) });
  }
  messages.forEach((m, index) => {
    if (m.type === "text") {
      const text = str(m.text);
      if (!text.trim()) out.push({ index, message: t("mp.limit.emptyText") });
      if (text.length > LINE_LIMITS.textChars) {
        out.push({ index, message: t("mp.limit.textLength", { n: text.length, max: LINE_LIMITS.textChars }) });
      }
    }
    if (m.type === "image" && !str(m.originalContentUrl).startsWith("https://")) {
      out.push({ index, message: t("mp.limit.https") });
    }
    const quick = isObj(m.quickReply) ? arr(m.quickReply.items) : [];
    if (quick.length > LINE_LIMITS.quickReplies) {
      out.push({ index, message: t("mp.limit.quick", { n: quick.length, max: LINE_LIMITS.quickReplies }) });
    }
    if (m.type === "template" && isObj(m.template)) {
      const tpl = m.template;
      const actions = arr(tpl.actions);
      if (tpl.type === "buttons" && (actions.length < 1 || actions.length > LINE_LIMITS.buttonsActions)) {
        out.push({ index, message: t("mp.limit.actions", { n: actions.length, max: LINE_LIMITS.buttonsActions }) });
      }
      if (tpl.type === "confirm" && actions.length !== LINE_LIMITS.confirmActions) {
        out.push({ index, message: t("mp.limit.confirm") });
      }
      const columns = arr(tpl.columns);
      if ((tpl.type === "carousel" || tpl.type === "image_carousel") && columns.length > LINE_LIMITS.carouselColumns) {
        out.push({ index, message: t("mp.limit.columns", { n: columns.length, max: LINE_LIMITS.carouselColumns }) });
      }
    }
    if ((m.type === "template" || m.type === "flex") && str(m.altText).length > LINE_LIMITS.altText) {
      out.push({ index, message: t("mp.limit.altText", { max: LINE_LIMITS.altText }) });
    }
  });
  return out;
}

const VAR_RE = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** Text with `{{ var }}` shown as chips (or the sample value when one is given). */
export function TextWithVariables({ text, samples }: { text: string; samples?: Record<string, string> | undefined }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  let k = 0;
  for (const m of text.matchAll(VAR_RE)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    const name = (m[1] ?? "").trim();
    const sample = samples?.[name.split("|")[0]!.trim()];
    parts.push(
      sample !== undefined ? (
        <span key={k++} class="mp-sample" title={`{{ ${name} }}`}>
          {sample}
        </span>
      ) : (
        <span key={k++} class="mp-var" data-var={name}>
          {name}
        </span>
      ),
    );
    last = at + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
}

function ActionButton({ action, samples }: { action: unknown; samples?: Record<string, string> | undefined }) {
  const a = isObj(action) ? action : {};
  return (
    <span class="mp-action" data-action-type={str(a.type)}>
      <TextWithVariables text={str(a.label) || str(a.text) || str(a.type)} samples={samples} />
    </span>
  );
}

function TemplateView({ tpl, samples }: { tpl: Obj; samples?: Record<string, string> | undefined }) {
  if (tpl.type === "confirm") {
    return (
      <div class="mp-card" data-template="confirm">
        <p class="mp-card__text">
          <TextWithVariables text={str(tpl.text)} samples={samples} />
        </p>
        <div class="mp-card__row">
          {arr(tpl.actions).map((a, i) => (
            <ActionButton key={i} action={a} samples={samples} />
          ))}
        </div>
      </div>
    );
  }
  if (tpl.type === "carousel" || tpl.type === "image_carousel") {
    return (
      <div class="mp-carousel" data-template={str(tpl.type)}>
        {arr(tpl.columns).map((c, i) => {
          const col = isObj(c) ? c : {};
          return (
            <div key={i} class="mp-card mp-card--col">
              {str(col.thumbnailImageUrl || col.imageUrl) && <img class="mp-card__img" src={str(col.thumbnailImageUrl || col.imageUrl)} alt="" />}
              {str(col.title) && <p class="mp-card__title">{str(col.title)}</p>}
              {str(col.text) && (
                <p class="mp-card__text">
                  <TextWithVariables text={str(col.text)} samples={samples} />
                </p>
              )}
              {(col.action !== undefined ? [col.action] : arr(col.actions)).map((a, j) => (
                <ActionButton key={j} action={a} samples={samples} />
              ))}
            </div>
          );
        })}
      </div>
    );
  }
  // buttons (and anything unknown, best effort)
  return (
    <div class="mp-card" data-template={str(tpl.type) || "buttons"}>
      {str(tpl.thumbnailImageUrl) && <img class="mp-card__img" src={str(tpl.thumbnailImageUrl)} alt="" />}
      {str(tpl.title) && <p class="mp-card__title">{str(tpl.title)}</p>}
      <p class="mp-card__text">
        <TextWithVariables text={str(tpl.text)} samples={samples} />
      </p>
      {arr(tpl.actions).map((a, i) => (
        <ActionButton key={i} action={a} samples={samples} />
      ))}
    </div>
  );
}

/** Flex, best effort: texts, images and buttons of a bubble (or of each bubble of a carousel). */
function FlexNode({ node, samples }: { node: unknown; samples?: Record<string, string> | undefined }): preact.JSX.Element | null {
  if (!isObj(node)) return null;
  switch (node.type) {
    case "carousel":
      return (
        <div class="mp-carousel">
          {arr(node.contents).map((b, i) => (
            <FlexNode key={i} node={b} samples={samples} />
          ))}
        </div>
      );
    case "bubble":
      return (
        <div class="mp-card mp-card--col mp-flex">
          {["header", "hero", "body", "footer"].map((part) => (
            <FlexNode key={part} node={node[part]} samples={samples} />
          ))}
        </div>
      );
    case "box":
      return (
        <div class={`mp-flex__box mp-flex__box--${str(node.layout) || "vertical"}`}>
          {arr(node.contents).map((c, i) => (
            <FlexNode key={i} node={c} samples={samples} />
          ))}
        </div>
      );
    case "text":
      return (
        <p class={`mp-flex__text${node.weight === "bold" ? " mp-flex__text--bold" : ""}`}>
          <TextWithVariables text={str(node.text)} samples={samples} />
        </p>
      );
    case "image":
      return <img class="mp-card__img" src={str(node.url)} alt="" />;
    case "button":
      return <ActionButton action={node.action} samples={samples} />;
    case "separator":
      return <hr class="mp-flex__sep" />;
    default:
      return null;
  }
}

function Bubble({ m, samples }: { m: LineMessage; samples?: Record<string, string> | undefined }) {
  switch (m.type) {
    case "text":
      return (
        <div class="mp-bubble">
          <TextWithVariables text={str(m.text)} samples={samples} />
        </div>
      );
    case "image":
      return str(m.previewImageUrl || m.originalContentUrl) ? (
        <img class="mp-image" src={str(m.previewImageUrl || m.originalContentUrl)} alt={t("mp.image")} />
      ) : (
        <div class="mp-bubble mp-bubble--label">{t("mp.image")}</div>
      );
    case "sticker":
      return (
        <div class="mp-sticker" role="img" aria-label={t("mp.sticker")}>
          <span class="mp-sticker__face" aria-hidden="true">
            ☺
          </span>
          <span>
            {t("mp.sticker")} {str(m.packageId)}/{str(m.stickerId)}
          </span>
        </div>
      );
    case "template":
      return isObj(m.template) ? <TemplateView tpl={m.template} samples={samples} /> : null;
    case "flex":
      return (
        <div>
          <FlexNode node={m.contents} samples={samples} />
          <p class="mp-alt">
            {t("mp.altText")}: {str(m.altText)}
          </p>
        </div>
      );
    default:
      return (
        <div class="mp-bubble mp-bubble--label">
          {t("mp.other", { type: m.type })}
          {str(m.altText || m.title) && `: ${str(m.altText || m.title)}`}
        </div>
      );
  }
}

export interface MessagePreviewProps {
  messages: readonly LineMessage[];
  /** Sample values for variables (e.g. {name: "山田 花子"}); without them variables show as chips. */
  samples?: Record<string, string> | undefined;
  /** Account name shown in the phone's header. */
  accountName?: string;
  title?: string;
}

export function MessagePreview({ messages, samples, accountName, title }: MessagePreviewProps) {
  const problems = lineLimitProblems(messages);
  const whole = problems.filter((p) => p.index === -1);
  const last = messages[Math.min(messages.length, LINE_LIMITS.messages) - 1];
  const quick = last && isObj(last.quickReply) ? arr(last.quickReply.items) : [];
  return (
    <figure class="mp" data-testid="message-preview" aria-label={title ?? t("mp.title")}>
      <figcaption class="mp__caption">{title ?? t("mp.title")}</figcaption>
      <div class="mp__phone">
        <div class="mp__bar">{accountName ?? t("mp.account")}</div>
        <div class="mp__chat">
          {whole.map((p, i) => (
            <p key={i} class="mp-limit" role="alert" data-testid="preview-limit">
              {p.message}
            </p>
          ))}
          {messages.map((m, i) => {
            const over = i >= LINE_LIMITS.messages;
            const mine = problems.filter((p) => p.index === i);
            return (
              <div
                key={i}
                class={`mp-row${over ? " mp-row--over" : ""}`}
                data-testid="preview-message"
                data-type={m.type}
                data-over={over ? "true" : undefined}
              >
                <span class="mp-avatar" aria-hidden="true" />
                <div class="mp-row__body">
                  <Bubble m={m} samples={samples} />
                  {over && <span class="mp-flag">{t("mp.notSent")}</span>}
                  {mine.map((p, j) => (
                    <span key={j} class="mp-flag">
                      {p.message}
                    </span>
                  ))}
                </div>
              </div>
            );
          })}
        </div>
        {quick.length > 0 && (
          <div class="mp-quick" data-testid="preview-quick-replies">
            {quick.map((q, i) => {
              const a = isObj(q) && isObj(q.action) ? q.action : {};
              return (
                <span key={i} class="mp-quick__chip">
                  {str(a.label) || str(a.text) || str(a.type)}
                </span>
              );
            })}
          </div>
        )}
      </div>
    </figure>
  );
}
