"""The admin side: deleting a menu or staff member with future bookings, names instead of IDs, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from bookings_env import WS

from haishin.bookings.service import DELETED_MENU, DELETED_STAFF
from haishin.errors import Conflict

TUE = date(2026, 1, 6)


def _setup(env: Any) -> tuple[str, str]:
    menu = env.service.save_menu(WS, {"name": "カット", "duration_minutes": 60})
    staff = env.service.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "13:00"]]}})
    return menu.menu_id, staff.staff_id


def test_menu_and_staff_with_future_bookings_are_not_deleted(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, staff_id = _setup(env)
    (friend,) = friends(1)
    ten = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booked = env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=friend)
    with pytest.raises(Conflict, match="メニュー「カット」には今後の予約があります（1月6日 10:00 など）"):
        env.service.delete_menu(WS, menu_id)
    with pytest.raises(Conflict, match="担当者「佐藤」には今後の予約があります（1月6日 10:00 など）"):
        env.service.delete_staff(WS, staff_id)
    assert [m.menu_id for m in env.service.list_menus(WS)] == [menu_id]
    assert [s.staff_id for s in env.service.list_staff(WS)] == [staff_id]
    # under way still counts; once it is over both may go, and the booking keeps their names
    manual_clock.set(ten + timedelta(minutes=30))
    with pytest.raises(Conflict):
        env.service.delete_staff(WS, staff_id)
    with pytest.raises(Conflict):
        env.service.delete_menu(WS, menu_id)
    manual_clock.set(ten + timedelta(minutes=61))
    env.service.delete_menu(WS, menu_id)
    env.service.delete_staff(WS, staff_id)
    (view,) = env.service.calendar_views(WS, TUE, 1)
    assert (view["booking_id"], view["menu_name"], view["staff_name"]) == (booked.booking_id, "カット", "佐藤")
    assert view["friend_name"] == "友だち0"


def test_a_canceled_booking_does_not_block_deletion(env: Any, friends: Any) -> None:
    menu_id, staff_id = _setup(env)
    (friend,) = friends(1)
    ten = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booked = env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=friend)
    env.service.cancel(WS, booked.booking_id, by_staff=True)
    env.service.delete_menu(WS, menu_id)
    env.service.delete_staff(WS, staff_id)
    assert env.service.list_menus(WS) == [] and env.service.list_staff(WS) == []


def test_older_bookings_without_names_show_current_or_deleted(env: Any, friends: Any, manual_clock: Any) -> None:
    menu_id, _ = _setup(env)
    (friend,) = friends(1)
    ten = env.service.slots(WS, menu_id, start_date=TUE, days=1)[0].start
    booked = env.service.book(WS, {"menu_id": menu_id, "start": ten.isoformat()}, subscriber_id=friend)
    booked.update(actions=[type(booked).menu_name.remove(), type(booked).staff_name.remove()])  # made before names
    (view,) = env.service.calendar_views(WS, TUE, 1)
    assert (view["menu_name"], view["staff_name"]) == ("カット", "佐藤")
    manual_clock.set(ten + timedelta(hours=2))
    env.service.delete_menu(WS, menu_id)
    env.service.delete_staff(WS, booked.staff_id)
    (view,) = env.service.calendar_views(WS, TUE, 1)
    assert (view["menu_name"], view["staff_name"]) == (DELETED_MENU, DELETED_STAFF)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_csv_export_names_the_booking_in_the_shops_encoding(env: Any, friends: Any, encoding: str) -> None:
    menu = env.service.save_menu(WS, {"name": "=カット〜シャンプー", "duration_minutes": 60})
    env.service.save_staff(WS, {"name": "佐藤", "hours": {"tue": [["10:00", "13:00"]]}})
    one, two = friends(2)
    slots = env.service.slots(WS, menu.menu_id, start_date=TUE, days=1)
    env.service.book(WS, {"menu_id": menu.menu_id, "start": slots[0].start.isoformat()}, subscriber_id=one)
    second = env.service.book(
        WS, {"menu_id": menu.menu_id, "start": slots[1].start.isoformat()}, subscriber_id=two, booked_by="staff"
    )
    env.service.cancel(WS, second.booking_id, by_staff=True)
    data = env.service.calendar_csv(WS, TUE, 7, encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode(encoding)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["日付", "開始", "終了", "メニュー", "担当者"]
    menu_cell = "'=カット～シャンプー" if encoding == "cp932" else "'=カット〜シャンプー"  # neutralised, CP932 wave
    assert rows[1][:9] == ["2026-01-06", "10:00", "11:00", menu_cell, "佐藤", "友だち0", one, "予約中", "友だち"]
    assert rows[2][7:9] == ["キャンセル", "スタッフ"]
    assert len(rows) == 3
