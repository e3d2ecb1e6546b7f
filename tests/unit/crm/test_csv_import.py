"""CSV import: encodings, Japanese dates, empty cells, errors by line and column, round trips."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from haishin.auth.caller import Caller
from haishin.auth.permissions import ROLE_PERMISSIONS, Role
from haishin.csvio.exporter import Exporter
from haishin.csvio.importer import ImportOptions, ImportService, import_rows
from haishin.csvio.jobs import error_report, load_job
from haishin.errors import ValidationFailed
from haishin.segments.model import EVERYONE
from haishin.subscribers.repository import SubscriberRepository
from haishin.timeline.models import Timeline
from haishin.wiring import services
from tests.unit.crm.conftest import CHANNEL, WS, setup_workspace

JST = ZoneInfo("Asia/Tokyo")
HARD_NAME = "髙橋①　ｶﾀｶﾅ"  # CP932-only kanji and circled digit, half-width kana, a full-width space
CSV_TEXT = (
    "メールアドレス,名前,得点,来店日時,プラン,興味,会員,タグ\r\n"
    f"taro@example.jp,{HARD_NAME},１２,2021年1月1日(金) 11:00〜12:00,松,\"美容,旅行\",はい,\"VIP,新規\"\r\n"
    "hanako@example.jp,花子,3,2021/02/30 10:00,竹,健康,いいえ,常連\r\n"
    "jiro@example.jp,次郎,abc,1月1日 11:00,梅,,0,\r\n"
)
OWNER = Caller("op1", "o@example.jp", WS, Role.OWNER, ROLE_PERMISSIONS[Role.OWNER])
OPERATOR = Caller("op2", "p@example.jp", WS, Role.OPERATOR, ROLE_PERMISSIONS[Role.OPERATOR])


def _friend(email: str):
    found = SubscriberRepository().find_by_email(WS, email)
    assert found is not None, email
    return found


def _import(crm, data: bytes, **options):
    return import_rows(services().imports, WS, data, ImportOptions(**options))


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_shift_jis_and_utf8_bom_import_every_character_intact(crm, encoding: str) -> None:
    job = _import(crm, CSV_TEXT.encode(encoding))
    assert job["encoding"] == encoding
    assert (job["created"], job["errors"], job["processed"]) == (1, 2, 3)
    taro = _friend("taro@example.jp")
    assert taro.fields["name"] == HARD_NAME
    assert taro.fields["score"] == 12
    assert taro.fields["visit"] == "2021-01-01T02:00:00.000000+00:00"  # 11:00 JST
    assert taro.field_ends["visit"] == "2021-01-01T03:00:00.000000+00:00"
    assert taro.fields["interests"] == ["美容", "旅行"]
    assert taro.fields["member"] is True
    assert crm.tags["VIP"] in taro.tags and len(taro.tags) == 2  # 新規 created on the fly
    errors, _ = error_report(WS, job["import_id"])
    assert {(e["line"], e["column"]) for e in errors} == {(3, "来店日時"), (4, "得点")}
    assert any("2月30日" in e["reason"] for e in errors)
    assert SubscriberRepository().find_by_email(WS, "hanako@example.jp") is None  # nothing half-written
    entries, _ = Timeline().page(WS, taro.subscriber_id, subscriber=taro)
    assert [(e.kind, e.data["import_id"], e.data["line"]) for e in entries] == [("imported", job["import_id"], 2)]


def test_both_encodings_give_the_same_result(crm) -> None:
    _import(crm, CSV_TEXT.encode("cp932"))
    first = _friend("taro@example.jp")
    snapshot = (dict(first.fields), dict(first.field_ends), set(first.tags))
    _import(crm, CSV_TEXT.encode("utf-8-sig"))  # same people: updates, nothing changes
    again = _friend("taro@example.jp")
    assert (dict(again.fields), dict(again.field_ends), set(again.tags)) == snapshot


def test_a_file_neither_utf8_nor_cp932_is_refused(crm) -> None:
    with pytest.raises(ValidationFailed) as raised:
        _import(crm, "メール,名前\r\na@b.jp,x\r\n".encode() + b"\x82\xff\xfe\r\n")
    assert raised.value.where == "line 3"


def test_empty_name_keeps_existing_names_unless_told_to_clear(crm) -> None:
    _import(crm, "メールアドレス,名前,得点\r\na@example.jp,山田,5\r\n".encode("utf-8-sig"))
    _import(crm, "メールアドレス,名前,得点\r\na@example.jp,,6\r\n".encode("utf-8-sig"))
    kept = _friend("a@example.jp")
    assert kept.fields["name"] == "山田" and kept.fields["score"] == 6
    _import(crm, "メールアドレス,名前\r\na@example.jp,\r\n".encode("utf-8-sig"), empty_values="clear")
    assert "name" not in _friend("a@example.jp").fields


def test_dedupe_skip_and_line_user_ids(crm) -> None:
    uid = "U" + "a" * 32
    data = f"LINEユーザーID,メールアドレス,名前\r\n{uid},x@example.jp,一郎\r\n".encode("utf-8-sig")
    job = _import(crm, data, channel_id=CHANNEL, dedupe_by="line_user_id")
    assert job["created"] == 1
    job = _import(crm, data.replace("一郎".encode(), "二郎".encode()), channel_id=CHANNEL,
                  dedupe_by="line_user_id", on_duplicate="skip")
    assert (job["created"], job["updated"], job["skipped"]) == (0, 0, 1)
    friend = SubscriberRepository().find_by_line_user(WS, CHANNEL, uid)
    assert friend is not None and friend.fields["name"] == "一郎"
    # an email that belongs to someone else is an error on that column
    _import(crm, b"\xef\xbb\xbf" + "メールアドレス\r\nother@example.jp\r\n".encode())
    bad = f"LINEユーザーID,メールアドレス\r\n{uid},other@example.jp\r\n".encode("utf-8-sig")
    job = _import(crm, bad, channel_id=CHANNEL, dedupe_by="line_user_id")
    errors, _ = error_report(WS, job["import_id"])
    assert errors[0]["line"] == 2 and errors[0]["column"] == "メールアドレス"


def test_duplicates_within_one_file_update_the_first(crm) -> None:
    data = "メールアドレス,得点\r\nd@example.jp,1\r\nd@example.jp,2\r\n".encode("utf-8-sig")
    job = _import(crm, data)
    assert (job["created"], job["updated"]) == (1, 1)
    assert _friend("d@example.jp").fields["score"] == 2


def test_preview_is_a_dry_run_with_actions_and_errors(crm) -> None:
    service = services().imports
    job = service.upload(WS, "a.csv", CSV_TEXT.encode("cp932"), actor="op1")
    preview = service.preview(WS, job.job_id, rows=10)
    assert [r["action"] for r in preview["rows"]] == ["create", "error", "error"]
    assert preview["rows"][0]["new_tags"] == ["新規"]
    assert preview["rows"][1]["errors"][0]["column"] == "来店日時"
    assert preview["mapping"]["名前"] == "field:name"
    assert SubscriberRepository().find_by_email(WS, "taro@example.jp") is None


def test_an_interrupted_import_resumes_from_the_last_committed_line(crm) -> None:
    rows = "".join(f"r{i}@example.jp,{i}\r\n" for i in range(30))
    service = ImportService(chunk_size=10, triggers=services().scenario_service)
    job = service.upload(WS, "big.csv", ("メールアドレス,得点\r\n" + rows).encode("utf-8-sig"), actor="op1")
    first = service.run(WS, job.job_id, seconds=0)  # stops after the first chunk
    state = load_job(WS, job.job_id)
    assert first.status == "paused" and state.processed == 10 and state.last_line == 11
    service.run(WS, job.job_id)
    state = load_job(WS, job.job_id)
    assert (state.status, state.processed, state.created, state.errors) == ("completed", 30, 30, 0)
    assert _friend("r29@example.jp").fields["score"] == 29


def test_export_then_import_round_trips_every_field(crm) -> None:
    uid = "U" + "b" * 32
    source = (
        "LINEユーザーID,メールアドレス,電話番号,表示名,流入経路,名前,得点,誕生日,来店日時,プラン,興味,会員,メモ,タグ\r\n"
        f"{uid},rt@example.jp,090-1234-5678,ﾀﾛｳ,qr_shop,髙橋①,12.5,1990/02/03,2021/01/01 23:00〜01:30,松,"
        "\"美容,健康\",TRUE,メモ①,\"VIP,常連\"\r\n"
        "ー,rt2@example.jp,,,,花子,-3,3月1日,2021/05/05 10:00:30,梅,,FALSE,,\r\n"
    ).replace("ー,rt2", ",rt2")
    job = _import(crm, source.encode("utf-8-sig"), channel_id=CHANNEL)
    assert job["created"] == 2, error_report(WS, job["import_id"])
    for encoding in ("utf-8-sig", "cp932"):
        out = io.BytesIO()
        result = Exporter().write(WS, EVERYONE, out, caller=OWNER, encoding=encoding, channel_id=CHANNEL)
        assert result.rows == 2 and result.replaced == []
        other = f"ws_copy_{encoding.replace('-', '')}"
        setup_workspace(other)
        job2 = import_rows(services().imports, other, out.getvalue(), ImportOptions(channel_id=CHANNEL))
        assert job2["created"] == 2, error_report(other, job2["import_id"])
        for email in ("rt@example.jp", "rt2@example.jp"):
            a = _friend(email)
            b = SubscriberRepository().find_by_email(other, email)
            assert b is not None
            assert (b.fields, b.field_ends, b.display_name, b.phone, b.inflow_route) == (
                a.fields, a.field_ends, a.display_name, a.phone, a.inflow_route)
            assert {(k, v["user_id"]) for k, v in b.line.items()} == {(k, v["user_id"]) for k, v in a.line.items()}
            assert len(b.tags) == len(a.tags)


def test_cp932_export_replaces_and_reports_missing_characters(crm) -> None:
    _import(crm, "メールアドレス,名前\r\ne@example.jp,絵文字😀と〜\r\n".encode("utf-8-sig"))
    out = io.BytesIO()
    result = Exporter().write(WS, EVERYONE, out, caller=OWNER, columns=["email", "field:name"], encoding="cp932")
    assert out.getvalue().decode("cp932").splitlines()[1] == "e@example.jp,絵文字〓と～"
    assert result.replaced == [{"line": 2, "column": "名前", "char": "😀", "codepoint": "U+1F600"}]


def test_operator_without_line_id_permission_exports_without_the_column(crm) -> None:
    uid = "U" + "c" * 32
    _import(crm, f"LINEユーザーID,メールアドレス\r\n{uid},l@example.jp\r\n".encode("utf-8-sig"), channel_id=CHANNEL)
    out = io.BytesIO()
    result = Exporter().write(WS, EVERYONE, out, caller=OPERATOR, columns=["line_user_id", "email"])
    assert result.omitted_columns == ["line_user_id"]
    text = out.getvalue().decode("utf-8-sig")
    assert uid not in text and text.splitlines()[0] == "メールアドレス"
    out = io.BytesIO()
    Exporter().write(WS, EVERYONE, out, caller=OWNER, columns=["line_user_id", "email"])
    assert uid in out.getvalue().decode("utf-8-sig")


def test_line_id_list_export_without_header_is_one_id_per_line(crm) -> None:
    uid = "U" + "e" * 32
    _import(crm, f"LINEユーザーID,メールアドレス\r\n{uid},h@example.jp\r\n".encode("utf-8-sig"), channel_id=CHANNEL)
    out = io.BytesIO()
    result = Exporter().write(WS, EVERYONE, out, caller=OWNER, columns=["line_user_id"], encoding="cp932", header=False)
    assert result.rows == 1
    assert out.getvalue() == f"{uid}\r\n".encode()  # no header, no BOM: a LINE audience upload takes it as it is


def test_year_less_dates_use_the_next_occurrence(crm) -> None:
    # the manual clock says 2026-01-05 (JST 09:00): 1月1日 is next year, 3月1日 this year
    _import(crm, "メールアドレス,来店日時,誕生日\r\ny@example.jp,1月1日 11:00,3月1日\r\n".encode("utf-8-sig"))
    friend = _friend("y@example.jp")
    assert datetime.fromisoformat(friend.fields["visit"]) == datetime(2027, 1, 1, 11, 0, tzinfo=JST)
    assert friend.fields["birthday"] == "2026-03-01"


@pytest.mark.parametrize("name", ["subscribers_utf8_bom.csv", "subscribers_shift_jis.csv"])
def test_sample_files_import_with_their_broken_rows_reported(crm, name: str) -> None:
    data = (Path(__file__).resolve().parents[3] / "samples" / "csv" / name).read_bytes()
    job = _import(crm, data)
    assert (job["created"], job["errors"]) == (2, 3)
    errors, _ = error_report(WS, job["import_id"])
    assert {(e["line"], e["column"]) for e in errors} == {
        (4, "誕生日"), (5, "メールアドレス"), (5, "得点"), (6, "来店日時")}
    assert _friend("taro@example.jp").fields["name"] == "髙橋　太郎①"


def test_phones_are_imported_in_e164_and_bad_ones_reported_at_the_row(crm) -> None:
    data = ("メールアドレス,電話番号\r\np1@example.jp,090-1234-5678\r\np2@example.jp,０３－１２３４－５６７８\r\n"
            "p3@example.jp,+819011112222\r\np4@example.jp,12-34\r\n").encode("utf-8-sig")
    job = _import(crm, data)
    assert [_friend(f"p{i}@example.jp").phone for i in (1, 2, 3)] == ["+819012345678", "+81312345678",
                                                                      "+819011112222"]
    errors, _ = error_report(WS, job["import_id"])
    assert [(e["line"], e["column"]) for e in errors] == [(5, "電話番号")]
    assert "電話番号" in errors[0]["reason"]
    assert SubscriberRepository().find_by_phone(WS, "+81 90-1234-5678") is not None
