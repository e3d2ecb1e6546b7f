"""GET/PATCH /api/workspace: defaults before the first save, validation naming the field, permissions, audit-safe."""

from __future__ import annotations

from typing import Any

import pytest

from haishin.api.app import AdminApi

from .conftest import OTHER_WS, WS, call


def test_defaults_then_patch_and_read_back(api: AdminApi) -> None:
    status, body = call(api, "GET", "/api/workspace", role="viewer")
    assert status == 200
    assert body == {"workspace_id": WS, "name": WS, "time_zone": "Asia/Tokyo", "quiet_hours_start": None,
                    "quiet_hours_end": None, "frequency_cap_per_day": 0, "quota_policy": "refuse", "created_at": None,
                    "legal_name": None, "postal_address": None, "sms_sender_id": None, "sms_optout_text": None}
    status, body = call(api, "PATCH", "/api/workspace", body={
        "name": "ハイシン美容室", "quiet_hours_start": "21:00", "quiet_hours_end": "08:00",
        "frequency_cap_per_day": 3, "quota_policy": "warn"})
    assert status == 200, body
    status, body = call(api, "GET", "/api/workspace")
    assert (body["name"], body["quiet_hours_start"], body["quiet_hours_end"]) == ("ハイシン美容室", "21:00", "08:00")
    assert (body["frequency_cap_per_day"], body["quota_policy"], body["time_zone"]) == (3, "warn", "Asia/Tokyo")
    assert body["created_at"]
    # a partial patch keeps the rest; clearing quiet hours needs both ends
    status, body = call(api, "PATCH", "/api/workspace", body={"time_zone": "America/New_York"})
    assert status == 200 and body["name"] == "ハイシン美容室" and body["time_zone"] == "America/New_York"
    status, body = call(api, "PATCH", "/api/workspace", body={"quiet_hours_start": None, "quiet_hours_end": None})
    assert status == 200 and body["quiet_hours_start"] is None
    # another workspace is untouched
    assert call(api, "GET", "/api/workspace", workspace=OTHER_WS)[1]["name"] == OTHER_WS


@pytest.mark.parametrize(("body", "where"), [
    ({"time_zone": "Tokyo"}, "time_zone"),
    ({"time_zone": "Asia/Tokio"}, "time_zone"),
    ({"quiet_hours_start": "25:00", "quiet_hours_end": "08:00"}, "quiet_hours_start"),
    ({"quiet_hours_start": "21:00", "quiet_hours_end": "8:00"}, "quiet_hours_end"),
    ({"quiet_hours_start": "21:00"}, "quiet_hours_end"),
    ({"quiet_hours_start": "21:00", "quiet_hours_end": "21:00"}, "quiet_hours_end"),
    ({"frequency_cap_per_day": -1}, "frequency_cap_per_day"),
    ({"frequency_cap_per_day": "3"}, "frequency_cap_per_day"),
    ({"quota_policy": "ignore"}, "quota_policy"),
    ({"name": "  "}, "name"),
    ({"colour": "green"}, "colour"),
])
def test_validation_names_the_field(api: AdminApi, body: dict[str, Any], where: str) -> None:
    status, answer = call(api, "PATCH", "/api/workspace", body=body)
    assert status == 422, answer
    assert answer["where"] == where, answer
    assert call(api, "GET", "/api/workspace")[1]["name"] == WS  # nothing written


def test_only_settings_managers_patch(api: AdminApi) -> None:
    for role in ("operator", "viewer"):
        status, _ = call(api, "PATCH", "/api/workspace", role=role, body={"name": "x"})
        assert status == 403
    assert call(api, "PATCH", "/api/workspace", role="admin", body={"name": "管理者が変更"})[0] == 200
