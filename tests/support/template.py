"""Read template.yaml the way CloudFormation means it, and create its tables and queues.

``template.yaml`` is the contract: tests, the local runtime and the benchmarks all derive table names,
keys, GSIs, TTLs, queues and redrive policies from it instead of repeating them.

Short-form intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub``...) load as their long form
(``{"Ref": ...}``, ``{"Fn::GetAtt": [logical_id, attribute]}``...), so plain dict access works.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

FUNCTION_TYPE = "AWS::Serverless::Function"
TABLE_TYPE = "AWS::DynamoDB::Table"
QUEUE_TYPE = "AWS::SQS::Queue"
LAYER_TYPE = "AWS::Serverless::LayerVersion"

_TAGS = [
    "Ref", "Condition", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Not", "Equals", "And", "Or",
    "FindInMap", "GetAZs", "ImportValue", "Base64", "Cidr", "Transform", "ToJsonString", "Length",
]  # fmt: skip


class CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that understands CloudFormation's short-form intrinsic functions."""


def _construct(tag: str) -> Any:
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _tag in _TAGS:
    CloudFormationLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


@lru_cache(maxsize=4)
def _cached(path: str) -> dict[str, Any]:
    return load_template(path)


def template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """The parsed template (cached; do not mutate)."""
    return _cached(str(path))


def resources(type_: str | None = None, path: Path | str = TEMPLATE_PATH) -> dict[str, dict[str, Any]]:
    """Resources by logical ID, optionally only those of one type, in template order."""
    res: dict[str, dict[str, Any]] = template(path)["Resources"]
    return {k: v for k, v in res.items() if type_ is None or v.get("Type") == type_}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str  # e.g. "functions/line_webhook/"
    handler: str  # e.g. "app.lambda_handler"
    layers: tuple[str, ...]  # logical IDs, Globals applied
    properties: dict[str, Any]

    @property
    def dir_name(self) -> str:
        """The directory under functions/, which is also the function's snake name (``line_webhook``)."""
        return Path(self.code_uri.rstrip("/")).name

    @property
    def directory(self) -> Path:
        return REPO_ROOT / self.code_uri

    @property
    def module_path(self) -> Path:
        return self.directory / (self.handler.rsplit(".", 1)[0].replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    @property
    def event_sample(self) -> Path:
        return REPO_ROOT / "events" / f"{self.dir_name}.json"

    def events(self, type_: str | None = None) -> dict[str, dict[str, Any]]:
        evs: dict[str, dict[str, Any]] = self.properties.get("Events") or {}
        return {k: v for k, v in evs.items() if type_ is None or v.get("Type") == type_}


def _ref_name(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return str(value)


def merge_globals(globals_value: Any, local_value: Any) -> Any:
    """SAM's Globals rule: maps merge (recursively), lists concatenate (Globals first), scalars are replaced."""
    if isinstance(globals_value, dict) and isinstance(local_value, dict):
        merged = dict(globals_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(globals_value[key], value) if key in globals_value else value
        return merged
    if isinstance(globals_value, list) and isinstance(local_value, list):
        return globals_value + local_value
    return local_value


def functions(path: Path | str = TEMPLATE_PATH) -> list[Function]:
    """Every AWS::Serverless::Function with Globals applied."""
    globals_fn = (template(path).get("Globals") or {}).get("Function") or {}
    out = []
    for logical_id, res in resources(FUNCTION_TYPE, path).items():
        props = merge_globals(globals_fn, res.get("Properties", {}))
        layers = tuple(_ref_name(layer) for layer in props.get("Layers", []))
        out.append(Function(logical_id, props["CodeUri"], props["Handler"], layers, props))
    return out


def function_snake_name(logical_id: str) -> str:
    """``LineWebhookFunction`` -> ``line_webhook``."""
    return _snake(logical_id.removesuffix("Function"))


# ---------------------------------------------------------------- tables


def table_ids(path: Path | str = TEMPLATE_PATH) -> list[str]:
    return list(resources(TABLE_TYPE, path))


def create_table_kwargs(logical_id: str, path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """``dynamodb.create_table`` arguments for a template table (its name is its logical ID)."""
    props = resources(TABLE_TYPE, path)[logical_id]["Properties"]
    kwargs: dict[str, Any] = {
        "TableName": logical_id,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
    return kwargs


def table_ttl_attribute(logical_id: str, path: Path | str = TEMPLATE_PATH) -> str | None:
    spec = resources(TABLE_TYPE, path)[logical_id]["Properties"].get("TimeToLiveSpecification")
    if spec and spec.get("Enabled"):
        return str(spec["AttributeName"])
    return None


def create_tables(dynamodb: Any, path: Path | str = TEMPLATE_PATH) -> list[str]:
    """Create every template table (with its TTL) through a boto3 DynamoDB client; returns the names."""
    names = []
    for logical_id in table_ids(path):
        dynamodb.create_table(**create_table_kwargs(logical_id, path))
        ttl = table_ttl_attribute(logical_id, path)
        if ttl:
            dynamodb.update_time_to_live(
                TableName=logical_id, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
            )
        names.append(logical_id)
    return names


# ---------------------------------------------------------------- queues


def queue_ids(path: Path | str = TEMPLATE_PATH) -> list[str]:
    return list(resources(QUEUE_TYPE, path))


def dead_letter_target(logical_id: str, path: Path | str = TEMPLATE_PATH) -> tuple[str, int] | None:
    """(DLQ logical ID, maxReceiveCount) of a queue, or None when it has no redrive policy."""
    redrive = resources(QUEUE_TYPE, path)[logical_id].get("Properties", {}).get("RedrivePolicy")
    if not redrive:
        return None
    target = redrive["deadLetterTargetArn"]
    if isinstance(target, dict) and "Fn::GetAtt" in target:
        target = target["Fn::GetAtt"][0]
    return str(target), int(redrive["maxReceiveCount"])


def _queues_in_dependency_order(path: Path | str) -> Iterator[str]:
    ids = queue_ids(path)
    dlqs = {t[0] for q in ids if (t := dead_letter_target(q, path))}
    yield from (q for q in ids if q in dlqs)
    yield from (q for q in ids if q not in dlqs)


_QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds",
                     "MaximumMessageSize")


def create_queues(sqs: Any, path: Path | str = TEMPLATE_PATH) -> dict[str, str]:
    """Create every template queue (DLQs first, redrive wired); returns {logical ID: queue URL}."""
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for logical_id in _queues_in_dependency_order(path):
        props = resources(QUEUE_TYPE, path)[logical_id].get("Properties", {})
        attributes = {k: str(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
        target = dead_letter_target(logical_id, path)
        if target:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[target[0]], "maxReceiveCount": target[1]}
            )
        url = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
        urls[logical_id] = url
        arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return urls


def env_refs(type_: str, path: Path | str = TEMPLATE_PATH) -> dict[str, str]:
    """Globals env vars that are ``!Ref`` to a resource of ``type_``: {logical ID: env var}.

    e.g. ``env_refs(QUEUE_TYPE)["LineEventsQueue"] == "LINE_EVENTS_QUEUE_URL"``.
    """
    variables = (
        ((template(path).get("Globals") or {}).get("Function") or {}).get("Environment", {}).get("Variables", {})
    )
    typed = resources(type_, path)
    return {v["Ref"]: name for name, v in variables.items() if isinstance(v, dict) and v.get("Ref") in typed}
