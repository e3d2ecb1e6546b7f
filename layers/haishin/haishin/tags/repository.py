"""Tags (タグ) and tag folders in WorkspaceTable.

- tag:    pk ``ws#<workspace_id>`` sk ``tag#<tag_id>`` (name, folder_id)
- folder: pk ``ws#<workspace_id>`` sk ``tagfolder#<folder_id>`` (name, position)

A subscriber's ``tags`` set holds tag IDs, so a tag can be renamed without touching a single friend. Inputs that
name tags (CSV, API) may give a tag ID or a name; ``resolve`` maps names to IDs (creating missing tags when asked).
Tag names cannot contain ',' or '、' (they separate tags in a CSV cell).

Counts per tag are *computed*, never maintained: ``tag_counts`` reads the workspace's 16 shards in parallel with a
projection of ``tags`` only (the same scan as a segment count). Because it reads the rows themselves, it is right
after imports (batch writes), merges (the loser is skipped as merged) and action runs by other areas that
change ``tags`` directly - a maintained counter would need every writer in every area to keep it in step.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin import clock, ids
from haishin.errors import Conflict, NotFound, ValidationFailed
from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta
from haishin.workspaces.models import workspace_pk


class TagModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    tag_id = UnicodeAttribute()
    name = UnicodeAttribute()
    folder_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class TagFolderModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    folder_id = UnicodeAttribute()
    name = UnicodeAttribute()
    position = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()


def _tag_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("タグ名を入力してください")
    if "," in value or "、" in value:
        raise ValueError("タグ名に「,」「、」は使えません")
    return value


class TagIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    folder_id: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _tag_name(value)


class TagPatch(BaseModel):
    """A partial change: rename (``name``), move to a folder (``folder_id``; null takes it out of its folder).
    A field left out keeps its value, so a rename does not take the tag out of its folder."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    folder_id: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _tag_name(value)


class FolderIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    position: int = 0


