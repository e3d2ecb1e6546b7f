"""THE LINE Login client: the authorize URL, the code exchange (``POST /oauth2/v2.1/token``) and ID-token checks.

- The authorize screen lives on ``settings().line_login_base`` (https://access.line.me), the token API on
  ``settings().line_api_base`` (https://api.line.me); locally both are the LINE emulator.
- ID tokens of web logins are HS256 JWTs signed with the Login channel secret. They are verified here with PyJWT
  (a lazy import: only the inflow function carries the ``deps_login`` layer): signature, ``iss``
  https://access.line.me, ``aud`` = the Login channel ID, ``exp`` / ``iat`` present and ``exp`` in the future
  (by ``haishin.clock``), and the ``nonce`` we sent. Anything else is ``LoginRefused``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from haishin import clock
from haishin.config import settings
from haishin.errors import ExternalServiceError, HaishinError

ISSUER = "https://access.line.me"
TIMEOUT_S = 10.0
LEEWAY_S = 0  # LINE's and our clocks are both NTP-synchronised; an expired token is refused
ISSUED_AHEAD_S = 60  # an ID token issued "in the future" by more than this is refused (clock skew allowance)


class LoginRefused(HaishinError):
    """The login cannot be trusted (bad code, bad or expired ID token). Nothing may be stored."""

    code = "login_refused"
    http_status = 400


def authorize_url(*, channel_id: str, redirect_uri: str, state: str, nonce: str,
                  bot_prompt: str = "aggressive", scope: str = "openid profile") -> str:
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": channel_id, "redirect_uri": redirect_uri, "state": state,
        "scope": scope, "nonce": nonce, "bot_prompt": bot_prompt,
    })
    return f"{settings().line_login_base}/oauth2/v2.1/authorize?{query}"


def exchange_code(*, code: str, redirect_uri: str, channel_id: str, channel_secret: str) -> dict[str, Any]:
    """The token response (``access_token``, ``id_token``, ``expires_in``...). A refused code is ``LoginRefused``
    (LINE answers 400 ``invalid_grant`` for a used, expired or foreign code); an outage is ExternalServiceError."""
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": channel_id, "client_secret": channel_secret,
    }).encode()
    request = urllib.request.Request(  # noqa: S310 - our configured https base (the emulator locally)
        f"{settings().line_api_base}/oauth2/v2.1/token", data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - our configured base
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code != 429:
            try:
                error = json.loads(exc.read() or b"{}").get("error")
            except ValueError:
                error = None
            raise LoginRefused("LINE ログインの認可コードが使えません", where=f"LINE Login token ({error})") from exc
        raise ExternalServiceError("LINE Login did not answer; try again", where="LINE Login token") from exc
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise ExternalServiceError("LINE Login did not answer; try again", where="LINE Login token") from exc
    if not isinstance(answer, dict) or not isinstance(answer.get("id_token"), str):
        raise LoginRefused("LINE ログインの応答に ID トークンがありません", where="LINE Login token")
    return answer


def verify_id_token(id_token: str, *, channel_id: str, channel_secret: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims once every check passes; ``LoginRefused`` otherwise (the reason in ``where``)."""
    import jwt  # noqa: PLC0415 - PyJWT is in the deps_login layer only (the inflow function)

    try:
        claims: dict[str, Any] = jwt.decode(
            id_token, channel_secret, algorithms=["HS256"], audience=channel_id, issuer=ISSUER,
            leeway=LEEWAY_S, options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_exp": False,
                                      "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise LoginRefused("LINE ログインの ID トークンを確認できません", where=f"id_token ({type(exc).__name__})") \
            from exc
    # Times by the one clock: PyJWT reads the wall clock, which a test (or the local system) may have moved past
    now = clock.epoch_seconds()
    if int(claims["exp"]) <= now:
        raise LoginRefused("LINE ログインの ID トークンの有効期限が切れています", where="id_token (expired)")
    if int(claims["iat"]) > now + ISSUED_AHEAD_S:
        raise LoginRefused("LINE ログインの ID トークンの発行時刻が未来です", where="id_token (iat)")
    if claims.get("nonce") != nonce:
        raise LoginRefused("LINE ログインの ID トークンが今回のログインのものではありません", where="id_token (nonce)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"].startswith("U"):
        raise LoginRefused("LINE ログインの ID トークンにユーザー ID がありません", where="id_token (sub)")
    return claims
