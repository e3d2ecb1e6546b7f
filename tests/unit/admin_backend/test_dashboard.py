"""GET /api/dashboard: friends added/blocked per local day, deliveries and failures per day, LINE quota per channel,
the newest delivery errors; bounded reads, VIEW_DASHBOARD, workspace isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from haishin import clock, wiring
from haishin.api.app import AdminApi
from haishin.dashboard import Dashboard
from haishin.delivery.counters import count_delivery
from haishin.delivery.ledger import LedgerModel, error_log_pk, ledger_pk
from haishin.storage.base import iso
from haishin.subscribers.models import SubscriberModel
from haishin.subscribers.repository import SubscriberRepository
from haishin.wiring import Services
from haishin.workspaces.models import ChannelModel

from .conftest import OTHER_WS, WS, call

CH = "1660000000"
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo


@pytest.fixture
def dash(api: AdminApi, manual_clock: clock.ManualClock) -> Any:
    manual_clock.set(NOW)
    quota_calls: list[tuple[str, str]] = []

    def quota(ws: str, channel_id: str) -> dict[str, Any]:
        quota_calls.append((ws, channel_id))
        if channel_id == "1660000009":
            raise RuntimeError("LINE did not answer")
        return {"type": "limited", "value": 5000, "totalUsage": 1234}

    previous = wiring.install(Services(dashboard=Dashboard(quota=quota)))
    yield quota_calls
    wiring.install(previous)


def friend(api: AdminApi, n: int, line: dict[str, Any], workspace: str = WS) -> str:
    status, body = call(api, "POST", "/api/subscribers", body={"display_name": f"友だち{n}"}, workspace=workspace)
    assert status == 201, body
    sub = SubscriberRepository().require(workspace, body["subscriber_id"])
    sub.update(actions=[SubscriberModel.line.set(line)])
    return str(body["subscriber_id"])


def failed_row(delivery_id: str, at: datetime, workspace: str = WS) -> None:
    LedgerModel(ledger_pk(delivery_id), "ledger", delivery_id=delivery_id, workspace_id=workspace, kind="step",
                channel="line", subscriber_id="s1", status="failed", error="LINE 400: invalid message",
                attempts=1, gsi1pk=error_log_pk(workspace), gsi1sk=f"{iso(at)}#{delivery_id}").save()


def test_friends_per_local_day_added_and_blocked(api: AdminApi, dash: Any) -> None:
    today = "2026-03-10T01:00:00+00:00"
    # 2026-03-09 16:30 UTC is 2026-03-10 01:30 in Tokyo: counted on the 10th, not the 9th
    late_utc = "2026-03-09T16:30:00+00:00"
    friend(api, 1, {CH: {"status": "following", "followed_at": today, "user_id": "U1"}})
    friend(api, 2, {CH: {"status": "following", "followed_at": late_utc, "user_id": "U2"}})
    friend(api, 3, {CH: {"status": "blocked", "followed_at": "2026-03-08T01:00:00+00:00",
                         "blocked_at": today, "user_id": "U3"}})
    friend(api, 4, {CH: {"status": "following", "followed_at": today}}, workspace=OTHER_WS)  # not ours

    status, body = call(api, "GET", "/api/dashboard", query="days=7")
    assert status == 200, body
    assert body["time_zone"] == "Asia/Tokyo" and body["from"] == "2026-03-04" and body["to"] == "2026-03-10"
    series = {d["date"]: d for d in body["friends"]["series"]}
    assert len(series) == 7
    assert series["2026-03-10"] == {"date": "2026-03-10", "added": 2, "blocked": 1}
    assert series["2026-03-09"]["added"] == 0
    assert series["2026-03-08"]["added"] == 1
    assert (body["friends"]["total"], body["friends"]["following"], body["friends"]["blocked"]) == (3, 2, 1)
    assert body["friends"]["truncated"] is False


def test_deliveries_per_day_from_counters_and_the_error_log(api: AdminApi, dash: Any) -> None:
    count_delivery(WS, "sent", 500, at=NOW)
    count_delivery(WS, "sent", 20, at=NOW - timedelta(days=1))
    count_delivery(WS, "failed", 1, at=NOW - timedelta(days=1))
    count_delivery(WS, "skipped_blocked", 3, at=NOW)
    count_delivery(OTHER_WS, "sent", 999, at=NOW)
    failed_row("d1", NOW - timedelta(hours=1))
    failed_row("d2", NOW - timedelta(hours=2))
    failed_row("d_old", NOW - timedelta(days=40))  # before the window: not in the series
    failed_row("d_other", NOW, workspace=OTHER_WS)

    status, body = call(api, "GET", "/api/dashboard", query="days=3")
    assert status == 200, body
    series = {d["date"]: d for d in body["deliveries"]["series"]}
    assert series["2026-03-10"] == {"date": "2026-03-10", "sent": 500, "failed": 2, "skipped": 3, "replied": 0}
    assert series["2026-03-09"] == {"date": "2026-03-09", "sent": 20, "failed": 1, "skipped": 0, "replied": 0}
    assert body["deliveries"]["sent"] == 520 and body["deliveries"]["failed"] == 3
    # the error log: newest first, ours only (the 40-day-old row is still in the log, it is just not in the window)
    assert [e["delivery_id"] for e in body["errors"]] == ["d1", "d2", "d_old"]
    assert body["errors"][0]["error"] == "LINE 400: invalid message"


def test_quota_per_connected_channel_and_a_failing_channel_does_not_hide_the_others(api: AdminApi, dash: Any) -> None:
    ChannelModel.for_channel(WS, CH, name="本店", secret_name="s", status="connected", connected_at=NOW).save()
    ChannelModel.for_channel(WS, "1660000009", name="支店", secret_name="s", status="connected",
                             connected_at=NOW).save()
    ChannelModel.for_channel(WS, "1660000008", secret_name="s", status="disconnected", connected_at=NOW).save()
    status, body = call(api, "GET", "/api/dashboard")
    assert status == 200, body
    quota = {q["channel_id"]: q for q in body["quota"]}
    assert quota[CH] == {"channel_id": CH, "name": "本店", "type": "limited", "limit": 5000, "used": 1234,
                         "left": 3766}
    assert "LINE did not answer" in quota["1660000009"]["error"]
    assert "1660000008" not in quota
    assert sorted(dash) == [(WS, CH), (WS, "1660000009")]


def test_days_are_bounded_and_the_permission_is_checked(api: AdminApi, dash: Any) -> None:
    status, body = call(api, "GET", "/api/dashboard", query="days=365")
    assert status == 422 and "days" in str(body)
    status, body = call(api, "GET", "/api/dashboard", role="viewer")
    assert status == 200 and len(body["friends"]["series"]) == 30
