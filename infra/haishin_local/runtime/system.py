"""``LocalSystem``: the whole of template.yaml running on one machine, no Docker, no AWS account.

with LocalSystem(port=0, seed=False) as system:
    system.base_url, system.advance(timedelta(minutes=5)), system.drain(), system.invoke("StepTickFunction", {})
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3

from haishin import clock as haishin_clock
from haishin.config import reset_settings_cache

from ..dynamodb_local import DynamoDBLocal, DynamoDBLocalError
from ..moto_process import MotoServer
from .apigw import DEFAULT_STAGE, match_route, stage_prefix
from .devauth import DevAuthority, NotAnOperator
from .errors import LocalSystemError, TemplateRefused
from .functions import Handler, LocalFunction
from .schedules import Scheduler
from .server import LocalHttpServer
from .sqs_pump import LOCAL_CONCURRENCY_CAP, SqsPump
from .template import REGION, HttpRoute, Template, queue_arn, queue_url

log = logging.getLogger("haishin_local")

REPO_ROOT = Path(__file__).resolve().parents[3]
STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class LocalSystem:
    def __init__(
        self,
        *,
        port: int = 3000,
        host: str = "127.0.0.1",
        seed: bool = True,
        persist: bool = False,
        template: Path | str | None = None,
        root: Path | str | None = None,
        parameters: Mapping[str, str] | None = None,
        strict: bool = True,
        emulators: bool = True,
        concurrency_cap: int = LOCAL_CONCURRENCY_CAP,
        retry_backoff_seconds: int = 1,
        one_time_check_seconds: float = 2.0,
        stage: str = DEFAULT_STAGE,
        say: Callable[[str], None] | None = None,
    ) -> None:
        if stage != DEFAULT_STAGE and not STAGE_NAME.fullmatch(stage):
            raise LocalSystemError(f"a stage is $default or 1-128 letters, digits, - and _ (got {stage!r})")
        self.stage = stage  # API Gateway's stage: a named one is the first path segment of every route
        self.root = Path(root) if root else (Path(template).parent if template else REPO_ROOT)
        self.template_path = Path(template) if template else self.root / "template.yaml"
        self.host = host
        self.requested_port = port
        self.seed = seed
        self.user_pool_id: str | None = None
        self.persist = persist
        self.parameters = dict(parameters or {})
        self.strict = strict
        self.emulators = emulators
        self.concurrency_cap = concurrency_cap
        self.retry_backoff_seconds = retry_backoff_seconds
        self.one_time_check_seconds = one_time_check_seconds
        self.say = say or (lambda line: log.info("%s", line))
        self.admin_dist = self.root / "admin" / "dist"
        # parse and validate before starting anything: a refusal must not leave processes behind
        self.template = Template(self.template_path, root=self.root, parameters=self.parameters)
        if strict:
            self.template.require_handlers()
        self.template.merged_environment()
        self.auth = DevAuthority(scopes=sorted({s for r in self.template.routes for s in r.scopes}) or ("openid",))
        self.clock = haishin_clock.OffsetClock()
        self.functions: dict[str, LocalFunction] = {}
        self.pumps: list[SqsPump] = []
        self.scheduler: Scheduler | None = None
        self.line_emulator: Any = None
        self.stripe_emulator: Any = None
        self.webhook_receiver: Any = None  # haishin_local.webhook_receiver: records outgoing webhooks
        self.startup_seconds = 0.0  # everything, seed included
        self.core_seconds = 0.0  # until the system serves requests (before the seed)
        self.seed_seconds = 0.0
        self._started_at = 0.0
        self._ddb: DynamoDBLocal | None = None
        self._moto: MotoServer | None = None
        self._http: LocalHttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._saved_env: dict[str, str | None] = {}
        self._previous_clock: haishin_clock.Clock | None = None
        self._clients: dict[str, Any] = {}
        self._started = False
        self._stopped = False
        self._advance_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalSystem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalSystem:
        if self._started:
            return self
        self._started = True
        started = self._started_at = time.monotonic()
        try:
            self._start(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _start(self, started: float) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = MotoServer()
        self._moto.launch()  # its own process, started while the JVM starts
        self._ddb = DynamoDBLocal(persist=self.persist)
        self._ddb.launch()  # from this thread: the JVM is tied to it and dies with the process
        ddb_error: list[BaseException] = []

        def start_ddb() -> None:
            try:
                assert self._ddb is not None
                self._ddb.wait_ready()
            except BaseException as exc:
                ddb_error.append(exc)

        ddb_thread = threading.Thread(target=start_ddb, name="dynamodb-local-start", daemon=True)
        ddb_thread.start()
        try:
            self._http = LocalHttpServer((self.host, self.requested_port), self)
        except OSError as exc:
            ddb_thread.join()
            raise LocalSystemError(
                f"cannot listen on {self.host}:{self.requested_port} ({exc.strerror}); use --port"
            ) from None
        self._moto.wait_ready()
        physical_ids = self._create_user_pools()
        self.user_pool_id = physical_ids.get("UserPool")  # the operators' pool in moto (None on test templates)
        self.template = Template(
            self.template_path,
            root=self.root,
            parameters=self.parameters,
            moto_endpoint=self.moto_endpoint,
            physical_ids=physical_ids,
        )
        self.functions = {fid: LocalFunction(spec) for fid, spec in self.template.functions.items()}
        self._set_aws_env()
        self._create_queues()
        self._create_moto_resources()
        ddb_thread.join()
        if ddb_error:
            raise ddb_error[0]
        self._create_tables()
        self._start_emulators()
        self._set_app_env()
        self._previous_clock = haishin_clock.install(self.clock)
        self._import_handlers()  # before anything serves: one thread, in order (concurrent first imports race)
        self._http_thread = threading.Thread(target=self._http.serve_forever, name="http", daemon=True)
        self._http_thread.start()
        for fid, reason in self.template.missing_handlers().items():
            self.say(f"warning: {fid}: {reason} (its routes answer 502 until it exists)")
        self._first_admin_request()
        self._start_pumps()
        self.scheduler = Scheduler(
            self.template.schedules,
            self.invoke,
            self.template.function_for_arn,
            self.client("scheduler"),
            one_time_interval=self.one_time_check_seconds,
        )
        self.scheduler.start()
        self.core_seconds = time.monotonic() - started
        if self.seed:
            seed_started = time.monotonic()
            self.say("Seeding the demo workspace (--no-seed skips it)...")
            self._seed()
            self.seed_seconds = time.monotonic() - seed_started

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.scheduler:
            self.scheduler.stop()
        for pump in self.pumps:
            pump.stop()
        if self._http:
            if self._http_thread:
                self._http.shutdown()
            self._http.server_close()
        for emulator in (self.line_emulator, self.stripe_emulator, self.webhook_receiver):
            if emulator is not None:
                with contextlib.suppress(Exception):
                    emulator.stop()
        if self._moto:
            with contextlib.suppress(Exception):
                self._moto.stop()
        if self._ddb:
            self._ddb.stop()
        if self._previous_clock is not None:
            haishin_clock.install(self._previous_clock)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        reset_settings_cache()
        # Back to whatever ran before (an outer LocalSystem in the same test process, or nothing).
        _forget_process_clients(os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))

    # ------------------------------------------------------------------ endpoints
    @property
    def base_url(self) -> str:
        if not self._http:
            raise LocalSystemError("the local system is not started")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Where the template's HTTP routes are served: ``base_url`` plus the stage on a named stage (the stack's
        ``ApiUrl``). The admin, ``/_dev`` and ``/`` stay at ``base_url``."""
        return self.base_url + stage_prefix(self.stage)

    @property
    def port(self) -> int:
        return int(self._http.server_address[1]) if self._http else self.requested_port

    @property
    def moto_endpoint(self) -> str:
        if not self._moto:
            raise LocalSystemError("the local system is not started")
        return self._moto.endpoint

    @property
    def dynamodb_endpoint(self) -> str:
        if not self._ddb:
            raise LocalSystemError("the local system is not started")
        return self._ddb.endpoint

    @property
    def routes(self) -> list[HttpRoute]:
        return list(self.template.routes)

    def pump(self, function_id: str) -> SqsPump:
        """The SQS event source feeding ``function_id`` (e.g. to hold it: ``with system.pump(...).held():``)."""
        found = [p for p in self.pumps if p.source.function_id == function_id]
        if len(found) != 1:
            raise KeyError(f"{function_id} has {len(found)} SQS event sources")
        return found[0]

    @property
    def event_sources(self) -> list[dict[str, Any]]:
        sources: list[dict[str, Any]] = []
        pumps = {(p.source.function_id, p.source.event_name): p for p in self.pumps}
        for sqs in self.template.sqs_sources:
            pump = pumps.get((sqs.function_id, sqs.event_name))
            sources.append(
                {
                    "type": "SQS",
                    "function": sqs.function_id,
                    "event": sqs.event_name,
                    "queue": sqs.queue_id,
                    "batch_size": sqs.batch_size,
                    "concurrency": pump.concurrency if pump else 0,
                    "running": pump is not None,
                }
            )
        for rule in self.template.schedules:
            sources.append(
                {
                    "type": "Schedule",
                    "function": rule.function_id,
                    "event": rule.event_name,
                    "expression": rule.expression,
                    "running": rule.enabled and self.scheduler is not None,
                }
            )
        return sources

    def queue_url(self, logical_id: str) -> str:
        if not any(q.logical_id == logical_id for q in self.template.queues):
            raise KeyError(f"{logical_id} is not a queue of the template")
        return queue_url(self.moto_endpoint, logical_id)

    def client(self, service: str) -> Any:
        """A boto3 client for a local service (DynamoDB Local for dynamodb, moto for the rest)."""
        if service not in self._clients:
            endpoint = self.dynamodb_endpoint if service == "dynamodb" else self.moto_endpoint
            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
        return self._clients[service]

    def admin_config(self) -> dict[str, Any]:
        return {
            "apiBase": self.api_url,
            "authMode": "dev",
            "loginUrl": f"{self.api_url}/_dev/login",
            "lineEmulatorUrl": getattr(self.line_emulator, "base_url", None),
            "stripeUrl": getattr(self.stripe_emulator, "base_url", None),
        }

    def health(self) -> dict[str, Any]:
        return {
            "ok": True,
            "now": haishin_clock.now().isoformat(),
            "dynamodb": self.dynamodb_endpoint,
            "moto": self.moto_endpoint,
            "functions": {
                fid: {"missing": f.spec.missing, "invocations": f.invocations, "errors": f.errors}
                for fid, f in self.functions.items()
            },
            "event_sources": self.event_sources,
        }

    def clock_state(self) -> dict[str, Any]:
        return {"now": self.clock.now().isoformat(), "offset_seconds": self.clock.offset.total_seconds()}

    # ------------------------------------------------------------------ behaviour
    def invoke(self, function_logical_id: str, event: Any) -> Any:
        function = self.functions.get(function_logical_id)
        if function is None:
            raise KeyError(f"{function_logical_id} is not a function of the template")
        return function.invoke(event)

    def _import_handlers(self) -> None:
        """Import every handler once, in template order, on this thread, before the port is served and before any
        pump or schedule runs. Imports started from several request threads at once race inside shared packages
        (``KeyError: 'aws_lambda_powertools.utilities.data_classes'``, then a 502). A handler that fails to import
        stops a strict start; otherwise its routes answer 502 with the reason."""
        for function in self.functions.values():
            if function.spec.missing:
                continue
            try:
                function.load()
            except TemplateRefused as exc:
                if self.strict:
                    raise
                self.say(f"warning: {exc}")

    def _first_admin_request(self) -> None:
        """The local stand-in for an operator having opened the admin: with PublicBaseUrl empty, the admin API
        records the URL it is served under (domain + stage), which paths without a request (delivery worker,
        planner) put in front of the URLs they render. Through HTTP, exactly as any request."""
        if os.environ.get("PUBLIC_BASE_URL"):
            return
        match = match_route(self.template.routes, "GET", "/api/openapi.json")
        if match is None or self.template.functions[match.route.function_id].missing:
            return
        try:
            with urllib.request.urlopen(f"{self.api_url}/api/openapi.json", timeout=30) as response:
                response.read()
        except OSError as exc:
            self.say(f"warning: the first admin API request failed ({exc}); background URLs need PublicBaseUrl")

    def override_handler(self, function_logical_id: str, handler: Handler) -> None:
        """Serve a function with another handler (tests); routes, queues and schedules stay as in the template."""
        self.functions[function_logical_id].override(handler)

    def login(self, *, email: str, workspace_id: str, role: str | None = None) -> str:
        """A dev-login token for an operator of ``workspace_id``, as Cognito would issue it: the ``sub`` of the
        e-mail's account in the local user pool, and the operator record's role as its group. Raises NotAnOperator
        (403 at ``/_dev/login``) for an e-mail with no account or no live operator record there, as production's
        API refuses it. ``role`` is what the caller expects and decides nothing."""
        subject, record_role = self._operator(email, workspace_id, role)
        return self.auth.issue(email=email, workspace_id=workspace_id, role=record_role, subject=subject)

    def create_owner(self, workspace_id: str, email: str, *, workspace_name: str | None = None) -> str:
        """A workspace's first owner, made by the same code as the create-owner command (in the local user pool
        when the template has one); returns the account's ``sub``."""
        if self.user_pool_id:
            from haishin_local.create_owner import create_owner  # noqa: PLC0415

            made = create_owner(self.client("cognito-idp"), self.user_pool_id, workspace_id, email, workspace_name)
            return made["operator_id"]
        from haishin.operators.service import LocalDirectory, OperatorService, local_subject  # noqa: PLC0415

        subject = local_subject(email)
        OperatorService(LocalDirectory()).create_owner(workspace_id, subject, email, workspace_name=workspace_name)
        return subject

    def _subject(self, email: str, workspace_id: str) -> str:
        from haishin.operators.service import local_subject  # noqa: PLC0415

        if not self.user_pool_id:
            return local_subject(email)
        idp = self.client("cognito-idp")
        try:
            user = idp.admin_get_user(UserPoolId=self.user_pool_id, Username=email.strip().lower())
        except idp.exceptions.UserNotFoundException:
            raise NotAnOperator(f"{email} のアカウントがありません。ワークスペースのオーナーに招待してもらってください"
                                "（設定 → オペレーター）") from None
        return next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), "")

    def _operator(self, email: str, workspace_id: str, requested: str | None) -> tuple[str, str]:
        from haishin.operators.service import local_subject  # noqa: PLC0415

        if not any(t.logical_id == "WorkspaceTable" for t in self.template.tables):
            return local_subject(email), requested or "owner"  # a test template without Haishin's operators
        if not email or "@" not in email or not workspace_id:
            raise ValueError("email and workspace_id are required")
        from haishin.operators.repository import OperatorRepository  # noqa: PLC0415

        subject = self._subject(email, workspace_id)
        record = OperatorRepository().get(workspace_id, subject)
        if record is None or record.status == "removed":
            raise NotAnOperator(f"{email} はワークスペース {workspace_id} のオペレーターではありません。"
                                "オーナーに招待してもらってください（設定 → オペレーター）")
        return subject, str(record.role)

    def verify_ses_identity(self, name: str) -> dict[str, Any]:
        """Mark an SES identity (a domain or an address) verified in the local SES, as its DNS records or the
        owner's click in the verification mail would on AWS (``haishin_local.moto_ses``). LocalSystemError when SES
        has no such identity."""
        request = urllib.request.Request(f"{self.moto_endpoint}/moto-api/haishin/ses/verify",
                                         data=json.dumps({"identity": name}).encode(),
                                         headers={"content-type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            raise LocalSystemError(f"SES has no identity {name!r} to verify ({exc.code})") from exc

    def advance(self, delta: timedelta, *, timeout: float = 60.0) -> dict[str, Any]:
        """Move the clock forward, fire the schedules that are due, and return once the system is quiet."""
        with self._advance_lock:
            self.clock.advance(delta)
            if self.stripe_emulator is not None:  # Stripe deletes the subscriptions set to end at a passed period end
                self.stripe_emulator.end_due_subscriptions()
            fired_before = len(self.scheduler.fired) if self.scheduler else 0
            if self.scheduler:
                self.scheduler.fire_all()
                self.scheduler.check_one_time()
            quiet = self.drain(timeout=timeout, raise_on_timeout=False)
            if self.scheduler and self.scheduler.check_one_time():  # what the drained work scheduled for "now"
                quiet = self.drain(timeout=timeout, raise_on_timeout=False)
            fired = self.scheduler.fired[fired_before:] if self.scheduler else []
        return {**self.clock_state(), "quiet": quiet, "fired": [name for _, name in fired]}

    def drain(self, timeout: float = 30.0, *, raise_on_timeout: bool = True) -> bool:
        """Wait until every consumed queue is empty and nothing is running (twice in a row)."""
        deadline = time.monotonic() + timeout
        quiet_checks = 0
        pending: dict[str, int] = {}
        while time.monotonic() < deadline:
            for pump in self.pumps:
                pump.wake()
            pending = self._pending()
            busy = any(p.busy for p in self.pumps) or bool(self.scheduler and self.scheduler.busy)
            if not pending and not busy:
                quiet_checks += 1
                if quiet_checks >= 2:
                    return True
            else:
                quiet_checks = 0
            time.sleep(0.05)
        if raise_on_timeout:
            raise TimeoutError(f"the local system did not become quiet within {timeout:.0f} s; waiting: {pending}")
        return False

    def _pending(self) -> dict[str, int]:
        sqs = self.client("sqs")
        pending: dict[str, int] = {}
        for pump in self.pumps:
            attrs = sqs.get_queue_attributes(
                QueueUrl=pump.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            count = sum(int(v) for v in attrs.values())
            if count:
                pending[pump.source.queue_id] = count
        return pending

    # ------------------------------------------------------------------ startup steps
    def _setenv(self, key: str, value: str) -> None:
        if key not in self._saved_env:
            self._saved_env[key] = os.environ.get(key)
        os.environ[key] = value

    def _set_aws_env(self) -> None:
        for key, value in FAKE_CREDENTIALS.items():
            self._setenv(key, value)
        self._setenv("AWS_DEFAULT_REGION", REGION)
        self._setenv("AWS_REGION", REGION)
        self._setenv("AWS_ENDPOINT_URL", self.moto_endpoint)
        assert self._ddb is not None
        self._setenv("AWS_ENDPOINT_URL_DYNAMODB", self._ddb.endpoint)
        if "AWS_SESSION_TOKEN" in os.environ:
            self._saved_env.setdefault("AWS_SESSION_TOKEN", os.environ["AWS_SESSION_TOKEN"])
            del os.environ["AWS_SESSION_TOKEN"]
        if "AWS_PROFILE" in os.environ:
            self._saved_env.setdefault("AWS_PROFILE", os.environ["AWS_PROFILE"])
            del os.environ["AWS_PROFILE"]

    def _set_app_env(self) -> None:
        for key, value in self.template.merged_environment().items():
            self._setenv(key, value)
        # As in AWS: the template's PublicBaseUrl (empty by default: URLs derive from the request, domain + stage)
        self._setenv("PUBLIC_BASE_URL", self.template.merged_environment().get("PUBLIC_BASE_URL", ""))
        if self.line_emulator is not None:
            self._setenv("LINE_API_BASE", self.line_emulator.base_url)
            self._setenv("LINE_LOGIN_BASE", self.line_emulator.base_url)  # the authorize screen (LINE Login)
            self._setenv("LIFF_MOCK", "1")  # LIFF pages: LINE's LIFF mock plugin, the emulator as LINE (never in AWS)
            self._setenv("LINE_DATA_API_BASE", self.line_emulator.base_url)
        if self.stripe_emulator is not None:
            self._setenv("STRIPE_API_BASE", self.stripe_emulator.base_url)
        if self.webhook_receiver is not None:  # the one http, private address outgoing webhooks may reach
            self._setenv("WEBHOOK_HTTP_ALLOW", self.webhook_receiver.host_port)
        reset_settings_cache()
        _forget_process_clients(self._ddb.endpoint if self._ddb is not None else None)

    def _create_queues(self) -> None:
        sqs = self.client("sqs")
        for spec in self.template.queues:  # dead-letter queues come first
            sqs.create_queue(QueueName=spec.logical_id, Attributes=dict(spec.attributes))

    def _create_moto_resources(self) -> None:
        s3 = self.client("s3")
        for bucket in self.template.buckets:
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                s3.create_bucket(Bucket=bucket)
        scheduler = self.client("scheduler")
        for group in self.template.schedule_groups:
            with contextlib.suppress(scheduler.exceptions.ConflictException):
                scheduler.create_schedule_group(Name=group)

    def _create_user_pools(self) -> dict[str, str]:
        """Cognito user pools (and their groups) in moto, so admin code managing operators works locally."""
        if not self.template.user_pools:
            return {}
        idp = self.client("cognito-idp")
        ids: dict[str, str] = {}
        for rid, kwargs in self.template.user_pools.items():
            ids[rid] = idp.create_user_pool(**kwargs)["UserPool"]["Id"]
        for pool, group, precedence in self.template.user_pool_groups:
            extra = {"Precedence": precedence} if precedence is not None else {}
            idp.create_group(UserPoolId=ids[pool], GroupName=group, **extra)
        return ids

    def _create_tables(self) -> None:
        ddb = self.client("dynamodb")
        existing = set(ddb.list_tables().get("TableNames", []))
        for spec in self.template.tables:
            if spec.logical_id not in existing:
                ddb.create_table(**spec.create_kwargs)
            if spec.ttl_attribute:
                with contextlib.suppress(Exception):
                    ddb.update_time_to_live(
                        TableName=spec.logical_id,
                        TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
                    )

    def _start_pumps(self) -> None:
        sqs = self.client("sqs")
        for source in self.template.sqs_sources:
            if not source.enabled:
                continue
            pump = SqsPump(
                source,
                self.functions[source.function_id],
                sqs,
                self.queue_url(source.queue_id),
                queue_arn(source.queue_id),
                concurrency_cap=self.concurrency_cap,
                retry_backoff_seconds=self.retry_backoff_seconds,
            )
            pump.start()
            self.pumps.append(pump)

    def _start_emulators(self) -> None:
        if not self.emulators:
            return
        for attr, module_name, class_name in (
            ("line_emulator", "haishin_local.line_emulator", "LineEmulator"),
            ("stripe_emulator", "haishin_local.stripe_emulator", "StripeEmulator"),
            ("webhook_receiver", "haishin_local.webhook_receiver", "WebhookReceiver"),
        ):
            try:
                module = importlib.import_module(module_name)
                emulator = getattr(module, class_name)(host="127.0.0.1", port=0)
                emulator.start()
            except ModuleNotFoundError as exc:
                if exc.name and module_name.startswith(exc.name):
                    self.say(f"{class_name}: {module_name} does not exist yet; starting without it")
                else:
                    self.say(f"{class_name}: not started, an import failed: {exc}")
                continue
            except Exception as exc:
                self.say(f"{class_name}: not started: {type(exc).__name__}: {exc}")
                continue
            setattr(self, attr, emulator)

    def _seed(self) -> None:
        try:
            seed_module = importlib.import_module("haishin_local.seed")
        except ModuleNotFoundError as exc:
            if exc.name and "haishin_local.seed".startswith(exc.name):
                self.say("seed: haishin_local.seed does not exist yet; starting with empty tables")
            else:
                self.say(f"seed: not run, an import failed: {exc}")
            return
        try:
            seed_module.seed_demo(self)
        except Exception as exc:
            log.exception("seed_demo failed")
            self.say(f"seed: seed_demo failed: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[LocalSystem]:
    with LocalSystem(**kwargs) as system:
        yield system


__all__ = ["DynamoDBLocalError", "LocalSystem", "LocalSystemError", "TemplateRefused", "running"]


def _forget_process_clients(dynamodb_endpoint: str | None) -> None:
    """Drop what the process cached for an earlier system: PynamoDB models keep their connection (and the endpoint
    read when the class was defined), and the handlers' wired services keep clients. A second LocalSystem in one
    process (tests) then talks to its own DynamoDB Local and moto server, not the first one's."""
    from pynamodb.models import Model  # noqa: PLC0415

    from haishin import public_url, wiring  # noqa: PLC0415
    from haishin.delivery import counters as delivery_counters  # noqa: PLC0415

    pending = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        meta = getattr(model, "Meta", None)
        if meta is not None:
            meta.host = dynamodb_endpoint or os.environ.get("AWS_ENDPOINT_URL")
        model._connection = None
    wiring.reset()  # every service of every handler is built by the composition root: one reset forgets them all
    delivery_counters.forget_zones()
    public_url.forget()  # the recorded public base was this system's
