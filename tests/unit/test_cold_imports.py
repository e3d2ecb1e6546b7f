"""Cold starts (issue 17): what each Lambda handler module does NOT import when Lambda loads it.

Each handler is imported in a fresh interpreter, as Lambda does at a cold start (the function's directory first on
sys.path, ``AWS_LAMBDA_FUNCTION_NAME`` set so Powertools behaves as in Lambda), and the heavy third-party packages
its paths do not all need must be absent from ``sys.modules`` afterwards: they load on the paths that use them
(through the composition root's builders), not on every cold start. Figures: ``tests/bench/import_times.py``;
the reasons: docs/production/cold.md. No timing is asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support import template as tpl

ROOT = tpl.REPO_ROOT

# Not at import in any handler:
# - aws_xray_sdk: X-Ray active tracing (template.yaml) traces invocations without the SDK; Powertools Tracer with
#   its patches cost ~50 ms of a cold start;
# - boto3 (and its s3transfer/multiprocessing): AWS clients are built by the paths that call them; DynamoDB goes
#   through botocore, which PynamoDB loads anyway;
# - linebot, stripe: only the paths that call LINE or Stripe build those clients.
NEVER = frozenset({"aws_xray_sdk", "boto3", "s3transfer", "linebot", "stripe"})
# Only the handlers every one of whose paths parses with pydantic (admin bodies, form definitions) may load it at
# import; the webhook sender, for one, reads items and never an admin schema.
PYDANTIC_OK = frozenset({"AdminApiFunction", "FormSubmitFunction"})
# Only the handlers that answer with an HTML page on their paths.
JINJA2_OK = frozenset({"FormSubmitFunction", "PagesFunction", "InflowFunction"})  # pages for friends
# The LINE webhook answers within LINE's 2 s: standard library only (tests/unit/line/test_webhook.py says more).
STDLIB_ONLY = frozenset({"LineWebhookFunction"})
STDLIB_ONLY_FORBIDS = frozenset({"botocore", "pynamodb", "aws_lambda_powertools", "pydantic", "jinja2"})

PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import app
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def forbidden(logical_id: str) -> frozenset[str]:
    names = set(NEVER)
    if logical_id not in PYDANTIC_OK:
        names.add("pydantic")
    if logical_id not in JINJA2_OK:
        names.add("jinja2")
    if logical_id in STDLIB_ONLY:
        names |= STDLIB_ONLY_FORBIDS
    return frozenset(names)


def lambda_like_env(fn: tpl.Function) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "haishin"), str(ROOT / "infra")]),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,  # Powertools (Tracer, Metrics) acts as in Lambda
        "LAMBDA_TASK_ROOT": str(fn.directory),
    }
    for name, value in (fn.properties.get("Environment") or {}).get("Variables", {}).items():
        env[name] = value if isinstance(value, str) else "from-template"
    return env


def imported_at_cold_start(fn: tpl.Function) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(fn.directory)], env=lambda_like_env(fn), cwd=fn.directory,
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


FUNCTIONS = {fn.logical_id: fn for fn in tpl.functions() if fn.module_path.exists()}


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_handler_import_leaves_heavy_packages_to_the_paths_that_use_them(logical_id: str) -> None:
    loaded = imported_at_cold_start(FUNCTIONS[logical_id])
    assert "haishin" in loaded or logical_id in STDLIB_ONLY  # the probe imported the real handler
    assert sorted(loaded & forbidden(logical_id)) == []


def test_every_function_of_the_template_is_checked() -> None:
    assert set(FUNCTIONS) == {fn.logical_id for fn in tpl.functions()}
    assert set(FUNCTIONS) >= PYDANTIC_OK | JINJA2_OK | STDLIB_ONLY


SCHEMAS_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import app
import pydantic

built = []
def walk(cls):
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("haishin") and sub.__pydantic_complete__:
            built.append(f"{sub.__module__}.{sub.__qualname__}")
        walk(sub)
walk(pydantic.BaseModel)
print(json.dumps(sorted(set(built))))
"""


def test_admin_api_import_builds_no_request_schema() -> None:
    """Our pydantic schemas are built on first use (``defer_build``): a request builds its route's schemas, not the
    other routes' (~70 models, ~20 ms of every admin cold start)."""
    fn = FUNCTIONS["AdminApiFunction"]
    out = subprocess.run(
        [sys.executable, "-c", SCHEMAS_PROBE, str(fn.directory)], env=lambda_like_env(fn), cwd=fn.directory,
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
