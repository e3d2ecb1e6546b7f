"""Assets: the type is read from the bytes with a size cap per kind (Japanese refusals at ``file``), the bytes are
stored under the workspace's own prefix, and the admin API uploads, lists and deletes only the caller's assets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from haishin import clock
from haishin.api.app import AdminApi
from haishin.assets.inputs import AssetUpload
from haishin.assets.sniff import MAX_BYTES, sniff
from haishin.errors import NotFound, ValidationFailed
from haishin.wiring import services
from tests.support.admin_api import call_admin_api
from tests.support.asset_files import DOCX, HTML, JPEG, PDF, XLS, b64, gif, make_bucket, png, webp

WS, OTHER = "w_assets", "w_assets_other"


@pytest.fixture
def api(aws: Any, manual_clock: clock.ManualClock) -> Iterator[AdminApi]:
    make_bucket(aws)
    yield AdminApi()


def test_images_are_known_by_their_bytes_with_their_size() -> None:
    assert sniff("image", "a.png", png(800, 600)) == type(sniff("image", "a.png", png()))("image/png", 800, 600)
    assert sniff("image", "photo", JPEG).content_type == "image/jpeg"  # the name says nothing
    assert (sniff("image", "a.gif", gif(10, 20)).width, sniff("image", "a.gif", gif(10, 20)).height) == (10, 20)
    found = sniff("image", "a.webp", webp(300, 200))
    assert (found.content_type, found.width, found.height) == ("image/webp", 300, 200)


def test_attachments_take_pdf_office_and_zip_but_not_html() -> None:
    assert sniff("attachment", "資料.pdf", PDF).content_type == "application/pdf"
    assert sniff("attachment", "ワーク.docx", DOCX).content_type.endswith("wordprocessingml.document")
    assert sniff("attachment", "archive.zip", DOCX).content_type == "application/zip"
    assert sniff("attachment", "古い表.xls", XLS).content_type == "application/vnd.ms-excel"
    assert sniff("attachment", "図.png", png()).content_type == "image/png"
    with pytest.raises(ValidationFailed) as html:
        sniff("attachment", "evil.pdf", HTML)  # named .pdf, is HTML: refused by its bytes
    assert html.value.where == "file" and "PDF" in html.value.message
    with pytest.raises(ValidationFailed) as pdf_as_image:
        sniff("image", "a.png", PDF)
    assert "PNG・JPEG・WebP・GIF" in pdf_as_image.value.message


def test_size_caps_per_kind_say_the_size_in_japanese() -> None:
    with pytest.raises(ValidationFailed) as big:
        sniff("image", "big.png", png() + b"\x00" * MAX_BYTES["image"])
    assert "大きすぎます" in big.value.message and "上限 2.0 MB" in big.value.message
    assert big.value.details["limit"] == 2 << 20
    assert sniff("attachment", "big.pdf", PDF + b"\x00" * (3 << 20)).content_type == "application/pdf"
    with pytest.raises(ValidationFailed) as empty:
        sniff("attachment", "empty.pdf", b"")
    assert empty.value.message == "ファイルが空です"


def test_upload_stores_under_the_workspace_and_another_workspace_cannot_reach_it(api: AdminApi, aws: Any) -> None:
    status, image = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                   body={"kind": "image", "name": "C:\\photos\\講師.png", "base64": b64(png(640, 480))})
    assert status == 201 and image["name"] == "講師.png" and image["content_type"] == "image/png"
    assert (image["width"], image["height"], image["size"]) == (640, 480, len(png(640, 480)))
    assert image["url"].endswith(f"/a/{WS}/{image['asset_id']}")
    stored = aws.client("s3").get_object(Bucket="assetsbucket", Key=f"{WS}/{image['asset_id']}")
    assert stored["ContentType"] == "image/png" and stored["Body"].read() == png(640, 480)
    status, pdf = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                 body={"kind": "attachment", "name": "資料.pdf", "base64": b64(PDF)})
    assert status == 201 and pdf["url"] is None  # attachments have no public URL
    _, listed = call_admin_api(api, "GET", "/api/assets", workspace=WS)
    assert [a["asset_id"] for a in listed["items"]] == [pdf["asset_id"], image["asset_id"]]  # newest first
    _, images = call_admin_api(api, "GET", "/api/assets", workspace=WS, query="kind=image")
    assert [a["asset_id"] for a in images["items"]] == [image["asset_id"]]
    _, theirs = call_admin_api(api, "GET", "/api/assets", workspace=OTHER)
    assert theirs["items"] == []
    status, body = call_admin_api(api, "DELETE", f"/api/assets/{image['asset_id']}", workspace=OTHER)
    assert status == 404 and body["message"] == "ファイルが見つかりません"
    with pytest.raises(NotFound):
        services().assets.content(OTHER, image["asset_id"])
    status, _ = call_admin_api(api, "DELETE", f"/api/assets/{image['asset_id']}", workspace=WS)
    assert status == 204
    assert aws.client("s3").list_objects_v2(Bucket="assetsbucket", Prefix=f"{WS}/").get("KeyCount") == 1
    with pytest.raises(NotFound):
        services().assets.get(WS, image["asset_id"])


def test_a_refused_upload_stores_nothing_and_says_why(api: AdminApi, aws: Any) -> None:
    status, body = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                  body={"kind": "image", "name": "a.png", "base64": b64(HTML)})
    assert status == 422 and body["where"] == "file" and "画像を選んでください" in body["message"]
    status, broken = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                    body={"kind": "image", "name": "a.png", "base64": "@@not base64@@"})
    assert status == 422 and broken["where"] == "base64" and "壊れています" in broken["message"]
    status, kind = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                  body={"kind": "video", "name": "a.mp4", "base64": b64(PDF)})
    assert status == 422 and "kind" in str(kind)
    assert aws.client("s3").list_objects_v2(Bucket="assetsbucket").get("KeyCount") == 0
    assert services().assets.all(WS) == []


def test_a_4mb_attachment_fits_the_api_body_and_a_larger_one_is_refused_by_size(api: AdminApi) -> None:
    near = PDF + b"\x00" * ((4 << 20) - len(PDF))
    status, body = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                  body={"kind": "attachment", "name": "大きい資料.pdf", "base64": b64(near)})
    assert status == 201 and body["size"] == 4 << 20
    status, over = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                  body={"kind": "attachment", "name": "少し大きい.pdf", "base64": b64(near + b"\x00")})
    assert status == 422 and over["where"] == "file" and "上限 4.0 MB" in over["message"]  # its own reason
    status, huge = call_admin_api(api, "POST", "/api/assets", workspace=WS,
                                  body={"kind": "attachment", "name": "巨大.pdf", "base64": b64(near + near)})
    assert status == 413 and "本文が大きすぎます" in huge["message"]  # refused before it is even decoded


def test_upload_name_must_be_a_plain_name() -> None:
    assert AssetUpload(kind="image", name="/tmp/x/写真.jpg", base64="eA==").name == "写真.jpg"
    with pytest.raises(ValueError, match="ファイル名"):
        AssetUpload(kind="image", name="bad\nname.png", base64="eA==")


def test_the_apis_ownership_sweep_refuses_another_workspaces_asset_in_any_body(api: AdminApi) -> None:
    _, theirs = call_admin_api(api, "POST", "/api/assets", workspace=OTHER,
                               body={"kind": "image", "name": "a.png", "base64": b64(png())})
    funnel = {"name": "f", "pages": [{"page_id": "lp", "kind": "optin", "title": "t", "blocks": [
        {"type": "image", "asset_id": theirs["asset_id"], "alt": "写真"}]}]}
    status, body = call_admin_api(api, "POST", "/api/funnels", workspace=WS, body=funnel)
    assert status == 404 and body["where"] == "pages.0.blocks.0.asset_id" and "ファイル" in body["message"]
    course = {"title": "c", "chapters": [{"title": "1", "lessons": [
        {"title": "l", "attachments": [{"name": "資料", "asset_id": theirs["asset_id"]}]}]}]}
    status, body = call_admin_api(api, "POST", "/api/courses", workspace=WS, body=course)
    assert status == 404 and body["where"] == "chapters.0.lessons.0.attachments.0.asset_id"
    _, funnels = call_admin_api(api, "GET", "/api/funnels", workspace=WS)
    _, courses = call_admin_api(api, "GET", "/api/courses", workspace=WS)
    assert funnels["items"] == [] and courses["courses"] == []
    status, _ = call_admin_api(api, "POST", "/api/funnels", workspace=OTHER, body=funnel)
    assert status == 201  # its own workspace may use it
