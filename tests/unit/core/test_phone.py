"""Phone numbers to E.164: the one form stored, matched and sent to SMS."""

from __future__ import annotations

import pytest

from haishin.forms.inputs import FormField, typed_value, validate
from haishin.phone import to_e164
from haishin.subscribers.repository import normalise_phone


@pytest.mark.parametrize(("typed", "e164"), [
    ("090-1234-5678", "+819012345678"),
    ("03-1234-5678", "+81312345678"),
    ("０９０－１２３４－５６７８", "+819012345678"),
    ("０９０（１２３４）５６７８", "+819012345678"),
    ("(03) 1234 5678", "+81312345678"),
    ("0120-123-456", "+81120123456"),
    ("+819012345678", "+819012345678"),
    ("+81 90-1234-5678", "+819012345678"),
    ("+81 (0)90 1234 5678", "+819012345678"),
    ("+1 415 555 2671", "+14155552671"),
])
def test_numbers_become_e164(typed: str, e164: str) -> None:
    assert to_e164(typed) == e164


@pytest.mark.parametrize("typed", ["", "abc", "12345", "9012345678", "090-1234-56789", "+81 12", "090-1234-567a",
                                   "+0123456789", "+1234567890123456"])
def test_non_numbers_are_refused(typed: str) -> None:
    assert to_e164(typed) is None


def test_national_and_international_forms_are_one_alias() -> None:
    assert normalise_phone("090-1234-5678") == normalise_phone("+81 90 1234 5678") == "+819012345678"


PHONE = FormField.model_validate({"key": "tel", "label": "電話", "type": "phone"})


def test_form_keeps_plus81_and_stores_e164() -> None:
    values, errors = validate([PHONE], {"tel": ["+819012345678"]})
    assert errors == {}
    assert typed_value(PHONE, values["tel"]) == "+819012345678"
    values, errors = validate([PHONE], {"tel": ["090-1234-5678"]})
    assert errors == {} and typed_value(PHONE, values["tel"]) == "+819012345678"


def test_form_reports_a_bad_number_in_japanese_at_the_field() -> None:
    _, errors = validate([PHONE], {"tel": ["12-34"]})
    assert "電話番号" in errors["tel"]
