"""Admin API operations the issue-18 screens need: tag rename/move/merge with the friends affected, tag folders,
the greeting read back, a friend's enrollments, friends waiting per scenario step. Through the admin API."""

from __future__ import annotations

from typing import Any

import pytest

from haishin.api.app import AdminApi
from tests.support.admin_api import call_admin_api
from tests.unit.crm.conftest import CHANNEL, OTHER_WS, WS, Crm, setup_workspace


def call(api: AdminApi, method: str, path: str, role: str = "owner", body: Any = None, workspace: str = WS,
         query: str = "") -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=workspace, role=role, body=body, query=query)


@pytest.fixture
def api(crm: Crm) -> AdminApi:
    return AdminApi()


def friend(api: AdminApi, name: str, tags: list[str]) -> str:
    status, body = call(api, "POST", "/api/subscribers",
                        body={"display_name": name, "email": f"{name}@example.jp", "tags": tags})
    assert status == 201, body
    return str(body["subscriber_id"])


def tag_names(api: AdminApi, subscriber_id: str) -> set[str]:
    status, body = call(api, "GET", f"/api/subscribers/{subscriber_id}")
    assert status == 200, body
    return {t["name"] if isinstance(t, dict) else t for t in body["tags"]}


def folder(api: AdminApi, name: str, workspace: str = WS) -> str:
    status, body = call(api, "POST", "/api/tag-folders", body={"name": name}, workspace=workspace)
    assert status == 201, body
    return str(body["folder_id"])


# ---------------------------------------------------------------------------------------------------- tags
def test_rename_keeps_the_folder_and_a_move_needs_no_name(api: AdminApi, crm: Crm) -> None:
    vip = crm.tags["VIP"]
    shelf = folder(api, "顧客ランク")
    status, body = call(api, "PATCH", f"/api/tags/{vip}", body={"folder_id": shelf})  # move only
    assert status == 200, body
    assert body == {"tag_id": vip, "name": "VIP", "folder_id": shelf}
    status, body = call(api, "PATCH", f"/api/tags/{vip}", body={"name": "上得意"})  # rename only
    assert status == 200 and body["name"] == "上得意" and body["folder_id"] == shelf
    status, body = call(api, "PATCH", f"/api/tags/{vip}", body={"folder_id": None})  # out of the folder
    assert status == 200 and body["folder_id"] is None and body["name"] == "上得意"


def test_rename_to_a_taken_name_is_refused_in_japanese(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "PATCH", f"/api/tags/{crm.tags['VIP']}", body={"name": "常連"})
    assert status == 409 and body["where"] == "name" and "すでにあります" in body["message"]


def test_folder_rename_and_reorder(api: AdminApi, crm: Crm) -> None:
    first, second = folder(api, "A"), folder(api, "B")
    status, body = call(api, "PATCH", f"/api/tag-folders/{first}", body={"name": "来店履歴", "position": 5})
    assert status == 200 and body == {"folder_id": first, "name": "来店履歴", "position": 5}
    status, body = call(api, "GET", "/api/tags")
    assert [f["folder_id"] for f in body["folders"]] == [second, first]
    status, body = call(api, "PATCH", f"/api/tag-folders/{first}", body={"position": -1})
    assert status == 422 and body["where"] == "position"


def test_another_workspaces_folder_is_not_found_in_japanese(api: AdminApi, crm: Crm) -> None:
    setup_workspace(OTHER_WS)
    theirs = folder(api, "他社", workspace=OTHER_WS)
    status, body = call(api, "PATCH", f"/api/tag-folders/{theirs}", body={"name": "x"})
    assert status == 404 and body["where"] == "folder_id" and "ワークスペースにありません" in body["message"]


def test_usage_counts_the_friends_a_delete_would_change(api: AdminApi, crm: Crm) -> None:
    friend(api, "a", ["VIP"])
    friend(api, "b", ["VIP", "常連"])
    friend(api, "c", ["常連"])
    status, body = call(api, "GET", f"/api/tags/{crm.tags['VIP']}/usage", role="viewer")
    assert status == 200 and body["friends"] == 2 and body["name"] == "VIP"
    status, body = call(api, "GET", f"/api/tags/{crm.tags['休眠']}/usage")
    assert status == 200 and body["friends"] == 0


def test_usage_of_another_workspaces_tag_is_not_found_in_japanese(api: AdminApi, crm: Crm) -> None:
    theirs = setup_workspace(OTHER_WS)["VIP"]
    status, body = call(api, "GET", f"/api/tags/{theirs}/usage")
    assert status == 404 and body["where"] == "tag_id" and "ワークスペースにありません" in body["message"]


