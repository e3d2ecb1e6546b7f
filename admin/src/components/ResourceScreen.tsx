/**
 * The list / editor shell every content screen is built from (commerce, forms, broadcasts, auto-replies, and the
 * screens to come: tags, friend fields, segments, ID lists, links, greeting, dead letters, enrollments).
 *
 * - useApiGet / useApiList: GET a resource; keep `error` for <ErrorNotice> with a retry.
 * - <ListScreen>: page header with the "new" button, error with retry, loading, empty state (with "new" again),
 *   then the rows (the screen renders them: cards or a table).
 * - <Loaded>: load one item for an editor (error with retry / loading), then render the form with it.
 * - <EditorShell>: the editor's <form>: header (back, extra actions, a delete behind a confirm, save), the save that
 *   keeps the draft when it fails (lib/useForm) and shows the error in place; the fields show it at the field.
 *
 * See docs/production/admin-shell.md for how a new screen uses them.
 */
import type { ComponentChildren, VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { type DictKey, t } from "../i18n";
import { useAction } from "../lib/useAction";
import type { FormState } from "../lib/useForm";
import { href, navigate } from "../router";
import { ConfirmButton } from "./ConfirmButton";
import { ErrorNotice } from "./ErrorNotice";
import { PageHeader } from "./PageHeader";
import "./MessagePreview.css";
import "./shell.css";

/** What a screen is about: one object per resource, shared by its list and its editor. */
export interface ResourceKind {
  /** the list's route; a new item is `${path}/new`, an item `${path}/<id>` */
  path: string;
  /** the screen's title (as in the navigation) and its lead */
  title: DictKey;
  lead?: DictKey;
  /** the "new" button's label, also the title of a new item's editor */
  newLabel: DictKey;
  /** data-testid prefix: `${testId}-new`, `${testId}-editor`, `${testId}-save` */
  testId: string;
  /** the editor form's data-testid when it is not `${testId}-editor` */
  editorTestId?: string;
}

export interface Loadable<T> {
  /** null until the first answer */
  data: T | null;
  error: unknown;
  setError: (e: unknown) => void;
  reload: () => void;
}

/** GET `path` (nothing when null) on mount and whenever `path` or `deps` change. */
export function useApiGet<T>(path: string | null, deps: readonly unknown[] = []): Loadable<T> {
  const { api } = useApp();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => {
    if (path) api.get<T>(path).then(setData, setError);
  };
  useEffect(reload, [path, ...deps]);
  return { data, error, setError, reload };
}

export interface ListState<T> extends Loadable<T[]> {
  rows: T[] | null;
  /** the next page (paged lists); null when there is none */
  more?: (() => void) | null;
}

/** GET a list; `pick` takes the rows out of the body (default `body.items`). */
export function useApiList<T>(path: string, pick: (body: never) => T[] = (b: { items: T[] }) => b.items): ListState<T> {
  const got = useApiGet<unknown>(path);
  const rows = got.data === null ? null : pick(got.data as never);
  return { ...got, data: rows, rows };
}

/**
 * GET a list page by page: `?limit=&cursor=`, the next cursor from the body's `cursor` or `next_cursor` (both are
 * used by the API); `more()` appends the next page. For answers, dead letters, enrollments, audit entries.
 */
export function useApiPages<T>(
  path: string,
  { pick = (b: { items: T[] }) => b.items, limit, query }: { pick?: (body: never) => T[]; limit?: number; query?: Record<string, string | number | undefined> } = {},
): ListState<T> {
  const { api } = useApp();
  const [rows, setRows] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = (after?: string) =>
    api.get<Record<string, unknown>>(path, { query: { limit, ...query, cursor: after } }).then((body) => {
      const page = pick(body as never);
      setRows((prev) => (after ? [...(prev ?? []), ...page] : page));
      const c = body.cursor ?? body.next_cursor;
      setNext(typeof c === "string" && c ? c : null);
    }, setError);
  useEffect(() => void load(), [path, JSON.stringify(query ?? {})]);
  return { rows, data: rows, error, setError, reload: () => void load(), more: next ? () => void load(next) : null };
}

export interface ListScreenProps<T> {
  kind: ResourceKind;
  /** the header's title when it is not the kind's (the answers of one form) */
  title?: string;
  list: ListState<T>;
  /** false: no "new" button (a list of things made elsewhere: orders, dead letters) */
  creates?: boolean;
  /** more header buttons, before "new" */
  actions?: ComponentChildren;
  /** between the header and the list (tabs) */
  above?: ComponentChildren;
  /** shown above the rows when there are some (a tester, filters) */
  tools?: (rows: T[]) => ComponentChildren;
  /** the empty state's text */
  empty: string;
  /** the rows: cards or a table */
  children: (rows: T[]) => ComponentChildren;
}

export function ListScreen<T>({ kind, title, list, creates = true, actions, above, tools, empty, children }: ListScreenProps<T>) {
  const rows = list.rows;
  const newButton = (testId?: string) =>
    creates && (
      <a class="btn" href={href(`${kind.path}/new`)} data-testid={testId}>
        {t(kind.newLabel)}
      </a>
    );
  return (
    <>
      <PageHeader title={title ?? t(kind.title)} lead={title ? undefined : kind.lead && t(kind.lead)}>
        {actions}
        {newButton(`${kind.testId}-new`)}
      </PageHeader>
      {above}
      <ErrorNotice error={list.error} onRetry={() => (list.setError(null), list.reload())} />
      {rows && rows.length > 0 && tools?.(rows)}
      {rows === null && !list.error && <p class="muted">{t("app.loading")}</p>}
      {rows && rows.length === 0 && (
        <div class="empty" data-testid="list-empty">
          <p>{empty}</p>
          {newButton()}
        </div>
      )}
      {rows && rows.length > 0 && children(rows)}
      {rows && rows.length > 0 && list.more && (
        <button type="button" class="btn btn--ghost" onClick={list.more} data-testid="list-more">
          {t("common.more")}
        </button>
      )}
    </>
  );
}

/** Load the item at `path` (null: a new item, nothing to load) and render `children` with it. */
export function Loaded<T>({ path, deps, children }: { path: string | null; deps?: readonly unknown[]; children: (data: T | null) => VNode }) {
  const item = useApiGet<T>(path, deps);
  if (item.error) return <ErrorNotice error={item.error} onRetry={() => (item.setError(null), item.reload())} />;
  if (path && item.data === null) return <p class="muted">{t("app.loading")}</p>;
  return children(item.data);
}

export interface RemoveAction {
  label: string;
  question: string;
  /** the confirming button's label (default: `label`) */
  confirmLabel?: string;
  run: () => Promise<unknown>;
  /** after a successful `run` (default: back to the list) */
  done?: () => void;
  testId?: string;
}

export interface EditorShellProps<T extends object, R> {
  kind: ResourceKind;
  /** null: a new item */
  id: string | null;
  /** the item's name, for the title */
  name: string;
  form: FormState<T>;
  /** the request; its failure keeps the values (and the sessionStorage draft) and shows the error */
  save: (values: T) => Promise<R>;
  /** after a successful save, with the API's answer (default: back to the list) */
  onSaved?: (result: R) => void;
  lead?: string;
  saveLabel?: string;
  /** more header buttons, between "back" and "save" */
  actions?: ComponentChildren;
  /** a destructive action behind a confirm (delete, archive) */
  remove?: RemoveAction;
  /** under the error (a "saved" notice) */
  notice?: ComponentChildren;
  children: ComponentChildren;
}

export function EditorShell<T extends object, R>(props: EditorShellProps<T, R>) {
  const { kind, form, save, remove } = props;
  const onSaved = props.onSaved ?? (() => navigate(kind.path));
  const removing = useAction();
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    let ok = false;
    const result = await form.submit(async (values) => {
      const r = await save(values);
      ok = true;
      return r;
    });
    if (ok) onSaved(result as R);
  };
  const onRemove = () =>
    remove &&
    removing.run(async () => {
      await remove.run();
      (remove.done ?? (() => navigate(kind.path)))();
    });
  return (
    <form onSubmit={onSubmit} data-testid={kind.editorTestId ?? `${kind.testId}-editor`} noValidate>
      <PageHeader title={props.id ? props.name || t(kind.title) : t(kind.newLabel)} lead={props.lead}>
        <a class="btn btn--ghost" href={href(kind.path)}>
          {t("sc.back")}
        </a>
        {props.actions}
        {remove && (
          <ConfirmButton
            large
            label={remove.label}
            confirmLabel={remove.confirmLabel ?? remove.label}
            question={remove.question}
            busy={removing.busy}
            onConfirm={() => void onRemove()}
            testId={remove.testId}
          />
        )}
        <button type="submit" class="btn" disabled={form.submitting} data-testid={`${kind.testId}-save`}>
          {form.submitting ? t("sc.saving") : (props.saveLabel ?? t("sc.save"))}
        </button>
      </PageHeader>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      <ErrorNotice error={removing.error} onDismiss={() => removing.setError(null)} />
      {props.notice}
      {props.children}
    </form>
  );
}
