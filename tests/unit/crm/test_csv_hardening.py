"""CSV hardening: formula cells are neutralised in every export and restored on import; mojibake is refused."""

from __future__ import annotations

import csv
import io

import pytest

from haishin.auth.caller import Caller
from haishin.auth.permissions import ROLE_PERMISSIONS, Role
from haishin.csvio import cells
from haishin.csvio.exporter import Exporter
from haishin.csvio.importer import ImportOptions, import_rows
from haishin.csvio.jobs import ImportJobModel, error_report
from haishin.errors import ValidationFailed
from haishin.segments.model import EVERYONE
from haishin.subscribers.models import SubscriberModel
from haishin.subscribers.repository import SubscriberRepository
from haishin.wiring import services
from tests.unit.crm.conftest import WS, setup_workspace

OWNER = Caller("op1", "o@example.jp", WS, Role.OWNER, ROLE_PERMISSIONS[Role.OWNER])
DANGEROUS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+81 90", "-3", "@SUM(A1)", "\tcmd", "\rcmd",
             "'=already quoted", "''+twice", "plain", "a=b"]
CLEAN = (
    "メールアドレス,名前,プラン,タグ\r\n"
    "taro@example.jp,髙橋①　ｶﾀｶﾅ,松,\"VIP,常連\"\r\n"
    "hanako@example.jp,佐藤 花子 (さとう・はなこ),竹,常連\r\n"
    "jiro@example.jp,ジョン・スミス,梅,\r\n"
)


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_and_unneutralise_are_inverse(value: str) -> None:
    written = cells.neutralise(value)
    assert not written.startswith(cells.FORMULA_TRIGGERS)
    assert cells.unneutralise(written) == value


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_export_neutralises_formula_cells_and_import_restores_them(crm, encoding: str) -> None:
    seed = io.StringIO()
    writer = csv.writer(seed, lineterminator="\r\n")
    writer.writerow(["メールアドレス", "名前"])
    writer.writerows(cells.neutralise_row([f"m{i}@example.jp", v]) for i, v in enumerate(DANGEROUS))
    job = import_rows(services().imports, WS, seed.getvalue().encode("utf-8-sig"), ImportOptions())
    assert job["created"] == len(DANGEROUS), error_report(WS, job["import_id"])
    repo = SubscriberRepository()
    for i, value in enumerate(DANGEROUS):
        friend = repo.find_by_email(WS, f"m{i}@example.jp")
        assert friend is not None and friend.fields["name"] == value

    out = io.BytesIO()
    Exporter().write(WS, EVERYONE, out, caller=OWNER, columns=["email", "field:name"], encoding=encoding)
    exported = list(csv.reader(io.StringIO(out.getvalue().decode(encoding), newline="")))
    for _, name in exported[1:]:
        assert not name.startswith(cells.FORMULA_TRIGGERS), name  # a spreadsheet shows text, never a formula
    assert {"'=HYPERLINK(\"http://evil.example\",\"x\")", "'-3", "'@SUM(A1)", "'\tcmd", "''=already quoted"
            } <= {name for _, name in exported[1:]}

    setup_workspace("ws_copy")
    again = import_rows(services().imports, "ws_copy", out.getvalue(), ImportOptions())
    assert again["created"] == len(DANGEROUS), error_report("ws_copy", again["import_id"])
    for i, value in enumerate(DANGEROUS):
        copy = repo.find_by_email("ws_copy", f"m{i}@example.jp")
        assert copy is not None and copy.fields["name"] == value  # lossless round trip


