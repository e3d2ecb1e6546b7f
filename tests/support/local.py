"""Setting up a workspace on a running local system, as an operator would after deploying (integration tests)."""

from __future__ import annotations

from typing import Any

from tests.support.http import json_request


def connect_workspace(system: Any, workspace_id: str, channel_id: str, secret: str, token: str, *,
                      webhook: bool = True, owner: str | None = None, display_name: str | None = None,
                      friends: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """The workspace's first owner (made as the create-owner command makes it; the e-mail is derived from the
    workspace, because a Cognito account belongs to one workspace), signed in, with the LINE channel registered in
    the emulator and connected through the admin API. Returns (the owner's auth header, the connected channel).
    Each test file uses its own channel ID: a channel connected to one workspace is refused to another.
    ``owner``: the owner's e-mail when a browser test signs in as them; ``friends`` (LINE user ID -> display name):
    LINE users who follow the channel, their follows applied before this returns."""
    base = system.base_url
    system.line_emulator.register_channel(channel_id, secret, token, display_name=display_name,
                                          webhook_url=f"{base}/line/webhook/{channel_id}" if webhook else None)
    email = owner or f"owner@{workspace_id.replace('_', '-')}.example.com"
    system.create_owner(workspace_id, email)
    auth = {"authorization": f"Bearer {system.login(email=email, workspace_id=workspace_id)}"}
    status, channel = json_request("POST", f"{base}/api/channels",
                                   {"channel_id": channel_id, "channel_secret": secret, "access_token": token}, auth)
    assert status == 201, channel
    for user_id, name in (friends or {}).items():
        system.line_emulator.add_user(user_id, name)
        assert system.line_emulator.follow(channel_id, user_id) == 200
    if friends:
        system.drain()
    return auth, channel
