/**
 * The HTML e-mail editor used by scenario steps and broadcasts: an HTML body, an optional text body (made from the
 * HTML by the server when empty), and a preview in a sandboxed iframe.
 *
 * The preview is `<iframe sandbox srcdoc>` with an empty sandbox (no scripts, no same-origin access, no forms, no
 * popups, no top navigation) plus a Content-Security-Policy that allows no script and no network except https
 * images: a marketer's HTML can never run code inside the admin. Variables are filled with sample values, escaped;
 * the server renders the real e-mail with the one template renderer (haishin/render.py).
 */
import { t } from "../i18n";

export const PREVIEW_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; font-src https: data:";

const SAMPLE_VARIABLES: Record<string, string> = {
  name: "山田 花子",
  display_name: "山田 花子",
  email: "hanako@example.com",
  phone: "+819012345678",
  unsubscribe_url: "#",
};

export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** The document shown in the preview: simple `{{ variable }}` placeholders filled with escaped samples. */
export function previewDocument(html: string, samples: Record<string, string> = SAMPLE_VARIABLES): string {
  const filled = html.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|[^}]*)?\}\}/g, (whole, name: string) =>
    name in samples ? escapeHtml(samples[name]!) : escapeHtml(whole),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}"><base target="_blank"></head><body>${filled}</body></html>`;
}

export function EmailBodyEditor({
  name,
  html,
  text,
  onChange,
  htmlError,
  textError,
}: {
  name: string;
  html: string;
  text: string;
  onChange: (next: { html: string; text: string }) => void;
  htmlError?: string | undefined;
  textError?: string | undefined;
}) {
  return (
    <div class="email-body" data-testid="email-body-editor">
      <label class="field">
        <span class="field__label">{t("em.html")}</span>
        <textarea
          name={`${name}.html`}
          rows={8}
          spellcheck={false}
          value={html}
          aria-invalid={htmlError ? true : undefined}
          onInput={(e) => onChange({ html: e.currentTarget.value, text })}
          data-testid="email-html"
        />
        <span class="field__hint muted">{t("em.html.hint")}</span>
        {htmlError && <span class="field__error">{htmlError}</span>}
      </label>
      {html.trim() !== "" && (
        <figure class="email-preview" style={{ margin: 0 }}>
          <figcaption class="field__label">{t("em.preview")}</figcaption>
          <iframe
            sandbox=""
            referrerpolicy="no-referrer"
            title={t("em.preview")}
            srcdoc={previewDocument(html)}
            style={{ width: "100%", minHeight: "240px", border: "1px solid #ddd", borderRadius: "6px", background: "#fff" }}
            data-testid="email-preview"
          />
          <p class="muted" style={{ fontSize: "12px" }}>{t("em.preview.note")}</p>
        </figure>
      )}
      <label class="field">
        <span class="field__label">{t("em.text")}</span>
        <textarea
          name={`${name}.text`}
          rows={4}
          value={text}
          aria-invalid={textError ? true : undefined}
          onInput={(e) => onChange({ html, text: e.currentTarget.value })}
          data-testid="email-text"
        />
        <span class="field__hint muted">{t("em.text.hint")}</span>
        {textError && <span class="field__error">{textError}</span>}
      </label>
    </div>
  );
}

export interface SenderOption {
  identity_id: string;
  from_name: string;
  from_address: string;
  verified: boolean;
  default: boolean;
}

/** The From choice: the workspace's senders (unverified ones shown but disabled), or the default sender. */
export function FromSelect({
  name,
  value,
  senders,
  onChange,
  error,
  label,
}: {
  name: string;
  value: string;
  senders: SenderOption[];
  onChange: (address: string) => void;
  error?: string | undefined;
  label?: string;
}) {
  return (
    <label class="field" style={{ minWidth: 0, maxWidth: "100%" }}>
      <span class="field__label">{label ?? t("em.from")}</span>
      <select name={name} value={value} style={{ maxWidth: "100%" }} onChange={(e) => onChange(e.currentTarget.value)} aria-invalid={error ? true : undefined} data-testid="email-from">
        <option value="">{t("em.from.default")}</option>
        {senders.map((s) => (
          <option key={s.identity_id} value={s.from_address} disabled={!s.verified && s.from_address !== value}>
            {s.from_name ? `${s.from_name} <${s.from_address}>` : s.from_address}
            {s.verified ? "" : ` ${t("em.from.unverified")}`}
          </option>
        ))}
      </select>
      {error && <span class="field__error">{error}</span>}
    </label>
  );
}
