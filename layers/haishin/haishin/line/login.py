"""THE LINE Login client: the authorize URL, the code exchange (``POST /oauth2/v2.1/token``) and ID-token checks.

- The authorize screen lives on ``settings().line_login_base`` (https://access.line.me), the token API on
  ``settings().line_api_base`` (https://api.line.me); locally both are the LINE emulator.
- ``verify_with_line``: LINE's own check of an ID token (``POST /oauth2/v2.1/verify`` with ``client_id`` = the Login
  channel ID), used by LIFF pages (``haishin.liff``): no secret is needed, and LINE answers for every signing method
  it uses (HS256 for web logins, ES256 for LIFF and apps). A refusal is ``LoginRefused`` with the reason in Japanese.
- ID tokens of web logins are HS256 JWTs signed with the Login channel secret. They are verified here with PyJWT
  (a lazy import: only the inflow function carries the ``deps_login`` layer): signature, ``iss``
  https://access.line.me, ``aud`` = the Login channel ID, ``exp`` / ``iat`` present and ``exp`` in the future
  (by ``haishin.clock``), and the ``nonce`` we sent. Anything else is ``LoginRefused``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
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


STATE_COOKIE_PREFIX = "haishin_login_"


@dataclass(frozen=True)
class LoginStart:
    """Where a login starts: LINE's authorize URL and the cookie that binds its state to this browser."""

    authorize_url: str
    cookie_name: str  # the browser binding: this cookie, with this value, must come back with the callback
    cookie_value: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def browser_binding(value: str) -> str:
    """The hash of the browser cookie's value that a signed state carries (the state is bound to that browser)."""
    return _b64(hashlib.sha256(b"browser:" + value.encode()).digest())[:32]


def state_cookie_name(binding: str) -> str:
    """One cookie per login (named by its binding), so two logins opened in two tabs do not spoil each other."""
    return STATE_COOKIE_PREFIX + binding[:12]


def sign_state(payload: str, secret: str, *, purpose: str = "state") -> str:
    """HMAC-SHA256 of a state's payload with the Login channel secret; ``purpose`` keeps one login's states (inflow
    routes, member sites) from being accepted by another's callback."""
    return _b64(hmac.new(secret.encode(), purpose.encode() + b":" + payload.encode(), hashlib.sha256).digest())


def new_state(claims: dict[str, Any], secret: str, *, purpose: str = "state") -> tuple[str, str, str]:
    """A signed ``state`` bound to a new browser cookie: (state, cookie name, cookie value). ``claims`` gets the
    binding as ``b``."""
    browser = secrets.token_urlsafe(24)
    binding = browser_binding(browser)
    payload = _b64(json.dumps({**claims, "b": binding}, separators=(",", ":")).encode())
    return f"{payload}.{sign_state(payload, secret, purpose=purpose)}", state_cookie_name(binding), browser


def state_claims(state: str, *, max_length: int = 1024) -> tuple[str, str, dict[str, Any]] | None:
    """(payload, signature, claims) of a state not yet checked, or None when it is not one of ours."""
    if not state or len(state) > max_length or state.count(".") != 1:
        return None
    payload, signature = state.split(".")
    try:
        claims = json.loads(_unb64(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return (payload, signature, claims) if isinstance(claims, dict) else None


def state_signed(payload: str, signature: str, secret: str, *, purpose: str = "state") -> bool:
    return hmac.compare_digest(sign_state(payload, secret, purpose=purpose), signature)


def same_browser(binding: str, cookies: dict[str, str]) -> bool:
    """The callback came with the cookie the login's start set in this browser (no login CSRF)."""
    browser = cookies.get(state_cookie_name(binding), "")
    return bool(browser) and hmac.compare_digest(browser_binding(browser), binding)


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


# LINE's verify endpoint answers 400 with one of these ``error_description`` texts; what the friend is told
VERIFY_REASONS = {
    "IdToken expired.": ("LINE の ID トークンの有効期限が切れています。LINE のトーク画面から開き直してください",
                         "expired"),
    "Invalid IdToken Audience.": ("この LINE の ID トークンは別のチャネルのものです", "audience"),
    "Invalid IdToken Issuer.": ("LINE が発行した ID トークンではありません", "issuer"),
    "Invalid IdToken Nonce.": ("LINE の ID トークンが今回のログインのものではありません", "nonce"),
    "Invalid IdToken Subject Identifier.": ("LINE の ID トークンのユーザーが違います", "subject"),
}
MAX_ID_TOKEN_LENGTH = 4096


def verify_with_line(id_token: str, *, channel_id: str, nonce: str | None = None) -> dict[str, Any]:
    """LINE's check of ``id_token`` for the Login channel ``channel_id`` (``POST /oauth2/v2.1/verify``): the
    claims, or ``LoginRefused`` (forged, expired, another channel's); an outage is ExternalServiceError.
    ``exp`` is checked again by our clock, ``sub`` must be a LINE user ID."""
    if not id_token or len(id_token) > MAX_ID_TOKEN_LENGTH or id_token.count(".") != 2:
        raise LoginRefused("LINE の ID トークンの形式が正しくありません", where="id_token (malformed)")
    fields = {"id_token": id_token, "client_id": channel_id}
    if nonce is not None:
        fields["nonce"] = nonce
    request = urllib.request.Request(  # noqa: S310 - our configured https base (the emulator locally)
        f"{settings().line_api_base}/oauth2/v2.1/verify", data=urllib.parse.urlencode(fields).encode(),
        method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - our configured base
            claims = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code != 429:
            try:
                description = str(json.loads(exc.read() or b"{}").get("error_description") or "")
            except ValueError:
                description = ""
            message, reason = VERIFY_REASONS.get(
                description, ("LINE の ID トークンを確認できませんでした (署名が正しくありません)", "invalid"))
            raise LoginRefused(message, where=f"id_token ({reason})") from exc
        raise ExternalServiceError("LINE Login did not answer; try again", where="LINE Login verify") from exc
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise ExternalServiceError("LINE Login did not answer; try again", where="LINE Login verify") from exc
    if not isinstance(claims, dict) or claims.get("aud") != channel_id:
        raise LoginRefused("この LINE の ID トークンは別のチャネルのものです", where="id_token (audience)")
    try:
        expires = int(claims.get("exp") or 0)
    except (TypeError, ValueError):
        expires = 0
    if expires <= clock.epoch_seconds():
        raise LoginRefused(VERIFY_REASONS["IdToken expired."][0], where="id_token (expired)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"].startswith("U"):
        raise LoginRefused("LINE の ID トークンにユーザー ID がありません", where="id_token (sub)")
    return claims
