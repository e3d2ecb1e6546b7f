import type { ComponentChildren } from "preact";

export function PageHeader({ title, lead, children }: { title: string; lead?: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <div>
        <h1 class="page-header__title">{title}</h1>
        {lead && <p class="page-header__lead muted">{lead}</p>}
      </div>
      {children && <div class="page-header__actions">{children}</div>}
    </div>
  );
}
