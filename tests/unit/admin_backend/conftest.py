"""Admin backend (dashboard, workspace settings) unit fixtures: the template's tables in moto (``aws``), a manual
clock, and the AdminApi called with API Gateway v2 events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from haishin import clock
from haishin.api.app import AdminApi
from haishin.storage import shard_scan as scan
from tests.support.admin_api import call_admin_api

WS = "ws_dash"
OTHER_WS = "ws_dash_other"


def call(api: AdminApi, method: str, path: str, role: str = "owner", body: Any = None, workspace: str = WS,
         query: str = "") -> tuple[int, Any]:
    return call_admin_api(api, method, path, workspace=workspace, role=role, body=body, query=query)


@pytest.fixture
def api(aws: Any, manual_clock: clock.ManualClock) -> Iterator[AdminApi]:
    scan.reset_clients()
    yield AdminApi()
    scan.reset_clients()