class FolderPatch(BaseModel):
    """Rename a folder or change its place in the list; a field left out keeps its value."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    position: int | None = Field(default=None, ge=0, le=10_000)


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def tag_to_dict(tag: TagModel) -> dict[str, Any]:
    return {"tag_id": tag.tag_id, "name": tag.name, "folder_id": tag.folder_id}


_NAME_CACHE: dict[str, tuple[float, dict[str, str]]] = {}
_NAME_CACHE_SECONDS = 30.0


class TagRepository:
    def all(self, workspace_id: str) -> list[TagModel]:
        return list(TagModel.query(workspace_pk(workspace_id), TagModel.sk.startswith("tag#"), consistent_read=True))

    def folders(self, workspace_id: str) -> list[TagFolderModel]:
        return sorted(
            TagFolderModel.query(workspace_pk(workspace_id), TagFolderModel.sk.startswith("tagfolder#"),
                                 consistent_read=True),
            key=lambda f: (int(f.position or 0), f.name),
        )

    def get(self, workspace_id: str, tag_id: str) -> TagModel | None:
        try:
            return TagModel.get(workspace_pk(workspace_id), f"tag#{tag_id}", consistent_read=True)
        except TagModel.DoesNotExist:
            return None

    def require(self, workspace_id: str, tag_id: str) -> TagModel:
        tag = self.get(workspace_id, tag_id)
        if tag is None:
            raise NotFound(f"タグ '{tag_id}' はありません", where=f"tags.{tag_id}")
        return tag

    def create(self, workspace_id: str, data: TagIn, *, tag_id: str | None = None) -> TagModel:
        if any(_key(t.name) == _key(data.name) for t in self.all(workspace_id)):
            raise Conflict(f"「{data.name}」という名前のタグはすでにあります", where="name")
        if data.folder_id:
            self.require_folder(workspace_id, data.folder_id)
        tag_id = tag_id or ids.new_id("tag_")
        tag = TagModel(pk=workspace_pk(workspace_id), sk=f"tag#{tag_id}", workspace_id=workspace_id, tag_id=tag_id,
                       name=data.name, folder_id=data.folder_id, created_at=clock.now())
        tag.save(condition=TagModel.pk.does_not_exist())
        return tag

    def update(self, workspace_id: str, tag_id: str, data: TagIn | TagPatch) -> TagModel:
        tag = self.require(workspace_id, tag_id)
        given = data.model_fields_set
        if data.name is not None and _key(data.name) != _key(tag.name) and any(
            _key(t.name) == _key(data.name) for t in self.all(workspace_id)
        ):
            raise Conflict(f"「{data.name}」という名前のタグはすでにあります", where="name")
        if data.folder_id and "folder_id" in given:
            self.require_folder(workspace_id, data.folder_id)
        if data.name is not None:
            tag.name = data.name
        if "folder_id" in given:
            tag.folder_id = data.folder_id
        tag.save()
        return tag

    def delete(self, workspace_id: str, tag_id: str) -> None:
        """Deletes the definition. Friends keep the ID in their set until edited; listings hide unknown IDs."""
        self.require(workspace_id, tag_id).delete()

    def create_folder(self, workspace_id: str, data: FolderIn) -> TagFolderModel:
        folder_id = ids.new_id("tf_")
        folder = TagFolderModel(pk=workspace_pk(workspace_id), sk=f"tagfolder#{folder_id}", workspace_id=workspace_id,
                                folder_id=folder_id, name=data.name, position=data.position, created_at=clock.now())
        folder.save()
        return folder

    def require_folder(self, workspace_id: str, folder_id: str) -> TagFolderModel:
        try:
            return TagFolderModel.get(workspace_pk(workspace_id), f"tagfolder#{folder_id}", consistent_read=True)
        except TagFolderModel.DoesNotExist:
            raise NotFound(f"このタグフォルダはワークスペースにありません: {folder_id}", where="folder_id") from None

    def update_folder(self, workspace_id: str, folder_id: str, data: FolderPatch) -> TagFolderModel:
        folder = self.require_folder(workspace_id, folder_id)
        if data.name is not None:
            folder.name = data.name.strip() or folder.name
        if data.position is not None:
            folder.position = data.position
        folder.save()
        return folder

    def delete_folder(self, workspace_id: str, folder_id: str) -> None:
        folder = self.require_folder(workspace_id, folder_id)
        for tag in self.all(workspace_id):
            if tag.folder_id == folder_id:
                tag.folder_id = None
                tag.save()
        folder.delete()

    def labels(self, workspace_id: str, tag_ids: Iterable[str]) -> set[str]:
        """A friend's tag IDs plus their names, so rules written with either (a scenario condition
        ``has_tag: VIP`` or ``has_tag: tag_01...``) match. Names are cached briefly per workspace."""
        ids_ = set(tag_ids)
        if not ids_:
            return ids_
        now = time.monotonic()
        cached = _NAME_CACHE.get(workspace_id)
        if cached is None or now - cached[0] > _NAME_CACHE_SECONDS or not ids_ <= cached[1].keys():
            cached = (now, {t.tag_id: t.name for t in self.all(workspace_id)})
            _NAME_CACHE[workspace_id] = cached
        return ids_ | {cached[1][i] for i in ids_ if i in cached[1]}

    def names(self, workspace_id: str, tag_ids: Iterable[str]) -> set[str]:
        """Names of tag IDs (unknown IDs are kept as they are)."""
        by_id = {t.tag_id: t.name for t in self.all(workspace_id)}
        return {by_id.get(i, i) for i in tag_ids}

    def resolve(
        self, workspace_id: str, names_or_ids: Iterable[str], *, create_missing: bool = False,
        known: list[TagModel] | None = None, where: str = "tags",
    ) -> list[str]:
        """Tag IDs for tag IDs or names (NFKC, case-insensitive); unknown names are created or rejected."""
        tags = known if known is not None else self.all(workspace_id)
        by_id = {t.tag_id: t for t in tags}
        by_name = {_key(t.name): t for t in tags}
        out: list[str] = []
        for item in names_or_ids:
            if item in by_id:
                out.append(item)
            elif _key(item) in by_name:
                out.append(by_name[_key(item)].tag_id)
            elif create_missing:
                created = self.create(workspace_id, TagIn(name=item))
                tags.append(created)
                by_id[created.tag_id] = created
                by_name[_key(created.name)] = created
                out.append(created.tag_id)
            else:
                raise ValidationFailed(f"no tag named 「{item}」", where=where)
        return out
