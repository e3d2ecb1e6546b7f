/**
 * An ordered list inside a form (LINE messages, scenario steps, form fields, and later segment rules or links):
 * the ↑ ↓ remove buttons of one item, and the pure list edits behind them.
 */
import type { ComponentChildren } from "preact";
import { t } from "../i18n";

/** `list` with item `i` moved by `d` places (unchanged when that leaves the list). */
export function moveItem<T>(list: readonly T[], i: number, d: number): T[] {
  const j = i + d;
  const next = list.slice();
  if (j < 0 || j >= list.length) return next;
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}

/** `list` with item `i` replaced by `item`. */
export function replaceItem<T>(list: readonly T[], i: number, item: T): T[] {
  return list.map((x, j) => (j === i ? item : x));
}

/** `list` without item `i`. */
export function removeItem<T>(list: readonly T[], i: number): T[] {
  return list.filter((_, j) => j !== i);
}

export function ItemControls({
  index,
  count,
  onMove,
  onRemove,
  removeLabel,
  minCount = 1,
  children,
}: {
  index: number;
  count: number;
  onMove: (d: number) => void;
  onRemove: () => void;
  /** default: "削除" (me.remove) */
  removeLabel?: string;
  /** the remove button is disabled at this many items (1: the list never gets empty) */
  minCount?: number;
  /** more buttons, between ↓ and remove */
  children?: ComponentChildren;
}) {
  return (
    <>
      <button type="button" class="btn btn--ghost btn--small" disabled={index === 0} onClick={() => onMove(-1)} aria-label={t("me.up")}>
        ↑
      </button>
      <button type="button" class="btn btn--ghost btn--small" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={t("me.down")}>
        ↓
      </button>
      {children}
      <button type="button" class="btn btn--ghost btn--small" disabled={count <= minCount} onClick={onRemove}>
        {removeLabel ?? t("me.remove")}
      </button>
    </>
  );
}
