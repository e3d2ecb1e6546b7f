"""THE template renderer: every message text a friend sees (scenario steps, broadcasts, auto-replies) renders here.

- jinja2 sandbox: marketers write templates, so templates never reach Python internals, never mutate lists or
  dicts (``ImmutableSandboxedEnvironment``), and never allocate without bound (``BoundedSandbox``): every string,
  list or number a template makes is capped (``MAX_STRING`` characters, ``MAX_INT_BITS`` bits), a render may write
  at most ``MAX_OUTPUT`` characters (output, ``{% set %}`` blocks and macros alike) and take at most ``MAX_STEPS``
  loop iterations and calls, and ``range`` stops at ``MAX_RANGE``. Over a cap the render stops with
  ``TemplateTooCostly``; ``check`` (at save) also renders the template once with placeholder data, so a template
  that would exceed a cap whatever the friend's data (``{{ 'a' * 10**9 }}``, ``{{ 9**9**9 }}``) is refused when
  saved, with the reason at the field.
- ``StrictUndefined``: a misspelt variable is an error naming the template (``where``) and the variable, never a
  silent empty string in a customer's message. Optional data is written ``{{ fields.city | default("") }}``.
- Compiled templates are cached by source text (LRU), so a worker rendering the same step for many friends compiles
  it once per container.
- LINE message JSON is rendered leaf by leaf: every string value is a template, numbers/bools/keys stay as they are,
  so a flex message or a template-buttons message cannot be broken into invalid JSON by a variable's value.

Variables (``variables_for``): ``name`` (display name), ``display_name``, ``subscriber_id``, ``email``, ``phone``,
``fields`` (dict), ``tags`` (sorted list), ``unsubscribe_url``, ``now`` (aware datetime in the workspace zone), plus
anything the caller adds (e.g. ``scenario``, ``step``, ``broadcast``).
"""

from __future__ import annotations

import contextvars
import functools
import re
import string
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from haishin.errors import ValidationFailed

_CACHE_SIZE = 512


class RenderError(ValidationFailed):
    """A template could not be compiled or rendered; ``where`` names the step/message and ``message`` the cause."""

    code = "render_failed"


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


