"""Per-route permission declarations and the current caller.

Every admin route is decorated with ``@requires(Permission.X)`` (or ``@public``); a test walks every route and
fails on one that declares nothing, so a new route cannot ship without a decision.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response

from haishin.auth.caller import Caller
from haishin.auth.permissions import Permission
from haishin.errors import Unauthenticated

F = TypeVar("F", bound=Callable[..., Any])

_caller: ContextVar[Caller | None] = ContextVar("haishin_caller", default=None)
PERMISSION_ATTRIBUTE = "__haishin_permission__"
PUBLIC = "public"


def set_caller(caller: Caller | None) -> None:
    _caller.set(caller)


def current_caller() -> Caller:
    caller = _caller.get()
    if caller is None:
        raise Unauthenticated("sign in first")
    return caller


def _route_signature(func: Callable[..., Any]) -> inspect.Signature:
    """The signature Powertools should read: annotations resolved in the route's own module (so route modules
    may use ``from __future__ import annotations``), and no ``Response`` return type (it has no JSON schema)."""
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError):
        hints = {}
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    returns = hints.get("return", signature.return_annotation)
    if returns is Response or (isinstance(returns, str) and returns.split(".")[-1] == "Response"):
        returns = inspect.Signature.empty
    return signature.replace(parameters=parameters, return_annotation=returns)


def requires(permission: Permission) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            current_caller().require(permission)
            return func(*args, **kwargs)

        guarded.__signature__ = _route_signature(func)  # type: ignore[attr-defined]
        setattr(guarded, PERMISSION_ATTRIBUTE, permission)
        return guarded  # type: ignore[return-value]

    return decorate


def public(func: F) -> F:
    """Declares a route that needs no sign-in (e.g. the OpenAPI description)."""
    func.__signature__ = _route_signature(func)  # type: ignore[attr-defined]
    setattr(func, PERMISSION_ATTRIBUTE, PUBLIC)
    return func


def declared_permission(func: Callable[..., Any]) -> Permission | str | None:
    return getattr(func, PERMISSION_ATTRIBUTE, None)
