"""Hosted pages (forms, messages) send a Content-Security-Policy that forbids framing and allows only our own inline
script and style, by hash, plus nosniff and a referrer policy."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from forms_env import WS, Env

import haishin.pages
from haishin.config import reset_settings_cache
from haishin.forms.inputs import FormDefinition
from haishin.pages.forms import respond
from haishin.pages.html import content_security_policy, message_page

TEMPLATES = Path(haishin.pages.__file__).parent / "templates"

DEFINITION = {
    "name": "申込",
    "title": "<script>alert('title')</script>お申込み",
    "description": "<script>alert('description')</script>",
    "fields": [{"key": "name", "label": "お名前", "type": "text", "required": True}],
}


def directives(response: dict[str, Any]) -> dict[str, list[str]]:
    csp = response["headers"]["content-security-policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part}


def inline_hashes(body: str, kind: str) -> list[str]:
    return [f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
            for text in re.findall(rf"<{kind}>(.*?)</{kind}>", body, re.DOTALL)]


def assert_locked_down(response: dict[str, Any]) -> None:
    headers = response["headers"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = directives(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-inline'" not in csp["style-src"]


def test_form_page_allows_exactly_its_own_inline_script_and_style(env: Env) -> None:
    form_id = env.service.create(WS, FormDefinition.model_validate(DEFINITION)).form_id
    page = respond(env.service.submit(form_id, {"name": [""], "_nonce": ["n-1"]}))  # re-rendered with an error
    assert page["statusCode"] == 422
    assert_locked_down(page)
    body, csp = page["body"], directives(page)
    scripts, styles = inline_hashes(body, "script"), inline_hashes(body, "style")
    assert scripts and styles  # the double-submit guard and the stylesheet are inline
    # What the browser computes for each inline block is allowed, and nothing else is: the only hashes allowed are
    # those of the static inline blocks written in our page templates (the product page has its own guard).
    template_scripts = sorted({h for t in TEMPLATES.glob("*.j2") for h in inline_hashes(t.read_text(), "script")})
    template_styles = sorted({h for t in TEMPLATES.glob("*.j2") for h in inline_hashes(t.read_text(), "style")})
    assert set(scripts) <= set(csp["script-src"]) and set(styles) <= set(csp["style-src"])
    assert sorted(csp["script-src"]) == template_scripts
    assert sorted(csp["style-src"]) == template_styles
    assert "alert(" not in "".join(re.findall(r"<script>(.*?)</script>", body, re.DOTALL))  # data stays escaped
    assert "'self'" in csp["form-action"]  # the form posts to us (and may redirect to an https URL)


def test_message_page_is_locked_down_too() -> None:
    page = message_page(404, "フォームが見つかりません", "URLをご確認ください。")
    assert_locked_down(page)
    assert set(inline_hashes(page["body"], "style")) <= set(directives(page)["style-src"])


def test_form_action_allows_the_local_stripe_stand_in_only_when_it_is_the_configured_plain_http_stripe(
    monkeypatch: Any,
) -> None:
    """A product page's POST redirects to checkout; locally that is the Stripe emulator on http, in AWS Stripe on
    https (already allowed): only a plain-http STRIPE_API_BASE adds its origin, never another host."""
    def form_action() -> list[str]:
        reset_settings_cache()
        return next(d.split()[1:] for d in content_security_policy().split("; ") if d.startswith("form-action"))

    monkeypatch.setenv("STRIPE_API_BASE", "https://api.stripe.com")
    assert form_action() == ["'self'", "https:"]
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:4321/v1")
    assert form_action() == ["'self'", "https:", "http://127.0.0.1:4321"]
    monkeypatch.delenv("STRIPE_API_BASE")
    assert form_action() == ["'self'", "https:"]
    reset_settings_cache()
