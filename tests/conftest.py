"""Shared test configuration: a safe, offline AWS environment for every test.

Unit tests must never reach a real AWS account: fake credentials, a fixed region, and no endpoint
overrides (the moto server or DynamoDB Local are the integration tests' business; they set their own
``AWS_ENDPOINT_URL*`` in their conftest).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Make ``tests.support`` importable however pytest is invoked (the repo root is not on sys.path by default).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

SAFE_AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # Never read the developer's ~/.aws files.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    # Powertools: quiet, no metrics flush errors without a namespace, no X-Ray.
    "POWERTOOLS_SERVICE_NAME": "haishin-test",
    "POWERTOOLS_METRICS_NAMESPACE": "HaishinTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def _apply_safe_env() -> None:
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(SAFE_AWS_ENV)
    if not os.environ.get("HAISHIN_KEEP_ENDPOINTS"):
        # Unit tests run in-process against moto's mock_aws; a stray endpoint would send them to a socket.
        for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
            del os.environ[name]


# At import time, before any test module (or boto3 session) is imported.
_apply_safe_env()
