"""The SSRF guard and the sender: refused address classes, resolution pinned to the checked IP, no redirects,
timeouts and a response cap (the last ones against a real server on 127.0.0.1, allowed by the operator's list)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import urllib3

from haishin.webhooks import sender as sender_mod
from haishin.webhooks.sender import ALLOW_ENV, HttpSender, UnsafeUrl, check_url, refused_reason

REFUSED = {
    "loopback v4": "127.0.0.1",
    "loopback v6": "::1",
    "private 10/8": "10.1.2.3",
    "private 172.16/12": "172.16.5.4",
    "private 192.168/16": "192.168.1.1",
    "link-local / AWS metadata": "169.254.169.254",
    "AWS metadata v6": "fd00:ec2::254",
    "CGNAT": "100.64.0.1",
    "Alibaba metadata (CGNAT)": "100.100.100.200",
    "multicast v4": "224.0.0.1",
    "multicast v6": "ff02::1",
    "reserved 240/4": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "unspecified v4": "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    "unspecified v6": "::",
    "this network 0/8": "0.1.2.3",
    "link-local v6": "fe80::1",
    "unique local v6": "fc00::1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped metadata": "::ffff:169.254.169.254",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "6to4 of a private address": "2002:0a00:0001::1",
    "documentation 192.0.2/24": "192.0.2.10",
    "benchmarking 198.18/15": "198.18.0.1",
    "IPv6 documentation": "2001:db8::1",
}


@pytest.mark.parametrize("address", list(REFUSED.values()), ids=list(REFUSED))
def test_every_non_public_address_class_is_refused(address: str) -> None:
    assert refused_reason(address) is not None
    with pytest.raises(UnsafeUrl):
        check_url("https://hooks.example.com/x", resolver=lambda host, port: [address], allowed=frozenset())


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refused_reason(address) is None


def test_a_name_with_one_private_answer_among_public_ones_is_refused() -> None:
    with pytest.raises(UnsafeUrl):
        check_url("https://hooks.example.com/", resolver=lambda h, p: ["93.184.215.14", "10.0.0.1"],
                  allowed=frozenset())


@pytest.mark.parametrize("url,needle", [
    ("http://hooks.example.com/x", "https"),
    ("ftp://hooks.example.com/x", "https"),
    ("https://user:pw@hooks.example.com/x", "認証情報"),
    ("https:///nohost", "ホスト"),
])
def test_scheme_credentials_and_host_are_checked(url: str, needle: str) -> None:
    with pytest.raises(UnsafeUrl, match=needle):
        check_url(url, resolver=lambda h, p: ["93.184.215.14"], allowed=frozenset())


def test_unresolvable_names_are_refused() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("NXDOMAIN")

    with pytest.raises(UnsafeUrl, match="解決"):
        check_url("https://nowhere.example.com/", resolver=fail, allowed=frozenset())


def test_the_connection_goes_to_the_checked_ip_with_the_name_only_as_sni_and_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding cannot work: the name is resolved once, checked, and the socket goes to that IP. A second
    answer (here: the metadata address) is never asked for."""
    answers = iter([["93.184.215.14"], ["169.254.169.254"]])
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    seen: dict[str, Any] = {}

    class Pool:
        def __init__(self, host: str, port: int, **kwargs: Any) -> None:
            seen.update(host=host, port=port, **kwargs)

        def urlopen(self, method: str, path: str, **kwargs: Any) -> Any:
            seen.update(path=path, headers=kwargs["headers"], redirect=kwargs["redirect"])

            class Response:
                status = 204

                def read1(self, amount: int) -> bytes:
                    return b""

                def release_conn(self) -> None: ...

                def close(self) -> None: ...

            return Response()

        def close(self) -> None: ...

    monkeypatch.setattr(urllib3, "HTTPSConnectionPool", Pool)
    result = HttpSender(resolver=resolver).post("https://hooks.example.com/in?a=1", b"{}", {"X": "1"})
    assert result.status == 204
    assert calls == ["hooks.example.com"]
    assert seen["host"] == "93.184.215.14" and seen["port"] == 443
    assert seen["server_hostname"] == "hooks.example.com" and seen["assert_hostname"] == "hooks.example.com"
    assert seen["headers"]["Host"] == "hooks.example.com" and seen["path"] == "/in?a=1"
    assert seen["redirect"] is False and seen["retries"] is False
    assert seen["timeout"].connect_timeout == sender_mod.CONNECT_TIMEOUT_S


def test_a_refused_url_never_opens_a_socket() -> None:
    # sockets are disabled in unit tests: an attempt would raise instead of returning a refusal
    result = HttpSender(resolver=lambda h, p: ["169.254.169.254"]).post("https://hooks.example.com/", b"{}", {})
    assert result.refused and result.status is None and "メタデータ" in (result.error or "")


# ---------------------------------------------------------------- against a real server on 127.0.0.1


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _Handler.hits.append(f"{self.path} {self.headers.get('Host')}")
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            body = b"x" * 1_000_000
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:  # the sender hung up: that is the point
                pass
        elif self.path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")


@pytest.fixture
def server(socket_enabled: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A receiver reachable as http://hooks.test:<port> only because the operator's allow list names it."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    monkeypatch.setenv(ALLOW_ENV, f"hooks.test:{port}")
    _Handler.hits = []
    try:
        yield f"http://hooks.test:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _sender() -> HttpSender:
    return HttpSender(resolver=lambda host, port: ["127.0.0.1"], read_timeout=0.5)


def test_an_allowed_local_receiver_gets_the_post(server: str) -> None:
    result = _sender().post(f"{server}/ok", b"{}", {})
    assert result.status == 200 and result.body == "ok"
    assert _Handler.hits == [f"/ok {server.removeprefix('http://')}"]


def test_the_allow_list_is_host_and_port_exact(server: str) -> None:
    other = server.rsplit(":", 1)[0] + ":1"
    result = _sender().post(f"{other}/ok", b"{}", {})
    assert result.refused and _Handler.hits == []


def test_redirects_are_not_followed(server: str) -> None:
    result = _sender().post(f"{server}/redirect", b"{}", {})
    assert result.status == 302
    assert _Handler.hits == [f"/redirect {server.removeprefix('http://')}"]  # nothing else was requested


def test_the_response_body_is_capped(server: str) -> None:
    result = _sender().post(f"{server}/big", b"{}", {})
    assert result.status == 500
    assert len(result.body) == sender_mod.MAX_RESPONSE_BYTES


def test_a_slow_receiver_times_out_as_no_answer(server: str) -> None:
    result = _sender().post(f"{server}/slow", b"{}", {})
    assert result.status is None and result.error and not result.refused


def test_a_trickling_answer_is_cut_off_at_the_body_deadline(server: str) -> None:
    """Each byte arrives within the read timeout, so only a deadline over the whole body stops it."""
    sender = HttpSender(resolver=lambda host, port: ["127.0.0.1"], read_timeout=0.5, body_deadline=0.3)
    result = sender.post(f"{server}/trickle", b"{}", {})
    assert result.status == 200 and 0 < len(result.body) < 1000
