"""The one way an outgoing webhook leaves: an SSRF-safe HTTP POST.

- https only. The one exception is the operator's allow list (``WEBHOOK_HTTP_ALLOW``, ``host:port`` pairs; the
  local system sets it to its receiver; no deployed stack sets it): those may use http and a private address.
- The host is resolved once here; every address it resolves to must be public (``ipaddress``: not private,
  loopback, link-local (cloud metadata 169.254.169.254), CGNAT 100.64/10, multicast, reserved, unspecified, ULA
  (fd00:ec2::254), IPv4-mapped/6to4/Teredo forms of those). The connection goes to that checked IP with the
  hostname only as TLS SNI, certificate name and Host header, so a second DNS answer (rebinding) is never used.
- Redirects are not followed (a 3xx is a failed delivery); connect and read timeouts of a few seconds; at most
  ``MAX_RESPONSE_BYTES`` of the response body is read (kept for the delivery log), for at most ``BODY_DEADLINE_S``
  (a receiver trickling its answer is cut off), the rest is dropped.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 5.0
BODY_DEADLINE_S = 10.0  # the read timeout is per socket read: a receiver trickling bytes is cut off here
MAX_RESPONSE_BYTES = 4096
ALLOW_ENV = "WEBHOOK_HTTP_ALLOW"
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
             ipaddress.ip_address("100.100.100.200")}  # AWS (v4, v6), Alibaba; all also refused by class

Resolver = Callable[[str, int], list[str]]


class UnsafeUrl(ValueError):
    """The URL may not be called (scheme, host or one of its addresses); ``reason`` is Japanese for the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name in the URL (SNI, certificate, Host header)
    port: int
    path: str  # path + query
    ip: str  # the checked address the connection goes to


@dataclass(frozen=True)
class SendResult:
    status: int | None  # None: no HTTP answer (refused, timeout, connection error)
    duration_ms: int
    body: str = ""
    error: str | None = None
    refused: bool = False  # the SSRF guard refused the URL: permanent


def allow_list() -> frozenset[str]:
    return frozenset(p.strip().lower() for p in os.environ.get(ALLOW_ENV, "").split(",") if p.strip())


def refused_reason(address: str) -> str | None:
    """Why an address may not be called, or None when it is a public unicast address."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"アドレスを解釈できません: {address}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d (the sender connects to that)
            return refused_reason(str(ip.ipv4_mapped))
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            inner = refused_reason(str(embedded))
            if inner:
                return inner
    if ip in _METADATA:
        return f"クラウドのメタデータアドレスには送れません: {ip}"
    for test, label in ((ip.is_loopback, "ループバック"), (ip.is_link_local, "リンクローカル"),
                        (ip.is_multicast, "マルチキャスト"), (ip.is_unspecified, "未指定"),
                        (ip.is_reserved, "予約済み"), (ip.is_private, "プライベート")):
        if test:
            return f"{label}アドレスには送れません: {ip}"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return f"CGNAT アドレスには送れません: {ip}"
    if not ip.is_global:
        return f"公開されていないアドレスには送れません: {ip}"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str, *, resolver: Resolver = system_resolver, allowed: frozenset[str] | None = None) -> Target:
    """Resolve and check ``url`` once; the returned ``Target.ip`` is the only address to connect to."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeUrl("URL にホスト名がありません")
    if parts.username or parts.password:
        raise UnsafeUrl("URL に認証情報は含められません")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("ポート番号が正しくありません") from None
    exempt = f"{host}:{port}" in (allow_list() if allowed is None else allowed)
    if scheme != "https" and not (scheme == "http" and exempt):
        raise UnsafeUrl("Webhook の URL は https:// で始めてください")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        raise UnsafeUrl(f"ホスト名を解決できません: {host}") from None
    if not addresses:
        raise UnsafeUrl(f"ホスト名を解決できません: {host}")
    if not exempt:
        for address in addresses:  # every answer must be safe: a name with one private answer is refused
            reason = refused_reason(address)
            if reason:
                raise UnsafeUrl(reason)
    return Target(scheme, host, port, path, _plain(addresses[0]))


def _plain(address: str) -> str:
    """The address to connect to: without a zone, and an IPv4-mapped IPv6 address as the IPv4 it maps."""
    address = address.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return address


class HttpSender:
    """POSTs with urllib3 (shipped with botocore) to a checked IP; never follows redirects, never retries itself."""

    def __init__(self, *, resolver: Resolver = system_resolver, connect_timeout: float = CONNECT_TIMEOUT_S,
                 read_timeout: float = READ_TIMEOUT_S, max_response_bytes: int = MAX_RESPONSE_BYTES,
                 body_deadline: float = BODY_DEADLINE_S) -> None:
        self.body_deadline = body_deadline
        self.resolver = resolver
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_response_bytes = max_response_bytes

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.monotonic()
        try:
            target = check_url(url, resolver=self.resolver)
        except UnsafeUrl as exc:
            return SendResult(None, 0, error=exc.reason, refused=True)
        import urllib3  # noqa: PLC0415 - only the webhook sender pays for it

        timeout = urllib3.Timeout(connect=self.connect_timeout, read=self.read_timeout)
        pool: Any
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                target.ip, target.port, timeout=timeout, retries=False, maxsize=1, cert_reqs="CERT_REQUIRED",
                server_hostname=target.host, assert_hostname=target.host)
        else:
            pool = urllib3.HTTPConnectionPool(target.ip, target.port, timeout=timeout, retries=False, maxsize=1)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        try:
            response = pool.urlopen(
                "POST", target.path, body=body, headers={**headers, "Host": host_header}, redirect=False,
                retries=False, preload_content=False, assert_same_host=False)
            try:
                data = bytearray()
                deadline = time.monotonic() + self.body_deadline
                while len(data) < self.max_response_bytes and time.monotonic() < deadline:
                    chunk = response.read1(self.max_response_bytes - len(data))  # what has arrived, not a full block
                    if not chunk:
                        break
                    data += chunk
            finally:
                response.release_conn()
                response.close()
            return SendResult(response.status, _ms(started), body=bytes(data).decode("utf-8", "replace"))
        except urllib3.exceptions.HTTPError as exc:
            return SendResult(None, _ms(started), error=type(exc).__name__)
        finally:
            pool.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