def test_export_neutralises_a_formula_in_a_field_label(crm) -> None:
    from haishin.fields.models import FieldDefinition, FieldType  # noqa: PLC0415
    from haishin.fields.repository import FieldRepository  # noqa: PLC0415

    FieldRepository().create(WS, FieldDefinition(key="evil", label="=cmd|' /C calc'!A0", type=FieldType.TEXT))
    import_rows(services().imports, WS, "メールアドレス,=cmd|' /C calc'!A0\r\ne@example.jp,x\r\n".encode("utf-8-sig"), ImportOptions())
    out = io.BytesIO()
    Exporter().write(WS, EVERYONE, out, caller=OWNER, columns=["email", "field:evil"])
    header = next(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert header == ["メールアドレス", "'=cmd|' /C calc'!A0"]
    setup_workspace("ws_copy")
    FieldRepository().create("ws_copy", FieldDefinition(key="evil", label="=cmd|' /C calc'!A0", type=FieldType.TEXT))
    import_rows(services().imports, "ws_copy", out.getvalue(), ImportOptions())
    copy = SubscriberRepository().find_by_email("ws_copy", "e@example.jp")
    assert copy is not None and copy.fields["evil"] == "x"  # the neutralised header still maps to its field


# ------------------------------------------------------------------------------------------------ mojibake
def _utf8_opened_as_cp932(text: str) -> str:
    """What Excel shows for a UTF-8 file it opened as Shift_JIS (undecodable bytes become ・)."""
    return text.encode("utf-8").decode("cp932", errors="replace").replace("\ufffd", "・")


def _nothing_imported() -> None:
    assert list(SubscriberModel.scan()) == []
    assert [j for j in ImportJobModel.scan() if j.sk.startswith("import#")] == []


@pytest.mark.parametrize("saved_as", ["utf-8-sig", "cp932"])
def test_a_utf8_file_opened_as_shift_jis_and_saved_again_is_refused(crm, saved_as: str) -> None:
    broken = _utf8_opened_as_cp932(CLEAN)
    with pytest.raises(ValidationFailed) as raised:
        import_rows(services().imports, WS, broken.encode(saved_as), ImportOptions())
    assert raised.value.where == "line 1"
    assert "文字化け" in raised.value.message and "UTF-8 のファイルを Shift_JIS として開いて保存" in raised.value.message
    assert raised.value.details["line"] == 1
    _nothing_imported()


def test_one_mangled_cell_is_reported_with_its_line_and_column(crm) -> None:
    lines = CLEAN.split("\r\n")
    lines[2] = lines[2].replace("佐藤 花子", _utf8_opened_as_cp932("佐藤 花子"))
    with pytest.raises(ValidationFailed) as raised:
        import_rows(services().imports, WS, "\r\n".join(lines).encode("utf-8-sig"), ImportOptions())
    assert raised.value.where == "line 3"
    assert raised.value.details["column"] == "名前"
    assert "3 行目「名前」列" in raised.value.message
    _nothing_imported()


@pytest.mark.parametrize("latin", ["cp1252", "latin-1"])
def test_a_shift_jis_file_opened_as_latin_and_saved_as_utf8_is_refused(crm, latin: str) -> None:
    broken = CLEAN.encode("cp932").decode(latin, errors="ignore")
    with pytest.raises(ValidationFailed) as raised:
        import_rows(services().imports, WS, broken.encode("utf-8-sig"), ImportOptions())
    assert "Shift_JIS のファイルを欧文の文字コード" in raised.value.message
    _nothing_imported()


def test_a_shift_jis_file_opened_as_utf8_and_saved_is_refused(crm) -> None:
    broken = CLEAN.encode("cp932").decode("utf-8", errors="replace")
    with pytest.raises(ValidationFailed) as raised:
        import_rows(services().imports, WS, broken.encode("utf-8-sig"), ImportOptions())
    assert "文字化け" in raised.value.message and raised.value.where == "line 1"
    _nothing_imported()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_clean_japanese_files_are_not_mistaken_for_mojibake(crm, encoding: str) -> None:
    job = import_rows(services().imports, WS, CLEAN.encode(encoding), ImportOptions())
    assert (job["created"], job["errors"]) == (3, 0)
    friend = SubscriberRepository().find_by_email(WS, "hanako@example.jp")
    assert friend is not None and friend.fields["name"] == "佐藤 花子 (さとう・はなこ)"
