"""Journey (クーポン, issue 21): the marketer creates a coupon with a pool of unique codes generated in the admin,
composes a broadcast whose text carries the coupon variable (inserted with the message editor's coupon chip) and
sends it now to two friends; each friend's phone (the
LINE emulator's phone page) shows a different code. Staff open the phone-sized redemption page, type one friend's code
(in lower case, as a customer might read it out) and redeem it; the same code a second time is refused in Japanese
and nothing changes; a forged code is refused too. The coupon's page shows distributed 2 / redeemed 1 (50.0%).

Runs against the real local system (DynamoDB Local, moto, LINE emulator), in its own workspace and LINE channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local import connect_workspace

from .helpers import api_request, dev_login
from .test_journey_channel import local_system

pytestmark = pytest.mark.e2e

CH = "2000002121"
SECRET = "0123456789abcdef0123456789ab2121"
TOKEN = "e2e-coupon-token-" + "k" * 40
WS = "ws_e2e_coupon"
OWNER = "owner@coupon.example.jp"
FRIENDS = {"U" + "3" * 31 + "1": "小林 美咲", "U" + "3" * 31 + "2": "加藤 翔太"}
CODE = re.compile(r"クーポンコード: ([2-9A-HJ-NP-Z]{8})")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[Any]:
    s = local_system(request)
    connect_workspace(s, WS, CH, SECRET, TOKEN, owner=OWNER, display_name="ハイシン雑貨店", friends=FRIENDS)
    yield s


def api(system: Any, method: str, path: str, body: Any = None) -> Any:
    return api_request(system, system.login(email=OWNER, workspace_id=WS, role="owner"), method, path, body)


def test_unique_coupon_in_a_broadcast_redeemed_once_by_staff(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    # the coupon: 20% off, unique codes, 5 generated
    page.goto(admin + "#/coupons")
    page.get_by_test_id("list-empty").wait_for()
    page.get_by_test_id("cp-new").first.click()
    page.get_by_test_id("cp-editor").wait_for()
    page.get_by_label("クーポン名").fill("冬の感謝クーポン")
    page.get_by_label("割引率 (%)").check()
    page.get_by_label("割引の値").fill("20")
    page.get_by_label("個別コード").check()
    page.get_by_test_id("cp-save").click()
    page.wait_for_function("/#\\/coupons\\/cpn_/.test(location.hash)")
    page.get_by_test_id("cp-pool").wait_for()
    page.get_by_label("生成する数").fill("5")
    page.get_by_test_id("cp-generate").click()
    page.get_by_test_id("cp-pool-note").get_by_text("5 件のコードを追加しました。").wait_for()
    page.locator("[data-testid=cp-available]", has_text="5 / 5").wait_for()
    variable = page.get_by_test_id("cp-variable").inner_text()
    coupon_id = page.evaluate("location.hash").split("/")[2]
    assert variable == f'{{{{ coupon("{coupon_id}") }}}}'
    snap("coupon")

    # the broadcast: everyone (the two friends), the variable in the text, sent now
    page.goto(admin + "#/broadcasts")
    page.get_by_test_id("broadcast-new").first.click()
    page.get_by_test_id("broadcast-composer").wait_for()
    page.locator("input[name=name]").fill("冬の感謝クーポン配布")
    page.locator("input[name=audience][value=everyone]").check()
    page.locator("textarea[name='content.line[0].text']").fill(
        "{{ name }} さん、いつもありがとうございます。20%OFF クーポンコード: ")
    page.locator("[data-insert-var=coupon]").click()  # the editor's coupon chip inserts the variable
    page.get_by_test_id("me-coupon").select_option(label="冬の感謝クーポン")
    assert page.locator("textarea[name='content.line[0].text']").input_value().endswith(f"クーポンコード: {variable}")
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.locator("input[name=when][value=now]").check()
    page.get_by_test_id("broadcast-go").click()
    page.locator("[data-testid=broadcast-status][data-status=done]").wait_for(timeout=30_000)

    # each friend's phone shows their own code
    codes: dict[str, str] = {}
    phone = page.context.new_page()
    for user_id, name in FRIENDS.items():
        phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={user_id}")
        bubble = phone.locator(".bubble", has_text="クーポンコード")
        bubble.first.wait_for(timeout=15_000)
        text = bubble.first.inner_text()
        assert text.startswith(f"{name} さん、"), text
        found = CODE.search(text)
        assert found, text
        codes[user_id] = found.group(1)
        phone.screenshot(path=str(snap(f"phone-{user_id[-1]}")))
    assert len(set(codes.values())) == 2, codes
    first_user = next(iter(FRIENDS))
    phone.close()

    # staff: the phone-sized redemption page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(admin + "#/coupons/redeem")
    page.get_by_test_id("cp-redeem-page").wait_for()
    page.get_by_test_id("cp-redeem-code").fill(codes[first_user].lower())
    page.get_by_test_id("cp-redeem-check").click()
    page.locator("[data-testid=cp-redeem-checked][data-usable='1']").wait_for()
    page.get_by_test_id("cp-redeem-submit").click()
    page.get_by_test_id("cp-redeem-done").wait_for()
    assert codes[first_user] in page.get_by_test_id("cp-redeem-done").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the redemption page scrolls sideways on a phone ({width}px)"
    snap("redeemed")

    # the same code again: refused in Japanese, nothing changed
    page.get_by_test_id("cp-redeem-code").fill(codes[first_user])
    page.get_by_test_id("cp-redeem-submit").click()
    page.get_by_text(f"コード「{codes[first_user]}」は使用済みです").first.wait_for()
    # a forged code
    page.get_by_test_id("cp-redeem-code").fill("ZZZZ9999")
    page.get_by_test_id("cp-redeem-submit").click()
    page.get_by_text("コード「ZZZZ9999」は見つかりません").first.wait_for()
    snap("refused")

    # the stats: distributed 2, redeemed 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(admin + f"#/coupons/{coupon_id}")
    page.locator("[data-testid=cp-distributed]", has_text="2").wait_for()
    assert page.get_by_test_id("cp-redeemed").inner_text() == "1"
    assert page.get_by_test_id("cp-rate").inner_text() == "50.0%"
    page.get_by_test_id("cp-redemption-row").first.wait_for()
    page.goto(admin + "#/coupons")
    assert page.get_by_test_id("cp-row-stats").first.inner_text() == "配布 2 / 利用 1 (50.0%)"
    stats = api(system, "GET", f"/api/coupons/{coupon_id}")["stats"]
    assert (stats["distributed"], stats["redeemed"], stats["available"]) == (2, 1, 3)
    assert [e for e in browser_errors if "status of 409" not in e and "status of 422" not in e] == []


def test_shared_coupon_code_typed_at_stripe_checkout_discounts_and_counts(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    """The shop has Stripe keys: creating a shared-code coupon creates its Stripe promotion code (same code); the
    friend opens a product's purchase link, the Stripe checkout page (the local stand-in) asks for a promotion code,
    a forged code is refused in Stripe's words and nothing is charged, the coupon's code takes ¥2,000 off, the
    friend pays ¥8,000, and the coupon's page shows the redemption and the revenue."""
    whsec = "whsec_e2e_coupon_0001"
    api(system, "PUT", "/api/payments/stripe/keys",
        {"mode": "test", "secret_key": "sk_test_e2e_coupon_0001", "webhook_secrets": [whsec]})
    system.stripe_emulator.register_webhook(f"{system.base_url}/stripe/webhook/{WS}", whsec)
    coupon = api(system, "POST", "/api/coupons", {"name": "春の2000円引き", "discount_type": "amount",
                                                  "discount_value": 2000, "mode": "shared", "shared_code": "HARU2000"})
    promo_id = coupon["stripe_promotion_code_id"]
    assert promo_id and system.stripe_emulator.objects[promo_id]["code"] == "HARU2000"
    product = api(system, "POST", "/api/products", {"name": "春の講座", "amount": 10000})
    [friend] = [f for f in api(system, "GET", "/api/subscribers")["items"] if f.get("display_name") == "小林 美咲"]
    link = api(system, "POST", f"/api/products/{product['product_id']}/link",
               {"subscriber_id": friend["subscriber_id"]})

    # the Stripe stand-in is shared by every journey of the run: count only the payments made here
    mark = system.stripe_emulator.mark()
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link["url"])
    page.get_by_role("button", name="購入手続きへ進む").click()
    code_field = page.get_by_label("プロモーションコード / Add promotion code")
    code_field.fill("FORGED99")
    page.get_by_role("button", name="適用 / Apply").click()
    page.get_by_role("alert").get_by_text("This code is invalid.").wait_for()
    assert "合計 10000 jpy" in page.locator("#total").inner_text()
    snap("stripe-refused")
    page.get_by_label("プロモーションコード / Add promotion code").fill("haru2000")
    page.get_by_role("button", name="適用 / Apply").click()
    page.locator("#discount", has_text="-2000").wait_for()
    assert "合計 8000 jpy" in page.locator("#total").inner_text()
    snap("stripe-discounted")
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_text("お支払いが完了しました").wait_for()
    system.drain()
    paid = system.stripe_emulator.made("payment_intent", since=mark)
    assert [p["amount"] for p in paid] == [8000]

    admin = f"{system.base_url}/admin/"
    page.set_viewport_size({"width": 1280, "height": 900})
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/coupons/{coupon['coupon_id']}")
    page.locator("[data-testid=cp-redeemed]", has_text="1").wait_for()
    assert page.get_by_test_id("cp-revenue").inner_text() == "¥8,000"
    assert promo_id in page.get_by_test_id("cp-stripe-linked").inner_text()
    page.get_by_test_id("cp-redemption-row").first.wait_for()
    snap("stripe-stats")
    [row] = api(system, "GET", f"/api/coupons/{coupon['coupon_id']}/redemptions")["redemptions"]
    assert (row["source"], row["amount"], row["subscriber_id"]) == ("stripe", 8000, friend["subscriber_id"])
    assert [e for e in browser_errors if "status of 400" not in e] == []


