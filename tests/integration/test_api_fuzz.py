"""Schemathesis against the local system's OpenAPI description, as the owner of a workspace of its own.

The contract (runs by default in ``make integration``):

* no response is a 5xx, whatever is sent (valid or invalid bodies, queries, path values);
* a response conforms to the schema the operation declares for its status code, where one is declared.

Checks, and why only these two: routes declare only ``200`` (from their return annotation) and ``422`` (the
Powertools validation error), while they legitimately answer 201/400/403/404/409/415 for fuzzed input, so
``status_code_conformance`` would fail on every operation without saying anything about the contract;
``response_schema_conformance`` validates the declared 200/422 schemas and skips statuses that are not declared.

Bounded so it takes a few minutes on two cores: the coverage phase (dozens of boundary cases per operation,
not bounded by ``max_examples``) is off, the fuzzing phase runs ``MAX_EXAMPLES`` positive and negative examples
per operation, derandomized with a fixed seed, no deadline, no shrinking. One test item per operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from haishin.api.app import build_app
from haishin_local.runtime import LocalSystem

pytestmark = [pytest.mark.integration]

FUZZ_WORKSPACE = "ws_fuzz"
MAX_EXAMPLES = 6
SEED = 20240601
CHECKS = (not_a_server_error, response_schema_conformance)

CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True},
})


@pytest.fixture(scope="module")
def fuzz_token(local_system: LocalSystem) -> str:
    local_system.create_owner(FUZZ_WORKSPACE, "owner@fuzz.example.com")  # as the create-owner command does
    return local_system.login(email="owner@fuzz.example.com", workspace_id=FUZZ_WORKSPACE)


# The description GET /api/openapi.json serves, built in-process (the server's port is only known once it runs;
# schemathesis.pytest.from_fixture fails on this pytest version with "'Function' object has no attribute '_nodeid'").
schema = schemathesis.openapi.from_dict(
    json.loads(build_app().get_openapi_json_schema(title="Haishin admin API", version="1")), config=CONFIG)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: Any, local_system: LocalSystem,
                                                         fuzz_token: str) -> None:
    response = case.call(base_url=local_system.base_url, headers={"authorization": f"Bearer {fuzz_token}"},
                         timeout=60)
    case.validate_response(response, checks=CHECKS)
