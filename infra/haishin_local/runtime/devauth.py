"""The local stand-in for Cognito + API Gateway's JWT authorizer.

``POST /_dev/login`` signs in an operator of a workspace, as Cognito signs in only an account that exists: an e-mail
with no operator record in that workspace gets 403 (the seeded demo owner has one; ``LocalSystem.create_owner`` makes
a workspace's first owner like the create-owner command does in AWS; the owner invites the rest). It issues an
HS256 JWT signed with a key made fresh for each run (stdlib ``hmac``), carrying the
claims a Cognito ID token carries (``sub``, ``email``, ``custom:workspace_id``, ``cognito:groups``) plus the scopes the
template's authorizer asks for. Routes protected by a JWT authorizer verify it the way API Gateway does (signature,
``exp``, ``iss``, ``aud``, required scopes) and pass the claims in ``requestContext.authorizer.jwt.claims``.

Like API Gateway, the claims handed to the function are flattened to strings: an array claim such as
``cognito:groups`` arrives as ``"[owner]"`` (space-separated inside brackets), numbers arrive as strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from haishin.operators.service import local_subject

ROLES = ("owner", "admin", "operator", "viewer")
ISSUER = "https://haishin.local/dev-auth"
AUDIENCE = "haishin-local-admin"
TOKEN_LIFETIME_SECONDS = 12 * 3600


class Unauthorized(Exception):
    pass


class NotAnOperator(Exception):
    """The dev login refuses an e-mail that is no operator of the workspace (the API would answer 403 anyway)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flatten_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's JWT authorizer passes them to a function (every value a string)."""
    flat: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            flat[key] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        elif isinstance(value, dict):
            flat[key] = json.dumps(value, separators=(",", ":"))
        else:
            flat[key] = str(value)
    return flat


@dataclass(frozen=True)
class VerifiedToken:
    claims: dict[str, Any]
    scopes: tuple[str, ...]


class DevAuthority:
    def __init__(self, key: bytes | None = None, *, scopes: Sequence[str] = ("openid", "email", "profile")) -> None:
        self._key = key or secrets.token_bytes(32)
        self.scopes = tuple(scopes)

    def issue(
        self,
        *,
        email: str,
        workspace_id: str,
        role: str,
        lifetime: int = TOKEN_LIFETIME_SECONDS,
        now: float | None = None,
        subject: str | None = None,
    ) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not email or "@" not in email:
            raise ValueError("email is required")
        if not workspace_id:
            raise ValueError("workspace_id is required")
        issued = int(now if now is not None else time.time())
        claims = {
            "sub": subject or local_subject(email),
            "email": email,
            "email_verified": True,
            "custom:workspace_id": workspace_id,
            "cognito:groups": [role],
            "cognito:username": email,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "client_id": AUDIENCE,
            "token_use": "id",
            "scope": " ".join(self.scopes),
            "auth_time": issued,
            "iat": issued,
            "exp": issued + lifetime,
            "jti": str(uuid.uuid4()),
        }
        return self.sign(claims)

    def sign(self, claims: Mapping[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "haishin-local"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(
        self, authorization: str | None, *, required_scopes: Sequence[str] = (), now: float | None = None
    ) -> VerifiedToken:
        """Check an ``Authorization`` header value; raises :class:`Unauthorized` like API Gateway answers 401."""
        if not authorization:
            raise Unauthorized("missing token")
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("malformed token")
        try:
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError:
            raise Unauthorized("malformed token") from None
        if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
            raise Unauthorized("unsupported token")
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise Unauthorized("bad signature")
        current = now if now is not None else time.time()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= current:
            raise Unauthorized("expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf > current:
            raise Unauthorized("not yet valid")
        if claims.get("iss") != ISSUER:
            raise Unauthorized("wrong issuer")
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if AUDIENCE not in audiences and claims.get("client_id") != AUDIENCE:
            raise Unauthorized("wrong audience")
        scopes = tuple(str(claims.get("scope", "")).split())
        if required_scopes and not set(required_scopes) & set(scopes):
            raise Unauthorized("insufficient scope")
        return VerifiedToken(claims=claims, scopes=scopes)