def test_merge_dry_run_changes_nothing_then_merge_moves_every_friend(api: AdminApi, crm: Crm) -> None:
    vip, regular = crm.tags["VIP"], crm.tags["常連"]
    a, b, c = friend(api, "a", ["VIP"]), friend(api, "b", ["VIP", "常連"]), friend(api, "c", ["休眠"])
    status, body = call(api, "POST", f"/api/tags/{vip}/merge", body={"into_tag_id": regular, "dry_run": True})
    assert status == 200 and body["friends_affected"] == 2 and body["dry_run"] is True
    assert tag_names(api, a) == {"VIP"}
    status, body = call(api, "POST", f"/api/tags/{vip}/merge", body={"into_tag_id": regular})
    assert status == 200 and body["friends_affected"] == 2 and body["into_name"] == "常連"
    assert tag_names(api, a) == {"常連"} and tag_names(api, b) == {"常連"} and tag_names(api, c) == {"休眠"}
    status, body = call(api, "GET", "/api/tags")
    counts = {t["name"]: t["count"] for t in body["tags"]}
    assert "VIP" not in counts and counts["常連"] == 2
    status, body = call(api, "GET", f"/api/subscribers/{a}/timeline")
    assert "tag_merged" in {e["kind"] for e in body["items"]}
    status, body = call(api, "POST", f"/api/tags/{regular}/merge", role="viewer", body={"into_tag_id": vip})
    assert status == 403


def test_merge_refuses_the_same_tag_and_another_workspaces_tag(api: AdminApi, crm: Crm) -> None:
    vip = crm.tags["VIP"]
    status, body = call(api, "POST", f"/api/tags/{vip}/merge", body={"into_tag_id": vip})
    assert status == 422 and body["where"] == "into_tag_id" and "同じタグ" in body["message"]
    theirs = setup_workspace(OTHER_WS)["常連"]
    status, body = call(api, "POST", f"/api/tags/{vip}/merge", body={"into_tag_id": theirs})
    assert status == 404 and body["where"] == "into_tag_id" and "ワークスペースにありません" in body["message"]
    status, body = call(api, "POST", f"/api/tags/{vip}/merge", body={})
    assert status == 422 and body["where"] == "into_tag_id"


# ---------------------------------------------------------------------------------------------------- greeting
def test_greeting_reads_back_what_was_set(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "GET", f"/api/channels/{CHANNEL}/greeting")
    assert status == 200 and body["enabled"] is False and body["messages"] == []
    messages = [{"type": "text", "text": "友だち追加ありがとうございます"}]
    status, _ = call(api, "PUT", f"/api/channels/{CHANNEL}/greeting", body={"messages": messages})
    assert status == 200
    status, body = call(api, "GET", f"/api/channels/{CHANNEL}/greeting", role="viewer")
    assert status == 200 and body["enabled"] is True and body["messages"] == messages and body["updated_at"]


def test_greeting_of_another_workspaces_channel_is_not_found_in_japanese(api: AdminApi, crm: Crm) -> None:
    setup_workspace(OTHER_WS)
    status, body = call(api, "GET", f"/api/channels/{CHANNEL}/greeting", workspace=OTHER_WS)
    assert status == 404 and "ワークスペースにありません" in body["message"]


# ---------------------------------------------------------------------------------------------------- enrollments
STEPS = [{"id": "first", "name": "初回", "line": [{"type": "text", "text": "ようこそ"}]},
         {"id": "second", "name": "2通目", "timing": {"type": "after", "amount": 1, "unit": "days"},
          "line": [{"type": "text", "text": "2日目"}]}]


def scenario(api: AdminApi, workspace: str = WS) -> str:
    status, body = call(api, "POST", "/api/scenarios", body={"name": "ステップ", "steps": STEPS}, workspace=workspace)
    assert status in (200, 201), body
    return str(body["id"])


def enroll(api: AdminApi, scenario_id: str, subscriber_id: str) -> None:
    status, body = call(api, "POST", f"/api/scenarios/{scenario_id}/enrollments",
                        body={"subscriber_id": subscriber_id})
    assert status == 200 and body["enrolled"], body


def test_a_friends_enrollments_with_stop_and_restart(api: AdminApi, crm: Crm) -> None:
    sid, who = scenario(api), friend(api, "a", [])
    status, body = call(api, "GET", f"/api/subscribers/{who}/enrollments")
    assert status == 200 and body["items"] == []
    enroll(api, sid, who)
    status, body = call(api, "GET", f"/api/subscribers/{who}/enrollments", role="viewer")
    [item] = body["items"]
    assert item["scenario_name"] == "ステップ" and item["status"] == "active" and item["next_step"] == 0
    assert item["next_step_name"] == "初回" and item["steps"] == 2 and item["cycle"] == 1
    status, body = call(api, "POST", f"/api/scenarios/{sid}/unsubscribe", body={"subscriber_id": who})
    assert status == 200 and body["stopped"] == 1
    [item] = call(api, "GET", f"/api/subscribers/{who}/enrollments")[1]["items"]
    assert item["status"] == "stopped" and item["stop_reason"] == "unsubscribed:admin" and item["next_step"] is None
    enroll(api, sid, who)  # restart
    [item] = call(api, "GET", f"/api/subscribers/{who}/enrollments")[1]["items"]
    assert item["status"] == "active" and item["cycle"] == 2


