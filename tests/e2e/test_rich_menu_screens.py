"""The rich menu screens in Chromium against an in-page fake of the rich menu API (issue 20, the admin part).

The API is answered by ``page.route`` from an in-memory store shaped like the contract (docs: the issue 20 brief),
so this runs on every e2e backend and checks what only a real browser shows: dragging an area on the image, a real
file chosen for upload (checked in the browser), the phone layout without sideways scrolling, the rules' re-link
progress polled to the end, and the analytics overlay. The full loop against the real API and the LINE emulator is
the rich menu journey's job.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from typing import Any

import pytest

from .helpers import dev_login

CHANNEL = "2064200917"


def _png(width: int, height: int) -> bytes:
    """A real, small PNG (one colour, rows compress to almost nothing)."""
    row = b"\x00" + b"\x3c\xb3\x71" * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


class FakeRichMenuApi:
    """Just enough of the admin API for the rich menu screens, recording the writes."""

    def __init__(self) -> None:
        self.menus: dict[str, dict[str, Any]] = {}
        self.images: dict[str, bytes] = {}
        self.writes: list[tuple[str, str, Any]] = []
        self.rules: dict[str, Any] = {"channel_id": CHANNEL, "default_menu_id": None, "rules": [], "job": None}
        self.job_polls = 0
        self.next_id = 1

    def _json(self, route: Any, body: Any, status: int = 200) -> None:
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def handle(self, route: Any) -> None:
        req = route.request
        path = re.sub(r"^https?://[^/]+", "", req.url).split("?")[0]
        method = req.method
        body = json.loads(req.post_data) if req.post_data else None
        if method != "GET":
            self.writes.append((method, path, body))
        if path == "/api/channels":
            return self._json(route, {"channels": [{"channel_id": CHANNEL, "name": "テスト店"}]})
        if path in ("/api/forms", "/api/scenarios", "/api/inflow-routes"):
            items: list[Any] = []
            if path == "/api/scenarios":
                items = [
                    {
                        "id": "sc_1",
                        "name": "ステップ配信",
                        "steps": [{"id": "d1", "name": "1 日目"}, {"id": "d2", "name": "2 日目"}],
                    }
                ]
            return self._json(route, {"items": items})
        if path == "/api/tags":
            return self._json(route, {"folders": [], "tags": [{"tag_id": "t_vip", "name": "VIP"}]})
        if path == "/api/segments":
            return self._json(route, {"segments": []})
        if path == "/api/rich-menus" and method == "GET":
            return self._json(route, {"items": list(self.menus.values())})
        if path == "/api/rich-menus" and method == "POST":
            menu_id = f"rmn_{self.next_id:026d}"
            self.next_id += 1
            self.menus[menu_id] = {
                **body,
                "id": menu_id,
                "image": None,
                "line_rich_menu_id": None,
                "alias_id": None,
                "status": "draft",
                "updated_at": "2026-12-07T00:00:00+00:00",
            }
            return self._json(route, self.menus[menu_id])
        m = re.fullmatch(r"/api/rich-menus/(rmn_\w+)(/image|/publish|/stats)?", path)
        if m:
            menu_id, sub = m.group(1), m.group(2)
            menu = self.menus[menu_id]
            if sub == "/image" and method == "PUT":
                data = base64.b64decode(body["data"])
                self.images[menu_id] = data
                menu["image"] = {
                    "content_type": body["content_type"],
                    "width": 2500,
                    "height": 1686,
                    "bytes": len(data),
                }
                return self._json(route, menu["image"])
            if sub == "/image":
                return route.fulfill(status=200, content_type="image/png", body=self.images[menu_id])
            if sub == "/publish":
                menu.update(status="published", line_rich_menu_id="richmenu-1", alias_id="hs-1")
                return self._json(route, menu)
            if sub == "/stats":
                return self._json(
                    route,
                    {
                        "areas": [{"index": 0, "label": "セール", "taps": 12, "unique": 9}],
                        "total": 12,
                        "unique": 9,
                        "line_insight": None,
                    },
                )
            if method == "PUT":
                menu.update(body)
            return self._json(route, menu)
        if path == "/api/rich-menu-rules" and method == "GET":
            return self._json(route, self.rules)
        if path == "/api/rich-menu-rules" and method == "PUT":
            self.rules = {
                **body,
                "rules": [{"id": f"r{i}", **r} for i, r in enumerate(body["rules"])],
                "job": {
                    "id": "job_1",
                    "status": "queued",
                    "total": 1200,
                    "done": 0,
                    "linked": 0,
                    "unlinked": 0,
                    "calls": 0,
                    "started_at": None,
                    "finished_at": None,
                    "error": None,
                },
            }
            return self._json(route, self.rules)
        if path == "/api/rich-menu-rules/jobs/job_1":
            self.job_polls += 1
            done = min(1200, 500 * self.job_polls)
            return self._json(
                route,
                {
                    **self.rules["job"],
                    "status": "done" if done == 1200 else "running",
                    "done": done,
                    "linked": done,
                    "calls": -(-done // 500),
                },
            )
        return self._json(route, {"code": "not_found", "message": f"fake: {method} {path}", "where": path}, 404)


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"


@pytest.mark.viewport(390, 844)
def test_build_a_menu_set_rules_and_read_the_taps_on_a_phone(
    page: Any, admin_url: str, snap: Any, browser_errors: list[str], tmp_path: Any
) -> None:
    fake = FakeRichMenuApi()
    page.route(
        re.compile(r".*/api/(channels|forms|scenarios|inflow-routes|tags|segments|rich-menus|rich-menu-rules)(\b.*)?$"),
        fake.handle,
    )
    dev_login(page, admin_url)

    page.goto(admin_url + "#/rich-menus")
    page.get_by_test_id("list-empty").wait_for()
    _no_sideways_scroll(page)
    page.get_by_test_id("rm-new").click()

    # the browser refuses a too-small image with the reason, then takes a good one
    small = tmp_path / "small.png"
    small.write_bytes(_png(700, 300))
    page.get_by_test_id("rm-image").set_input_files(str(small))
    page.get_by_test_id("rm-image-problems").wait_for()
    assert "画像の幅が 700 px です" in page.get_by_test_id("rm-image-problems").inner_text()
    good = tmp_path / "menu.png"
    good.write_bytes(_png(2500, 1686))
    page.get_by_test_id("rm-image").set_input_files(str(good))
    page.get_by_test_id("rm-image-ok").wait_for()

    page.get_by_label("メニュー名(管理用)").fill("メインメニュー")
    page.get_by_role("button", name="テンプレート: 大・左右 2 分割(2 エリア)").click()
    page.get_by_label("タップしたときの動作").select_option("uri")
    page.get_by_label("開く URL").fill("https://shop.example/sale")
    # draw a third area by dragging on the image
    board = page.get_by_test_id("rm-board").first
    box = board.bounding_box()
    assert box is not None
    page.get_by_role("button", name="エリア 2", exact=True).click()
    page.get_by_label("幅", exact=True).fill("1250")
    page.get_by_label("高さ", exact=True).fill("843")
    page.get_by_label(re.compile("^送信するテキスト")).fill("クーポン")
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.95, steps=5)
    page.mouse.up()
    page.get_by_role("button", name="エリア 3", exact=True).wait_for()
    page.get_by_label(re.compile("^送信するテキスト")).fill("予約したい")
    chat_bar = page.get_by_test_id("rm-chatbar")
    chat_bar.fill("メニューはこちらをタップしてください")
    assert "14 文字以内" in page.locator("[data-field-error=chat_bar_text]").inner_text()
    chat_bar.fill("メニュー")
    _no_sideways_scroll(page)
    snap("editor")
    page.get_by_test_id("rm-publish").click()
    page.get_by_test_id("rm-status").wait_for()
    assert page.get_by_test_id("rm-status").inner_text() == "公開中"
    methods = [(m, p) for m, p, _ in fake.writes]
    menu_id = next(iter(fake.menus))
    assert methods == [
        ("POST", "/api/rich-menus"),
        ("PUT", f"/api/rich-menus/{menu_id}/image"),
        ("POST", f"/api/rich-menus/{menu_id}/publish"),
    ]
    areas = fake.writes[0][2]["areas"]
    assert [a["action"]["type"] for a in areas] == ["uri", "message", "message"]
    assert areas[1]["bounds"] == {"x": 1250, "y": 0, "width": 1250, "height": 843}
    third = areas[2]["bounds"]
    assert abs(third["x"] - 1500) <= 10 and abs(third["y"] - 1180) <= 10 and abs(third["width"] - 750) <= 10

    # rules: the VIP tag shows this menu; the re-link job is followed to the end
    page.goto(admin_url + "#/rich-menus/rules")
    page.get_by_test_id("rm-rule-add").click()
    page.locator("select[name='rules[0].condition.tag_id']").select_option("t_vip")
    page.locator("select[name='rules[0].menu_id']").select_option(menu_id)
    page.get_by_test_id("rm-rules-save").click()
    page.locator("[data-testid=rm-job][data-status=done]").wait_for(timeout=15_000)
    assert page.get_by_test_id("rm-job-text").inner_text().startswith("1,200 / 1,200 人 (100%)")
    _no_sideways_scroll(page)
    snap("rules")

    # analytics: the taps per area on the table and the image
    page.goto(admin_url + f"#/rich-menus/{menu_id}/stats")
    page.get_by_test_id("rm-stats-total").wait_for()
    assert page.get_by_test_id("rm-stats-total").inner_text() == "12"
    assert page.get_by_test_id("rm-area-count").first.inner_text() == "12"
    page.get_by_test_id("rm-insight-none").wait_for()
    _no_sideways_scroll(page)
    snap("stats")

    page.goto(admin_url + "#/rich-menus")
    page.get_by_test_id("rm-row").wait_for()
    _no_sideways_scroll(page)
    snap("list")
    assert browser_errors == []
