"""The thin handlers with the sample events in events/ (stripe_webhook, pages, form_submit)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from haishin import wiring

ROOT = Path(__file__).resolve().parents[3]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"handler_{name}", ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Context:
    function_name = "f"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    aws_request_id = "r"


def event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def test_stripe_webhook_sample_event(aws: Any, manual_clock: Any) -> None:
    app = load("stripe_webhook")
    sample = event("stripe_webhook")
    assert app.lambda_handler(sample, Context())["statusCode"] == 400  # no endpoint secret for w_sample yet
    aws.client("secretsmanager").create_secret(
        Name="haishin/local/w_sample/stripe/test",
        SecretString=json.dumps({"secret_key": "sk_test_x", "webhook_secrets": ["whsec_sample"]}))
    wiring.reset()  # drop the cached (missing) keys
    answer = app.lambda_handler(sample, Context())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["outcome"] == "unmatched"  # no such order: acknowledged, nothing applied
    tampered = {**sample, "body": sample["body"].replace("9800", "1")}
    assert app.lambda_handler(tampered, Context())["statusCode"] == 400


def test_pages_and_form_submit_sample_events(aws: Any, manual_clock: Any) -> None:
    pages = load("pages")
    answer = pages.lambda_handler(event("pages"), Context())
    assert answer["statusCode"] == 404 and "フォームが見つかりません" in answer["body"]
    submit = load("form_submit")
    answer = submit.lambda_handler(event("form_submit"), Context())
    assert answer["statusCode"] == 404 and answer["headers"]["content-type"].startswith("text/html")
