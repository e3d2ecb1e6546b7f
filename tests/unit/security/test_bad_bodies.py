"""Every HTTP route of template.yaml answers a body that is not JSON, an array where an object is expected, or an
oversized body with a 4xx that names the problem: never a 5xx, never a 2xx that ignores it.

The routes come from template.yaml (every HttpApi event that can carry a body) and, behind ``/api/{proxy+}``, from
the admin API's own route table, so a new route is swept without touching this file. Each request goes through the
function's real ``lambda_handler`` (the LINE webhook with fake AWS collaborators; the Stripe webhook with a
configured signing secret, so bad bodies arrive *after* a valid signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from haishin import wiring
from haishin.api.app import AdminApi, build_app
from haishin.ingest.webhook import ChannelRef, WebhookService
from haishin.payments.keys import StripeKeys
from haishin.payments.signature import sign_header
from haishin.secrets import InMemorySecretStore
from haishin.wiring import Services
from tests.support import template as tpl
from tests.support.admin_api import LambdaContext, ensure_operator, token_claims

WS = "ws_bodies"
OWNER = "owner@bodies.example.jp"
CHANNEL = "1650000001"
LINE_SECRET = "0123456789abcdef0123456789abcdef"
WHSEC = "whsec_bodies"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OVERSIZED = 8 << 20  # over any per-route limit, under API Gateway's 10 MB

NOT_JSON = b'{"name": "x", "keywords": ['
ARRAY = b'[{"name": "x"}]'
PROBLEMS = {
    "not_json": (NOT_JSON, re.compile(r"JSON|送信形式")),
    "array": (ARRAY, re.compile(r"オブジェクト|object|送信形式")),
    "oversized": (None, re.compile(r"大きすぎ|too large|over \d+ bytes")),
}


@dataclass(frozen=True)
class HttpRoute:
    function: str  # logical ID
    method: str
    path: str  # a concrete path


# A greedy path names the page behind it, so the sweep reaches that page's body check rather than a 404.
PROXY_PAGES = {"/b/{proxy+}": "/b/cancel/bkg_x1", "/sem/{proxy+}": f"/sem/{WS}/sem_x1",
               "/cpn/{proxy+}": f"/cpn/{WS}/cpn_x1", "/m/{proxy+}": f"/m/{WS}/crs_x1/login",
               "/f/{proxy+}": f"/f/{WS}/fnl_x1/lp"}


def _concrete(path: str) -> str:
    if path in PROXY_PAGES:
        return PROXY_PAGES[path]
    values = {"channel_id": CHANNEL, "workspace_id": WS}
    path = re.sub(r"\{(\w+)\+?\}", lambda m: values.get(m.group(1), "x1"), path)
    return re.sub(r"<(\w+)>", "x1", path)


def _routes() -> Iterator[HttpRoute]:
    admin = build_app()
    for function in tpl.functions():
        for event in function.events("HttpApi").values():
            method, path = str(event["Properties"]["Method"]).upper(), str(event["Properties"]["Path"])
            if path.endswith("{proxy+}") and path.startswith("/api"):
                for route in (*admin._static_routes, *admin._dynamic_routes):
                    if route.method in BODY_METHODS:
                        yield HttpRoute(function.logical_id, route.method, _concrete(route.path))
            elif method in BODY_METHODS or method == "ANY":
                yield HttpRoute(function.logical_id, "POST" if method == "ANY" else method, _concrete(path))


ROUTES = sorted(set(_routes()), key=lambda r: (r.function, r.path, r.method))


_MODULES: dict[str, ModuleType] = {}


def _load(function: str) -> ModuleType:
    """The function's handler module, imported once (with sockets off, like every unit test)."""
    if function not in _MODULES:
        found = next(f for f in tpl.functions() if f.logical_id == function)
        spec = importlib.util.spec_from_file_location(f"bodies_{found.dir_name}", found.module_path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[function] = module
    return _MODULES[function]


class _Audit:
    def record(self, **kwargs: Any) -> None:
        pass


class _Channels:
    def get(self, channel_id: str) -> ChannelRef | None:
        return ChannelRef(channel_id, WS, "secret/line")


class _Secrets:
    def channel_secret(self, secret_name: str, *, fresh: bool = False) -> str | None:
        return LINE_SECRET


class _Queue:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str) -> None:
        self.sent.append(body)


@pytest.fixture
def handlers(aws: Any, manual_clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    secrets = InMemorySecretStore()
    StripeKeys(secrets).put(WS, "test", secret_key="sk_test_bodies", webhook_secrets=[WHSEC])
    previous = wiring.install(Services(secrets=secrets, line_webhook=WebhookService(_Channels(), _Secrets(), _Queue())))
    ensure_operator(WS, OWNER)
    modules: dict[str, Any] = {}
    for function in {r.function for r in ROUTES}:
        module = _load(function)
        if hasattr(module, "api") and isinstance(module.api, AdminApi):
            module.api = AdminApi(audit=_Audit())  # the real operator check: the owner below has a record
        modules[function] = module
    yield modules
    wiring.install(previous)


def _event(route: HttpRoute, body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8")
    headers = {
        "content-type": "application/json",
        "x-line-signature": base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode(),
        "stripe-signature": sign_header(WHSEC, body),
    }
    last = route.path.rstrip("/").rsplit("/", 1)[-1]
    params = {"channel_id": last, "workspace_id": last, "form_id": last}
    return {
        "version": "2.0", "routeKey": f"{route.method} {route.path}", "rawPath": route.path, "rawQueryString": "",
        "headers": headers, "pathParameters": params, "body": text, "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": route.method, "path": route.path, "sourceIp": "198.51.100.7", "protocol": "HTTP/1.1",
                     "userAgent": "sweep"},
            "stage": "$default", "requestId": "r1", "domainName": "api.example.test", "routeKey": "x",
            "authorizer": {"jwt": {"claims": token_claims(WS, OWNER)}},
        },
    }


def test_the_sweep_covers_every_kind_of_route() -> None:
    functions = {r.function for r in ROUTES}
    assert {"AdminApiFunction", "FormSubmitFunction", "LineWebhookFunction", "StripeWebhookFunction"} <= functions
    assert len([r for r in ROUTES if r.function == "AdminApiFunction"]) >= 30


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_bad_body_gets_a_4xx_that_names_the_problem(handlers: dict[str, Any], route: HttpRoute,
                                                      problem: str) -> None:
    body, names_it = PROBLEMS[problem]
    if body is None:
        body = json.dumps({"name": "x", "pad": "a" * OVERSIZED}).encode()
    response = handlers[route.function].lambda_handler(_event(route, body), LambdaContext())
    status, text = response["statusCode"], str(response.get("body") or "")
    if "json" in str((response.get("headers") or {}).get("content-type", "")):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    assert 400 <= status < 500, (status, text[:300])
    assert status not in (401, 403, 404, 405), (status, text[:300])  # the body's problem, not another one
    if problem == "oversized":
        assert status == 413, (status, text[:300])
    assert names_it.search(text), text[:300]
