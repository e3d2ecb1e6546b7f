"""Reads template.yaml into what the local runtime serves: tables, queues, functions and their event sources.

Everything the runtime needs is resolved here (intrinsics, Globals, parameter defaults). Anything it cannot serve
faithfully is refused with :class:`TemplateRefused`, whose message names the resource.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .cfn_yaml import load_template
from .errors import TemplateRefused

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PLACEHOLDER_MOTO = "http://127.0.0.1:5000"


def lambda_arn(function_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_id}"


def queue_arn(queue_id: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_id}"


def queue_url(moto_endpoint: str, queue_id: str) -> str:
    return f"{moto_endpoint.rstrip('/')}/{ACCOUNT_ID}/{queue_id}"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class _Unresolvable(Exception):
    pass


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or ANY
    path: str  # as in the template: /line/webhook/{channel_id}
    function_id: str
    event_name: str
    authorizer: str | None = None  # authorizer name, None when the route is open
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsSource:
    function_id: str
    event_name: str
    queue_id: str
    batch_size: int = 10
    maximum_concurrency: int | None = None
    report_batch_item_failures: bool = False
    batching_window_seconds: int = 0
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleSource:
    function_id: str
    event_name: str
    expression: str  # rate(1 minute) or cron(...)
    enabled: bool = True
    input: str | None = None
    rule_name: str = ""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str  # "app.lambda_handler"
    module_file: Path
    attribute: str
    timeout: int = 3
    memory_size: int = 128
    reserved_concurrency: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    missing: str | None = None  # why the handler cannot be loaded, None when its file exists

    @property
    def arn(self) -> str:
        return lambda_arn(self.logical_id)


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    create_kwargs: Mapping[str, Any]
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    attributes: Mapping[str, str]
    dead_letter_queue: str | None = None
    max_receive_count: int | None = None


SUPPORTED_EVENT_TYPES = ("HttpApi", "SQS", "Schedule", "ScheduleV2")
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)


class Template:
    """A parsed, resolved SAM template rooted at ``root`` (CodeUri paths are relative to it)."""

    def __init__(
        self,
        path: Path,
        *,
        root: Path | None = None,
        parameters: Mapping[str, str] | None = None,
        moto_endpoint: str = PLACEHOLDER_MOTO,
        physical_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.root = Path(root) if root else self.path.parent
        try:
            self.raw = load_template(self.path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            detail = str(exc).replace("\n", " ")
            raise TemplateRefused(self.path.name, f"cannot be read: {detail}") from None
        self.parameter_overrides = dict(parameters or {})
        self.moto_endpoint = moto_endpoint
        self.physical_ids = dict(physical_ids or {})  # e.g. the user pool id moto generated
        self.resources: dict[str, dict[str, Any]] = self.raw.get("Resources") or {}
        self._conditions: dict[str, bool] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self.routes: list[HttpRoute] = []
        self.sqs_sources: list[SqsSource] = []
        self.schedules: list[ScheduleSource] = []
        self.tables: list[TableSpec] = []
        self.queues: list[QueueSpec] = []
        self.buckets: list[str] = []
        self.schedule_groups: list[str] = []
        self.user_pools: dict[str, dict[str, Any]] = {}  # logical id -> create_user_pool kwargs
        self.user_pool_groups: list[tuple[str, str, int | None]] = []  # (pool logical id, group, precedence)
        self._build()

    # ------------------------------------------------------------------ public helpers
    def of_type(self, *types: str) -> list[str]:
        return [rid for rid, res in self.resources.items() if res.get("Type") in types and self._included(rid)]

    def missing_handlers(self) -> dict[str, str]:
        return {fid: spec.missing for fid, spec in self.functions.items() if spec.missing}

    def require_handlers(self) -> None:
        """Refuse the template when a function's handler file is missing (the CLI's default)."""
        for fid, spec in self.functions.items():
            if spec.missing:
                raise TemplateRefused(fid, spec.missing)

    def merged_environment(self) -> dict[str, str]:
        """The union of every function's environment; two functions disagreeing on a variable is refused."""
        merged: dict[str, str] = {}
        owner: dict[str, str] = {}
        for fid, spec in self.functions.items():
            for key, value in spec.environment.items():
                if key in merged and merged[key] != value:
                    raise TemplateRefused(
                        fid,
                        f"environment variable {key}={value!r} differs from {owner[key]}'s {merged[key]!r}; "
                        "all handlers share one process locally, so the values must agree",
                    )
                merged[key] = value
                owner.setdefault(key, fid)
        return merged

    def function_for_arn(self, arn: str) -> str | None:
        prefix = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:"
        if not arn.startswith(prefix):
            return None
        name = arn[len(prefix) :].split(":", 1)[0]
        return name if name in self.functions else None

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        for name in self.raw.get("Conditions") or {}:
            self._condition(name)
        for rid in self.of_type("AWS::Serverless::Function"):
            self._build_function(rid)
        for rid in self.of_type("AWS::Lambda::Function"):
            raise TemplateRefused(rid, "AWS::Lambda::Function is not served locally; use AWS::Serverless::Function")
        for rid in self.of_type("AWS::DynamoDB::Table"):
            self.tables.append(self._build_table(rid))
        queues = [self._build_queue(rid) for rid in self.of_type("AWS::SQS::Queue")]
        self.queues = sorted(queues, key=lambda q: q.dead_letter_queue is not None)  # dead-letter queues first
        for rid in self.of_type("AWS::S3::Bucket"):
            self.buckets.append(self._bucket_name(rid))
        for rid in self.of_type("AWS::Scheduler::ScheduleGroup"):
            self.schedule_groups.append(self._schedule_group_name(rid))
        for rid in self.of_type("AWS::Cognito::UserPool"):
            self.user_pools[rid] = self._user_pool_kwargs(rid)
        for rid in self.of_type("AWS::Cognito::UserPoolGroup"):
            props = self.resources[rid].get("Properties") or {}
            pool = props.get("UserPoolId")
            if isinstance(pool, dict) and pool.get("Ref") in self.user_pools:
                precedence = props.get("Precedence")
                self.user_pool_groups.append(
                    (
                        str(pool["Ref"]),
                        str(props.get("GroupName", rid)),
                        int(precedence) if precedence is not None else None,
                    )
                )
        for source in self.sqs_sources:
            if not any(q.logical_id == source.queue_id for q in self.queues):
                raise TemplateRefused(
                    source.function_id, f"event {source.event_name} reads {source.queue_id}, no queue"
                )
        seen: dict[str, str] = {}
        for route in self.routes:
            if route.route_key in seen:
                raise TemplateRefused(
                    route.function_id, f"route {route.route_key} is also served by {seen[route.route_key]}"
                )
            seen[route.route_key] = route.function_id

    def _included(self, rid: str) -> bool:
        condition = self.resources[rid].get("Condition")
        return True if condition is None else self._condition(str(condition))

    def _globals(self) -> dict[str, Any]:
        return ((self.raw.get("Globals") or {}).get("Function")) or {}

    def _build_function(self, fid: str) -> None:
        props: dict[str, Any] = self.resources[fid].get("Properties") or {}
        glob = self._globals()

        def prop(name: str, default: Any = None) -> Any:
            if name in props:
                return self._resolve(props[name], fid, name)
            if name in glob:
                return self._resolve(glob[name], fid, f"Globals.Function.{name}")
            return default

        if props.get("PackageType", "Zip") != "Zip":
            raise TemplateRefused(fid, "container image functions are not served locally")
        if "InlineCode" in props:
            raise TemplateRefused(fid, "InlineCode is not served locally; use CodeUri")
        runtime = str(prop("Runtime", ""))
        if not runtime.startswith("python3"):
            raise TemplateRefused(fid, f"runtime {runtime or '(none)'} is not served locally (python3.x only)")
        code_uri = prop("CodeUri")
        handler = prop("Handler")
        if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
            raise TemplateRefused(fid, "needs a local CodeUri directory and a Handler of the form module.function")
        module_name, _, attribute = handler.rpartition(".")
        code_dir = (self.root / code_uri).resolve()
        module_file = code_dir / (module_name.replace(".", "/") + ".py")
        missing = None
        if not code_dir.is_dir():
            missing = f"CodeUri {code_uri} does not exist under {self.root}"
        elif not module_file.is_file():
            missing = f"handler file {self._display(module_file)} is missing (Handler {handler})"
        env: dict[str, str] = {}
        for source, where in ((glob, "Globals.Function"), (props, "Properties")):
            variables = ((source.get("Environment") or {}).get("Variables")) or {}
            for key, value in variables.items():
                resolved = self._resolve(value, fid, f"{where}.Environment.Variables.{key}")
                if resolved is NO_VALUE:
                    continue
                if isinstance(resolved, bool):
                    resolved = "true" if resolved else "false"
                if not isinstance(resolved, str | int | float):
                    raise TemplateRefused(fid, f"environment variable {key} does not resolve to a string")
                env[str(key)] = str(resolved)
        reserved = prop("ReservedConcurrentExecutions")
        self.functions[fid] = FunctionSpec(
            logical_id=fid,
            code_uri=code_dir,
            handler=handler,
            module_file=module_file,
            attribute=attribute,
            timeout=int(prop("Timeout", 3)),
            memory_size=int(prop("MemorySize", 128)),
            reserved_concurrency=int(reserved) if reserved is not None else None,
            environment=env,
            missing=missing,
        )
        for event_name, event in (props.get("Events") or {}).items():
            self._build_event(fid, str(event_name), event or {})

    def _display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def _build_event(self, fid: str, name: str, event: dict[str, Any]) -> None:
        kind = event.get("Type")
        props: dict[str, Any] = event.get("Properties") or {}
        where = f"Events.{name}"
        if kind == "HttpApi":
            self.routes.append(self._build_route(fid, name, props))
        elif kind == "SQS":
            queue = props.get("Queue")
            queue_id = self._queue_from_arn(self._resolve(queue, fid, f"{where}.Queue"))
            if queue_id is None:
                raise TemplateRefused(fid, f"{where}.Queue must be !GetAtt <Queue>.Arn of a queue in the template")
            scaling = self._resolve(props.get("ScalingConfig") or {}, fid, f"{where}.ScalingConfig")
            max_conc = scaling.get("MaximumConcurrency") if isinstance(scaling, dict) else None
            types = self._resolve(props.get("FunctionResponseTypes") or [], fid, f"{where}.FunctionResponseTypes")
            self.sqs_sources.append(
                SqsSource(
                    function_id=fid,
                    event_name=name,
                    queue_id=queue_id,
                    batch_size=int(self._resolve(props.get("BatchSize", 10), fid, f"{where}.BatchSize")),
                    maximum_concurrency=int(max_conc) if max_conc is not None else None,
                    report_batch_item_failures="ReportBatchItemFailures" in (types or []),
                    batching_window_seconds=int(
                        self._resolve(props.get("MaximumBatchingWindowInSeconds", 0), fid, where)
                    ),
                    enabled=_truthy(self._resolve(props.get("Enabled", True), fid, f"{where}.Enabled")),
                )
            )
        elif kind in ("Schedule", "ScheduleV2"):
            key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
            expression = self._resolve(props.get(key), fid, f"{where}.{key}")
            if not isinstance(expression, str) or not re.match(r"^(rate|cron)\(.+\)$", expression.strip()):
                raise TemplateRefused(fid, f"{where}: schedule {expression!r} is not rate(...) or cron(...)")
            enabled = props.get("Enabled", True)
            state = props.get("State")
            if state is not None:
                enabled = str(self._resolve(state, fid, where)).upper() == "ENABLED"
            raw_input = self._resolve(props.get("Input"), fid, f"{where}.Input") if "Input" in props else None
            self.schedules.append(
                ScheduleSource(
                    function_id=fid,
                    event_name=name,
                    expression=expression.strip(),
                    enabled=_truthy(self._resolve(enabled, fid, where)),
                    input=raw_input if isinstance(raw_input, str) else None,
                    rule_name=str(props.get("Name") or f"{fid}{name}"),
                )
            )
        else:
            raise TemplateRefused(
                fid, f"event {name} has type {kind!r}; the local runtime serves {', '.join(SUPPORTED_EVENT_TYPES)}"
            )

    def _build_route(self, fid: str, name: str, props: dict[str, Any]) -> HttpRoute:
        where = f"Events.{name}"
        path = self._resolve(props.get("Path"), fid, f"{where}.Path")
        method = str(self._resolve(props.get("Method", "ANY"), fid, f"{where}.Method")).upper()
        if not isinstance(path, str) or not path.startswith("/"):
            raise TemplateRefused(fid, f"{where}: HttpApi events need a Path (the $default route is not served)")
        if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
            method = "ANY"
        version = str(props.get("PayloadFormatVersion", "2.0"))
        if version != "2.0":
            raise TemplateRefused(fid, f"{where}: payload format {version} is not served (2.0 only)")
        api_auth: dict[str, Any] = {}
        api_ref = props.get("ApiId")
        if isinstance(api_ref, dict) and "Ref" in api_ref:
            api_id = str(api_ref["Ref"])
            api = self.resources.get(api_id)
            if api is None or api.get("Type") != "AWS::Serverless::HttpApi":
                raise TemplateRefused(fid, f"{where}: ApiId {api_id} is not an AWS::Serverless::HttpApi")
            api_auth = (api.get("Properties") or {}).get("Auth") or {}
        elif api_ref is not None:
            raise TemplateRefused(fid, f"{where}: ApiId must be !Ref of an HttpApi in the template")
        auth = props.get("Auth") or {}
        authorizer = auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
        if authorizer in (None, "NONE"):
            return HttpRoute(method=method, path=path, function_id=fid, event_name=name)
        authorizers = api_auth.get("Authorizers") or {}
        config = authorizers.get(authorizer)
        if not isinstance(config, dict) or "JwtConfiguration" not in config:
            raise TemplateRefused(
                fid, f"{where}: authorizer {authorizer!r} is not a JWT authorizer of the API (only JWT is served)"
            )
        scopes = auth.get("AuthorizationScopes", config.get("AuthorizationScopes")) or []
        return HttpRoute(
            method=method,
            path=path,
            function_id=fid,
            event_name=name,
            authorizer=str(authorizer),
            scopes=tuple(str(s) for s in scopes),
        )

    def _queue_from_arn(self, arn: Any) -> str | None:
        prefix = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:"
        if isinstance(arn, str) and arn.startswith(prefix):
            name = arn[len(prefix) :]
            if self.resources.get(name, {}).get("Type") == "AWS::SQS::Queue":
                return name
        return None

    def _build_table(self, rid: str) -> TableSpec:
        props = self._resolve(self.resources[rid].get("Properties") or {}, rid, "Properties")
        billing = props.get("BillingMode", "PROVISIONED")
        kwargs: dict[str, Any] = {
            "TableName": rid,
            "AttributeDefinitions": props.get("AttributeDefinitions") or [],
            "KeySchema": props.get("KeySchema") or [],
            "BillingMode": billing,
        }
        if not kwargs["KeySchema"]:
            raise TemplateRefused(rid, "table has no KeySchema")
        throughput = props.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if billing != "PAY_PER_REQUEST":
            kwargs["ProvisionedThroughput"] = _ints(throughput)
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            indexes = []
            for index in props.get(key) or []:
                clean = {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                if key == "GlobalSecondaryIndexes" and billing != "PAY_PER_REQUEST":
                    clean["ProvisionedThroughput"] = _ints(index.get("ProvisionedThroughput") or throughput)
                indexes.append(clean)
            if indexes:
                kwargs[key] = indexes
        stream = props.get("StreamSpecification")
        if stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        ttl = props.get("TimeToLiveSpecification") or {}
        ttl_attribute = ttl.get("AttributeName") if _truthy(ttl.get("Enabled", False)) else None
        return TableSpec(logical_id=rid, create_kwargs=kwargs, ttl_attribute=ttl_attribute)

    def _build_queue(self, rid: str) -> QueueSpec:
        props = self._resolve(self.resources[rid].get("Properties") or {}, rid, "Properties")
        attributes = {k: _attr(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
        dlq = None
        max_receive = None
        redrive = props.get("RedrivePolicy")
        if redrive:
            if isinstance(redrive, str):
                redrive = json.loads(redrive)
            dlq = self._queue_from_arn(redrive.get("deadLetterTargetArn"))
            if dlq is None:
                raise TemplateRefused(rid, "RedrivePolicy.deadLetterTargetArn must be a queue of this template")
            max_receive = int(redrive.get("maxReceiveCount", 10))
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue_arn(dlq), "maxReceiveCount": max_receive}
            )
        if _truthy(props.get("FifoQueue", False)):
            raise TemplateRefused(rid, "FIFO queues are not served locally")
        return QueueSpec(logical_id=rid, attributes=attributes, dead_letter_queue=dlq, max_receive_count=max_receive)

    def _bucket_name(self, rid: str) -> str:
        props = self.resources[rid].get("Properties") or {}
        if "BucketName" in props:
            return str(self._resolve(props["BucketName"], rid, "BucketName"))
        return rid.lower()

    def _user_pool_kwargs(self, rid: str) -> dict[str, Any]:
        props = self.resources[rid].get("Properties") or {}
        kwargs: dict[str, Any] = {"PoolName": str(self._resolve(props.get("UserPoolName", rid), rid, "UserPoolName"))}
        if props.get("UsernameAttributes"):
            kwargs["UsernameAttributes"] = list(props["UsernameAttributes"])
        schema = []
        for attribute in props.get("Schema") or []:
            schema.append(
                {k: v for k, v in attribute.items() if k in ("Name", "AttributeDataType", "Mutable", "Required")}
            )
        if schema:
            kwargs["Schema"] = schema
        return kwargs

    def _schedule_group_name(self, rid: str) -> str:
        props = self.resources[rid].get("Properties") or {}
        return str(self._resolve(props.get("Name", rid), rid, "Name"))

    # ------------------------------------------------------------------ intrinsics
    def _resolve(self, value: Any, resource: str, what: str) -> Any:
        try:
            return self._value(value)
        except _Unresolvable as exc:
            raise TemplateRefused(resource, f"{what}: {exc}") from None

    def _value(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self._ref(str(arg))
                if key == "Condition":
                    return self._condition(str(arg))
                if key.startswith("Fn::"):
                    return self._fn(key, arg)
            out = {}
            for k, v in value.items():
                resolved = self._value(v)
                if resolved is not NO_VALUE:
                    out[k] = resolved
            return out
        if isinstance(value, list):
            return [r for r in (self._value(v) for v in value) if r is not NO_VALUE]
        return value

    def _fn(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            if isinstance(arg, str):
                arg = arg.split(".", 1)
            return self._get_att(str(arg[0]), str(self._value(arg[1])))
        if key == "Fn::Sub":
            if isinstance(arg, list):
                text, variables = arg[0], {k: self._value(v) for k, v in (arg[1] or {}).items()}
            else:
                text, variables = arg, {}
            return self._sub(str(text), variables)
        if key == "Fn::Join":
            delimiter, items = arg
            return str(delimiter).join(str(self._value(i)) for i in self._value(items))
        if key == "Fn::Select":
            index, items = arg
            return self._value(items)[int(self._value(index))]
        if key == "Fn::Split":
            delimiter, text = arg
            return str(self._value(text)).split(str(delimiter))
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self._value(when_true if self._condition(str(name)) else when_false)
        if key == "Fn::Equals":
            left, right = (self._value(a) for a in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._bool(arg[0])
        if key == "Fn::And":
            return all(self._bool(a) for a in arg)
        if key == "Fn::Or":
            return any(self._bool(a) for a in arg)
        if key == "Fn::Base64":
            return base64.b64encode(str(self._value(arg)).encode()).decode()
        if key == "Fn::FindInMap":
            table, first, second = (self._value(a) for a in arg)
            try:
                return self.raw["Mappings"][table][first][second]
            except (KeyError, TypeError):
                raise _Unresolvable(f"Fn::FindInMap {table}.{first}.{second} is not in Mappings") from None
        raise _Unresolvable(f"{key} is not an intrinsic the local runtime can resolve")

    def _bool(self, value: Any) -> bool:
        resolved = self._value(value)
        if isinstance(resolved, bool):
            return resolved
        raise _Unresolvable(f"{value!r} is not a condition")

    def _condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.raw.get("Conditions") or {}
            if name not in conditions:
                raise _Unresolvable(f"condition {name} is not defined")
            self._conditions[name] = self._bool(conditions[name])
        return self._conditions[name]

    def _parameter(self, name: str) -> Any:
        if name in self.parameter_overrides:
            return self.parameter_overrides[name]
        param = (self.raw.get("Parameters") or {})[name]
        if "Default" not in param:
            raise _Unresolvable(f"parameter {name} has no Default (pass it as a parameter override)")
        default = param["Default"]
        return str(default) if not isinstance(default, list) else ",".join(map(str, default))

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "haishin-local",
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/haishin-local/local",
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in (self.raw.get("Parameters") or {}):
            return self._parameter(name)
        resource = self.resources.get(name)
        if resource is None:
            raise _Unresolvable(f"!Ref {name} names nothing in the template")
        kind = resource.get("Type")
        if kind == "AWS::DynamoDB::Table":
            return name
        if kind == "AWS::SQS::Queue":
            return queue_url(self.moto_endpoint, name)
        if kind in ("AWS::Serverless::Function", "AWS::IAM::Role"):
            return name
        if kind == "AWS::Scheduler::ScheduleGroup":
            return self._schedule_group_name(name)
        if kind == "AWS::S3::Bucket":
            return self._bucket_name(name)
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::Serverless::HttpApi":
            return "local"
        if name in self.physical_ids:
            return self.physical_ids[name]
        if kind == "AWS::Cognito::UserPool":
            return f"{REGION}_local{name}"
        if kind == "AWS::Cognito::UserPoolClient":
            return f"local{name.lower()}"
        raise _Unresolvable(f"!Ref {name} ({kind}) has no local value")

    def _get_att(self, name: str, attribute: str) -> Any:
        resource = self.resources.get(name)
        if resource is None:
            raise _Unresolvable(f"!GetAtt {name}.{attribute} names nothing in the template")
        kind = resource.get("Type")
        if kind == "AWS::SQS::Queue":
            values = {"Arn": queue_arn(name), "QueueName": name, "QueueUrl": queue_url(self.moto_endpoint, name)}
            if attribute in values:
                return values[attribute]
        elif kind == "AWS::Serverless::Function" and attribute == "Arn":
            return lambda_arn(name)
        elif kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        elif kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        elif kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self._bucket_name(name)}"
        elif kind == "AWS::Scheduler::ScheduleGroup" and attribute == "Arn":
            return f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/{self._schedule_group_name(name)}"
        elif kind == "AWS::Cognito::UserPool" and attribute == "Arn":
            return f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{self._ref(name)}"
        elif kind == "AWS::SNS::Topic" and attribute == "TopicArn":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
        raise _Unresolvable(f"!GetAtt {name}.{attribute} ({kind}) has no local value")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                resource, attribute = expr.split(".", 1)
                return str(self._get_att(resource, attribute))
            return str(self._ref(expr))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _attr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ints(throughput: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in throughput.items() if k in ("ReadCapacityUnits", "WriteCapacityUnits")}
