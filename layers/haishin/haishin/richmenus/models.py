"""What a marketer sends to build a rich menu, checked against LINE's limits (errors in Japanese, saying where).

LINE's limits (Messaging API reference, "Rich menu object"): size width 800-2500 px, height at least 250 px,
width/height at least 1.45; 1-20 areas, each inside the image; chat-bar text 1-14 characters; a message action's
text at most 300 characters; a postback's data at most 300 characters; a URI at most 1000 characters; an alias ID
at most 32 characters of ``[a-z0-9_-]``.

Area actions (``type`` discriminator):
- ``uri``: opens a URL; ``track`` (default true) sends it through click tracking (source kind ``richmenu``)
- ``message``: the friend sends ``text`` into the chat
- ``postback``: runs our ``haishin.actions`` (tag, field, scenario start/stop...) on the friend who tapped
- ``tab``: switches to another menu of the same channel (LINE ``richmenuswitch`` to its alias)
- ``liff``: opens one of our pages as a LIFF app (``/f/<form_id>`` or ``/me``)
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from haishin.actions import Action

MAX_AREAS = 20
MAX_CHAT_BAR = 14
MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT = 800, 2500, 250
MIN_RATIO = 1.45
MAX_IMAGE_BYTES = 1024 * 1024
MAX_MESSAGE_TEXT = 300
MAX_URI = 1000
MENU_ID = re.compile(r"^rmn_[0-9A-HJKMNP-TV-Z]{26}$")
LIFF_PATH = re.compile(r"^/(f/[A-Za-z0-9_-]{1,80}|me)$")
STANDARD_SIZES = ((2500, 1686), (2500, 843))


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class Size(_Model):
    width: int
    height: int

    @model_validator(mode="after")
    def _limits(self) -> Size:
        problem = size_problem(self.width, self.height)
        if problem:
            raise ValueError(problem)
        return self


def size_problem(width: int, height: int) -> str | None:
    """LINE's size rule in Japanese, or None when the size is fine."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        return f"幅は {MIN_WIDTH}〜{MAX_WIDTH} px にしてください（{width} px です）"
    if height < MIN_HEIGHT:
        return f"高さは {MIN_HEIGHT} px 以上にしてください（{height} px です）"
    if width / height < MIN_RATIO:
        return f"幅÷高さは {MIN_RATIO} 以上にしてください（{width}×{height} は {width / height:.2f} です）"
    return None


class Bounds(_Model):
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)


class UriAreaAction(_Model):
    type: Literal["uri"] = "uri"
    uri: str = Field(min_length=1, max_length=MAX_URI)
    track: bool = True

    @field_validator("uri")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.lower().startswith(("https://", "http://", "tel:")):
            raise ValueError("URL は https:// で始めてください")
        return value


class MessageAreaAction(_Model):
    type: Literal["message"] = "message"
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_TEXT)


class PostbackAreaAction(_Model):
    type: Literal["postback"] = "postback"
    actions: list[Action] = Field(default_factory=list, max_length=20)
    display_text: str | None = Field(default=None, max_length=MAX_MESSAGE_TEXT)


class TabAreaAction(_Model):
    type: Literal["tab"] = "tab"
    menu_id: str

    @field_validator("menu_id")
    @classmethod
    def _menu_id(cls, value: str) -> str:
        if not MENU_ID.match(value):
            raise ValueError("切り替え先のリッチメニューID（rmn_ で始まる）を指定してください")
        return value


class LiffAreaAction(_Model):
    type: Literal["liff"] = "liff"
    path: str

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not LIFF_PATH.match(value):
            raise ValueError("LIFF で開くページは /f/<フォームID> か /me を指定してください")
        return value


AreaAction = Annotated[
    UriAreaAction | MessageAreaAction | PostbackAreaAction | TabAreaAction | LiffAreaAction,
    Field(discriminator="type"),
]


class Area(_Model):
    bounds: Bounds
    label: str = Field(default="", max_length=50)  # for analytics and the editor (LINE's label: first 20 chars)
    action: AreaAction


