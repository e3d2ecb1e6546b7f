"""Form answers CSV: every cell (labels too) is neutralised against spreadsheet formulas, reversibly."""

from __future__ import annotations

import csv
import io

import pytest
from forms_env import WS, Env

from haishin.csvio.cells import unneutralise_row
from haishin.errors import ValidationFailed
from haishin.forms.inputs import FormDefinition

DEFINITION = {
    "name": "申込", "title": "申込",
    "fields": [{"key": "note", "label": "=1+1", "type": "text"}, {"key": "memo", "label": "メモ", "type": "text"}],
}


def test_labels_and_quoted_answers_are_neutralised_and_read_back(env: Env) -> None:
    form_id = env.service.create(WS, FormDefinition.model_validate(DEFINITION)).form_id
    assert env.service.submit(form_id, {"note": ["'=already"], "memo": ["@SUM(A1)"], "_nonce": ["n"],
                                        "website": [""]}).outcome == "thanks"
    rows = list(csv.reader(io.StringIO(env.service.answers_csv(WS, form_id).lstrip("\ufeff"))))
    assert rows[0][3:] == ["'=1+1", "メモ"]
    assert rows[1][3:] == ["''=already", "'@SUM(A1)"]
    assert unneutralise_row(rows[1][3:]) == ["'=already", "@SUM(A1)"]


def test_a_form_auto_reply_over_the_sandbox_caps_is_refused_when_saved(env: Env) -> None:
    with pytest.raises(ValidationFailed) as caught:
        env.service.create(WS, FormDefinition.model_validate({**DEFINITION, "auto_reply": "{{ 'x' * 10**6 }}"}))
    assert caught.value.where == "auto_reply" and "長すぎます" in caught.value.message