class Renderer:
    def __init__(self, cache_size: int = _CACHE_SIZE) -> None:
        self._env = BoundedSandbox(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            keep_trailing_newline=True,
        )
        self._html_env = BoundedSandbox(
            undefined=jinja2.StrictUndefined,
            autoescape=True,
            finalize=_finalize,
            keep_trailing_newline=True,
        )
        # Save-time trial renders: unknown variables are forgiven (the data is not known yet), the caps are not.
        self._probe_envs = {autoescape: BoundedSandbox(undefined=jinja2.ChainableUndefined, autoescape=autoescape,
                                                       finalize=_finalize, keep_trailing_newline=True)
                            for autoescape in (False, True)}
        self._cache: OrderedDict[tuple[bool, str], jinja2.Template] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.compiled = 0  # how many compilations happened (tests and benchmarks look at it)

    # ------------------------------------------------------------------ compile
    def compile(self, source: str, *, where: str, html: bool = False) -> jinja2.Template:
        key = (html, source)
        with self._lock:
            template = self._cache.get(key)
            if template is not None:
                self._cache.move_to_end(key)
                return template
        env = self._html_env if html else self._env
        try:
            template = env.from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"template syntax error on line {exc.lineno}: {exc.message}", where=where) from exc
        with self._lock:
            self.compiled += 1
            self._cache[key] = template
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return template

    def check(self, source: str, *, where: str, html: bool = False) -> None:
        """Validation when a template is saved: it compiles, and one render with placeholder data stays within the
        sandbox's caps (a template that would hang or exhaust memory whatever the data is refused now)."""
        self.compile(source, where=where, html=html)
        if "{" not in source:
            return
        try:
            template = self._probe_envs[html].from_string(source)
            template.render(variables_for(None, unsubscribe_url="https://example.invalid/u"))
        except TemplateTooCostly as exc:
            raise RenderError(str(exc), where=where) from exc
        except jinja2.exceptions.SecurityError as exc:
            raise RenderError(f"テンプレートでは使えない操作です: {exc}", where=where) from exc
        except Exception:  # noqa: S110 - data-dependent failures are the render's business, not the save's
            pass

    # ------------------------------------------------------------------ render
    def text(self, source: str, variables: Mapping[str, Any], *, where: str, html: bool = False) -> str:
        if "{" not in source:  # fast path: plain text needs no template
            return source
        template = self.compile(source, where=where, html=html)
        try:
            return template.render(variables)
        except jinja2.UndefinedError as exc:
            raise RenderError(f"unknown variable: {exc.message}", where=where) from exc
        except TemplateTooCostly as exc:
            raise RenderError(str(exc), where=where) from exc
        except RecursionError as exc:
            raise RenderError("テンプレートの呼び出しが深すぎます (マクロの再帰など)", where=where) from exc
        except jinja2.exceptions.SecurityError as exc:
            raise RenderError(f"not allowed in a template: {exc}", where=where) from exc
        except jinja2.TemplateError as exc:
            raise RenderError(f"template error: {exc}", where=where) from exc
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise RenderError(f"template error: {type(exc).__name__}: {exc}", where=where) from exc

    def json(self, value: Any, variables: Mapping[str, Any], *, where: str) -> Any:
        """Render every string leaf of a JSON value (a LINE message, a flex container)."""
        if isinstance(value, str):
            return self.text(value, variables, where=where)
        if isinstance(value, list):
            return [self.json(item, variables, where=f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self.json(item, variables, where=f"{where}.{key}") for key, item in value.items()}
        return value

    def line_messages(self, messages: list[dict[str, Any]], variables: Mapping[str, Any], *, where: str
                      ) -> list[dict[str, Any]]:
        return [self.json(message, variables, where=f"{where}[{i}]") for i, message in enumerate(messages)]

    def email(self, subject: str, html: str | None, text: str | None, variables: Mapping[str, Any], *, where: str
              ) -> dict[str, str | None]:
        return {
            "subject": self.text(subject, variables, where=f"{where}.subject").strip(),
            "html": self.text(html, variables, where=f"{where}.html", html=True) if html else None,
            "text": self.text(text, variables, where=f"{where}.text") if text else None,
        }

    def sms(self, text: str, variables: Mapping[str, Any], *, where: str) -> str:
        return self.text(text, variables, where=f"{where}.text")


def is_personalised(value: Any) -> bool:
    """True when any string leaf is a template (then each recipient needs their own render: push, not multicast)."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(is_personalised(item) for item in value)
    if isinstance(value, dict):
        return any(is_personalised(item) for item in value.values())
    return False


def variables_for(subscriber: Any, *, unsubscribe_url: str = "", now: datetime | None = None,
                  **extra: Any) -> dict[str, Any]:
    """The variables a template sees for one subscriber (a SubscriberModel or anything with the same attributes)."""
    name = getattr(subscriber, "display_name", None) or ""
    variables: dict[str, Any] = {
        "name": name,
        "display_name": name,
        "subscriber_id": getattr(subscriber, "subscriber_id", ""),
        "email": getattr(subscriber, "email", None) or "",
        "phone": getattr(subscriber, "phone", None) or "",
        "fields": dict(getattr(subscriber, "fields", None) or {}),
        "tags": sorted(getattr(subscriber, "tags", None) or set()),
        "unsubscribe_url": unsubscribe_url,
        "now": now,
    }
    variables.update(extra)
    return variables


_default: Renderer | None = None
_default_lock = threading.Lock()


def renderer() -> Renderer:
    """The process-wide renderer (its cache is shared by every caller in the container)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Renderer()
    return _default
