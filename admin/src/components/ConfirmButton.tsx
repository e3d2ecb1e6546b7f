/**
 * Two-step destructive button: the first click asks, the second confirms (no window.confirm, so it works on phones
 * and in tests). Every delete / archive / cancel in the admin goes through it.
 */
import { useState } from "preact/hooks";
import { t } from "../i18n";
import "./shell.css";

export interface ConfirmButtonProps {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void;
  busy?: boolean;
  testId?: string;
  /** a full-size button (page headers) instead of a small one (rows) */
  large?: boolean;
}

export function ConfirmButton({ label, confirmLabel, question, onConfirm, busy, testId, large }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const size = large ? "" : " btn--small";
  if (!asking)
    return (
      <button type="button" class={`btn${size} btn--danger-ghost`} onClick={() => setAsking(true)} data-testid={testId}>
        {label}
      </button>
    );
  return (
    <span class="confirm" role="group">
      <span class="confirm__q">{question}</span>
      <button
        type="button"
        class={`btn${size} btn--danger`}
        disabled={busy}
        onClick={() => {
          onConfirm();
          setAsking(false);
        }}
        data-testid={testId ? `${testId}-confirm` : undefined}
      >
        {confirmLabel}
      </button>
      <button type="button" class={`btn${size} btn--ghost`} onClick={() => setAsking(false)}>
        {t("common.cancel")}
      </button>
    </span>
  );
}
