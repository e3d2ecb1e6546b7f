"""Helpers shared by the browser tests (imported relatively: ``from .helpers import dev_login``)."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AdminBackend:
    admin_url: str  # ends with "/", e.g. http://127.0.0.1:PORT/admin/
    api_base: str
    login_requests: list[dict[str, Any]] = field(default_factory=list)  # recorded by the stub only
    stub: bool = False


def dev_login(
    page: Any, admin_url: str, *, email: str = "owner@example.jp", workspace_id: str = "ws_demo", role: str = "owner"
) -> None:
    """Open the admin and log in through the dev login form; returns when the dashboard shows."""
    page.goto(admin_url)
    page.get_by_test_id("dev-login-form").wait_for()
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=workspace_id]").fill(workspace_id)
    page.locator("select[name=role]").select_option(role)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("workspace-name").wait_for()


def api_request(system: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    """A JSON call to the local system's admin API as the holder of ``token``; the parsed answer (None if empty)."""
    request = urllib.request.Request(
        f"{system.base_url}{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")
