"""Channel secrets, access tokens and Stripe keys are write-only: no GET route returns them and no log line holds them.

A channel is connected through ``POST /api/channels`` (the secret and token first registered in the LINE emulator),
Stripe keys are set through ``PUT /api/payments/stripe/keys``, the token is rotated (and a rejected token tried); then
every GET route of the OpenAPI description is called as the owner while the process's stdout/stderr and its log
records are captured, and none of them may contain a secret value.
"""

from __future__ import annotations

import logging
import re
import secrets as pysecrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from haishin_local.runtime import LocalSystem

pytestmark = pytest.mark.integration


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage() + " " + repr(record.__dict__))
        except Exception:
            self.lines.append(repr(record.__dict__))


@pytest.fixture
def records() -> Iterator[_Records]:
    handler = _Records()
    root = logging.getLogger()  # at its configured level: botocore's DEBUG wire dumps are not the app's logging
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def test_secrets_never_come_back_nor_reach_the_logs(local_system: LocalSystem, capfd: pytest.CaptureFixture[str],
                                                     records: _Records) -> None:
    tag = pysecrets.token_hex(4)
    workspace_id = f"ws_secrets_{tag}"
    channel_id = str(1_700_000_000 + int(tag, 16) % 100_000_000)
    channel_secret = pysecrets.token_hex(16)
    access_token = f"tok-{pysecrets.token_hex(20)}"
    bogus_token = f"tok-bogus-{pysecrets.token_hex(20)}"
    stripe_key = f"sk_test_{pysecrets.token_hex(20)}"
    webhook_secret = f"whsec_{pysecrets.token_hex(20)}"
    local_system.line_emulator.register_channel(channel_id, channel_secret, access_token, display_name="秘密テスト")

    session = requests.Session()
    local_system.create_owner(workspace_id, "owner@secrets.example.com")  # as the create-owner command does
    token = local_system.login(email="owner@secrets.example.com", workspace_id=workspace_id)
    session.headers["authorization"] = f"Bearer {token}"
    base = local_system.base_url

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        return session.request(method, base + path, json=body, timeout=60)

    created = call("POST", "/api/channels", {"channel_id": channel_id, "channel_secret": channel_secret,
                                             "access_token": access_token})
    assert created.status_code == 201, created.text
    rotated_token = local_system.line_emulator.rotate_token(channel_id)
    rotated = call("PUT", f"/api/channels/{channel_id}/token", {"access_token": rotated_token})
    assert rotated.status_code == 200, rotated.text
    rejected = call("PUT", f"/api/channels/{channel_id}/token", {"access_token": bogus_token})
    assert rejected.status_code == 422, rejected.text
    keys = call("PUT", "/api/payments/stripe/keys", {"mode": "test", "secret_key": stripe_key,
                                                      "webhook_secrets": [webhook_secret]})
    assert keys.status_code == 200, keys.text
    values = {channel_secret, access_token, rotated_token, bogus_token, stripe_key, webhook_secret}
    responses = [created, rotated, rejected, keys]

    spec = call("GET", "/api/openapi.json").json()
    fill = {"channel_id": channel_id}
    for path, operations in sorted(spec["paths"].items()):
        if "get" not in operations:
            continue
        concrete = re.sub(r"\{([^}]+)\}", lambda m: fill.get(m.group(1), "zz_missing"), path)
        response = call("GET", concrete)
        assert response.status_code < 500, f"GET {path}: {response.status_code} {response.text[:200]}"
        responses.append(response)

    assert call("GET", f"/api/channels/{channel_id}").json()["access_token_hint"] == "…" + rotated_token[-4:]
    leaked = [(r.request.method, r.request.path_url, v[:12]) for r in responses for v in values if v in r.text]
    assert leaked == []
    captured = capfd.readouterr()
    output = captured.out + captured.err + "\n".join(records.lines)
    assert [v[:12] for v in values if v in output] == []
