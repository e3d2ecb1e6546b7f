"""The admin API's one reader of ``Idempotency-Key`` (chat, enrolment, refunds)."""

from __future__ import annotations

import pytest

from haishin.api.bodies import idempotency_key
from haishin.errors import ValidationFailed


def test_the_key_is_read_in_any_case_and_absent_is_none() -> None:
    assert idempotency_key({"Idempotency-Key": "refund-1"}) == "refund-1"
    assert idempotency_key({"idempotency-key": "k" * 100}) == "k" * 100
    assert idempotency_key({"content-type": "application/json"}) is None
    assert idempotency_key(None) is None


@pytest.mark.parametrize("bad", ["", "k" * 101, "返金", "a\nb"])
def test_a_key_that_is_not_1_to_100_printable_ascii_is_refused_at_the_header(bad: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        idempotency_key({"idempotency-key": bad})
    assert refused.value.where == "Idempotency-Key" and "100 文字以内" in refused.value.message
