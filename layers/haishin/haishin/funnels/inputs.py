"""What the admin sends for a funnel: its ordered pages and their blocks (validated; errors name the field).

Every text is data: the pages function renders it with autoescape, so a marketer's or a visitor's ``<script>`` is
shown as text and never runs. There is no raw-HTML block on purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PAGE_KINDS = ("optin", "thankyou", "sales", "checkout", "upsell", "downsell", "thanks")
VIDEO_HOSTS = {  # embeds allowed on funnel pages (the page's frame-src names exactly these)
    "www.youtube.com": "https://www.youtube-nocookie.com/embed/",
    "youtube.com": "https://www.youtube-nocookie.com/embed/",
    "youtu.be": "https://www.youtube-nocookie.com/embed/",
    "vimeo.com": "https://player.vimeo.com/video/",
}
_ID = r"^[A-Za-z0-9_-]{1,64}$"


def _https(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("https:// で始まる URL を入力してください")
    return value


class _Block(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class Heading(_Block):
    type: Literal["heading"] = "heading"
    text: str = Field(min_length=1, max_length=200)
    level: int = Field(default=2, ge=2, le=3)  # the page title is the one <h1>


class Text(_Block):
    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=5000)  # plain text; line breaks are kept


class Image(_Block):
    type: Literal["image"] = "image"
    url: str = Field(default="", max_length=1000)  # an image elsewhere (https), or:
    asset_id: str = Field(default="", max_length=64)  # an uploaded image of the workspace (haishin.assets)
    alt: str = Field(min_length=1, max_length=200)  # required: screen readers read it (decorative images: describe)
    width: int = Field(default=640, ge=1, le=4000)
    height: int = Field(default=360, ge=1, le=4000)  # both sizes reserve the space (no layout shift)

    @model_validator(mode="after")
    def _source(self) -> Image:
        if bool(self.url) == bool(self.asset_id):
            raise ValueError("画像をアップロードするか、https:// で始まる画像の URL を入力してください（どちらか一方）")
        if self.url:
            _https(self.url)
        return self


class Video(_Block):
    type: Literal["video"] = "video"
    url: str = Field(max_length=500)  # a YouTube or Vimeo page URL
    title: str = Field(min_length=1, max_length=200)  # the iframe's accessible name

    @field_validator("url")
    @classmethod
    def _known_host(cls, value: str) -> str:
        if embed_url(_https(value)) is None:
            raise ValueError("YouTube または Vimeo の動画 URL を入力してください")
        return value


class Button(_Block):
    type: Literal["button"] = "button"
    label: str = Field(min_length=1, max_length=60)
    # where it goes: "next" (the funnel's next page), "url" (any https URL), "route" (LINE 友だち追加 through an
    # inflow route /r/<code>: LINE Login, the friend added, the route's actions such as starting a scenario)
    target: Literal["next", "url", "route"] = "next"
    url: str = Field(default="", max_length=1000)
    route_code: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _target(self) -> Button:
        if self.target == "url":
            _https(self.url)
        if self.target == "route" and not self.route_code:
            raise ValueError("LINE 友だち追加ボタンには流入経路 (route_code) を選んでください")
        return self


class FormBlock(_Block):
    type: Literal["form"] = "form"
    form_id: str = Field(pattern=_ID)  # a hosted form of haishin.forms (fields, e-mail reader, tags, actions)


class Countdown(_Block):
    type: Literal["countdown"] = "countdown"
    mode: Literal["fixed", "evergreen"] = "fixed"
    ends_at: datetime | None = None  # fixed: one deadline for everyone (no offset: the workspace's zone)
    minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)  # evergreen: from the visitor's first visit
    label: str = Field(default="締切まで", max_length=60)
    expired_text: str = Field(default="受付は終了しました", max_length=200)

    @model_validator(mode="after")
    def _when(self) -> Countdown:
        if self.mode == "fixed" and self.ends_at is None:
            raise ValueError("締切日時 (ends_at) を入力してください")
        if self.mode == "evergreen" and self.minutes < 1:
            raise ValueError("訪問からの分数 (minutes) を 1 以上で入力してください")
        return self


class Question(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    q: str = Field(min_length=1, max_length=300)
    a: str = Field(min_length=1, max_length=3000)


class Faq(_Block):
    type: Literal["faq"] = "faq"
    items: list[Question] = Field(min_length=1, max_length=30)


class Testimonial(_Block):
    type: Literal["testimonial"] = "testimonial"
    quote: str = Field(min_length=1, max_length=2000)
    name: str = Field(min_length=1, max_length=100)


class ProductBlock(_Block):
    type: Literal["product"] = "product"
    product_id: str = Field(pattern=_ID)  # a haishin.payments product; its order bump is the checkout's 2nd line
    button_label: str = Field(default="購入手続きへ進む", min_length=1, max_length=60)


Block = Annotated[
    Heading | Text | Image | Video | Button | FormBlock | Countdown | Faq | Testimonial | ProductBlock,
    Field(discriminator="type"),
]


def _one_form(blocks: list[Block]) -> None:
    if sum(1 for b in blocks if isinstance(b, FormBlock | ProductBlock)) > 1:
        raise ValueError("1 ページに置けるフォーム・商品ブロックは 1 つまでです")


class VariantIn(BaseModel):
    """An A/B alternative of a page (B, C, D): its own title and blocks; visitors are split by ``weight``."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    blocks: list[Block] = Field(default_factory=list, max_length=60)
    weight: int = Field(default=1, ge=1, le=100)

    @model_validator(mode="after")
    def _check(self) -> VariantIn:
        _one_form(self.blocks)
        return self


class PageIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    page_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")  # the URL's last part: /f/<ws>/<funnel>/<page_id>
    kind: Literal["optin", "thankyou", "sales", "checkout", "upsell", "downsell", "thanks"]
    title: str = Field(min_length=1, max_length=100)
    blocks: list[Block] = Field(default_factory=list, max_length=60)
    weight: int = Field(default=1, ge=1, le=100)  # variant A's share when the page has variants
    variants: list[VariantIn] = Field(default_factory=list, max_length=3)  # B, C, D (abtests: 2-4 arms)

    @model_validator(mode="after")
    def _check(self) -> PageIn:
        _one_form(self.blocks)
        return self


class FunnelIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    status: Literal["draft", "published"] = "draft"  # a draft's pages answer 404 to visitors
    scenario_id: str = Field(default="", max_length=64)  # started for whoever opts in on this funnel's pages
    pages: list[PageIn] = Field(min_length=1, max_length=20)  # in order: a page's "next" is the one after it

    @model_validator(mode="after")
    def _unique_pages(self) -> FunnelIn:
        seen: set[str] = set()
        for page in self.pages:
            if page.page_id in seen:
                raise ValueError(f"ページ ID「{page.page_id}」が重複しています")
            seen.add(page.page_id)
        return self


def embed_url(url: str) -> str | None:
    """The privacy-friendly embed URL of a YouTube or Vimeo page URL; None for anything else."""
    parts = urlsplit(url)
    prefix = VIDEO_HOSTS.get(parts.netloc.lower())
    if prefix is None:
        return None
    if parts.netloc.lower() == "youtu.be":
        video = parts.path.strip("/")
    elif "vimeo" in parts.netloc:
        video = parts.path.strip("/").split("/")[0]
    elif parts.path.startswith("/embed/"):
        video = parts.path[len("/embed/"):]
    else:
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        video = query.get("v", "")
    if not video or not all(c.isalnum() or c in "-_" for c in video):
        return None
    return prefix + video
