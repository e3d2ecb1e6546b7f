"""The deployed shape in-process: routing on the path without the API Gateway stage, and one resolver that makes
every public URL absolute (PUBLIC_BASE_URL, else the request's own domain + stage, else the base the admin API
recorded, else a clear configuration error)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from haishin import public_url
from haishin.api.app import AdminApi
from haishin.audit import AuditLog
from haishin.config import reset_settings_cache
from haishin.errors import ConfigurationError
from haishin.forms.inputs import FormDefinition
from haishin.forms.service import SubmitResult, form_url
from haishin.public_url.repository import RecordedBase
from haishin.secrets import InMemorySecretStore
from haishin.wiring import Services
from haishin_local.stripe_emulator.core import StripeApiError, StripeState
from tests.support.admin_api import ensure_operator

DOMAIN = "abc123.execute-api.ap-northeast-1.amazonaws.com"


def http_event(method: str, raw_path: str, *, stage: str = "prod", domain: str = DOMAIN,
               claims: dict[str, Any] | None = None, body: Any = None,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    """What API Gateway sends on a named stage: the stage in rawPath and http.path, never in routeKey."""
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "ANY /api/{proxy+}", "rawPath": raw_path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-forwarded-proto": "https", **(headers or {})},
        "requestContext": {"http": {"method": method, "path": raw_path, "sourceIp": "127.0.0.1"}, "stage": stage,
                           "requestId": "r1", "domainName": domain},
        "isBase64Encoded": False,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims}}
    if body is not None:
        event["body"] = json.dumps(body)
    return event


@pytest.fixture
def no_public_base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    reset_settings_cache()
    yield
    reset_settings_cache()


# ---------------------------------------------------------------------- the path without the stage
@pytest.mark.parametrize(("stage", "raw_path", "expected"), [
    ("prod", "/prod/f/f_1", "/f/f_1"),
    ("prod", "/prod/api/openapi.json", "/api/openapi.json"),
    ("prod", "/prod", "/"),
    ("$default", "/f/f_1", "/f/f_1"),
    ("prod", "/f/f_1", "/f/f_1"),  # a custom domain's API mapping: the stage is not in the path
    ("prod", "/production/x", "/production/x"),  # only a whole segment is the stage
])
def test_route_path_drops_only_the_stage_segment(stage: str, raw_path: str, expected: str) -> None:
    assert public_url.route_path(http_event("GET", raw_path, stage=stage)) == expected


def test_request_base_is_the_domain_and_the_stage_the_request_came_through() -> None:
    assert public_url.request_base(http_event("GET", "/prod/f/x")) == f"https://{DOMAIN}/prod"
    assert public_url.request_base(http_event("GET", "/f/x", stage="$default")) == f"https://{DOMAIN}"
    assert public_url.request_base(http_event("GET", "/f/x", domain="go.shop.jp")) == "https://go.shop.jp"
    local = http_event("GET", "/prod/f/x", domain="127.0.0.1:3000", headers={"x-forwarded-proto": "http"})
    assert public_url.request_base(local) == "http://127.0.0.1:3000/prod"
    spoofed = http_event("GET", "/prod/f/x", headers={"x-forwarded-proto": "http,https"})  # the proxy's is last
    assert public_url.request_base(spoofed) == f"https://{DOMAIN}/prod"


# ---------------------------------------------------------------------- one resolver
def test_public_base_url_wins_over_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://line.shop.jp/")
    reset_settings_cache()
    try:
        with public_url.serving(http_event("GET", "/prod/f/x")):
            assert public_url.public_base() == "https://line.shop.jp"
    finally:
        monkeypatch.delenv("PUBLIC_BASE_URL")
        reset_settings_cache()


def test_without_a_setting_urls_come_from_the_request_then_from_what_the_api_recorded(
        no_public_base_url: None) -> None:
    with public_url.serving(http_event("GET", "/prod/f/x")):
        assert form_url("f_1") == f"https://{DOMAIN}/prod/f/f_1"
    assert form_url("f_1") == "https://localhost/f/f_1"  # no request: the recorded base (tests: localhost)


def test_no_base_anywhere_is_a_configuration_error_never_a_relative_url(aws: Any, no_public_base_url: None) -> None:
    public_url.forget()
    with pytest.raises(ConfigurationError) as caught:
        form_url("f_1")
    assert caught.value.where == "PublicBaseUrl"


def owner(workspace: str = "ws_stage") -> dict[str, Any]:
    return ensure_operator(workspace, "owner@example.com")  # a record is what lets a token in


def test_the_admin_api_records_its_base_for_paths_without_a_request(aws: Any, no_public_base_url: None) -> None:
    public_url.forget()
    response = AdminApi().handle(http_event("GET", "/prod/api/me", claims=owner()), None)
    assert response["statusCode"] == 200, response
    assert RecordedBase().get() == f"https://{DOMAIN}/prod"
    public_url.forget()  # another container: reads what was recorded
    assert public_url.public_base() == f"https://{DOMAIN}/prod"


# ---------------------------------------------------------------------- the admin API on a named stage
def test_openapi_is_public_on_a_named_stage(aws: Any) -> None:
    response = AdminApi().handle(http_event("GET", "/prod/api/openapi.json"), None)
    assert response["statusCode"] == 200, response
    assert "/api/operators" in json.loads(response["body"])["paths"]


def test_a_change_on_a_named_stage_is_audited_without_the_stage(aws: Any) -> None:
    response = AdminApi().handle(http_event("POST", "/prod/api/operators", claims=owner(),
                                            body={"email": "staff@example.com", "role": "viewer"}), None)
    assert response["statusCode"] == 201, response
    entries, _ = AuditLog().page("ws_stage")
    assert [(e.path, e.route, e.target_kind) for e in entries] == [
        ("/api/operators", "/api/operators", "operators")]


def test_route_permission_is_checked_before_the_body_on_a_named_stage(aws: Any) -> None:
    viewer = ensure_operator("ws_stage", "viewer@example.com", "viewer")
    response = AdminApi().handle(http_event("POST", "/prod/api/operators", claims=viewer, body={}), None)
    assert response["statusCode"] == 403, response  # not a 422 describing the body a viewer may not send


def test_through_a_custom_domain_the_path_has_no_stage_and_still_routes(aws: Any) -> None:
    response = AdminApi().handle(http_event("GET", "/api/me", domain="api.shop.jp", claims=owner()), None)
    assert response["statusCode"] == 200, response


# ---------------------------------------------------------------------- the hosted pages on a named stage
class RecordingForms:
    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, form_id: str, token: str | None) -> SubmitResult:
        self.opened.append(form_id)
        return SubmitResult(outcome="not_found")


def test_pages_route_on_the_path_without_the_stage() -> None:
    forms = RecordingForms()
    response = Services(forms=forms, secrets=InMemorySecretStore()).pages.handle(http_event("GET", "/prod/f/f_1"))
    assert forms.opened == ["f_1"]
    assert "フォームが見つかりません" in response["body"]


def test_a_form_page_posts_back_under_the_stage(aws: Any, no_public_base_url: None) -> None:
    root = Services(secrets=InMemorySecretStore())
    service = root.forms
    form = service.create("ws_stage", FormDefinition.model_validate(
        {"name": "申込", "title": "お申込み", "fields": [{"key": "name", "label": "お名前", "type": "text"}]}))
    response = root.pages.handle(http_event("GET", f"/prod/f/{form.form_id}"))
    assert response["statusCode"] == 200, response["body"][:500]
    assert f'action="https://{DOMAIN}/prod/f/{form.form_id}"' in response["body"]


# ---------------------------------------------------------------------- the Stripe stand-in, like Stripe
@pytest.mark.parametrize("param", ["success_url", "cancel_url"])
def test_the_stripe_stand_in_refuses_a_relative_return_url(param: str) -> None:
    params = {"mode": "payment", "success_url": "https://shop.example/done", "cancel_url": "https://shop.example/x",
              "line_items": [{"price_data": {"currency": "jpy", "unit_amount": 1000, "product_data": {"name": "a"}},
                              "quantity": 1}]}
    StripeState().create_checkout_session(params)
    with pytest.raises(StripeApiError) as caught:
        StripeState().create_checkout_session({**params, param: "/p/pr_1/done?o=o_1"})
    assert (caught.value.status, caught.value.param) == (400, param)
