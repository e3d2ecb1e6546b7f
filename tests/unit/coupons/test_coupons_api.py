"""The coupons admin API: create (Japanese errors at the field), generate, the staff check/redeem by code, a second
redemption refused with 409 in Japanese, a viewer cannot redeem, another workspace sees nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from haishin import clock, wiring
from haishin.api.app import AdminApi
from haishin.storage import shard_scan as scan
from tests.support.admin_api import call_admin_api

WS = "ws_cpn_api"


@pytest.fixture
def api(aws: Any, manual_clock: clock.ManualClock) -> Iterator[AdminApi]:
    scan.reset_clients()
    previous = wiring.install(wiring.Services())
    try:
        yield AdminApi()
    finally:
        wiring.install(previous)
        scan.reset_clients()


def call(api: AdminApi, method: str, path: str, body: Any = None, role: str = "owner", workspace: str = WS,
         query: str = "") -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=workspace, role=role, body=body, query=query)


def test_coupon_api_end_to_end(api: AdminApi) -> None:
    status, bad = call(api, "POST", "/api/coupons", {"name": "x", "discount_type": "percent", "discount_value": 150,
                                                     "mode": "pool"})
    assert status == 422 and "割引率" in bad["message"]
    status, coupon = call(api, "POST", "/api/coupons", {"name": "冬", "discount_type": "percent",
                                                        "discount_value": 20, "mode": "pool"})
    assert status == 201 and coupon["coupon_id"].startswith("cpn_")
    cid = coupon["coupon_id"]
    assert call(api, "POST", f"/api/coupons/{cid}/codes/import", {"text": "code\nAAAA2222\nBBBB3333"})[1]["added"] == 2
    assert call(api, "POST", f"/api/coupons/{cid}/codes/generate", {"count": 3})[1]["added"] == 3
    wiring.services().coupons.code_for(WS, cid, "s_1")
    [code] = [c["code"] for c in call(api, "GET", f"/api/coupons/{cid}/codes")[1]["codes"] if c["assigned_to"]]
    status, checked = call(api, "GET", "/api/coupon-codes/check", query=f"code={code.lower()}")
    assert status == 200 and checked["usable"] and checked["subscriber_id"] == "s_1"
    assert call(api, "POST", "/api/coupon-codes/redeem", {"code": code}, role="viewer")[0] == 403
    status, done = call(api, "POST", "/api/coupon-codes/redeem", {"code": code}, role="operator")
    assert status == 200 and done["discount"] == "20%OFF"
    status, again = call(api, "POST", f"/api/coupons/{cid}/redeem", {"code": code})
    assert status == 422 and "使用済み" in again["message"] and again["where"] == "code"
    status, forged = call(api, "POST", "/api/coupon-codes/redeem", {"code": "NOPE9999"})
    assert status == 422 and "見つかりません" in forged["message"]
    stats = call(api, "GET", f"/api/coupons/{cid}")[1]["stats"]
    assert (stats["distributed"], stats["redeemed"], stats["pool_size"]) == (1, 1, 5)
    assert [r["source"] for r in call(api, "GET", f"/api/coupons/{cid}/redemptions")[1]["redemptions"]] == ["staff"]
    assert call(api, "GET", "/api/coupons", workspace="ws_other")[1] == {"coupons": []}
    assert call(api, "GET", f"/api/coupons/{cid}", workspace="ws_other")[0] == 404
    assert call(api, "POST", "/api/coupon-codes/redeem", {"code": code}, workspace="ws_other")[0] == 422
