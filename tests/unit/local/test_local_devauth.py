"""The dev login and the local JWT authorizer."""

from __future__ import annotations

import json
import time

import pytest

from haishin_local.runtime.devauth import DevAuthority, Unauthorized, _b64, _unb64, flatten_claims


def test_issue_and_verify() -> None:
    authority = DevAuthority(scopes=("email", "openid", "profile"))
    token = authority.issue(email="owner@example.jp", workspace_id="ws_1", role="owner")
    verified = authority.verify(f"Bearer {token}", required_scopes=("email",))
    assert verified.claims["email"] == "owner@example.jp"
    assert verified.claims["custom:workspace_id"] == "ws_1"
    assert verified.claims["cognito:groups"] == ["owner"]
    assert verified.claims["sub"] == authority.verify(token).claims["sub"]  # stable per email
    assert verified.claims["exp"] > time.time()
    header = json.loads(_unb64(token.split(".")[0]))
    assert header["alg"] == "HS256"


def test_rejections() -> None:
    authority = DevAuthority()
    token = authority.issue(email="a@example.jp", workspace_id="ws", role="viewer")
    with pytest.raises(Unauthorized):
        authority.verify(None)
    with pytest.raises(Unauthorized):
        authority.verify("Bearer not-a-jwt")
    with pytest.raises(Unauthorized):
        DevAuthority().verify(token)  # another run's key
    head, payload, sig = token.split(".")
    claims = json.loads(_unb64(payload))
    claims["custom:workspace_id"] = "someone-else"
    with pytest.raises(Unauthorized):
        authority.verify(f"{head}.{_b64(json.dumps(claims).encode())}.{sig}")
    expired = authority.issue(email="a@example.jp", workspace_id="ws", role="viewer", now=time.time() - 10, lifetime=5)
    with pytest.raises(Unauthorized):
        authority.verify(expired)
    with pytest.raises(Unauthorized):
        authority.verify(token, required_scopes=("admin:all",))


def test_login_validation() -> None:
    authority = DevAuthority()
    with pytest.raises(ValueError, match="role"):
        authority.issue(email="a@example.jp", workspace_id="ws", role="root")
    with pytest.raises(ValueError, match="email"):
        authority.issue(email="", workspace_id="ws", role="owner")
    with pytest.raises(ValueError, match="workspace_id"):
        authority.issue(email="a@example.jp", workspace_id="", role="owner")


def test_claims_are_flattened_like_api_gateway() -> None:
    flat = flatten_claims({"cognito:groups": ["owner", "admin"], "exp": 123, "email_verified": True, "sub": "x"})
    assert flat == {"cognito:groups": "[owner admin]", "exp": "123", "email_verified": "true", "sub": "x"}
