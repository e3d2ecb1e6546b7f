"""Browser tests: the built admin (admin/dist) in Debian's headless Chromium via Python Playwright.

Fixtures
- ``admin_backend`` / ``admin_url``: where the admin is served. Today a tiny stdlib HTTP server (``StubBackend``)
  serves ``admin/dist`` under ``/admin/`` (the local system's path) with a stub ``/admin/config.json`` and a stub
  ``POST /_dev/login``. Set ``HAISHIN_E2E_ADMIN_URL=http://127.0.0.1:3000/admin/`` to run the same tests against a
  running local system (``make dev``), or ``HAISHIN_E2E_BACKEND=local`` to start ``haishin_local.runtime.LocalSystem``
  in-process (needs Java + DynamoDB Local). The tests only use ``admin_url`` and behave the same on every backend.
- ``browser_context`` / ``page``: Chromium with a fresh user-data dir per test (isolated storage), the flags this
  machine needs, ja-JP locale, Asia/Tokyo. Viewport 1280x800 unless the test says ``@pytest.mark.viewport(w, h)``.
- ``snap``: ``snap()`` / ``snap("suffix")`` saves a screenshot to ``test-artifacts/e2e/<test name>[-suffix].png``;
  every test also gets one at teardown (pass or fail), which is what a reviewer looks at.
- ``browser_errors``: page errors and console errors collected during the test (asserted empty by the tests).

Sockets: this directory talks to loopback servers and Chromium over pipes; pytest-socket (used by tests/unit) is
switched back on here whatever the command line says.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_socket
from playwright.sync_api import sync_playwright

from .helpers import AdminBackend

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_DIST = REPO_ROOT / "admin" / "dist"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
ROLES = ("owner", "admin", "operator", "viewer")


# ---------------------------------------------------------------- pytest plumbing


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "viewport(width, height): browser viewport for this e2e test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            # pytest-socket honours this even under a global --disable-socket (its own runtest_setup hook).
            item.add_marker(pytest.mark.enable_socket)


@pytest.fixture(autouse=True)
def _sockets_allowed() -> Iterator[None]:
    """Undo pytest-socket's --disable-socket (if given globally): e2e needs loopback sockets."""
    pytest_socket.enable_socket()
    yield


