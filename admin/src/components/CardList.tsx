/** A list as cards (products, forms, broadcasts, scenarios, and later tags, segments, links). */
import type { ComponentChildren } from "preact";

export function CardList<T>({ rows, testId, keyOf, children }: { rows: readonly T[]; testId: string; keyOf: (row: T) => string; children: (row: T) => ComponentChildren }) {
  return (
    <ul class="list-cards" data-testid={testId}>
      {rows.map((r) => (
        <li key={keyOf(r)}>{children(r)}</li>
      ))}
    </ul>
  );
}

/** One card: its title links to the item; `children` are badges, facts and buttons. */
export function Card({ title, href, children }: { title: ComponentChildren; href: string; children?: ComponentChildren }) {
  return (
    <div class="list-card">
      <a class="list-card__title" href={href}>
        {title}
      </a>
      {children}
    </div>
  );
}
