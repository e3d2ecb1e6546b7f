"""The admin API shows and changes a friend's 配信停止 per channel; viewers may read but not change; changes are
audited; another workspace's friend is 404."""

from __future__ import annotations

from typing import Any

from haishin.api.app import AdminApi
from haishin.audit import AuditLog
from haishin.subscribers.repository import SubscriberRepository
from tests.support.admin_api import call_admin_api

WS = "w_optout_admin"


def friend() -> str:
    repo = SubscriberRepository()
    subscriber = repo.new(WS, source="form")
    subscriber.email = "a@example.com"
    repo.create(subscriber, [("email", "a@example.com")])
    return subscriber.subscriber_id


def test_operator_sees_and_changes_opt_out_per_channel(aws: Any, manual_clock: Any) -> None:
    api, sub = AdminApi(), friend()
    path = f"/api/subscribers/{sub}/opt-out"
    assert call_admin_api(api, "GET", path, workspace=WS) == (
        200, {"all": False, "line": False, "email": False, "sms": False})
    status, body = call_admin_api(api, "PUT", path, workspace=WS, body={"channel": "email", "stopped": True})
    assert status == 200 and body == {"all": False, "line": False, "email": True, "sms": False}
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
