"""Rich menus through the admin API with a fake LINE that holds menus and aliases: drafts, images, publish with
tabs, re-publish, delete, channel disconnect; taps from postbacks run the area's actions once and are counted."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

from haishin.auth.permissions import Role
from haishin.channels.service import ChannelService
from haishin.richmenus.relink import RichMenuPort
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.repository import SubscriberRepository
from haishin.webhook_events import LateListener
from haishin.workspaces.models import ChannelModel
from tests.unit.line.conftest import CH, TOKEN, WS, caller, envelope, line_event

from .conftest import Replaced, Rig, png

SIZE = {"width": 2500, "height": 843}
USER = "U00000000000000000000000000000777"


def body(name: str = "メイン", areas: list[dict[str, Any]] | None = None, **over: Any) -> dict[str, Any]:
    return {
        "name": name,
        "channel_id": CH,
        "size": SIZE,
        "chat_bar_text": "メニュー",
        "areas": areas
        or [
            {
                "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                "label": "予約",
                "action": {
                    "type": "postback",
                    "actions": [{"type": "add_tag", "tag": "予約した"}],
                    "display_text": "予約する",
                },
            },
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                "label": "サイト",
                "action": {"type": "uri", "uri": "https://salon.example.jp/menu"},
            },
        ],
        **over,
    }


def tab(menu_id: str, x: int = 0) -> dict[str, Any]:
    return {
        "bounds": {"x": x, "y": 0, "width": 100, "height": 100},
        "label": "タブ",
        "action": {"type": "tab", "menu_id": menu_id},
    }


def make(rig: Rig, payload: dict[str, Any] | None = None, *, image: bool = True) -> dict[str, Any]:
    status, created = rig.api("POST", "/api/rich-menus", payload or body())
    assert status == 201, created
    if image:
        status, meta = rig.api(
            "PUT",
            f"/api/rich-menus/{created['id']}/image",
            {"content_type": "image/png", "data": base64.b64encode(png(2500, 843)).decode()},
        )
        assert status == 200 and meta["width"] == 2500, meta
    return created


def test_draft_image_publish_puts_menu_image_and_alias_on_line(rig: Rig) -> None:
    menu = make(rig)
    assert menu["status"] == "draft" and menu["line_rich_menu_id"] is None
    status, published = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    assert status == 200 and published["status"] == "published", published
    line_id, alias = published["line_rich_menu_id"], published["alias_id"]
    assert alias == "hs-" + menu["id"][4:].lower() and rig.line.aliases == {alias: line_id}
    assert rig.line.images[line_id][0] == "image/png"
    sent = rig.line.menus[line_id]
    assert sent["chatBarText"] == "メニュー" and sent["size"] == SIZE
    postback, uri = sent["areas"][0]["action"], sent["areas"][1]["action"]
    assert postback == {
        "type": "postback",
        "data": f"haishin:rm:{menu['id']}:0",
        "displayText": "予約する",
        "label": "予約",
    }
    assert urlsplit(uri["uri"]).path.startswith("/c/m") and ".-.r~" in uri["uri"]  # tracked, shared by all
    assert rig.api("GET", "/api/rich-menus", query={"channel_id": CH})[1]["items"][0]["id"] == menu["id"]


def test_a_click_on_the_menus_tracked_url_counts_without_a_friend(rig: Rig) -> None:
    menu = make(rig)
    published = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")[1]
    token = rig.line.menus[published["line_rich_menu_id"]]["areas"][1]["action"]["uri"].split("/c/", 1)[1]
    result = rig.root.track.click(token)
    assert result.outcome == "redirect" and result.target_url == "https://salon.example.jp/menu"
    rig.root.track.click(token)
    stats = rig.api("GET", f"/api/rich-menus/{menu['id']}/stats")[1]
    assert stats["areas"][1]["taps"] == 2 and stats["areas"][1]["unique_measured"] is False
    assert (
        stats["total"] == 2 and stats["line_insight"] is None and "取得できませんでした" in stats["line_insight_note"]
    )
    line_id = published["line_rich_menu_id"]
    rig.line.insight[line_id] = {"richMenuId": line_id}  # below LINE's privacy threshold
    assert "プライバシー" in rig.api("GET", f"/api/rich-menus/{menu['id']}/stats")[1]["line_insight_note"]
    rig.line.insight[line_id] = {
        "richMenuId": line_id,
        "metricsFrom": "20260101",
        "metricsTo": "20260104",
        "impression": {"metrics": {"count": 900, "uniqueUsers": 300}},
        "clicks": [
            {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843}, "metrics": {"count": 40, "uniqueUsers": 25}}
        ],
    }
    insight = rig.api("GET", f"/api/rich-menus/{menu['id']}/stats")[1]["line_insight"]
    assert insight["impressions"] == 900 and insight["areas"][0]["index"] == 1
    assert insight["areas"][0]["clicks"] == 40 and insight["areas"][0]["unique_users"] == 25


def test_image_refusals_store_nothing(rig: Rig) -> None:
    menu = make(rig, image=False)
    for data, reason in [
        (png(2500, 1686), "メニューのサイズ（2500×843）と違います"),
        (b"GIF89a" + b"\x00" * 40, "JPEG か PNG"),
    ]:
        status, error = rig.api(
            "PUT",
            f"/api/rich-menus/{menu['id']}/image",
            {"content_type": "image/png", "data": base64.b64encode(data).decode()},
        )
        assert status == 422 and reason in error["message"] and error["where"] == "image", error
    assert rig.api("GET", f"/api/rich-menus/{menu['id']}")[1]["image"] is None
    status, error = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    assert status == 422 and "画像をアップロードしてから" in error["message"] and not rig.line.menus


def test_too_many_areas_or_long_chat_bar_refused_by_the_api(rig: Rig) -> None:
    one = body()["areas"][0]
    status, error = rig.api("POST", "/api/rich-menus", body(areas=[one] * 21))
    assert status == 422 and error["where"] == "areas" and "20 個まで" in error["message"], error
    status, error = rig.api("POST", "/api/rich-menus", body(chat_bar_text="リッチメニューを開いてください"))
    assert status == 422 and error["where"] == "chat_bar_text" and "14 文字以内" in error["message"], error
    assert rig.api("GET", "/api/rich-menus")[1]["items"] == []


def test_another_workspaces_menu_cannot_be_a_tab_target(rig: Rig) -> None:
    theirs = make(rig, image=False)
    status, error = rig.api(
        "POST", "/api/rich-menus", body(areas=[tab(theirs["id"])]), as_=caller(workspace_id="w_other")
    )
    assert status == 404 and error["where"] == "areas.0.action.menu_id", error
    assert rig.api("GET", f"/api/rich-menus/{theirs['id']}", as_=caller(workspace_id="w_other"))[0] == 404


def test_publishing_a_tab_publishes_its_targets_and_deleting_a_target_is_refused(rig: Rig) -> None:
    b = make(rig, body("B"))
    a = make(rig, body("A", areas=[tab(b["id"])]))
    rig.api("PUT", f"/api/rich-menus/{b['id']}", body("B", areas=[tab(a["id"])]))  # a two-tab set
    published = rig.api("POST", f"/api/rich-menus/{a['id']}/publish")[1]
    b_now = rig.api("GET", f"/api/rich-menus/{b['id']}")[1]
    assert b_now["status"] == "published" and set(rig.line.aliases) == {published["alias_id"], b_now["alias_id"]}
    switch = rig.line.menus[published["line_rich_menu_id"]]["areas"][0]["action"]
    assert switch == {
        "type": "richmenuswitch",
        "richMenuAliasId": b_now["alias_id"],
        "data": f"haishin:rmtab:{a['id']}:0",
        "label": "タブ",
    }
    status, error = rig.api("DELETE", f"/api/rich-menus/{b['id']}")
    assert status == 409 and "「A」のタブ" in error["message"], error
    assert b_now["line_rich_menu_id"] in rig.line.menus


def test_editing_a_published_menu_replaces_it_on_line_and_moves_alias_default_and_links(rig: Rig) -> None:
    menu = make(rig)
    old = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")[1]["line_rich_menu_id"]
    rig.root.rich_menus.set_default(WS, CH, menu["id"])
    assert rig.line.default == old
    status, edited = rig.api("PUT", f"/api/rich-menus/{menu['id']}", body(chat_bar_text="タップ"))
    new = edited["line_rich_menu_id"]
    assert status == 200 and new != old and edited["status"] == "published"
    assert old not in rig.line.menus and rig.line.menus[new]["chatBarText"] == "タップ"
    assert rig.line.aliases == {edited["alias_id"]: new} and rig.line.default == new
    assert rig.replaced.calls == [(WS, CH, old, new)]


def test_deleting_a_published_menu_leaves_nothing_on_line(rig: Rig) -> None:
    menu = make(rig)
    rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    rig.root.rich_menus.set_default(WS, CH, menu["id"])
    assert rig.api("DELETE", f"/api/rich-menus/{menu['id']}")[0] == 204
    assert rig.line.menus == {} and rig.line.aliases == {} and rig.line.default is None
    assert rig.api("GET", f"/api/rich-menus/{menu['id']}")[0] == 404


def test_channel_disconnect_takes_menus_and_aliases_down(rig: Rig) -> None:
    menu = make(rig)
    rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    secrets = InMemorySecretStore()
    secrets.put(f"haishin/local/{WS}/line/{CH}", {"access_token": TOKEN, "channel_secret": "x"})
    ChannelModel.for_channel(
        WS,
        CH,
        status="connected",
        secret_name=f"haishin/local/{WS}/line/{CH}",
        connected_at=rig.root.rich_menus.repository.require(WS, menu["id"]).created_at,
    ).save()
    service = ChannelService(
        secrets,
        client_factory=lambda token: rig.line,
        subscribers=SubscriberRepository(),
        rich_menus=rig.root.rich_menus,
    )
    service.disconnect(WS, CH)
    assert rig.line.menus == {} and rig.line.aliases == {}
    after = rig.api("GET", f"/api/rich-menus/{menu['id']}")[1]
    assert after["status"] == "draft" and after["line_rich_menu_id"] is None and after["image"] is not None


def test_postback_tap_runs_the_areas_actions_once_per_event_and_counts(rig: Rig) -> None:
    menu = make(rig)
    rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    processor = rig.root.line_events
    tap = line_event(
        "postback", USER, event_id="01TAPEVENT0000000000000001", postback={"data": f"haishin:rm:{menu['id']}:0"}
    )
    processor.process_record(envelope([tap]))
    processor.process_record(envelope([{**tap, "deliveryContext": {"isRedelivery": True}}]))  # redelivered
    processor.process_record(
        envelope(
            [
                line_event(
                    "postback",
                    USER,
                    event_id="01TAPEVENT0000000000000002",
                    postback={"data": f"haishin:rm:{menu['id']}:0"},
                )
            ]
        )
    )
    subscriber = SubscriberRepository().find_by_line_user(WS, CH, USER)
    assert subscriber is not None
    tags = rig.root.tags.all(WS)
    assert [t.name for t in tags] == ["予約した"] and tags[0].tag_id in subscriber.tags
    added = [c for c in rig.triggers.calls if c[0] == "trigger" and c[3] == "tag_added"]
    assert len(added) <= 1
    other = "U00000000000000000000000000000888"
    processor.process_record(
        envelope([line_event("postback", other, postback={"data": f"haishin:rmtab:{menu['id']}:1"})])
    )
    stats = rig.api("GET", f"/api/rich-menus/{menu['id']}/stats")[1]
    assert stats["areas"][0] == {
        "index": 0,
        "label": "予約",
        "action": "postback",
        "taps": 2,
        "unique": 1,
        "taps_measured": True,
        "unique_measured": True,
    }
    assert stats["areas"][1]["taps"] == 1 and stats["total"] == 3 and stats["unique"] == 2
    assert json.dumps(stats, ensure_ascii=False)


def test_an_operator_limited_to_another_channel_sees_no_menu_of_this_one(rig: Rig) -> None:
    menu = make(rig, image=False)
    limited = caller(Role.OPERATOR, channel_id="9999999999")
    assert rig.api("GET", "/api/rich-menus", as_=limited)[1]["items"] == []
    assert rig.api("GET", f"/api/rich-menus/{menu['id']}", as_=limited)[0] == 404
    assert rig.api("POST", "/api/rich-menus", body(), as_=limited)[0] == 404
    assert rig.api("GET", f"/api/rich-menus/{menu['id']}", as_=caller(Role.OPERATOR, channel_id=CH))[0] == 200
    assert rig.api("POST", "/api/rich-menus", body(), as_=caller(Role.VIEWER))[0] == 403


def test_a_late_listener_is_looked_up_when_a_menu_is_replaced(rig: Rig) -> None:
    looked: list[int] = []

    def get() -> Replaced:
        looked.append(1)
        return rig.replaced

    rig.root.rich_menus.listeners = [LateListener(get)]
    menu = make(rig)
    rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    assert looked == []
    rig.api("PUT", f"/api/rich-menus/{menu['id']}", body(chat_bar_text="新しい"))
    assert looked == [1] and len(rig.replaced.calls) == 1


def test_the_relinkers_port_reads_a_menus_channel_and_line_id_through_the_service(rig: Rig) -> None:
    menu = make(rig)
    port = RichMenuPort(lambda: rig.root.rich_menus)
    assert port.menu_channel(WS, menu["id"]) == CH and port.line_menu_id(WS, menu["id"]) is None  # a draft
    published = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")[1]
    assert port.line_menu_id(WS, menu["id"]) == published["line_rich_menu_id"]
    assert port.menu_channel("ws_other", menu["id"]) is None and port.line_menu_id("ws_other", menu["id"]) is None


def test_a_liff_area_opens_the_channels_liff_app_and_without_one_publishing_is_refused(rig: Rig) -> None:
    liff_area = {"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843}, "label": "マイページ",
                 "action": {"type": "liff", "path": "/me"}}
    menu = make(rig, body(areas=[liff_area]))
    at = rig.root.rich_menus.repository.require(WS, menu["id"]).created_at
    ChannelModel.for_channel(WS, CH, status="connected", secret_name="x", connected_at=at).save()
    status, refused = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    assert status == 422 and "LIFF ID を設定" in json.dumps(refused, ensure_ascii=False), refused
    assert rig.line.menus == {}  # nothing left on LINE

    channel = ChannelModel.for_channel(WS, CH, status="connected", secret_name="x", connected_at=at)
    channel.liff_id = f"{'1' * 10}-AbCdEfGh"
    channel.save()
    status, published = rig.api("POST", f"/api/rich-menus/{menu['id']}/publish")
    assert status == 200, published
    uri = rig.line.menus[published["line_rich_menu_id"]]["areas"][0]["action"]["uri"]
    assert uri == "https://liff.line.me/1111111111-AbCdEfGh/me"
