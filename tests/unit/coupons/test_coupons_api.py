"""The coupons admin API: create (Japanese errors at the field), generate, the staff check/redeem by code, a second
redemption refused with 409 in Japanese, a viewer cannot redeem, another workspace sees nothing."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin import clock, wiring
from haishin.api.app import AdminApi
from haishin.storage import shard_scan as scan
from tests.support.admin_api import call_admin_api, ensure_operator

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


def test_codes_csv_archive_and_undo_through_the_api(api: AdminApi) -> None:
    status, coupon = call(api, "POST", "/api/coupons", {"name": "春", "discount_type": "amount",
                                                        "discount_value": 300, "mode": "pool"})
    cid = coupon["coupon_id"]
    call(api, "POST", f"/api/coupons/{cid}/codes/import", {"text": "CSVA2222\nCSVB3333"})
    code = wiring.services().coupons.code_for(WS, cid, "s_1")
    status, done = call(api, "POST", "/api/coupon-codes/redeem", {"code": code}, role="operator")
    assert status == 200
    path = f"/api/coupons/{cid}/codes/csv"
    answer = api.handle({
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": path, "rawQueryString": "encoding=cp932",
        "headers": {}, "queryStringParameters": {"encoding": "cp932"}, "isBase64Encoded": False,
        "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "domainName": "localhost",
                           "authorizer": {"jwt": {"claims": ensure_operator(WS, "owner@example.jp", "owner")}}},
    }, LambdaContext())
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"] == "text/csv; charset=Shift_JIS"
    body = base64.b64decode(answer["body"]) if answer.get("isBase64Encoded") else answer["body"].encode("latin-1")
    text = body.decode("cp932")
    assert text.startswith("クーポン,コード,状態") and f"春,{code},利用済み,s_1" in text
    assert call(api, "GET", f"/api/coupons/{cid}/codes/csv", query="encoding=latin-1")[0] == 422
    assert call(api, "GET", f"/api/coupons/{cid}/codes/csv", role="viewer")[0] == 403
    free = "CSVB3333" if code == "CSVA2222" else "CSVA2222"
    status, archived = call(api, "POST", f"/api/coupons/{cid}/codes/archive", {"codes": [free]})
    assert status == 200 and archived["coupon"]["stats"]["available"] == 0
    status, bad = call(api, "POST", f"/api/coupons/{cid}/codes/archive", {"codes": ["NOPE2222"]})
    assert status == 422 and "このクーポンのコードではありません" in bad["message"]
    undo = f"/api/coupons/{cid}/redemptions/{done['redemption_id']}/undo"
    assert call(api, "POST", undo, {}, role="viewer")[0] == 403
    assert call(api, "POST", undo, {}, workspace="ws_other")[0] == 404
    status, view = call(api, "POST", undo, {}, role="operator")
    assert status == 200 and view["stats"]["redeemed"] == 0
    assert call(api, "POST", undo, {}, role="operator")[0] == 409