@pytest.fixture(scope="module", autouse=True)
def _step_tick_starts_at_now() -> Iterator[None]:
    """Each journey starts with the step tick at the current minute, as on a fresh system. The journeys share one
    system and one clock, and an earlier journey's jump of days (a drip lesson, a period end) leaves the tick's
    watermark days behind: it catches up 8 hours per tick (tests/integration/test_step_on_time.py), minutes of
    DynamoDB Local queries before a later journey's reminder is due. Due pointers of finished journeys in the
    skipped minutes are theirs, never read again."""
    system = _shared.get("system")
    if system is not None:
        now = system.clock.now() - timedelta(minutes=1)
        system.client("dynamodb").put_item(TableName="WorkspaceTable", Item={
            "pk": {"S": "system"}, "sk": {"S": "step_tick_watermark"},
            "minute": {"S": now.strftime("%Y-%m-%dT%H:%M")},
            "updated_at": {"S": now.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")}})
    yield


# ---------------------------------------------------------------- the admin's server


def _fake_jwt(claims: dict[str, Any]) -> str:
    """Unsigned, JWT-shaped token carrying the claims the local system's dev login puts in its token."""

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.stub"


class _StubHandler(SimpleHTTPRequestHandler):
    """Serves admin/dist under /admin/, a stub config.json and POST /_dev/login (shape of the local system's)."""

    backend: AdminBackend

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(ADMIN_DIST), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self._cors()
        self.end_headers()
        self.wfile.write(data)

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.end_headers()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/admin"):
            self.send_response(302)
            self.send_header("Location", "/admin/")
            self.end_headers()
            return
        if path == "/admin/config.json":
            self._json(200, {"apiBase": self.backend.api_base, "authMode": "dev"})
            return
        if not path.startswith("/admin/"):
            self._json(404, {"code": "not_found", "message": "Not Found", "where": path})
            return
        self.path = self.path[len("/admin") :]
        super().do_GET()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path != "/_dev/login":
            self._json(404, {"code": "not_found", "message": "Not Found", "where": self.path})
            return
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"code": "validation_failed", "message": "body is not JSON"})
            return
        self.backend.login_requests.append(payload)
        email, ws, role = payload.get("email"), payload.get("workspace_id"), payload.get("role")
        if not email or not ws or role not in ROLES:
            self._json(
                422,
                {
                    "code": "validation_failed",
                    "message": "email, workspace_id and role are required",
                    "where": "email" if not email else "workspace_id" if not ws else "role",
                },
            )
            return
        token = _fake_jwt(
            {
                "sub": f"dev-{email}",
                "email": email,
                "custom:workspace_id": ws,
                "cognito:groups": [role],
                "exp": int(time.time()) + 3600,
            }
        )
        self._json(200, {"token": token, "token_type": "Bearer"})


_shared: dict[str, Any] = {}


def shared_local_system() -> Any:
    """The one LocalSystem of this test process, shared by the shell tests and the journeys (each journey works in
    its own workspace). Stopped at exit. ``HAISHIN_E2E_ADMIN_DIST`` serves another build of the admin."""
    if "system" not in _shared:
        from tests.integration.conftest import require_local_tools  # noqa: PLC0415

        require_local_tools()
        from haishin_local.runtime import LocalSystem  # noqa: PLC0415 - heavy: only when a test needs it

        system = LocalSystem(port=0, seed=False, strict=False)
        if os.environ.get("HAISHIN_E2E_ADMIN_DIST"):
            system.admin_dist = Path(os.environ["HAISHIN_E2E_ADMIN_DIST"])
        system.start()
        _shared["system"] = system
        atexit.register(system.stop)
    return _shared["system"]


# Who the shell tests sign in as in ws_demo. The dev login signs in only operators of the workspace (as Cognito +
# the operator record do in production): the owner is made like the create-owner command makes it, the rest are
# invited by the owner through the API.
SHELL_OPERATORS = (("hanako@example.jp", "admin"), ("viewer@example.jp", "viewer"))


def _shell_operators(system: Any) -> None:
    import urllib.error  # noqa: PLC0415

    from .helpers import api_request  # noqa: PLC0415

    system.create_owner("ws_demo", "owner@example.jp")
    token = system.login(email="owner@example.jp", workspace_id="ws_demo")
    for email, role in SHELL_OPERATORS:
        try:
            api_request(system, token, "POST", "/api/operators", {"email": email, "role": role})
        except urllib.error.HTTPError as error:
            if error.code != 409:  # already invited by an earlier test of this process
                raise


def _start_backend() -> Iterator[AdminBackend]:
    external = os.environ.get("HAISHIN_E2E_ADMIN_URL")
    if external:
        # A running local system (make dev). Its config.json names its own apiBase.
        url = external if external.endswith("/") else external + "/"
        yield AdminBackend(admin_url=url, api_base=url.rsplit("/admin/", 1)[0])
        return
    if not (ADMIN_DIST / "index.html").is_file():
        pytest.fail("admin/dist is not built: run `make admin` (or `cd admin && npm ci && npm run build`)")
    if os.environ.get("HAISHIN_E2E_BACKEND", "local") == "local":
        # The real local system in-process (DynamoDB Local, moto server, emulators): serves admin/dist at /admin/,
        # its own config.json and the real POST /_dev/login. The same instance serves the journeys.
        system = shared_local_system()
        _shell_operators(system)
        yield AdminBackend(admin_url=f"{system.base_url}/admin/", api_base=system.base_url)
        return
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    backend = AdminBackend(admin_url=f"{base}/admin/", api_base=base, stub=True)
    _StubHandler.backend = backend
    thread = threading.Thread(target=server.serve_forever, name="e2e-admin-stub", daemon=True)
    thread.start()
    try:
        yield backend
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def admin_backend() -> Iterator[AdminBackend]:
    yield from _start_backend()


@pytest.fixture
def admin_url(admin_backend: AdminBackend) -> str:
    admin_backend.login_requests.clear()
    return admin_backend.admin_url


# ---------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("HAISHIN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        msg = "Debian chromium is missing: apt-get install -y chromium fonts-noto-cjk (never `playwright install`)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    marker = request.node.get_closest_marker("viewport")
    if marker:
        width, height = marker.args
        return {"width": int(width), "height": int(height)}
    return dict(DESKTOP)


@pytest.fixture
def browser_context(
    playwright_instance: Any, chromium_path: str, viewport: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    phone = viewport["width"] < 768
    context = playwright_instance.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=viewport,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(20_000)  # 2 shared cores: a loaded machine is slow, not broken
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def browser_errors() -> list[str]:
    return []


def _artifact_name(nodename: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodename).strip("_")


@pytest.fixture
def page(browser_context: Any, browser_errors: list[str], request: pytest.FixtureRequest) -> Iterator[Any]:
    pg = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    pg.on("pageerror", lambda exc: browser_errors.append(f"pageerror: {exc}"))
    pg.on("console", lambda msg: msg.type == "error" and browser_errors.append(f"console: {msg.text}"))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{_artifact_name(request.node.name)}.png"), full_page=True)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        print(f"e2e: no teardown screenshot for {request.node.name}: {exc}")


@pytest.fixture
def snap(page: Any, request: pytest.FixtureRequest) -> Any:
    """``snap("after-login")`` -> test-artifacts/e2e/<test name>-after-login.png; returns the path."""

    def take(suffix: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = _artifact_name(request.node.name) + (f"-{_artifact_name(suffix)}" if suffix else "")
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
