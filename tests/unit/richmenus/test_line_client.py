"""The LINE client's rich menu calls, against a recording HTTP stub: LINE's paths and methods, the image to the
api-data host with its content type, aliases, the default, the insight read; LINE's errors as LineApiError."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from haishin import config
from haishin.line.client import LineApiError, LineClient

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


class Stub:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[str, str, str, bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                stub.calls.append((self.command, self.path, self.headers.get("content-type") or "", body))
                status, payload = 200, {}
                if self.path == "/v2/bot/richmenu" and self.command == "POST":
                    payload = {"richMenuId": "richmenu-" + "a" * 32}
                elif self.path.startswith("/v2/bot/insight/richmenu"):
                    payload = {"richMenuId": "richmenu-" + "a" * 32, "metricsFrom": "20260101"}
                elif "missing" in self.path:
                    status, payload = 404, {"message": "Not found"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stub, Stub]]:
    api, data = Stub("api"), Stub("data")
    monkeypatch.setenv("LINE_DATA_API_BASE", data.base)
    config.reset_settings_cache()
    try:
        yield api, data
    finally:
        api.server.shutdown()
        data.server.shutdown()
        monkeypatch.undo()
        config.reset_settings_cache()


def test_rich_menu_calls_go_where_line_takes_them(stubs: tuple[Stub, Stub]) -> None:
    api, data = stubs
    client = LineClient("token", base_url=api.base)
    body = {
        "size": {"width": 2500, "height": 843},
        "selected": False,
        "name": "m",
        "chatBarText": "メニュー",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                "action": {"type": "richmenuswitch", "richMenuAliasId": "hs-a", "data": "haishin:rmtab:x:0"},
            }
        ],
    }
    line_id = client.create_rich_menu(body)
    assert line_id == "richmenu-" + "a" * 32
    client.upload_rich_menu_image(line_id, "image/png", b"\x89PNG-bytes")
    client.create_rich_menu_alias("hs-a", line_id)
    client.update_rich_menu_alias("hs-a", line_id)
    client.set_default_rich_menu(line_id)
    client.cancel_default_rich_menu()
    client.delete_rich_menu_alias("hs-a")
    client.delete_rich_menu(line_id)
    insight = client.rich_menu_insight(line_id, "20260101", "20260131")
    assert insight["richMenuId"] == line_id
    sent = json.loads(api.calls[0][3])
    assert sent["chatBarText"] == "メニュー" and sent["areas"][0]["action"]["richMenuAliasId"] == "hs-a"
    assert [(m, p.split("?")[0]) for m, p, _, _ in api.calls] == [
        ("POST", "/v2/bot/richmenu"),
        ("POST", "/v2/bot/richmenu/alias"),
        ("POST", "/v2/bot/richmenu/alias/hs-a"),
        ("POST", f"/v2/bot/user/all/richmenu/{line_id}"),
        ("DELETE", "/v2/bot/user/all/richmenu"),
        ("DELETE", "/v2/bot/richmenu/alias/hs-a"),
        ("DELETE", f"/v2/bot/richmenu/{line_id}"),
        ("GET", f"/v2/bot/insight/richmenu/{line_id}/summary"),
    ]
    assert json.loads(api.calls[1][3]) == {"richMenuAliasId": "hs-a", "richMenuId": line_id}
    assert data.calls == [("POST", f"/v2/bot/richmenu/{line_id}/content", "image/png", b"\x89PNG-bytes")]
    with pytest.raises(LineApiError) as info:
        client.delete_rich_menu("richmenu-missing")
    assert info.value.status == 404
    client.close()
