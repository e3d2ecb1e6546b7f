"""Bad scenario files and templates explain themselves: which step, which field, what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from haishin.errors import ValidationFailed
from haishin.render import Renderer, RenderError
from haishin.scenarios.models import parse_scenario

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "scenarios" / "welcome.yaml"


def test_bad_time_names_step_and_field():
    raw = {"name": "x", "steps": [{"line": [{"type": "text", "text": "a"}]}, {"line": [{"type": "text", "text": "b"}]},
                                  {"timing": {"type": "day_at", "day": 1, "at": "25:99"},
                                   "line": [{"type": "text", "text": "c"}]}]}
    with pytest.raises(ValidationFailed) as caught:
        parse_scenario(raw)
    assert caught.value.where == "steps[2].timing.at"
    assert caught.value.message == "時刻は HH:MM で入力してください"


def test_too_many_line_messages_and_unknown_template_variable_syntax():
    raw = {"name": "x", "steps": [{"line": [{"type": "text", "text": "a"}] * 6}]}
    with pytest.raises(ValidationFailed) as caught:
        parse_scenario(raw)
    assert caught.value.where == "steps[0].line"
    raw = {"name": "x", "steps": [{"line": [{"type": "text", "text": "{{ name "}]}]}
    with pytest.raises(ValidationFailed) as caught:
        parse_scenario(raw)
    assert caught.value.where == "steps[0].line[0].text"


def test_render_error_names_the_message_and_the_variable():
    with pytest.raises(RenderError) as caught:
        Renderer().text("こんにちは {{ nmae }}", {"name": "花子"}, where="scenario s1 step hello line[0].text")
    assert caught.value.where == "scenario s1 step hello line[0].text"
    assert "nmae" in caught.value.message


def test_sandbox_refuses_python_internals():
    with pytest.raises(RenderError):
        Renderer().text("{{ name.__class__.__mro__ }}", {"name": "x"}, where="t")


def test_sample_welcome_scenario_is_valid():
    scenario = parse_scenario(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))
    assert len(scenario.steps) == 3