def test_coupon_card_used_by_the_friend_at_the_counter_and_undone_by_staff(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    """A broadcast carries a クーポンカード (flex, added with the message editor's button); on the friend's phone the
    card shows their code and a 「クーポンを使う」 button opening their signed 使う page; at phone width the friend presses
    使う, shows the staff's check, and after 「店員が確認しました」 the coupon is used (a second press is refused in
    Japanese). In the admin the redemption shows as the friend's page; staff undo it (confirmed, audited), withdraw a
    free code and export the codes as a Shift_JIS CSV."""
    coupon = api(system, "POST", "/api/coupons", {"name": "来店感謝500円引き", "discount_type": "amount",
                                                  "discount_value": 500, "mode": "pool"})
    cid = coupon["coupon_id"]
    api(system, "POST", f"/api/coupons/{cid}/codes/generate", {"count": 3})
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    admin = f"{system.base_url}/admin/"
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")

    page.goto(admin + "#/broadcasts")
    page.get_by_test_id("broadcast-new").first.click()
    page.get_by_test_id("broadcast-composer").wait_for()
    page.locator("input[name=name]").fill("来店クーポンカード")
    page.locator("input[name=audience][value=everyone]").check()
    page.locator("textarea[name='content.line[0].text']").fill("{{ name }} さん、ご来店ありがとうございます。")
    page.get_by_test_id("me-coupon-card-open").click()
    page.get_by_test_id("me-coupon-card").select_option(label="来店感謝500円引き")
    page.locator("[data-testid=editor-message]").nth(1).wait_for()
    page.get_by_test_id("broadcast-save").click()
    page.get_by_test_id("send-panel").wait_for()
    page.locator("input[name=when][value=now]").check()
    page.get_by_test_id("broadcast-go").click()
    page.locator("[data-testid=broadcast-status][data-status=done]").wait_for(timeout=30_000)
    snap("card-broadcast")

    user = next(iter(FRIENDS))
    phone = page.context.new_page()
    phone.goto(f"{system.line_emulator.base_url}/_emulator/phone?channel={CH}&user={user}")
    card = phone.locator(".bubble.flex", has_text="来店感謝500円引き")
    card.first.wait_for(timeout=15_000)
    found = re.search(r"コード: ([2-9A-HJ-NP-Z]{8})", card.first.inner_text())
    assert found, card.first.inner_text()
    code = found.group(1)
    assert "500円引き" in card.first.inner_text()
    phone.screenshot(path=str(snap("card-phone")))
    with phone.context.expect_page() as opened:
        card.first.get_by_role("button", name="クーポンを使う").click()
    use = opened.value
    use.set_viewport_size({"width": 390, "height": 844})
    use.wait_for_load_state()
    assert f"/cpn/{WS}/{cid}?t=" in use.url
    assert use.get_by_test_id("cpn-code").inner_text() == code
    use.get_by_test_id("cpn-use").click()
    use.get_by_test_id("cpn-confirm").get_by_text("この画面を店員さんにお見せください。").wait_for()
    assert use.evaluate("document.documentElement.scrollWidth") <= 390
    snap_path = snap("use-confirm")
    use.screenshot(path=str(snap_path))
    use.get_by_test_id("cpn-redeem").click()
    use.get_by_test_id("cpn-notice").get_by_text("利用済みにしました。").wait_for()
    assert use.get_by_test_id("cpn-use").count() == 0
    use.goto(use.url)  # the friend presses again later: used, no button; a replayed POST is refused
    assert use.get_by_test_id("cpn-problem").inner_text().startswith(f"コード「{code}」は使用済みです")
    replay = use.request.post(use.url, form={"action": "redeem"})
    assert replay.status == 422 and f"コード「{code}」は使用済みです" in replay.text()
    use.close()
    phone.close()

    page.goto(admin + f"#/coupons/{cid}")
    page.locator("[data-testid=cp-redeemed]", has_text="1").wait_for()
    row = page.get_by_test_id("cp-redemption-row").first
    assert "友だちの画面" in row.inner_text() and code in row.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("cp-redemption-undo").click()
    page.locator("[data-testid=cp-redeemed]", has_text="0").wait_for()
    page.get_by_test_id("cp-redemption-undone").first.wait_for()
    audit = api(system, "GET", "/api/audit-log?target_kind=coupons")
    assert any(e["path"].endswith("/undo") for e in audit["items"]), audit
    snap("undone")

    free = next(r for r in page.get_by_test_id("cp-code-row").all() if "未配布" in r.inner_text())
    free_code = free.locator("code").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    free.get_by_test_id("cp-code-archive").click()
    page.locator("[data-testid=cp-code-row]", has_text=free_code).get_by_text("無効").wait_for()
    with page.expect_download() as download:
        page.get_by_test_id("cp-export").click()
    data = Path(download.value.path()).read_bytes().decode("cp932")
    assert data.startswith("クーポン,コード,状態") and f"{code}" in data and f"{free_code},無効" in data
    stats = api(system, "GET", f"/api/coupons/{cid}")["stats"]
    assert (stats["redeemed"], stats["distributed"], stats["pool_size"], stats["available"]) == (0, 2, 2, 0)
    assert [e for e in browser_errors if "status of 409" not in e and "status of 422" not in e] == []


def test_pool_codes_become_single_use_stripe_promotion_codes_through_the_planner_queue(
    system: Any, page: Any, browser_errors: list[str], snap: Any
) -> None:
    """A pool coupon's 「個別コードごとに Stripe プロモーションコードを作成」: the job goes through PlannerQueue to the planner
    Lambda, the page shows its progress to 完了 (3 / 3), each code is a single-use promotion code in Stripe; the friend
    types one code at checkout (¥500 off), pays, the coupon counts that code as used, and the same code in a second
    checkout is refused in Stripe's words."""
    whsec = "whsec_e2e_coupon_0001"
    api(system, "PUT", "/api/payments/stripe/keys",
        {"mode": "test", "secret_key": "sk_test_e2e_coupon_0001", "webhook_secrets": [whsec]})
    system.stripe_emulator.register_webhook(f"{system.base_url}/stripe/webhook/{WS}", whsec)
    coupon = api(system, "POST", "/api/coupons", {"name": "個別500円引き", "discount_type": "amount",
                                                  "discount_value": 500, "mode": "pool"})
    cid = coupon["coupon_id"]
    api(system, "POST", f"/api/coupons/{cid}/codes/generate", {"count": 3})
    codes = sorted(c["code"] for c in api(system, "GET", f"/api/coupons/{cid}/codes")["codes"])

    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    admin = f"{system.base_url}/admin/"
    page.set_viewport_size({"width": 1280, "height": 900})
    dev_login(page, admin, email=OWNER, workspace_id=WS, role="owner")
    page.goto(admin + f"#/coupons/{cid}")
    page.get_by_test_id("cp-stripe-codes").click()
    page.locator("[data-testid=cp-stripe-job]").wait_for()
    system.drain()  # PlannerQueue -> the planner Lambda runs the job
    page.locator("[data-testid=cp-stripe-job][data-status=done]").wait_for(timeout=15000)
    assert "3 / 3 件" in page.get_by_test_id("cp-stripe-job-text").inner_text()
    snap("stripe-pool-done")
    promos = {o["code"]: o for o in system.stripe_emulator.made("promotion_code")}
    assert all(promos[c]["max_redemptions"] == 1 for c in codes)

    product = api(system, "POST", "/api/products", {"name": "個別クーポンの講座", "amount": 3000})
    [friend] = [f for f in api(system, "GET", "/api/subscribers")["items"] if f.get("display_name") == "加藤 翔太"]

    def checkout(code: str) -> None:
        link = api(system, "POST", f"/api/products/{product['product_id']}/link",
                   {"subscriber_id": friend["subscriber_id"]})
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(link["url"])
        page.get_by_role("button", name="購入手続きへ進む").click()
        page.get_by_label("プロモーションコード / Add promotion code").fill(code)
        page.get_by_role("button", name="適用 / Apply").click()

    checkout(codes[0].lower())
    page.locator("#discount", has_text="-500").wait_for()
    page.get_by_role("button", name="支払う / Pay").click()
    page.get_by_text("お支払いが完了しました").wait_for()
    system.drain()
    [row] = api(system, "GET", f"/api/coupons/{cid}/redemptions")["redemptions"]
    assert (row["code"], row["source"], row["amount"]) == (codes[0], "stripe", 2500)
    assert [c["code"] for c in api(system, "GET", f"/api/coupons/{cid}/codes")["codes"] if c["redeemed"]] == [codes[0]]

    checkout(codes[0])
    page.get_by_role("alert").get_by_text("This code has already been used the maximum number of times.").wait_for()
    assert "合計 3000 jpy" in page.locator("#total").inner_text()
    snap("stripe-pool-used")
    assert [e for e in browser_errors if "status of 400" not in e] == []
