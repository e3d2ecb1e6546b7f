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

``coupon("cpn_...")`` hands the friend their coupon code (``coupon("cpn_...", "url")``: their signed 使う page)
(``haishin.coupons``): the broadcast planner and the
delivery worker pass the real function (one code per friend, assigned once); a test send passes a sample; anywhere
else (auto-replies, form replies) the default refuses with a clear error instead of sending a placeholder.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from haishin.errors import ValidationFailed

_CACHE_SIZE = 512


class RenderError(ValidationFailed):
    """A template could not be compiled or rendered; ``where`` names the step/message and ``message`` the cause."""

    code = "render_failed"


class Renderer:
    def __init__(self, cache_size: int = _CACHE_SIZE) -> None:
        self._sandbox: Any = None  # haishin.render_sandbox, loaded (with jinja2) by the first template compiled
        self._cache: OrderedDict[tuple[bool, str], Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.compiled = 0  # how many compilations happened (tests and benchmarks look at it)

    @property
    def sandbox(self) -> Any:
        """The jinja2 sandbox and its environments. jinja2 is the heaviest import of the render path, so it loads
        here, on the first template that needs compiling, and never for plain text (or for a handler that only
        imports this module)."""
        if self._sandbox is None:
            from haishin import render_sandbox  # noqa: PLC0415 - jinja2 only when a template is compiled

            with self._lock:
                if self._sandbox is None:
                    self._sandbox = render_sandbox.Environments()
        return self._sandbox

    # ------------------------------------------------------------------ compile
    def compile(self, source: str, *, where: str, html: bool = False) -> Any:
        key = (html, source)
        with self._lock:
            template = self._cache.get(key)
            if template is not None:
                self._cache.move_to_end(key)
                return template
        sandbox = self.sandbox
        env = sandbox.html if html else sandbox.text
        try:
            template = env.from_string(source)
        except sandbox.jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"テンプレートの書き方に誤りがあります ({exc.lineno} 行目): {exc.message}",
                              where=where) from exc
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
        sandbox = self.sandbox
        try:
            template = sandbox.probes[html].from_string(source)
            template.render(variables_for(None, unsubscribe_url="https://example.invalid/u", coupon=sample_coupon))
        except sandbox.TemplateTooCostly as exc:
            raise RenderError(str(exc), where=where) from exc
        except sandbox.jinja2.exceptions.SecurityError as exc:
            raise RenderError(f"テンプレートでは使えない操作です: {exc}", where=where) from exc
        except Exception:  # noqa: S110 - data-dependent failures are the render's business, not the save's
            pass

    # ------------------------------------------------------------------ render
    def text(self, source: str, variables: Mapping[str, Any], *, where: str, html: bool = False) -> str:
        if "{" not in source:  # fast path: plain text needs no template
            return source
        template = self.compile(source, where=where, html=html)
        sandbox = self.sandbox
        jinja2 = sandbox.jinja2
        try:
            return template.render(variables)
        except jinja2.UndefinedError as exc:
            raise RenderError(f"使えない差し込み変数です: {exc.message}", where=where) from exc
        except sandbox.TemplateTooCostly as exc:
            raise RenderError(str(exc), where=where) from exc
        except RecursionError as exc:
            raise RenderError("テンプレートの呼び出しが深すぎます (マクロの再帰など)", where=where) from exc
        except jinja2.exceptions.SecurityError as exc:
            raise RenderError(f"テンプレートでは使えない操作です: {exc}", where=where) from exc
        except jinja2.TemplateError as exc:
            raise RenderError(f"テンプレートを表示できません: {exc}", where=where) from exc
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise RenderError(f"テンプレートを表示できません: {type(exc).__name__}: {exc}", where=where) from exc

    def json(self, value: Any, variables: Mapping[str, Any], *, where: str, track: Any = None) -> Any:
        """Render every string leaf of a JSON value (a LINE message, a flex container). ``track`` (a
        ``haishin.track.service.Tracker``) rewrites the ``uri`` / ``linkUri`` of every URI action on the way: one walk
        for both, since planning a broadcast renders every friend's messages."""
        if isinstance(value, str):
            return self.text(value, variables, where=where)
        if isinstance(value, list):
            return [self.json(item, variables, where=f"{where}[{i}]", track=track) for i, item in enumerate(value)]
        if isinstance(value, dict):
            out = {key: self.json(item, variables, where=f"{where}.{key}", track=track) for key, item in value.items()}
            if track is not None and out.get("type") == "uri":
                track.uri_action(out)
            return out
        return value

    def line_messages(self, messages: list[dict[str, Any]], variables: Mapping[str, Any], *, where: str,
                      track: Any = None) -> list[dict[str, Any]]:
        """``track``: a ``haishin.track.service.Tracker`` (one friend, one source): every http(s) URL of the rendered
        messages becomes that friend's signed tracked URL (``haishin.track``); None leaves URLs as written."""
        rendered = [self.json(message, variables, where=f"{where}[{i}]", track=track)
                    for i, message in enumerate(messages)]
        if track is not None:
            for message in rendered:
                track.message_text(message)
        return rendered

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


def no_coupon(coupon_id: Any = None, part: str = "code") -> str:
    """``coupon(...)`` where codes are not handed out (auto-replies, form replies): an error, never a blank code."""
    raise RenderError("クーポンの差し込みは一斉配信とステップ配信のメッセージでのみ使えます",
                      where=f"coupon({coupon_id})")


def sample_coupon(coupon_id: Any = None, part: str = "code") -> str:
    """``coupon(...)`` in a test send or preview: a sample, no code assigned (``"url"``: a sample 使う page)."""
    return "https://example.com/coupon-sample" if part == "url" else "SAMPLE-COUPON"


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
        "coupon": no_coupon,
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
