"""Rendering of hosted pages. Autoescape is on for every template: answers and form texts are data, never HTML."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

from haishin.config import settings

_TEMPLATES = Path(__file__).parent / "templates"
_env: jinja2.Environment | None = None
_lock = threading.Lock()

HTML = "text/html; charset=utf-8"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
_csp: str | None = None


def content_security_policy() -> str:
    """No framing, no plugins, nothing from elsewhere; inline <script>/<style> only if written in our templates.

    The hashes come from the template sources (static text, no Jinja in them), never from a rendered page, so
    markup that reached a page through data can never be allowed by them. Forms may redirect to an https URL
    after a submission, which ``form-action`` also governs.
    """
    global _csp
    if _csp is None:
        hashes: dict[str, list[str]] = {"script": [], "style": []}
        for template in sorted(_TEMPLATES.glob("*.j2")):
            for kind, text in _INLINE.findall(template.read_text(encoding="utf-8")):
                if "{{" in text or "{%" in text:
                    raise ValueError(f"{template.name}: inline <{kind}> must be static text to be allowed by hash")
                digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
                hashes[kind].append(f"'sha256-{digest}'")
        script = " ".join(hashes["script"]) or "'none'"
        style = " ".join(hashes["style"]) or "'none'"
        _csp = (f"default-src 'none'; script-src {script}; style-src {style}; img-src 'self' data: https:; "
                "form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
    return _csp.replace("form-action 'self' https:", f"form-action 'self' https:{_local_checkout()}", 1)


def _local_checkout() -> str:
    """Locally the Stripe emulator stands in for checkout.stripe.com on plain http; a product page's form redirects
    there after its POST (``form-action`` governs that redirect), so it is allowed. In AWS Stripe is https: nothing."""
    base = settings().stripe_api_base
    if not base.startswith("http://"):
        return ""
    parts = urlsplit(base)
    return f" {parts.scheme}://{parts.netloc}"


LIFF_SCRIPT_HOST = "https://static.line-scdn.net"
LIFF_HOSTS = "https://api.line.me https://access.line.me https://liff.line.me https://liffsdk.line-scdn.net"


def liff_security_policy(mock_origin: str | None = None) -> str:
    """The policy of LIFF pages: the same, plus our own bundled LIFF SDK (``/liff/app.js``, 'self') and the LINE
    hosts the SDK talks to (``liff.init``, ``liff.sendMessages``, ``liff.login``); locally also the LINE
    emulator, which stands in for them (``mock_origin``, set only by the local runtime)."""
    # inside LINE the SDK adds LINE's own extension scripts (e.g. non-ios-extensions_*.js) from LINE's CDN; the mock
    # never does, so locally the page loads nothing from outside
    sdk = "" if mock_origin else f" {LIFF_SCRIPT_HOST}"
    base = content_security_policy().replace("script-src ", f"script-src 'self'{sdk} ", 1)
    connect = f"connect-src 'self' {LIFF_HOSTS}" + (f" {mock_origin.rstrip('/')}" if mock_origin else "")
    return base.replace("default-src 'none';", f"default-src 'none'; {connect}; frame-src https://liff.line.me;", 1)


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        with _lock:
            if _env is None:
                _env = jinja2.Environment(
                    loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                    autoescape=True,
                    undefined=jinja2.StrictUndefined,
                    trim_blocks=True,
                    lstrip_blocks=True,
                )
    return _env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def page(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) response carrying an HTML page."""
    return {
        "statusCode": status,
        "headers": {"content-type": HTML, "cache-control": "no-store", "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer", "content-security-policy": content_security_policy(),
                    **(headers or {})},
        "body": body,
    }


def message_page(status: int, title: str, message: str, *, detail: str | None = None) -> dict[str, Any]:
    return page(status, render("message.html.j2", title=title, message=message, detail=detail))


def file_response(content_type: str, data: bytes, *, cache: str, download_name: str | None = None) -> dict[str, Any]:
    """A file's bytes (base64, as API Gateway wants binary bodies): never sniffed by the browser, never a document
    that runs anything; ``download_name`` makes it a download under that name (RFC 6266, UTF-8 for Japanese)."""
    headers = {"content-type": content_type, "cache-control": cache, "x-content-type-options": "nosniff",
               "content-security-policy": "default-src 'none'; sandbox", "referrer-policy": "no-referrer"}
    if download_name is not None:
        fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in download_name)
        encoded = quote(download_name, safe="")
        headers["content-disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    return {"statusCode": 200, "headers": headers, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}


def redirect(location: str, status: int = 303) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"location": location, "cache-control": "no-store"}, "body": ""}
