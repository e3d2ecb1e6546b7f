"""Through the running local system: a hosted form is served with a CSP that forbids framing and allows exactly the
page's own inline script and style (what a browser computes from the served body), plus nosniff."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

import haishin.pages
from tests.support.http import json_request, raw_request

pytestmark = pytest.mark.integration

WS = "w_page_headers"



def _hashes(body: str, kind: str) -> set[str]:
    return {f"'sha256-{base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()}'"
            for t in re.findall(rf"<{kind}>(.*?)</{kind}>", body, re.DOTALL)}


def test_hosted_form_is_served_with_a_csp_that_matches_its_inline_code(local_system: Any) -> None:
    base = local_system.base_url
    local_system.create_owner(WS, "owner@headers.example.com")  # as the create-owner command does in AWS
    auth = {"authorization": f"Bearer {local_system.login(email='owner@headers.example.com', workspace_id=WS, role='owner')}"}
    status, form = json_request("POST", f"{base}/api/forms", {
        "name": "ヘッダー確認", "title": "<script>alert(1)</script>お問い合わせ",
        "fields": [{"key": "name", "label": "お名前", "type": "text", "required": True}]}, auth)
    assert status == 201, form

    status, headers, page = raw_request("GET", f"{base}/f/{form['form_id']}")
    assert status == 200 and "お問い合わせ" in page
    assert headers["x-content-type-options"] == "nosniff"
    csp = {p.split()[0]: set(p.split()[1:]) for p in (d.strip() for d in headers["content-security-policy"].split(";"))
           if p}
    assert csp["frame-ancestors"] == {"'none'"} and csp["default-src"] == {"'none'"}
    scripts, styles = _hashes(page, "script"), _hashes(page, "style")
    assert scripts and styles
    # The served inline code runs, and nothing else would: only the static inline blocks of our page templates are
    # allowed (by hash; never 'unsafe-inline'), so the title's injected <script> stays text and could not run.
    templates = [t.read_text(encoding="utf-8") for t in (Path(haishin.pages.__file__).parent / "templates").glob("*.j2")]
    assert scripts <= csp["script-src"] == set().union(*(_hashes(t, "script") for t in templates))
    assert styles <= csp["style-src"] == set().union(*(_hashes(t, "style") for t in templates))
