"""The jinja2 sandbox behind ``haishin.render`` (see its docstring for the rules): caps on strings, numbers, output,
steps and ranges, and the three kinds of environment the renderer uses. Imported by ``Renderer.sandbox`` on the
first template compiled, so jinja2 stays off every import path that only carries text.
"""

from __future__ import annotations

import contextvars
import functools
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer


def _finalize(value: Any) -> Any:
    return "" if value is None else value


# ---------------------------------------------------------------------------------------------- bounded sandbox
MAX_STRING = 100_000  # characters (or items) in any one string, list or dict a template makes
MAX_OUTPUT = 1_000_000  # characters one render may write in total
MAX_STEPS = 100_000  # loop iterations plus calls in one render
MAX_RANGE = 10_000  # items of range(...)
MAX_INT_BITS = 4096  # about 1,200 decimal digits
_WIDTH = re.compile(r"\d+")
_PERCENT = re.compile(r"%[-+ #0]*(\d+)?(?:\.(\d+))?")


class TemplateTooCostly(jinja2.exceptions.SecurityError):
    """A template went over one of the sandbox's caps (the message is for marketers, in Japanese)."""


@dataclass
class _Budget:
    steps: int = 0
    output: int = 0


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("haishin_render_budget", default=None)


def _current_budget() -> _Budget:
    budget = _budget.get()
    if budget is None:  # a render outside BoundedTemplate.render (e.g. generate()): one budget for this context
        budget = _Budget()
        _budget.set(budget)
    return budget


def _step(count: int = 1) -> None:
    budget = _current_budget()
    budget.steps += count
    if budget.steps > MAX_STEPS:
        raise TemplateTooCostly(f"テンプレートの繰り返しや呼び出しが多すぎます (1 回の表示で {MAX_STEPS:,} 回まで)")


def _sized(value: Any) -> Any:
    """``value`` unchanged when it is within the caps."""
    if isinstance(value, str | list | tuple | dict | set | frozenset) and len(value) > MAX_STRING:
        raise TemplateTooCostly(f"テンプレートが作る文字列や一覧が長すぎます ({MAX_STRING:,} 文字まで)")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateTooCostly("テンプレートの計算結果の数が大きすぎます")
    return value


def _too_long(length: int) -> None:
    if length > MAX_STRING:
        raise TemplateTooCostly(f"テンプレートが作る文字列や一覧が長すぎます ({MAX_STRING:,} 文字まで)")


def _check_format(text: str, args: Iterable[Any], *, braces: bool = False) -> None:
    """``'%9999999d' % x``, ``'{:>9999999}'.format(x)``, ``'%*d' % (10**9, 1)``: widths are capped too (numbers in
    the literal text are not widths)."""
    if braces:
        try:
            specs = [spec or "" for _, _, spec, _ in string.Formatter().parse(text)]
        except ValueError:
            specs = []
        widths = [int(digits) for spec in specs for digits in _WIDTH.findall(spec)]
    else:
        widths = [int(digits) for match in _PERCENT.finditer(text) for digits in match.groups() if digits]
    if any(width > MAX_STRING for width in widths):
        _too_long(max(widths))
    if any(isinstance(arg, int) and not isinstance(arg, bool) and arg > MAX_STRING for arg in args):
        _too_long(MAX_STRING + 1)


