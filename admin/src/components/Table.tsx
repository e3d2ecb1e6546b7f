/** A list as a table (auto-replies, orders, answers, revenue, and later dead letters or enrollments). */
import type { ComponentChildren } from "preact";

export interface Column {
  label: ComponentChildren;
  /** right-aligned numbers */
  num?: boolean;
}

export function Table({
  columns,
  testId,
  bare,
  cards,
  footer,
  children,
}: {
  columns: readonly (Column | string)[];
  testId?: string;
  /** no card around it (inside a card already) */
  bare?: boolean;
  /** on a phone each row becomes a card (cells labelled by `data-label`) */
  cards?: boolean;
  /** under the table, inside the card (a "more" button) */
  footer?: ComponentChildren;
  /** the <tr> rows */
  children: ComponentChildren;
}) {
  const table = (
    <table class={cards ? "table table--cards" : "table"} data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c, i) => {
            const col = typeof c === "string" ? { label: c } : c;
            return (
              <th key={i} class={col.num ? "num" : undefined}>
                {col.label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  if (bare) return cards ? <div class="table-wrap">{table}</div> : table;
  return (
    <div class="card table-wrap">
      {table}
      {footer}
    </div>
  );
}
