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


def connect_line_login(system: Any, token: str, workspace_id: str, *, channel_id: str, channel_secret: str,
                       access_token: str, login_channel_id: str, login_channel_secret: str,
                       stripe: tuple[str, str] | None = None) -> dict[str, Any]:
    """The workspace's LINE channel given its LINE Login channel (inflow routes, the member site's 「LINEでログイン」),
    that Login channel registered in the LINE emulator with both callback URLs the channel screen shows, and with
    ``stripe`` = (secret key, webhook secret) the workspace's Stripe test keys, the Stripe stand-in sending its
    webhooks to the workspace. Returns the channel's admin view."""
    api_request(system, token, "POST", "/api/channels", {
        "channel_id": channel_id, "channel_secret": channel_secret, "access_token": access_token,
        "login_channel_id": login_channel_id, "login_channel_secret": login_channel_secret})
    channel = api_request(system, token, "GET", f"/api/channels/{channel_id}")
    system.line_emulator.login.register_login_channel(
        login_channel_id, login_channel_secret, [channel["login_callback_url"], channel["member_login_callback_url"]],
        bot_channel_id=channel_id)
    if stripe is not None:
        secret_key, webhook_secret = stripe
        api_request(system, token, "PUT", "/api/payments/stripe/keys",
                    {"mode": "test", "secret_key": secret_key, "webhook_secrets": [webhook_secret]})
        system.stripe_emulator.register_webhook(f"{system.base_url}/stripe/webhook/{workspace_id}", webhook_secret)
    return dict(channel)


def consent_on_line(page: Any, user_id: str, *, add_friend: bool = False) -> None:
    """On the LINE emulator's login screen: sign in as ``user_id`` and allow; with ``add_friend``, tap 追加 on the
    add-friend screen LINE shows next (``bot_prompt=aggressive``, a user who is not a friend yet)."""
    page.locator("input[name=user_id]").fill(user_id)
    page.get_by_role("button", name="許可する").click()
    if add_friend:
        page.get_by_role("button", name="追加", exact=True).click()
