"""What the admin sends for a course (validated; every error names the field in Japanese)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LESSON_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# the players a lesson may embed (the member page's frame-src allows exactly these hosts)
EMBED_HOSTS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


def embed_url(video_url: str) -> str:
    """The player URL of a YouTube or Vimeo link; ValueError for anything else (no arbitrary iframes)."""
    parts = urlsplit(video_url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if parts.scheme != "https":
        raise ValueError("動画のURLは https:// で始まる YouTube または Vimeo のURLにしてください")
    video = ""
    if host == "youtu.be":
        video = parts.path.strip("/")
    elif host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path == "/watch":
            video = (parse_qs(parts.query).get("v") or [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/")):
            video = parts.path.split("/")[2]
        if re.fullmatch(r"[A-Za-z0-9_-]{6,20}", video or ""):
            return f"https://www.youtube-nocookie.com/embed/{video}"
    elif host in ("vimeo.com", "player.vimeo.com"):
        video = parts.path.rstrip("/").split("/")[-1]
        if video.isdigit():
            return f"https://player.vimeo.com/video/{video}"
    if host == "youtu.be" and re.fullmatch(r"[A-Za-z0-9_-]{6,20}", video):
        return f"https://www.youtube-nocookie.com/embed/{video}"
    raise ValueError("動画のURLは YouTube (youtube.com / youtu.be) か Vimeo の動画ページのURLにしてください")


class Attachment(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    url: str = Field(default="", max_length=2000)  # a file elsewhere (https), or:
    asset_id: str = Field(default="", max_length=64)  # an uploaded file (haishin.assets): only members download it

    @model_validator(mode="after")
    def _source(self) -> Attachment:
        if bool(self.url) == bool(self.asset_id):
            raise ValueError("添付ファイルはアップロードするか、https:// で始まるURLを入力してください（どちらか一方）")
        if self.url and not self.url.startswith("https://"):
            raise ValueError("添付ファイルのURLは https:// で始めてください")
        return self


class LessonIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    id: str = ""  # kept across edits so progress stays attached; new lessons get one
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(default="", max_length=20_000)  # plain text (escaped on the page; line breaks kept)
    video_url: str = Field(default="", max_length=500)
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    drip_days: int = Field(default=0, ge=0, le=3650)  # unlocks this many days after the member's access began

    @field_validator("video_url")
    @classmethod
    def _video(cls, value: str) -> str:
        if value.strip():
            embed_url(value)
        return value.strip()

    @field_validator("id")
    @classmethod
    def _lesson_id(cls, value: str) -> str:
        if value and not LESSON_ID.match(value):
            raise ValueError("レッスンIDに使えるのは英数字・_・- (40文字まで) です")
        return value


class ChapterIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    lessons: list[LessonIn] = Field(min_length=1, max_length=100)


class CourseIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    status: Literal["published", "draft"] = "published"
    chapters: list[ChapterIn] = Field(min_length=1, max_length=50)
    grant_tag: str = Field(default="", max_length=100)  # a friend given this tag gets access (removal ends it)

    @model_validator(mode="after")
    def _unique_lessons(self) -> CourseIn:
        seen: set[str] = set()
        for c, chapter in enumerate(self.chapters):
            for i, lesson in enumerate(chapter.lessons):
                if lesson.id and lesson.id in seen:
                    raise ValueError(f"chapters[{c}].lessons[{i}].id: '{lesson.id}' が重複しています")
                seen.add(lesson.id)
        return self


class GrantIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    subscriber_id: str = Field(min_length=1, max_length=64)


class LoginRequestIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    email: str = Field(min_length=3, max_length=254)
