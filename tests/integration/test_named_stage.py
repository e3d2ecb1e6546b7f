"""The deployed shape on the local system: every route under the named stage ``prod`` (``/prod/...``), as API Gateway
serves a stack. Friends' pages, forms, tracked links and checkout route on the path without the stage; every URL we
hand out (form, link, purchase, Stripe return, webhook, and those rendered by background deliveries) is absolute and
carries the stage; the admin API's public OpenAPI, permissions and audit log see the path without the stage.

The unsubscribe page (``/u/...``) rendered into a delivered step is opened and used under the stage too.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from datetime import timedelta

import pytest

from haishin_local.runtime import LocalSystem
from tests.support.http import json_request, raw_request

pytestmark = pytest.mark.integration

CH = "1234500088"
WS = "w_named_stage"
SECRET = "8c3c0a1b2d4e5f60718293a4b5c6d7e8"
TOKEN = "named-stage-token-00000000000000000000001"
USER = "U" + "8" * 32
WHSEC = "whsec_named_stage_local_0001"
TARGET = "https://shop.example.jp/stage"



def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"\s+value="([^"]*)"', page)
    assert found, page[:2000]
    return found.group(1)


def test_handlers_are_imported_before_the_first_request_and_concurrent_first_requests_succeed(
        local_system_prod_stage: LocalSystem) -> None:
    system = local_system_prod_stage
    assert [fid for fid, f in system.functions.items() if not f.spec.missing and f.module is None] == []
    api = system.api_url
    first_requests = [("GET", f"{api}/f/f_missing", None), ("GET", f"{api}/c/l_missing", None),
                      ("GET", f"{api}/p/pr_missing", None), ("POST", f"{api}/f/f_missing", b"a=1"),
                      ("POST", f"{api}/stripe/webhook/w_none", b"{}"), ("POST", f"{api}/line/webhook/1", b"{}"),
                      ("GET", f"{api}/api/openapi.json", None)] * 2
    statuses: list[int] = []
    lock = threading.Lock()

    def hit(method: str, url: str, body: bytes | None) -> None:
        status = raw_request(method, url, body, {"content-type": "application/x-www-form-urlencoded"})[0]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=hit, args=request) for request in first_requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == len(first_requests)
    assert [s for s in statuses if s >= 500] == [], statuses


def test_everything_a_friend_and_an_operator_touch_works_under_the_stage(local_system_prod_stage: LocalSystem
                                                                         ) -> None:
    system = local_system_prod_stage
    api = system.api_url
    assert api == f"{system.base_url}/prod"
    emulator, stripe = system.line_emulator, system.stripe_emulator

    # ------------------------------------------------------------------ API Gateway's shape
    assert raw_request("GET", f"{system.base_url}/api/openapi.json")[0] == 404  # no $default stage: no such route
    status, schema = json_request("GET", f"{api}/api/openapi.json")
    assert status == 200 and "/api/forms" in schema["paths"], schema
    status, config = json_request("GET", f"{system.base_url}/admin/config.json")
    assert status == 200 and config["apiBase"] == api, config
    system.create_owner(WS, "owner@stage.example.com")  # as the create-owner command does in AWS
    status, login = json_request("POST", f"{config['apiBase']}/_dev/login",  # what the admin's dev login calls
                                 {"email": "owner@stage.example.com", "workspace_id": WS, "role": "owner"})
    assert status == 200, login
    auth = {"authorization": f"Bearer {login['token']}"}

    # ------------------------------------------------------------------ a channel, and a friend through the webhook
    emulator.register_channel(CH, SECRET, TOKEN, webhook_url=f"{api}/line/webhook/{CH}")
    status, channel = json_request("POST", f"{api}/api/channels",
                                   {"channel_id": CH, "channel_secret": SECRET, "access_token": TOKEN}, auth)
    assert status == 201, channel
    assert channel["webhook_url"] == f"{api}/line/webhook/{CH}", channel
    status, scenario = json_request("POST", f"{api}/api/scenarios", {
        "name": "welcome", "triggers": [{"type": "friend_added"}],
        "steps": [{"id": "s1", "line": [{"type": "text", "text": "停止はこちら {{ unsubscribe_url }}"}]}]}, auth)
    assert status in (200, 201), scenario
    assert emulator.follow(CH, USER) == 200
    system.drain()
    system.advance(timedelta(minutes=1))  # the step is rendered by the delivery worker: no request, recorded base
    texts = [str((d.get("message") or {}).get("text")) for d in emulator.received(USER, CH)]
    assert len(texts) == 1 and texts[0].startswith(f"停止はこちら {api}/u/{WS}.line."), texts
    unsubscribe_url = texts[0].split(" ", 1)[1].strip()
    status, _, page = raw_request("GET", unsubscribe_url)  # shows the page, changes nothing
    assert status == 200 and "<form" in page, page[:500]
    status, _, page = raw_request("POST", unsubscribe_url, urllib.parse.urlencode({"action": "stop"}).encode(),
                                  {"content-type": "application/x-www-form-urlencoded"})
    assert status == 200 and "配信を停止しました" in page, page[:500]
    status, friends = json_request("GET", f"{api}/api/subscribers", headers=auth)
    assert status == 200, friends

    # ------------------------------------------------------------------ a form: GET and POST under the stage
    status, form = json_request("POST", f"{api}/api/forms", {
        "name": "ステージ申込", "title": "ステージのお申込み",
        "fields": [{"key": "name", "label": "お名前", "type": "text", "required": True}]}, auth)
    assert status == 201, form
    form_id = form["form_id"]
    assert form["url"] == f"{api}/f/{form_id}", form
    status, _, page = raw_request("GET", form["url"])
    assert status == 200 and "ステージのお申込み" in page, page[:500]
    assert f'action="{api}/f/{form_id}"' in page, page[:2000]
    body = urllib.parse.urlencode({"name": "山田 花子", "_nonce": _field(page, "_nonce"), "website": ""}).encode()
    status, _, answer = raw_request("POST", f"{api}/f/{form_id}", body,
                             {"content-type": "application/x-www-form-urlencoded"})
    assert status == 200 and "送信が完了しました" in answer, answer[:500]
    status, listed = json_request("GET", f"{api}/api/forms", headers=auth)
    assert status == 200 and form_id in json.dumps(listed), listed

    # ------------------------------------------------------------------ a tracked link
    status, link = json_request("POST", f"{api}/api/links", {"name": "ステージ", "target_url": TARGET}, auth)
    assert status == 201, link
    assert link["url"] == f"{api}/c/{link['link_id']}", link
    status, headers, _ = raw_request("GET", link["url"])
    assert status == 302 and headers["location"] == TARGET, headers

    # ------------------------------------------------------------------ product page and checkout
    status, keys = json_request("PUT", f"{api}/api/payments/stripe/keys",
                                {"mode": "test", "secret_key": "sk_test_named_stage_0001", "webhook_secrets": [WHSEC]},
                                auth)
    assert status == 200, keys
    # the endpoint the screen tells the seller to register in Stripe is this stage's own route (a forged call: 400)
    assert keys["webhook_url"] == f"{api}/stripe/webhook/{WS}" and "invoice_payment.paid" in keys["webhook_events"]
    status, _, refused = raw_request("POST", keys["webhook_url"], b"{}", {"content-type": "application/json",
                                                                           "stripe-signature": "t=1,v1=00"})
    assert status == 400, refused[:300]
    status, product = json_request("POST", f"{api}/api/products", {"name": "ステージ講座", "amount": 5000}, auth)
    assert status == 201, product
    product_id = product["product_id"]
    status, purchase = json_request("POST", f"{api}/api/products/{product_id}/link", {}, auth)
    assert status == 200 and purchase["url"] == f"{api}/p/{product_id}", purchase
    status, headers, page = raw_request("GET", purchase["url"])  # shows the product; only the POST starts a checkout
    assert status == 200 and "location" not in headers, (headers, page[:500])
    assert '<form method="post"' in page, page[:2000]  # no action: it posts back to its own URL, stage included
    token = re.search(r'name="s" value="([^"]+)"', page)  # a public link carries none
    form = {"s": token.group(1)} if token else {}
    status, headers, page = raw_request("POST", purchase["url"], urllib.parse.urlencode(form).encode(),
                                 {"content-type": "application/x-www-form-urlencoded"})
    assert status == 303, (headers, page[:500])  # the stand-in refuses a relative success_url, like Stripe
    session = stripe.objects[headers["location"].rstrip("/").rsplit("/", 1)[1]]
    assert session["success_url"].startswith(f"{api}/p/{product_id}/done?o="), session["success_url"]
    assert session["cancel_url"].startswith(f"{api}/p/{product_id}/canceled?o="), session["cancel_url"]
    status, _, done = raw_request("GET", session["success_url"])
    assert status == 200 and "お支払いが完了しました" in done, done[:500]

    # ------------------------------------------------------------------ the audit log names what changed
    status, audit = json_request("GET", f"{api}/api/audit-log?limit=200", headers=auth)
    assert status == 200, audit
    kinds = {(item["method"], item["path"], item["target_kind"]) for item in audit["items"]}
    assert ("POST", "/api/forms", "forms") in kinds, kinds
    assert ("POST", "/api/links", "links") in kinds, kinds
    assert all(not item["path"].startswith("/prod") and item["target_kind"] != "prod" for item in audit["items"])
