"""Templates cannot allocate without bound or run forever: the sandbox caps strings, numbers, output, loops and
calls, and a template that would go over a cap whatever the data is refused when it is saved, at its field."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from haishin.errors import ValidationFailed
from haishin.render import Renderer, RenderError, variables_for
from haishin.scenarios.models import parse_scenario

TOO_COSTLY = [
    "{{ 'a' * 200000 }}",
    "{{ 2 ** 5000 }}",
    "{% for i in range(50000) %}{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(18) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{% for i in range(400) %}{% for j in range(400) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(17) }}",
    "{{ '%200000d' % 1 }}",
    "{{ '{:>200000}'.format('a') }}",
    "{{ 'a'|center(200000) }}",
    "{{ 'a'.ljust(200000) }}",
    "{{ 'xx'|replace('', 'y' * 60000) }}",
    "{{ range(5000)|join('a' * 50) }}",
    "{% set big %}{% for i in range(9000) %}{{ 'a' * 99000 }}{% endfor %}{% endset %}",
]


@pytest.mark.parametrize("source", TOO_COSTLY)
def test_a_template_over_a_cap_is_refused_when_saved(source: str) -> None:
    with pytest.raises(RenderError) as caught:
        Renderer().check(source, where="steps[0].line[0].text")
    assert caught.value.where == "steps[0].line[0].text"
    assert "テンプレート" in caught.value.message or "range" in caught.value.message


def test_mutating_a_list_is_refused_when_saved() -> None:
    with pytest.raises(RenderError) as caught:
        Renderer().check("{% set l = [1] %}{% for i in range(30) %}{{ l.extend(l) }}{% endfor %}", where="w")
    assert "使えない操作" in caught.value.message


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ name }}さん、{{ 3 * 4 }} {{ 2 ** 10 }} {{ 'ab' * 3 }}", "花子さん、12 1024 ababab"),
    ("{{ '%05d' % 42 }} {{ 'x'|center(5) }} {{ [1, 2]|join('-') }} {{ '{:>3}'.format('a') }}", "00042   x   1-2   a"),
    ("{% for t in tags %}{{ loop.index }}:{{ t }} {% endfor %}", "1:VIP 2:常連 "),
    ("{% set ns = namespace(s='') %}{% for i in range(5) %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.s }}", "01234"),
    ("{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(1) }}{{ m(2) }}", "<1><2>"),
    ("{{ fields.city | default('東京') }}", "東京"),
])
def test_ordinary_templates_render_as_before(source: str, expected: str) -> None:
    renderer = Renderer()
    renderer.check(source, where="w")
    friend = type("Friend", (), {"display_name": "花子", "tags": {"VIP", "常連"}, "fields": {}})()
    assert renderer.text(source, variables_for(friend), where="w") == expected


def test_html_output_is_still_escaped_and_literal_html_kept() -> None:
    out = Renderer().text("<p>{{ name }}</p>", {"name": "<b>x</b>"}, where="w", html=True)
    assert out == "<p>&lt;b&gt;x&lt;/b&gt;</p>"


def test_a_data_dependent_blow_up_fails_the_render_not_the_process() -> None:
    source = "{{ 'a' * fields.n }}"
    Renderer().check(source, where="w")  # the data is not known at save time
    with pytest.raises(RenderError) as caught:
        Renderer().text(source, {"fields": {"n": 200_000}}, where="step 1")
    assert caught.value.where == "step 1" and "長すぎます" in caught.value.message


def test_a_scenario_with_a_costly_template_is_refused_at_the_step_field() -> None:
    raw = {"name": "x", "steps": [{"line": [{"type": "text", "text": "ok"}]},
                                  {"line": [{"type": "text", "text": "{{ 'ha' * 10**6 }}"}]}]}
    with pytest.raises(ValidationFailed) as caught:
        parse_scenario(raw)
    assert caught.value.where == "steps[1].line[0].text"
    assert "長すぎます" in caught.value.message


HUGE = [
    "{{ 'a' * 10**9 }}", "{{ 'a' * 1000000000 }}", "{{ 9 ** (9 ** 9) }}", "{{ [0] * 10**9 }}",
    "{% for i in range(10**9) %}x{% endfor %}", "{{ 'a'|center(1000000000) }}", "{{ '%999999999d' % 1 }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
]


def test_huge_allocations_are_refused_at_save_without_allocating() -> None:
    # In a child process with a 2 GiB address-space limit and a watchdog: unbounded, these templates fold or run
    # at compile time and either exhaust memory or run for years. Neither limit is a timing assertion.
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from haishin.render import Renderer, RenderError\n"
        f"for source in {HUGE!r}:\n"
        "    try:\n"
        "        Renderer().check(source, where='w')\n"
        "        print('saved')\n"
        "    except RenderError as exc:\n"
        "        print('refused' if 'テンプレート' in exc.message or 'range' in exc.message else exc.message)\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                              env=os.environ.copy(), check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("saving a template that computes a huge number did not finish")
    assert done.stdout.split() == ["refused"] * len(HUGE), done.stderr[-2000:]


def test_numbers_in_the_text_of_a_format_are_not_widths() -> None:
    source = "{{ '賞金 1000000 円: %s さん' % name }} {{ '{} さん 1000000 pt'.format(name) }}"
    Renderer().check(source, where="w")
    assert Renderer().text(source, {"name": "花子"}, where="w") == "賞金 1000000 円: 花子 さん 花子 さん 1000000 pt"
