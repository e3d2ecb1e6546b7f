/** Small building blocks shared by the crm screens (channels, dashboard, friends, settings). */
import { useState } from "preact/hooks";
import { getLang, t } from "../../i18n";
import "./crm.css";

// The field and the two-step confirm are shared by every screen: they live in components/.
export { Field } from "../../components/Field";
export { ConfirmButton } from "../../components/ConfirmButton";

/** Copy text to the clipboard; falls back to selecting a hidden textarea when the Clipboard API is unavailable. */
export function CopyButton({ text, testId }: { text: string; testId?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy");
      } catch {
        /* the user can still select the text by hand */
      }
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  };
  return (
    <button type="button" class="btn btn--small btn--ghost" onClick={copy} data-testid={testId}>
      {done ? t("common.copied") : t("common.copy")}
    </button>
  );
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(getLang() === "ja" ? "ja-JP" : "en-US", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return n.toLocaleString(getLang() === "ja" ? "ja-JP" : "en-US");
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
      <div class="progress__bar" style={{ width: `${pct}%` }} />
      <span class="progress__text">{pct}%</span>
    </div>
  );
}
