"""Local cannot drift from deployed: every HttpApi route, SQS source and Schedule of template.yaml is served.

The expectations are read straight from template.yaml with a plain YAML pass (not the runtime's own loader), then
compared with what the running system reports and answers.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from haishin_local.runtime import LocalSystem

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _AnyTagLoader(yaml.SafeLoader):
    pass


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("!", _any_tag)


def _events(kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    data = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_AnyTagLoader)  # noqa: S506 - SafeLoader subclass
    out = []
    for rid, resource in data["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for name, event in (resource["Properties"].get("Events") or {}).items():
            if event["Type"] == kind:
                out.append((rid, name, event.get("Properties") or {}))
    return out


def test_every_http_route_is_served(local_system: LocalSystem) -> None:
    expected = {(f"{p['Method'].upper()} {p['Path']}", fid) for fid, _, p in _events("HttpApi")}
    served = {(r.route_key, r.function_id) for r in local_system.routes}
    assert expected, "template.yaml has HttpApi events"
    assert served == expected


def test_every_route_reaches_its_function_or_its_authorizer(local_system: LocalSystem) -> None:
    for route in local_system.routes:
        path = route.path.replace("{proxy+}", "a/b").replace("{", "").replace("}", "")
        method = "POST" if route.method == "ANY" else route.method
        function = local_system.functions[route.function_id]
        before = function.invocations
        data = b"{}" if method != "GET" else None
        request = urllib.request.Request(local_system.base_url + path, method=method, data=data)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        if route.authorizer:
            assert status == 401, route.route_key
        elif function.spec.missing:  # served, with the refusal naming the function until its handler exists
            assert status == 502 and route.function_id in json.loads(body)["local"], route.route_key
        else:
            assert function.invocations == before + 1, route.route_key


def test_every_sqs_source_is_pumped(local_system: LocalSystem) -> None:
    expected = set()
    for fid, name, props in _events("SQS"):
        queue = props["Queue"]["GetAtt"]
        expected.add((fid, name, queue.split(".")[0] if isinstance(queue, str) else queue[0]))
    sources = [s for s in local_system.event_sources if s["type"] == "SQS"]
    assert {(s["function"], s["event"], s["queue"]) for s in sources} == expected
    assert all(s["running"] and s["concurrency"] >= 1 for s in sources)
    for _, _, queue in expected:
        assert local_system.queue_url(queue).endswith(f"/{queue}")


def test_every_schedule_fires(local_system: LocalSystem) -> None:
    expected = {(fid, name, props["Schedule"]) for fid, name, props in _events("Schedule")}
    sources = [s for s in local_system.event_sources if s["type"] == "Schedule"]
    assert {(s["function"], s["event"], s["expression"]) for s in sources} == expected
    assert all(s["running"] for s in sources)


def test_no_other_event_types(local_system: LocalSystem) -> None:
    data = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_AnyTagLoader)  # noqa: S506
    kinds = {
        event["Type"]
        for resource in data["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
    }
    assert kinds <= {"HttpApi", "SQS", "Schedule"}


def test_tables_and_queues_exist(local_system: LocalSystem) -> None:
    data = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_AnyTagLoader)  # noqa: S506
    tables = {rid for rid, r in data["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    queues = {rid for rid, r in data["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
    assert tables <= set(local_system.client("dynamodb").list_tables()["TableNames"])
    urls = local_system.client("sqs").list_queues()["QueueUrls"]
    assert queues <= {u.rsplit("/", 1)[-1] for u in urls}
