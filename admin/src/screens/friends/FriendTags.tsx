/**
 * The friend page's tags: shown grouped by folder (as on the tags screen), removed with ×, added by name from the
 * list of existing tags; a name no tag has yet is created on the spot (POST /api/tags) and then added.
 */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/Field";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { type Tag, type TagsBody, groupByFolder } from "../tags/model";
import "../tags/tags.css";
import type { FriendDetail } from "./types";

const fold = (s: string) => s.normalize("NFKC").trim().toLowerCase();

export function FriendTags({ friend, onSaved }: { friend: FriendDetail; onSaved: (f: FriendDetail) => void }) {
  const { api } = useApp();
  const [all, setAll] = useState<TagsBody>({ folders: [], tags: [] });
  const [name, setName] = useState("");
  const act = useAction();
  const load = () => api.get<TagsBody>("/api/tags", { query: { counts: 0 } }).then(setAll, () => setAll({ folders: [], tags: [] }));
  useEffect(() => void load(), []);
  const v = name.trim();
  const known = v ? all.tags.find((x) => fold(x.name) === fold(v) || x.tag_id === v) : undefined;
  const patch = (body: { add_tags?: string[]; remove_tags?: string[] }) =>
    act.run(async () => {
      const f = await api.patch<FriendDetail>(`/api/subscribers/${friend.subscriber_id}`, body);
      onSaved(f);
      return f;
    });
  const add = async (e: Event) => {
    e.preventDefault();
    if (!v) return;
    const done = await act.run(async () => {
      let tagId = known?.tag_id;
      if (!tagId) {
        const created = await api.post<Tag>("/api/tags", { name: v });
        tagId = created.tag_id;
        void load();
      }
      onSaved(await api.patch<FriendDetail>(`/api/subscribers/${friend.subscriber_id}`, { add_tags: [tagId] }));
      return true;
    });
    if (done) setName("");
  };
  const err = fieldErrors(act.error);
  const atInput = err.at("name") ?? err.at("add_tags");
  const have = new Set(friend.tags.map((x) => x.tag_id));
  const folderOf = new Map(all.tags.map((x) => [x.tag_id, x.folder_id]));
  const mine = friend.tags.map((x) => ({ ...x, folder_id: folderOf.get(x.tag_id) ?? null }));
  const listId = `tags-${friend.subscriber_id}`;
  return (
    <section class="card" data-testid="tags">
      <h2 class="card__title">{t("friends.tags")}</h2>
      {friend.tags.length === 0 && <p class="muted">{t("friends.tags.none")}</p>}
      {groupByFolder(all.folders, mine)
        .filter((g) => g.tags.length > 0)
        .map((g) => (
          <div class="tg-friend-group" key={g.folder?.folder_id ?? ""} data-testid="friend-tag-group" data-folder={g.folder?.name ?? ""}>
            <span class="tg-friend-group__name">{g.folder?.name ?? t("tg.folder.none")}</span>
            {g.tags.map((tg) => (
              <span class="tag" key={tg.tag_id} data-testid="friend-tag">
                {tg.name}
                <button type="button" disabled={act.busy} aria-label={`${t("common.remove")} ${tg.name}`} onClick={() => void patch({ remove_tags: [tg.tag_id] })}>
                  ×
                </button>
              </span>
            ))}
          </div>
        ))}
      <form class="row tg-folder-new" onSubmit={add} noValidate data-testid="friend-tag-add">
        <TextField label={t("friends.tags.add")} name="add_tags" value={name} maxLength={100} error={atInput} onValue={(x) => (setName(x), act.setError(null))} testId="friend-tag-input" list={listId} />
        <datalist id={listId}>
          {all.tags
            .filter((x) => !have.has(x.tag_id))
            .map((x) => (
              <option key={x.tag_id} value={x.name} />
            ))}
        </datalist>
        <button type="submit" class="btn btn--small" disabled={act.busy || !v} data-testid="friend-tag-submit">
          {t("common.add")}
        </button>
      </form>
      {v && !known && (
        <p class="field__hint" data-testid="friend-tag-create">
          {t("tg.friend.create", { name: v })}
        </p>
      )}
      {act.error && !atInput ? <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} /> : null}
    </section>
  );
}
