/**
 * タグ管理: tags grouped by folder (move one with its folder select), folders (create, rename, ↑ ↓, delete), and a
 * tag's editor (rename, folder, merge into another tag after the dry run's count, delete after the usage count).
 * Routes: #/tags, #/tags/new, #/tags/<tag_id>
 */
import { useState } from "preact/hooks";
import { Card, CardList } from "../../components/CardList";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField, TextField } from "../../components/Field";
import { EditorShell, ListScreen, Loaded, type ListState, type ResourceKind, useApiGet } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { useForm } from "../../lib/useForm";
import { href, navigate, useRoute } from "../../router";
import { type Tag, type TagFolder, type TagsBody, groupByFolder } from "./model";
import "./tags.css";

interface Usage {
  tag_id: string;
  name: string;
  folder_id: string | null;
  friends: number;
}

const TAGS: ResourceKind = { path: "/tags", title: "nav.tags", lead: "screen.tags.lead", newLabel: "tg.new", testId: "tag" };

function folderOptions(folders: readonly TagFolder[]): [string, string][] {
  return [["", t("tg.folder.none")], ...folders.map((f): [string, string] => [f.folder_id, f.name])];
}

function FolderRow({ folder, index, count, onMove, reload }: { folder: TagFolder; index: number; count: number; onMove: (d: number) => void; reload: () => void }) {
  const { api } = useApp();
  const [name, setName] = useState<string | null>(null);
  const act = useAction();
  const err = fieldErrors(act.error);
  const rename = async () => {
    if ((await act.run(() => api.patch(`/api/tag-folders/${folder.folder_id}`, { name: name ?? folder.name }))) !== undefined) (setName(null), reload());
  };
  return (
    <li class="tg-folder" data-testid="folder-row" data-folder={folder.name}>
      {name === null ? (
        <strong class="tg-folder__name">{folder.name}</strong>
      ) : (
        <TextField label={t("tg.folders.rename")} name="name" value={name} error={err.at("name")} onValue={setName} />
      )}
      <span class="row tg-folder__tools">
        {name === null ? (
          <button type="button" class="btn btn--small btn--ghost" onClick={() => setName(folder.name)} data-testid="folder-rename">
            {t("tg.folders.rename")}
          </button>
        ) : (
          <>
            <button type="button" class="btn btn--small" disabled={act.busy} onClick={() => void rename()} data-testid="folder-rename-save">
              {t("common.save")}
            </button>
            <button type="button" class="btn btn--small btn--ghost" onClick={() => (setName(null), act.setError(null))}>
              {t("common.cancel")}
            </button>
          </>
        )}
        <button type="button" class="btn btn--small btn--ghost" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`${t("me.up")} ${folder.name}`} data-testid="folder-up">
          ↑
        </button>
        <button type="button" class="btn btn--small btn--ghost" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={`${t("me.down")} ${folder.name}`} data-testid="folder-down">
          ↓
        </button>
        <ConfirmButton
          label={t("tg.folders.delete")}
          confirmLabel={t("tg.folders.delete")}
          question={t("tg.folders.delete.confirm", { name: folder.name })}
          busy={act.busy}
          onConfirm={() => void act.run(() => api.delete(`/api/tag-folders/${folder.folder_id}`)).then(reload)}
          testId="folder-delete"
        />
      </span>
      {act.error && !err.at("name") ? <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} /> : null}
    </li>
  );
}

