"""The admin API shows and changes a friend's 配信停止 per channel; viewers may read but not change; changes are
audited; another workspace's friend is 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from haishin.api.app import AdminApi
from haishin.audit import AuditLog
from haishin.dashboard import Dashboard
from haishin.secrets import InMemorySecretStore
from haishin.subscribers.repository import SubscriberRepository
from haishin.wiring import Services
from tests.support.admin_api import call_admin_api

WS = "w_optout_admin"


def friend(email: str = "a@example.com") -> str:
    repo = SubscriberRepository()
    subscriber = repo.new(WS, source="form")
    subscriber.email = email
    repo.create(subscriber, [("email", email)])
    return subscriber.subscriber_id


def test_operator_sees_and_changes_opt_out_per_channel(aws: Any, manual_clock: Any) -> None:
    api, sub = AdminApi(), friend()
    path = f"/api/subscribers/{sub}/opt-out"
    assert call_admin_api(api, "GET", path, workspace=WS) == (
        200, {"all": False, "line": False, "email": False, "sms": False, "changes": {}})
    status, body = call_admin_api(api, "PUT", path, workspace=WS, body={"channel": "email", "stopped": True})
    assert status == 200 and {k: body[k] for k in ("all", "line", "email", "sms")} == {
        "all": False, "line": False, "email": True, "sms": False}
    assert call_admin_api(api, "GET", path, workspace=WS)[1]["email"] is True
    entries, _ = AuditLog().page(WS)
    assert any(e.method == "PUT" and e.path == path for e in entries)
    status, _ = call_admin_api(api, "PUT", path, workspace=WS, body={"channel": "fax", "stopped": True})
    assert status == 422
    status, _ = call_admin_api(api, "PUT", path, workspace=WS, role="viewer",
                               body={"channel": "line", "stopped": True})
    assert status == 403
    status, _ = call_admin_api(api, "PUT", path, workspace="w_other", body={"channel": "line", "stopped": True})
    assert status == 404


def test_the_friend_page_sees_when_and_how_each_channel_changed(aws: Any, manual_clock: Any) -> None:
    api, sub = AdminApi(), friend()
    path = f"/api/subscribers/{sub}/opt-out"
    service = Services(secrets=InMemorySecretStore()).optout
    service.set(WS, sub, "line", True, reason="keyword")
    manual_clock.advance(timedelta(hours=1))
    call_admin_api(api, "PUT", path, workspace=WS, body={"channel": "email", "stopped": True})
    changes = call_admin_api(api, "GET", path, workspace=WS)[1]["changes"]
    assert changes["line"] == {"stopped": True, "at": "2026-01-05T00:00:00.000000+00:00", "via": "keyword"}
    assert changes["email"]["via"] == "admin" and changes["email"]["at"].startswith("2026-01-05T01:00:00")


def test_dashboard_counts_opt_outs_per_local_day_once_per_real_change(aws: Any, manual_clock: Any) -> None:
    a, b = friend(), friend("b@example.com")
    service = Services(secrets=InMemorySecretStore()).optout
    manual_clock.set(datetime(2026, 1, 4, 16, 0, tzinfo=UTC))  # 01:00 on the 5th in Tokyo
    service.set(WS, a, "line", True, reason="keyword")
    service.set(WS, a, "line", True, reason="keyword")  # the same again: no change, not counted
    service.set(WS, b, "all", True, reason="link")
    manual_clock.set(datetime(2026, 1, 6, 3, 0, tzinfo=UTC))
    service.set(WS, a, "line", False, reason="keyword")
    service.set(WS, b, "email", True, reason="one_click")
    board = Dashboard(quota=lambda ws, ch: {}).build(WS, days=3)
    by_day = {row["date"]: row for row in board["opt_outs"]["series"]}
    assert (by_day["2026-01-05"]["line"], by_day["2026-01-05"]["all"], by_day["2026-01-05"]["stopped"]) == (1, 1, 2)
    assert (by_day["2026-01-06"]["email"], by_day["2026-01-06"]["resumed"]) == (1, 1)
    assert by_day["2026-01-04"]["stopped"] == 0
    assert (board["opt_outs"]["stopped"], board["opt_outs"]["resumed"]) == (3, 1)
