"""Builds the admin API resolver from every router in ``haishin.api.routes`` (listed in ``ROUTE_MODULES``)."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

import haishin.api.routes.analysis
import haishin.api.routes.assets
import haishin.api.routes.auto_replies
import haishin.api.routes.bookings
import haishin.api.routes.broadcasts
import haishin.api.routes.channels
import haishin.api.routes.chat
import haishin.api.routes.clicks
import haishin.api.routes.conversions
import haishin.api.routes.coupons
import haishin.api.routes.dashboard
import haishin.api.routes.deliveries
import haishin.api.routes.fields
import haishin.api.routes.forms
import haishin.api.routes.funnels
import haishin.api.routes.imports
import haishin.api.routes.inflow_routes
import haishin.api.routes.links
import haishin.api.routes.me
import haishin.api.routes.members
import haishin.api.routes.operators
import haishin.api.routes.optout
import haishin.api.routes.orders
import haishin.api.routes.partners
import haishin.api.routes.products
import haishin.api.routes.rich_menu_rules
import haishin.api.routes.rich_menus
import haishin.api.routes.scenarios
import haishin.api.routes.segments
import haishin.api.routes.seminars
import haishin.api.routes.senders
import haishin.api.routes.step_abtests
import haishin.api.routes.subscribers
import haishin.api.routes.tags
import haishin.api.routes.webhooks
import haishin.api.routes.workspace
from haishin.api import bodies
from haishin.api.security import declared_permission, public, set_caller
from haishin.audit import AuditLog
from haishin.auth.caller import Caller, caller_from_claims
from haishin.auth.permissions import Permission
from haishin.errors import HaishinError, pydantic_message
from haishin.operators.service import OperatorService
from haishin.ownership import require_owned
from haishin.public_url import route_path, serving, stage_prefix
from haishin.wiring import services

API_PREFIX = "/api"
# Every router, named: a module added to haishin/api/routes but not here fails tests/unit/core/test_admin_api.py.
ROUTE_MODULES = (
    haishin.api.routes.analysis,
    haishin.api.routes.auto_replies,
    haishin.api.routes.bookings,
    haishin.api.routes.broadcasts,
    haishin.api.routes.channels,
    haishin.api.routes.chat,
    haishin.api.routes.clicks,
    haishin.api.routes.conversions,
    haishin.api.routes.coupons,
    haishin.api.routes.dashboard,
    haishin.api.routes.deliveries,
    haishin.api.routes.fields,
    haishin.api.routes.forms,
    haishin.api.routes.imports,
    haishin.api.routes.inflow_routes,
    haishin.api.routes.links,
    haishin.api.routes.me,
    haishin.api.routes.members,
    haishin.api.routes.operators,
    haishin.api.routes.optout,
    haishin.api.routes.orders,
    haishin.api.routes.partners,
    haishin.api.routes.products,
    haishin.api.routes.rich_menu_rules,
    haishin.api.routes.rich_menus,
    haishin.api.routes.scenarios,
    haishin.api.routes.segments,
    haishin.api.routes.seminars,
    haishin.api.routes.funnels,
    haishin.api.routes.assets,
    haishin.api.routes.senders,
    haishin.api.routes.step_abtests,
    haishin.api.routes.subscribers,
    haishin.api.routes.tags,
    haishin.api.routes.webhooks,
    haishin.api.routes.workspace,
)
logger = Logger(child=True)


def _error(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _where(loc: Any) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) if loc else ""


def build_app() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    for module in ROUTE_MODULES:
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/openapi.json", include_in_schema=False)
    @public
    def openapi() -> dict[str, Any]:
        return json.loads(app.get_openapi_json_schema(title="Haishin admin API", version="1"))

    @app.exception_handler(HaishinError)
    def domain_error(error: HaishinError) -> Response:
        return _error(error.http_status, error.to_dict())

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        problems = [
            {"where": _where(item.get("loc")), "message": pydantic_message(item)} for item in error.errors()
        ]
        first = problems[0] if problems else {"where": "", "message": "invalid request"}
        return _error(
            422,
            {"code": "validation_failed", "message": first["message"], "where": first["where"], "details": problems},
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(error: RequestUnsupportedContentType) -> Response:
        return _error(415, {"code": "unsupported_media_type", "where": "content-type",
                            "message": "send the body as JSON (Content-Type: application/json)"})

    @app.exception_handler(UnicodeDecodeError)
    def undecodable_body(error: UnicodeDecodeError) -> Response:
        # Bytes that are not UTF-8 sent as JSON: Powertools' body validation decodes them before any route runs
        # and only turns a JSONDecodeError into a RequestValidationError. Only the request body is the caller's.
        try:
            app.current_event.decoded_body  # noqa: B018 (re-decodes: raises again if the body is the cause)
        except UnicodeDecodeError:
            return _error(422, {"code": "validation_failed", "where": "body",
                                "message": "the body is not valid UTF-8 JSON"})
        return unexpected(error)

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        # Never a stack trace in a response; the log has it (secrets are never in exception text we raise).
        logger.exception("unexpected error in admin API")
        return _error(500, {"code": "internal_error", "message": "something went wrong on our side; try again"})

    return app


# Powertools keeps the request being resolved on the class (BaseRouter.current_event) and its route in the resolver's
# context, so one process resolves one request at a time. Lambda never runs two in one environment (the lock is free
# there); the local runtime and tests call one process from many threads, where a second request cleared the first's
# route mid-way (KeyError '_route', a 500) or could have answered with the other's body.
_ONE_RESOLVE_AT_A_TIME = threading.Lock()
_PUBLIC_PATHS = frozenset({f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/health"})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POST routes that only read (a query too large for a URL); they are not changes, so not audited.
_READ_ONLY_POST_SUFFIXES = ("/search", "/count", "/simulate", "/preview", "/quota-check", "/analysis/cross")


# Body fields that name the object being created, not a reference to an existing one.
_NOT_REFERENCES: dict[tuple[str, str], frozenset[str]] = {
    ("POST", f"{API_PREFIX}/channels"): frozenset({"channel_id"}),
}


def _not_references(method: str, path: str) -> frozenset[str]:
    for (m, suffix), fields in _NOT_REFERENCES.items():
        if m == method.upper() and path.rstrip("/").endswith(suffix):
            return fields
    return frozenset()


class AdminApi:
    """Authenticates the caller (JWT claims refined by the operator record), routes, and audits every change."""

    def __init__(self, operators: OperatorService | None = None, audit: AuditLog | None = None) -> None:
        self.app = build_app()
        self._operators = operators
        self._audit = audit

    # Read per request from the composition root unless given: the handler module builds one AdminApi at import,
    # and a replaced root (tests, a second local system) must be what it uses.
    @property
    def operators(self) -> OperatorService:
        return self._operators or services().operators

    @property
    def audit(self) -> AuditLog:
        return self._audit or services().audit

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        path = route_path(event)  # without the stage: what the routes, permissions and the audit log name
        caller = None
        method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")
        if path not in _PUBLIC_PATHS:
            try:
                caller = self.operators.apply(caller_from_claims(_claims(event)))
                self._require_route_permission(caller, method, path)
                if method.upper() not in _READ_METHODS:  # every ID a write names is one of the caller's workspace
                    require_owned(caller.workspace_id, _json_body(event),
                                  exempt=_not_references(method, path))
            except HaishinError as error:
                return {
                    "statusCode": error.http_status,
                    "headers": {"content-type": "application/json"},
                    "body": json.dumps(error.to_dict(), ensure_ascii=False),
                }
        bad_body = bodies.problem(event)  # not JSON, not an object, too large: named before any route runs
        if bad_body is not None:
            return {"statusCode": bad_body.http_status, "headers": {"content-type": "application/json"},
                    "body": json.dumps(bad_body.to_dict(), ensure_ascii=False)}
        set_caller(caller)
        try:
            with _ONE_RESOLVE_AT_A_TIME, serving(event, record=True):
                response = self.app.resolve(_for_resolver(event), context)
        finally:
            set_caller(None)
        changed = method not in _READ_METHODS and not path.endswith(_READ_ONLY_POST_SUFFIXES)
        if caller is not None and changed and 200 <= response.get("statusCode", 500) < 300:
            self.audit.record(
                workspace_id=caller.workspace_id, operator_id=caller.operator_id, operator_email=caller.email,
                method=method, path=path, route=path, status=response["statusCode"],
            )
        return response

    def _require_route_permission(self, caller: Caller, method: str, path: str) -> None:
        """The route's declared permission, checked before body validation: a caller who may not use a route gets
        403, not a 422 that describes the body it should have sent."""
        for route in (*self.app._static_routes, *self.app._dynamic_routes):
            if route.method == method.upper() and route.rule.match(path):
                permission = declared_permission(route.func)
                if isinstance(permission, Permission):
                    caller.require(permission)
                return


def _for_resolver(event: dict[str, Any]) -> dict[str, Any]:
    """Powertools strips ``/<stage>`` from every path on a named stage; through a custom domain's API mapping the
    path does not carry the stage, so it is handed over as on ``$default`` (otherwise it would lose characters)."""
    context = event.get("requestContext") or {}
    if context.get("stage") in (None, "", "$default") or stage_prefix(event):
        return event
    return {**event, "requestContext": {**context, "stage": "$default"}}


def _json_body(event: dict[str, Any]) -> Any:
    """The request body as JSON, or None when it is not JSON (the route then answers with its own error)."""
    raw = event.get("body")
    if not raw:
        return None
    try:
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(raw)
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


def _claims(event: dict[str, Any]) -> dict[str, Any] | None:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return (authorizer.get("jwt") or {}).get("claims")