export function FolderPanel({ folders, reload }: { folders: TagFolder[]; reload: () => void }) {
  const { api } = useApp();
  const [name, setName] = useState("");
  const add = useAction();
  const move = useAction();
  const err = fieldErrors(add.error);
  const create = async (e: Event) => {
    e.preventDefault();
    const position = folders.length ? Math.max(...folders.map((f) => f.position)) + 1 : 0;
    if ((await add.run(() => api.post("/api/tag-folders", { name: name.trim(), position }))) !== undefined) (setName(""), reload());
  };
  // Reordering writes each folder's index as its position (only the ones that change).
  const reorder = (i: number, d: number) =>
    move
      .run(async () => {
        const next = folders.slice();
        const j = i + d;
        [next[i], next[j]] = [next[j]!, next[i]!];
        for (const [k, f] of next.entries()) if (f.position !== k) await api.patch(`/api/tag-folders/${f.folder_id}`, { position: k });
      })
      .then(reload);
  return (
    <section class="card" data-testid="folders">
      <h2 class="card__title">{t("tg.folders")}</h2>
      {folders.length === 0 && <p class="muted">{t("tg.folders.none")}</p>}
      <ul class="tg-folders">
        {folders.map((f, i) => (
          <FolderRow key={f.folder_id} folder={f} index={i} count={folders.length} onMove={(d) => void reorder(i, d)} reload={reload} />
        ))}
      </ul>
      <ErrorNotice error={move.error} onDismiss={() => move.setError(null)} />
      <form class="row tg-folder-new" onSubmit={create} data-testid="folder-new" noValidate>
        <TextField label={t("tg.folders.new")} name="name" value={name} error={err.at("name")} onValue={setName} />
        <button type="submit" class="btn btn--small" disabled={add.busy || !name.trim()} data-testid="folder-add">
          {t("tg.folders.add")}
        </button>
      </form>
      {add.error && !err.at("name") ? <ErrorNotice error={add.error} onDismiss={() => add.setError(null)} /> : null}
    </section>
  );
}

function TagList() {
  const { api } = useApp();
  const got = useApiGet<TagsBody>("/api/tags");
  const rows = got.data?.tags ?? null;
  const list: ListState<Tag> = { ...got, data: rows, rows };
  const folders = got.data?.folders ?? [];
  const moving = useAction();
  const moveTag = (tag: Tag, folderId: string) => void moving.run(() => api.patch(`/api/tags/${tag.tag_id}`, { folder_id: folderId || null })).then(got.reload);
  return (
    <ListScreen kind={TAGS} list={list} empty={t("tg.empty")} above={got.data && <FolderPanel folders={folders} reload={got.reload} />}>
      {(tags) => (
        <>
          <ErrorNotice error={moving.error} onDismiss={() => moving.setError(null)} />
          {groupByFolder(folders, tags).map((g) => (
            <section class="card tg-group" key={g.folder?.folder_id ?? ""} data-testid="tag-group" data-folder={g.folder?.name ?? ""}>
              <h2 class="card__title">{g.folder?.name ?? t("tg.folder.none")}</h2>
              {g.tags.length === 0 && <p class="muted">{t("tg.inFolder.empty")}</p>}
              <CardList rows={g.tags} testId="tag-list" keyOf={(r) => r.tag_id}>
                {(r) => (
                  <Card title={r.name} href={href(`/tags/${r.tag_id}`)}>
                    <span class="list-card__meta" data-testid="tag-count">
                      {t("tg.count", { n: r.count ?? 0 })}
                    </span>
                    <select
                      name="folder_id"
                      class="tg-move"
                      aria-label={`${t("tg.move")}: ${r.name}`}
                      value={r.folder_id ?? ""}
                      disabled={moving.busy}
                      data-testid="tag-move"
                      data-tag={r.name}
                      onChange={(e) => moveTag(r, e.currentTarget.value)}
                    >
                      {folderOptions(folders).map(([v, label]) => (
                        <option key={v} value={v}>
                          {label}
                        </option>
                      ))}
                    </select>
                  </Card>
                )}
              </CardList>
            </section>
          ))}
        </>
      )}
    </ListScreen>
  );
}

