"""LINE's rich menu limits, refused with a Japanese reason saying where; images checked from their bytes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from haishin.errors import ValidationFailed, pydantic_message
from haishin.richmenus import images
from haishin.richmenus.models import RichMenuInput, alias_for, parse_tap_data, tap_data

from .conftest import jpeg_header, png

CH = "1234567890"


def area(x: int = 0, y: int = 0, w: int = 100, h: int = 100, **action: Any) -> dict[str, Any]:
    return {
        "bounds": {"x": x, "y": y, "width": w, "height": h},
        "label": "A",
        "action": action or {"type": "message", "text": "予約"},
    }


def menu(**over: Any) -> dict[str, Any]:
    return {
        "name": "メイン",
        "channel_id": CH,
        "size": {"width": 2500, "height": 843},
        "chat_bar_text": "メニュー",
        "areas": [area()],
        **over,
    }


def problem(raw: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        RichMenuInput.model_validate(raw)
    error = info.value.errors()[0]
    return ".".join(str(p) for p in error["loc"]), pydantic_message(error)


def test_a_good_menu_passes() -> None:
    parsed = RichMenuInput.model_validate(
        menu(areas=[area(), area(100, 0, **{"type": "tab", "menu_id": "rmn_" + "A" * 26})])
    )
    assert parsed.tab_targets() == ["rmn_" + "A" * 26]


@pytest.mark.parametrize(
    ("raw", "where", "text"),
    [
        (menu(areas=[area()] * 21), "areas", "エリアは 20 個までです（21 個あります）"),
        (menu(areas=[]), "areas", "タップできるエリアを 1 つ以上作ってください"),
        (
            menu(chat_bar_text="あ" * 15),
            "chat_bar_text",
            "メニューバーのテキストは 14 文字以内にしてください（15 文字です）",
        ),
        (menu(areas=[area(2400, 0, 200, 100)]), "", "エリア 1 が画像（2500×843）の外にはみ出しています"),
        (menu(areas=[area(0, 800, 100, 100)]), "", "はみ出しています"),
        (menu(size={"width": 2600, "height": 843}), "size", "幅は 800〜2500 px にしてください（2600 px です）"),
        (menu(size={"width": 1000, "height": 200}), "size", "高さは 250 px 以上にしてください"),
        (menu(size={"width": 1000, "height": 1000}), "size", "幅÷高さは 1.45 以上にしてください"),
        (menu(areas=[area(type="message", text="a" * 301)]), "areas.0.action.message.text", "300 文字以内"),
        (menu(areas=[area(type="uri", uri="javascript:alert(1)")]), "areas.0.action.uri.uri", "https://"),
        (menu(areas=[area(type="tab", menu_id="other")]), "areas.0.action.tab.menu_id", "rmn_"),
        (menu(areas=[area(type="liff", path="/admin")]), "areas.0.action.liff.path", "/me"),
        (
            menu(areas=[area(type="postback", actions=[{"type": "explode"}])]),
            "areas.0.action.postback.actions.0",
            "種類",
        ),
    ],
)
def test_limits_refused_in_japanese(raw: dict[str, Any], where: str, text: str) -> None:
    got_where, message = problem(raw)
    assert got_where == where and text in message, (got_where, message)


def test_alias_and_tap_data_fit_lines_limits() -> None:
    menu_id = "rmn_01JABCDEFGHJKMNPQRSTVWXYZ0"
    assert alias_for(menu_id) == "hs-01jabcdefghjkmnpqrstvwxyz0" and len(alias_for(menu_id)) <= 32
    assert parse_tap_data(tap_data(menu_id, 19)) == ("rm", menu_id, 19)
    assert parse_tap_data(tap_data(menu_id, 3, tab=True)) == ("rmtab", menu_id, 3)
    assert parse_tap_data("haishin:eyJ0eXBlIjoiYWRkX3RhZyJ9") is None and parse_tap_data("action=add_tag") is None
    assert len(tap_data(menu_id, 19, tab=True)) <= 300


def test_png_and_jpeg_sizes_read_from_the_bytes() -> None:
    assert images.inspect(png(2500, 843), "image/png").to_dict() == {
        "content_type": "image/png",
        "width": 2500,
        "height": 843,
        "bytes": len(png(2500, 843)),
    }
    meta = images.inspect(jpeg_header(1200, 810, pad=40), "image/jpeg")
    assert (meta.content_type, meta.width, meta.height) == ("image/jpeg", 1200, 810)


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (b"GIF89a" + b"\x00" * 100, "image/gif", "JPEG か PNG の画像を選んでください"),
        (png(700, 300), "image/png", "幅は 800〜2500 px にしてください（700 px です）"),
        (png(1000, 200), "image/png", "高さは 250 px 以上にしてください（200 px です）"),
        (png(1000, 800), "image/png", "幅÷高さは 1.45 以上にしてください"),
        (jpeg_header(2500, 843, pad=60_000) * 18, "image/jpeg", "ファイルサイズは 1 MB までです"),
        (png(2500, 843), "image/jpeg", "ファイルの中身（image/png）と指定された種類（image/jpeg）が違います"),
        (b"\xff\xd8\xff\xda\x00\x02", "image/jpeg", "JPEG の形式が壊れています"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 4, "image/png", "PNG の形式が壊れています"),
    ],
)
def test_refused_images_say_why(data: bytes, declared: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        images.inspect(data, declared)
    assert reason in info.value.message and info.value.where == "image", info.value.message
    assert info.value.message.startswith("この画像はリッチメニューに使えません")
