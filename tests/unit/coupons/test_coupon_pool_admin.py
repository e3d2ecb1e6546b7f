"""Pool coupon administration: codes written in conditional batches (a code taken by a concurrent import is reported,
never overwritten), マイページ reads only the friend's own coupons (the per-friend index), the codes CSV (UTF-8 BOM and
Shift_JIS), withdrawing codes, and undoing a redemption (counters, code usable again, the friend's count)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from haishin import clock
from haishin.coupons.models import CODES_PER_TRANSACTION, CouponCodeModel, CouponIn, GenerateIn
from haishin.coupons.repository import CouponRepository
from haishin.coupons.service import CouponService
from haishin.csvio.cells import encode_rows
from haishin.errors import Conflict, NotFound, ValidationFailed
from tests.unit.coupons.test_coupons import WS, Events


@pytest.fixture
def svc(aws: Any, manual_clock: clock.ManualClock) -> CouponService:
    return CouponService(CouponRepository(), events=Events(), zone_of=lambda ws: "Asia/Tokyo")


def _pool(svc: CouponService, name: str = "冬のクーポン") -> str:
    return svc.create(WS, CouponIn(name=name, discount_type="amount", discount_value=500, mode="pool")).coupon_id


def test_batched_import_counts_every_code_and_refuses_one_taken_by_another_coupon(svc: CouponService) -> None:
    first, second = _pool(svc, "A"), _pool(svc, "B")
    svc.import_codes(WS, first, "TAKEN123")
    codes = [f"BATCH{i:04d}" for i in range(CODES_PER_TRANSACTION * 3 + 7)] + ["TAKEN123"]
    result = svc.import_codes(WS, second, "\n".join(codes))
    assert result["added"] == CODES_PER_TRANSACTION * 3 + 7
    assert result["duplicates"] == ["TAKEN123"]
    assert svc.view(WS, svc.get(WS, second))["stats"]["pool_size"] == CODES_PER_TRANSACTION * 3 + 7
    assert CouponRepository().code(WS, "TAKEN123").coupon_id == first  # type: ignore[union-attr]


def test_a_code_taken_after_the_check_is_dropped_from_its_batch_not_overwritten(
        svc: CouponService, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _pool(svc, "A"), _pool(svc, "B")
    svc.import_codes(WS, first, "RACE0001")
    # a concurrent import wrote RACE0001 between this import's BatchGetItem and its transaction
    monkeypatch.setattr(CouponCodeModel, "batch_get", classmethod(lambda cls, keys, **kw: iter(())))
    added, taken = CouponRepository().add_codes(WS, second, ["NEW00001", "RACE0001", "NEW00002"])
    assert (added, taken) == (2, ["RACE0001"])
    assert CouponRepository().code(WS, "RACE0001").coupon_id == first  # type: ignore[union-attr]
    assert sorted(CouponRepository().free_codes(WS, second, 10)) == ["NEW00001", "NEW00002"]
    assert int(svc.get(WS, second).pool_size) == 2


def test_my_page_reads_the_friends_own_coupons_through_the_index(svc: CouponService,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    mine, other = _pool(svc, "私の"), _pool(svc, "他人の")
    svc.import_codes(WS, mine, "MINE0001\nMINE0002")
    svc.import_codes(WS, other, "OTHR0001")
    code = svc.code_for(WS, mine, "s_me")
    svc.code_for(WS, other, "s_else")
    monkeypatch.setattr(CouponRepository, "all", lambda *a: pytest.fail("マイページ read every coupon"))
    held = svc.of_friend(WS, "s_me")
    assert [(h["name"], h["code"], h["discount"]) for h in held] == [("私の", code, "500円引き")]
    assert svc.of_friend(WS, "s_nobody") == []


def test_codes_csv_rows_and_their_utf8_bom_and_shift_jis_files(svc: CouponService) -> None:
    coupon_id = _pool(svc, "=冬のクーポン髙")
    svc.import_codes(WS, coupon_id, "CSV00001\nCSV00002\nCSV00003")
    given = svc.code_for(WS, coupon_id, "s_1")
    svc.redeem(WS, given)
    rows = svc.export_rows(WS, coupon_id)
    assert rows[0] == ["クーポン", "コード", "状態", "配布先の友だちID", "配布日時", "利用日時"]
    by_code = {r[1]: r for r in rows[1:]}
    assert set(by_code) == {"CSV00001", "CSV00002", "CSV00003"}
    assert by_code[given][2] == "利用済み" and by_code[given][3] == "s_1" and by_code[given][5]
    assert sorted(r[2] for r in rows[1:]) == sorted(["未配布", "未配布", "利用済み"])
    utf8 = encode_rows(rows, "utf-8-sig")
    assert utf8.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(utf8.decode("utf-8-sig"))))[1][0] == "'=冬のクーポン髙"  # no formula
    sjis = encode_rows([*rows, ["𠮷"]], "cp932").decode("cp932")
    assert "未配布" in sjis and "髙" in sjis and "〓" in sjis  # a character CP932 lacks does not fail the file


def test_archived_codes_leave_the_pool_and_cannot_be_redeemed(svc: CouponService) -> None:
    coupon_id = _pool(svc)
    svc.import_codes(WS, coupon_id, "ARC00001\nARC00002\nARC00003")
    given = svc.code_for(WS, coupon_id, "s_1")
    free = next(c for c in ("ARC00001", "ARC00002", "ARC00003") if c != given)
    with pytest.raises(ValidationFailed, match="このクーポンのコードではありません"):
        svc.archive_codes(WS, coupon_id, [free, "NOPE0000"])
    result = svc.archive_codes(WS, coupon_id, [free.lower(), given])
    assert result["archived"] == 2
    assert result["coupon"]["stats"]["pool_size"] == 2 and result["coupon"]["stats"]["available"] == 1
    assert free not in CouponRepository().free_codes(WS, coupon_id, 10)
    with pytest.raises(ValidationFailed, match="無効化されています"):
        svc.redeem(WS, given)
    assert svc.code_for(WS, coupon_id, "s_1") == given  # the friend still holds their code
    assert svc.code_for(WS, coupon_id, "s_2") not in {free, given}


def test_undo_a_redemption_restores_counters_code_and_friend_limit(svc: CouponService) -> None:
    coupon_id = _pool(svc)
    svc.import_codes(WS, coupon_id, "UND00001")
    code = svc.code_for(WS, coupon_id, "s_1")
    done = svc.redeem(WS, code, actor="operator:op_1")
    assert done["coupon"]["stats"]["redeemed"] == 1
    view = svc.undo_redemption(WS, coupon_id, done["redemption_id"], actor="operator:op_2")
    assert view["stats"]["redeemed"] == 0
    [row] = svc.redemptions(WS, coupon_id)
    assert row["undone_by"] == "operator:op_2" and row["undone_at"]
    with pytest.raises(Conflict, match="取り消し済み"):
        svc.undo_redemption(WS, coupon_id, done["redemption_id"], actor="operator:op_2")
    with pytest.raises(NotFound):
        svc.undo_redemption(WS, coupon_id, "cpr_nope", actor="x")
    again = svc.redeem(WS, code)  # usable again, within the friend's limit of 1
    assert again["coupon"]["stats"]["redeemed"] == 1 and again["subscriber_id"] == "s_1"


def test_a_stripe_redemption_cannot_be_undone(svc: CouponService) -> None:
    coupon = svc.create(WS, CouponIn(name="共通", discount_type="amount", discount_value=100, mode="shared",
                                     shared_code="SHARE100", stripe=False))
    svc.repository.link_stripe(coupon, "promo_1")
    assert svc.redeem_checkout(WS, {"promotion_codes": ["promo_1"], "checkout_session_id": "cs_1", "amount": 900}) == 1
    with pytest.raises(ValidationFailed, match="Stripe"):
        svc.undo_redemption(WS, coupon.coupon_id, "stripe-cs_1", actor="x")


def test_generate_large_batches_stay_unique(svc: CouponService) -> None:
    coupon_id = _pool(svc)
    assert svc.generate_codes(WS, coupon_id, GenerateIn(count=300))["added"] == 300
    assert int(svc.get(WS, coupon_id).pool_size) == 300
