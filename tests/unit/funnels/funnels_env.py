"""Funnel tests: moto tables, a manual clock, the Stripe stand-in in-process (the payments tests' gateway) and
recording fakes for scenarios and LINE; requests go through the pages function's router like API Gateway's."""

from __future__ import annotations

import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from haishin import clock, wiring
from haishin.forms.inputs import FormDefinition
from haishin.funnels.inputs import FunnelIn
from haishin.payments.keys import StripeKeys
from haishin.payments.products import ProductDefinition
from haishin.secrets import InMemorySecretStore
from haishin.wiring import Services
from haishin_local.stripe_emulator import StripeState

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "payments"))
from pay_env import FakeMessenger, FakeScenarios, InProcessGateway

WS = "w_fn"

OPTIN_FORM = {
    "name": "無料講座の登録",
    "title": "無料講座の登録",
    "fields": [{"key": "email", "label": "メールアドレス", "type": "email", "required": True}],
    "submit_label": "無料で受け取る",
}


@dataclass
class Env:
    root: Services
    stripe: StripeState
    scenarios: FakeScenarios

    @property
    def service(self) -> Any:
        return self.root.funnels

    def form(self) -> str:
        return self.root.forms.create(WS, FormDefinition.model_validate(OPTIN_FORM)).form_id

    def product(self, **overrides: Any) -> str:
        data = {"name": "LINE集客講座", "amount": 29800, "order_bump": {"name": "テンプレート集", "amount": 4980},
                **overrides}
        return self.root.payments.create_product(WS, ProductDefinition.model_validate(data)).product_id

    def funnel(self, pages: list[dict[str, Any]], **overrides: Any) -> str:
        body = FunnelIn.model_validate({"name": "無料講座ファネル", "status": "published", "pages": pages, **overrides})
        return str(self.service.create(WS, body).funnel_id)

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                cookie: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "version": "2.0", "rawPath": path, "rawQueryString": "",
            "headers": {"host": "localhost", "content-type": "application/x-www-form-urlencoded"},
            "requestContext": {"http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
                               "stage": "$default", "domainName": "localhost"},
            "isBase64Encoded": False,
        }
        if cookie:
            event["cookies"] = [cookie.split(";", 1)[0]]
        if form is not None:
            event["body"] = urllib.parse.urlencode(form)
        return self.root.pages.handle(event)


@pytest.fixture
def env(aws: Any, manual_clock: Any) -> Iterator[Env]:
    secrets = InMemorySecretStore()
    scenarios = FakeScenarios()
    state = StripeState(base_url="http://stripe.local", clock=clock.epoch_seconds)
    root = Services(secrets=secrets, scenario_service=scenarios, messenger=FakeMessenger(),
                    stripe=InProcessGateway(state))
    StripeKeys(secrets).put(WS, "test", secret_key="sk_test_123", webhook_secrets=["whsec_x"])
    previous = wiring.install(root)
    try:
        yield Env(root, state, scenarios)
    finally:
        wiring.install(previous)
