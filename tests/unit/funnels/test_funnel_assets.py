"""Funnel image blocks naming an uploaded image: only the workspace's own image is accepted (refused at the block),
the page renders a same-origin URL its CSP allows, and /a/<ws>/<asset> serves the image with a year's cache, never
an attachment and never through another workspace's path."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from funnels_env import WS

from haishin.assets.inputs import AssetUpload
from haishin.errors import ValidationFailed
from haishin.funnels.inputs import FunnelIn
from tests.support.asset_files import PDF, b64, make_bucket, png


@pytest.fixture
def assets(env: Any, aws: Any) -> Any:
    make_bucket(aws)
    return env.root.assets


def _upload(assets: Any, kind: str, name: str, data: bytes, ws: str = WS) -> str:
    return str(assets.upload(ws, AssetUpload(kind=kind, name=name, base64=b64(data))).asset_id)


def test_an_uploaded_image_is_shown_on_the_published_page(env: Any, assets: Any) -> None:
    asset_id = _upload(assets, "image", "講師.png", png(640, 480))
    funnel_id = env.funnel([{"page_id": "lp", "kind": "optin", "title": "無料講座", "blocks": [
        {"type": "image", "asset_id": asset_id, "alt": "講師の写真", "width": 640, "height": 480}]}])
    page = env.request("GET", f"/f/{WS}/{funnel_id}/lp")
    src = f"https://localhost/a/{WS}/{asset_id}"  # the request's own base
    assert page["statusCode"] == 200 and f'src="{src}"' in page["body"] and 'alt="講師の写真"' in page["body"]
    assert "img-src 'self'" in page["headers"]["content-security-policy"]  # same origin as the page
    image = env.request("GET", f"/a/{WS}/{asset_id}")
    assert image["statusCode"] == 200 and image["isBase64Encoded"] is True
    assert base64.b64decode(image["body"]) == png(640, 480)
    headers = image["headers"]
    assert headers["content-type"] == "image/png" and headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"


def test_only_the_workspaces_own_image_can_be_named_and_served(env: Any, assets: Any) -> None:
    theirs = _upload(assets, "image", "a.png", png(), ws="w_other")
    pdf = _upload(assets, "attachment", "資料.pdf", PDF)
    for asset_id in (theirs, pdf, "ast_missing"):
        body = FunnelIn.model_validate({"name": "f", "pages": [{"page_id": "lp", "kind": "optin", "title": "t",
                                        "blocks": [{"type": "heading", "text": "h"},
                                                   {"type": "image", "asset_id": asset_id, "alt": "写真"}]}]})
        with pytest.raises(ValidationFailed) as refused:
            env.service.create(WS, body)
        assert refused.value.where == "pages[0].blocks[1]" and f"画像「{asset_id}」が見つかりません" in refused.value.message
    assert env.service.all(WS) == []
    assert env.request("GET", f"/a/{WS}/{theirs}")["statusCode"] == 404  # another workspace's image, our path
    assert env.request("GET", f"/a/w_other/{theirs}")["statusCode"] == 200
    assert env.request("GET", f"/a/{WS}/{pdf}")["statusCode"] == 404  # attachments are never public


def test_an_image_block_takes_exactly_one_source() -> None:
    for block in ({"type": "image", "alt": "写真"},
                  {"type": "image", "alt": "写真", "url": "https://cdn.example.com/a.png", "asset_id": "ast_1"}):
        with pytest.raises(ValueError, match="どちらか一方"):
            FunnelIn.model_validate({"name": "f", "pages": [{"page_id": "lp", "kind": "optin", "title": "t",
                                                             "blocks": [block]}]})
    with pytest.raises(ValueError, match="https://"):
        FunnelIn.model_validate({"name": "f", "pages": [{"page_id": "lp", "kind": "optin", "title": "t", "blocks": [
            {"type": "image", "alt": "写真", "url": "javascript:alert(1)"}]}]})