def _args_of(value: Any) -> tuple[Any, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, Mapping):
        return tuple(value.values())
    return (value,)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    sequence = (str, list, tuple)
    if operator == "*":
        if isinstance(left, sequence) and isinstance(right, int):
            _too_long(len(left) * max(right, 0))
        elif isinstance(right, sequence) and isinstance(left, int):
            _too_long(len(right) * max(left, 0))
        elif isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            _sized(1 << (MAX_INT_BITS + 1))
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 \
                and left.bit_length() * right > MAX_INT_BITS:
            _sized(1 << (MAX_INT_BITS + 1))
    elif operator == "+":
        if isinstance(left, sequence) and isinstance(right, sequence):
            _too_long(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        _check_format(left, _args_of(right))


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Checks before a call whose result could be far larger than its inputs (str methods with widths, replace,
    join, format); returns the positional arguments to use (an iterable given to join is read once, here)."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    template_text = getattr(getattr(obj, "__wrapped__", None), "__self__", None)
    if name in ("format", "format_map") and isinstance(template_text, str):
        values = [*args, *kwargs.values()]
        if name == "format_map" and args and isinstance(args[0], Mapping):
            values = list(args[0].values())
        _check_format(template_text, values, braces=True)
    if not isinstance(owner, str):
        return args
    numbers = [a for a in [*args, *kwargs.values()] if isinstance(a, int) and not isinstance(a, bool)]
    if name in ("center", "ljust", "rjust", "zfill") and any(n > MAX_STRING for n in numbers):
        _too_long(max(numbers))
    if name == "expandtabs" and numbers:
        _too_long(len(owner) * max(numbers[0], 1))
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        hits = owner.count(args[0]) if args[0] else len(owner) + 1
        _too_long(len(owner) + hits * len(args[1]))
    if name == "join" and args:
        items = list(args[0]) if not isinstance(args[0], str) else args[0]
        _too_long(len(items) * len(owner) + sum(len(i) for i in items if isinstance(i, str)))
        return (items, *args[1:])
    return args


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter with the same caps: width-like arguments checked before, the result checked after."""
    passes = getattr(func, "jinja_pass_arg", None) is not None

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value_at = 1 if passes else 0
        value = args[value_at] if len(args) > value_at else None
        rest = [*args[value_at + 1:], *kwargs.values()]
        numbers = [a for a in rest if isinstance(a, int) and not isinstance(a, bool)]
        if name in ("center", "indent", "batch", "slice") and any(n > MAX_STRING for n in numbers):
            _too_long(max(numbers))
        if name == "format" and isinstance(value, str):
            _check_format(value, rest)
        if name == "replace" and isinstance(value, str) and len(rest) >= 2 and isinstance(rest[1], str):
            old = str(rest[0])
            _too_long(len(value) + (value.count(old) if old else len(value) + 1) * len(rest[1]))
        if name == "join" and value is not None and not isinstance(value, str):
            items = list(value)
            separator = rest[0] if rest and isinstance(rest[0], str) else ""
            _too_long(len(items) * len(separator) + sum(len(i) for i in items if isinstance(i, str)))
            args = (*args[:value_at], items, *args[value_at + 1:])
        return _sized(func(*args, **kwargs))

    return bounded


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateTooCostly(f"range の範囲が大きすぎます ({MAX_RANGE:,} 個まで)")
    return numbers


@jinja2.pass_context
def _loop_items(context: Any, iterable: Any) -> Iterator[Any]:
    """Wraps every ``{% for %}``'s iterable: each item is a step."""
    for item in iterable:
        _step()
        yield item


@jinja2.pass_context
def _emitted(context: Any, value: Any) -> Any:
    """Wraps every piece of output: what a render writes (anywhere) is charged against ``MAX_OUTPUT``."""
    if not isinstance(value, jinja2.Undefined):
        budget = _current_budget()
        budget.output += len(value) if isinstance(value, str) else len(str(value))
        if budget.output > MAX_OUTPUT:
            raise TemplateTooCostly(f"テンプレートの出力が長すぎます ({MAX_OUTPUT:,} 文字まで)")
    return value


@jinja2.pass_context
def _concatenated(context: Any, value: Any) -> Any:
    return _sized(value)


class _Instrument(NodeTransformer):
    """Rewrites a parsed template so loops, output and ``~`` go through the budget filters above."""

    @staticmethod
    def _filter(node: nodes.Node, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = self._filter(node.iter, "_haishin_loop")
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [
            self._filter(nodes.MarkSafeIfAutoescape(child, lineno=child.lineno)
                         if isinstance(child, nodes.TemplateData) else child, "_haishin_emit")
            for child in node.nodes
        ]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._filter(node, "_haishin_concat")


class BoundedTemplate(jinja2.Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _budget.set(_Budget())
        try:
            return _sized_output(super().render(*args, **kwargs))
        finally:
            _budget.reset(token)


def _sized_output(text: str) -> str:
    if len(text) > MAX_OUTPUT:
        raise TemplateTooCostly(f"テンプレートの出力が長すぎます ({MAX_OUTPUT:,} 文字まで)")
    return text


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox every marketer template runs in (see the module docstring for the caps)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    template_class = BoundedTemplate

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["range"] = _bounded_range
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}
        self.filters.update(_haishin_loop=_loop_items, _haishin_emit=_emitted, _haishin_concat=_concatenated)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        instrumented: nodes.Template = _Instrument().visit(tree)
        return instrumented

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        args = _check_call(__obj, args, kwargs)
        return _sized(super().call(__context, __obj, *args, **kwargs))


class Environments:
    """The renderer's environments: ``text`` (no escaping), ``html`` (autoescape), and ``probes`` (save-time trial
    renders, keyed by autoescape: unknown variables are forgiven there, the caps are not). ``jinja2`` and
    ``TemplateTooCostly`` are here too, for the renderer's ``except`` clauses."""

    jinja2 = jinja2
    TemplateTooCostly = TemplateTooCostly

    def __init__(self) -> None:
        self.text = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False, finalize=_finalize,
                                   keep_trailing_newline=True)
        self.html = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=True, finalize=_finalize,
                                   keep_trailing_newline=True)
        self.probes = {autoescape: BoundedSandbox(undefined=jinja2.ChainableUndefined, autoescape=autoescape,
                                                  finalize=_finalize, keep_trailing_newline=True)
                       for autoescape in (False, True)}
