/** Tags and tag folders as the API answers them (GET /api/tags), shared by the tags screen and the friend page. */
export interface Tag {
  tag_id: string;
  name: string;
  folder_id: string | null;
  count?: number;
}
export interface TagFolder {
  folder_id: string;
  name: string;
  position: number;
}
export interface TagsBody {
  folders: TagFolder[];
  tags: Tag[];
}
/** Tags in folder order: one group per folder (empty ones too), then the tags in no (or an unknown) folder. */
export function groupByFolder<T extends { folder_id: string | null }>(folders: readonly TagFolder[], tags: readonly T[]): { folder: TagFolder | null; tags: T[] }[] {
  const known = new Set(folders.map((f) => f.folder_id));
  const groups: { folder: TagFolder | null; tags: T[] }[] = folders.map((f) => ({ folder: f, tags: tags.filter((x) => x.folder_id === f.folder_id) }));
  const loose = tags.filter((x) => !x.folder_id || !known.has(x.folder_id));
  if (loose.length) groups.push({ folder: null, tags: loose });
  return groups;
}