class RichMenuInput(_Model):
    """POST /api/rich-menus and PUT /api/rich-menus/{id}."""

    name: str = Field(min_length=1, max_length=100)
    channel_id: str = Field(min_length=1, max_length=20)
    size: Size = Field(default_factory=lambda: Size(width=2500, height=1686))
    chat_bar_text: str
    selected: bool = False
    areas: list[Area]

    @field_validator("chat_bar_text")
    @classmethod
    def _chat_bar(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("メニューバーのテキストを入力してください")
        if len(value) > MAX_CHAT_BAR:
            raise ValueError(f"メニューバーのテキストは {MAX_CHAT_BAR} 文字以内にしてください（{len(value)} 文字です）")
        return value

    @field_validator("areas")
    @classmethod
    def _area_count(cls, value: list[Area]) -> list[Area]:
        if not value:
            raise ValueError("タップできるエリアを 1 つ以上作ってください")
        if len(value) > MAX_AREAS:
            raise ValueError(f"エリアは {MAX_AREAS} 個までです（{len(value)} 個あります）")
        return value

    @model_validator(mode="after")
    def _inside(self) -> RichMenuInput:
        for index, area in enumerate(self.areas):
            b = area.bounds
            if b.x + b.width > self.size.width or b.y + b.height > self.size.height:
                raise ValueError(
                    f"エリア {index + 1} が画像（{self.size.width}×{self.size.height}）の外にはみ出しています"
                    f"（x={b.x}, y={b.y}, 幅={b.width}, 高さ={b.height}）"
                )
        return self

    def tab_targets(self) -> list[str]:
        return [a.action.menu_id for a in self.areas if isinstance(a.action, TabAreaAction)]


class ImageUpload(_Model):
    """PUT /api/rich-menus/{id}/image."""

    content_type: str = Field(min_length=1, max_length=50)
    data: str = Field(min_length=1)  # base64 (about 1.4 MB for LINE's 1 MB)


def alias_for(menu_id: str) -> str:
    """The LINE alias of a Haishin menu: ``hs-`` + the lowercase ULID tail (29 characters, LINE allows 32)."""
    return "hs-" + menu_id.removeprefix("rmn_").lower()


def dump_areas(areas: list[Area]) -> list[dict[str, Any]]:
    return [area.model_dump(mode="json", exclude_none=True) for area in areas]


__all__ = [
    "MAX_AREAS",
    "MAX_CHAT_BAR",
    "MAX_IMAGE_BYTES",
    "Area",
    "AreaAction",
    "Bounds",
    "ImageUpload",
    "LiffAreaAction",
    "MessageAreaAction",
    "PostbackAreaAction",
    "RichMenuInput",
    "Size",
    "TabAreaAction",
    "UriAreaAction",
    "alias_for",
    "dump_areas",
    "size_problem",
]


# ---------------------------------------------------------------- postback data of our rich menu areas
# ``haishin:rm:<menu_id>:<area index>`` (a postback area: its actions are looked up in the stored menu) and
# ``haishin:rmtab:<menu_id>:<area index>`` (a tab area: LINE switches the menu; we only count the tap). Short (at
# most ~45 characters of LINE's 300), and naming no action: editing the menu changes what a tap does at once.
TAP_PREFIX = "haishin:rm:"
TAB_PREFIX = "haishin:rmtab:"
_TAP = re.compile(r"^haishin:(rm|rmtab):(rmn_[0-9A-HJKMNP-TV-Z]{26}):(\d{1,2})$")


def tap_data(menu_id: str, area_index: int, *, tab: bool = False) -> str:
    return f"{TAB_PREFIX if tab else TAP_PREFIX}{menu_id}:{area_index}"


def parse_tap_data(data: str) -> tuple[str, str, int] | None:
    """(``rm`` | ``rmtab``, menu ID, area index) of our rich menu postback data; None for anything else."""
    match = _TAP.match((data or "").strip())
    if match is None:
        return None
    return match.group(1), match.group(2), int(match.group(3))
