/**
 * Previous / next through a cursor-paged list where the user moves page by page (friends, audit log): the cursors of
 * the pages seen are kept, so "previous" goes back without the API paging backwards. (A list that grows with
 * "さらに読み込む" uses useApiPages instead.)
 */
import { useState } from "preact/hooks";
import { t } from "../i18n";

export interface CursorPages {
  /** the current page's cursor (null: the first page) */
  cursor: string | null;
  /** 1 for the first page */
  page: number;
  back: () => void;
  forward: (next: string) => void;
  /** to the first page (a new filter or sort) */
  reset: () => void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    back: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    forward: (next) => setCursors((c) => [...c, next]),
    reset: () => setCursors([null]),
  };
}

export function Pager({ pages, next, label, prevTestId, nextTestId }: { pages: CursorPages; next: string | null | undefined; label: string; prevTestId?: string; nextTestId?: string }) {
  return (
    <div class="pager">
      <button type="button" class="btn btn--small btn--ghost" disabled={pages.page <= 1} onClick={pages.back} data-testid={prevTestId}>
        {t("common.prev")}
      </button>
      <span class="muted">{label}</span>
      <button type="button" class="btn btn--small btn--ghost" disabled={!next} onClick={() => next && pages.forward(next)} data-testid={nextTestId}>
        {t("common.next")}
      </button>
    </div>
  );
}