def test_enrollments_of_another_workspaces_friend_are_not_found_in_japanese(api: AdminApi, crm: Crm) -> None:
    who = friend(api, "a", [])
    setup_workspace(OTHER_WS)
    status, body = call(api, "GET", f"/api/subscribers/{who}/enrollments", workspace=OTHER_WS)
    assert status == 404 and body["where"] == "subscriber_id" and "ワークスペースにいません" in body["message"]


def test_enrollment_counts_per_status_and_step(api: AdminApi, crm: Crm) -> None:
    sid = scenario(api)
    a, b, c = friend(api, "a", []), friend(api, "b", []), friend(api, "c", [])
    friend(api, "d", [])  # never enrolled
    for who in (a, b, c):
        enroll(api, sid, who)
    call(api, "POST", f"/api/scenarios/{sid}/unsubscribe", body={"subscriber_id": c})
    status, body = call(api, "GET", f"/api/scenarios/{sid}/enrollment-counts", role="viewer")
    assert status == 200, body
    assert (body["total"], body["active"], body["stopped"], body["completed"]) == (3, 2, 1, 0)
    assert [(s["step_id"], s["name"], s["waiting"]) for s in body["steps"]] == [("first", "初回", 2),
                                                                               ("second", "2通目", 0)]


def test_enrollment_counts_of_another_workspaces_scenario_are_not_found_in_japanese(api: AdminApi, crm: Crm
                                                                                    ) -> None:
    setup_workspace(OTHER_WS)
    theirs = scenario(api, workspace=OTHER_WS)
    status, body = call(api, "GET", f"/api/scenarios/{theirs}/enrollment-counts")
    assert status == 404 and body["where"] == "scenario_id" and "ワークスペースにありません" in body["message"]


# ---------------------------------------------------------------------------------------------------- fields
def test_a_required_field_is_stored_and_cannot_be_cleared(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "POST", "/api/fields",
                        body={"key": "shop", "label": "担当店舗", "type": "choice", "choices": ["渋谷", "新宿"],
                              "required": True})
    assert status == 201 and body["required"] is True
    status, body = call(api, "PATCH", "/api/fields/name", body={"required": True})
    assert status == 200 and body["required"] is True
    assert call(api, "GET", "/api/fields/name")[1]["required"] is True
    who = friend(api, "a", [])
    status, body = call(api, "PATCH", f"/api/subscribers/{who}", body={"fields": {"name": "山田", "shop": "渋谷"}})
    assert status == 200, body
    status, body = call(api, "PATCH", f"/api/subscribers/{who}", body={"fields": {"name": ""}})
    assert status == 422 and body["where"] == "fields.name" and "必須項目" in body["message"]
    assert {f["key"]: f["value"] for f in call(api, "GET", f"/api/subscribers/{who}")[1]["fields"]}["name"] == "山田"
    status, body = call(api, "PATCH", "/api/fields/name", body={"required": "たぶん"})
    assert status == 422 and body["where"] == "required", body
    status, body = call(api, "PATCH", "/api/fields/name", body={"required": False})
    assert status == 200 and body["required"] is False
    status, body = call(api, "PATCH", f"/api/subscribers/{who}", body={"fields": {"name": ""}})
    assert status == 200, body


def test_greeting_refuses_an_empty_text_at_its_field_in_japanese_and_keeps_the_old_one(api: AdminApi, crm: Crm
                                                                                      ) -> None:
    kept = [{"type": "text", "text": "ようこそ"}]
    assert call(api, "PUT", f"/api/channels/{CHANNEL}/greeting", body={"messages": kept})[0] == 200
    status, body = call(api, "PUT", f"/api/channels/{CHANNEL}/greeting",
                        body={"enabled": True, "messages": [{"type": "text", "text": "ok"}, {"type": "text", "text": " "}]})
    assert status == 422 and body["where"] == "messages.1.text" and "テキスト" in body["message"], body
    status, body = call(api, "PUT", f"/api/channels/{CHANNEL}/greeting", body={"enabled": True, "messages": []})
    assert status == 422 and body["where"] == "messages", body
    assert call(api, "GET", f"/api/channels/{CHANNEL}/greeting")[1]["messages"] == kept
    status, body = call(api, "PUT", f"/api/channels/{CHANNEL}/greeting", body={"enabled": False, "messages": []})
    assert status == 200 and body["enabled"] is False


def test_an_operator_cannot_start_a_draft_scenario_for_a_friend_it_would_never_send(api: AdminApi, crm: Crm) -> None:
    status, body = call(api, "POST", "/api/scenarios", body={"name": "下書き", "status": "draft", "steps": STEPS})
    assert status in (200, 201), body
    who = friend(api, "a", [])
    status, body = call(api, "POST", f"/api/scenarios/{body['id']}/enrollments", body={"subscriber_id": who})
    assert status == 422 and body["where"] == "scenario_id" and "配信中ではありません" in body["message"], body
    assert call(api, "GET", f"/api/subscribers/{who}/enrollments")[1]["items"] == []