/** Merge this tag into another: the dry run's count first, then the merge. */
function MergePanel({ id, tags }: { id: string; tags: Tag[] }) {
  const { api } = useApp();
  const [into, setInto] = useState("");
  const [count, setCount] = useState<number | null>(null);
  const act = useAction();
  const err = fieldErrors(act.error);
  const others = tags.filter((x) => x.tag_id !== id);
  const check = async () => {
    const r = await act.run(() => api.post<{ friends_affected: number }>(`/api/tags/${id}/merge`, { into_tag_id: into, dry_run: true }));
    if (r) setCount(r.friends_affected);
  };
  const run = async () => {
    const r = await act.run(() => api.post(`/api/tags/${id}/merge`, { into_tag_id: into, dry_run: false }));
    if (r !== undefined) navigate(TAGS.path);
  };
  return (
    <section class="card form" data-testid="tag-merge">
      <h2 class="card__title">{t("tg.merge")}</h2>
      <p class="field__hint">{t("tg.merge.help")}</p>
      <div class="row">
        <SelectField
          narrow
          label={t("tg.merge.into")}
          name="into_tag_id"
          value={into}
          error={err.at("into_tag_id")}
          options={[["", t("tg.merge.pick")], ...others.map((x): [string, string] => [x.tag_id, x.name])]}
          onValue={(v) => (setInto(v), setCount(null))}
        />
        <button type="button" class="btn btn--ghost" disabled={act.busy} onClick={() => void check()} data-testid="tag-merge-check">
          {t("tg.merge.check")}
        </button>
      </div>
      {count !== null && (
        <div class="confirm" role="group">
          <strong class="confirm__q" data-testid="tag-merge-count">
            {t("tg.merge.count", { n: count })}
          </strong>
          <button type="button" class="btn btn--danger" disabled={act.busy} onClick={() => void run()} data-testid="tag-merge-confirm">
            {t("tg.merge.run")}
          </button>
          <button type="button" class="btn btn--ghost" onClick={() => setCount(null)}>
            {t("common.cancel")}
          </button>
        </div>
      )}
      {act.error && !err.at("into_tag_id") ? <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} /> : null}
    </section>
  );
}

function TagEditor({ id }: { id: string | null }) {
  const all = useApiGet<TagsBody>("/api/tags?counts=0");
  return (
    <Loaded<Usage> path={id ? `/api/tags/${id}/usage` : null}>
      {(usage) => <TagForm id={id} usage={usage} folders={all.data?.folders ?? []} tags={all.data?.tags ?? []} />}
    </Loaded>
  );
}

function TagForm({ id, usage, folders, tags }: { id: string | null; usage: Usage | null; folders: TagFolder[]; tags: Tag[] }) {
  const { api } = useApp();
  const form = useForm({ name: usage?.name ?? "", folder_id: usage?.folder_id ?? "" }, `tag.${id ?? "new"}`);
  const v = form.values;
  const err = fieldErrors(form.error);
  const body = (x: typeof v) => ({ name: x.name.trim(), folder_id: x.folder_id || null });
  const save = (x: typeof v) => (id ? api.patch(`/api/tags/${id}`, body(x)) : api.post("/api/tags", body(x)));
  const remove =
    id && usage
      ? { label: t("tg.delete"), question: t("tg.delete.confirm", { n: usage.friends }), run: () => api.delete(`/api/tags/${id}`), testId: "tag-delete" }
      : undefined;
  return (
    <>
      <EditorShell kind={TAGS} id={id} name={v.name} form={form} save={save} remove={remove}>
        <section class="card form">
          {usage && (
            <p class="muted" data-testid="tag-usage">
              {t("tg.usage", { n: usage.friends })}
            </p>
          )}
          <div class="row">
            <TextField label={t("tg.name")} name="name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
            <SelectField label={t("tg.folder")} name="folder_id" value={v.folder_id} error={err.at("folder_id")} options={folderOptions(folders)} onValue={(x) => form.set("folder_id", x)} />
          </div>
        </section>
      </EditorShell>
      {id && <MergePanel id={id} tags={tags} />}
    </>
  );
}

export default function TagsScreen() {
  const { path } = useRoute();
  const id = path.replace(/^\/tags\/?/, "").split("/")[0];
  if (!id) return <TagList />;
  return <TagEditor key={id} id={id === "new" ? null : id} />;
}
