"""template.yaml passes a policy review: least-privilege IAM, encryption, logs with retention, TLS-only buckets,
reserved capacity for the delivery path, private-by-default routes, and security headers for the admin.

``make validate`` runs checkov on the same template; these tests pin the decisions behind its checks, so a change
that loosens one fails here with a sentence that says what was promised.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest

from haishin.secrets import secret_name
from tests.support import template as tpl

FUNCTIONS = {f.logical_id: f for f in tpl.functions()}
RESOURCES = tpl.resources()
PARAMETERS = tpl.template()["Parameters"]
CONDITIONS = tpl.template().get("Conditions", {})

# Which secrets each function reads (secret names are <prefix>/<workspace>/<kind>/<id>, haishin.secrets).
SECRET_KINDS = {
    "LineWebhookFunction": {"line"},  # channel secret: webhook signature
    "LineEventsFunction": {"line"},  # access token: replies
    "BroadcastPlannerFunction": {"line", "stripe"},  # LINE sends; a pool coupon's Stripe promotion codes job
    "DeliveryWorkerFunction": {"line"},
    "FormSubmitFunction": {"signing", "line"},  # verifies bound links; thank-you push
    "StripeWebhookFunction": {"stripe", "line"},  # webhook secrets and API key; dunning push
    "PagesFunction": {"signing", "stripe"},  # verifies links; starts Checkout
    "AdminApiFunction": {"line", "stripe", "signing", "webhooks"},  # sets and rotates them all
    "WebhookSenderFunction": {"webhooks"},  # signs outgoing webhooks
    "StepTickFunction": set(),
    "InflowFunction": {"line"},  # the LINE Login channel secret (state signature, code exchange, ID token)
}
KIND_NAMES = {  # a name of each kind, as the code builds it
    "line": ("ws_1", "line", "1650000000"),
    "stripe": ("ws_1", "stripe", "live"),
    "signing": ("ws_1", "forms", "signing"),
    "webhooks": ("ws_1", "webhooks", "whep_01JAAAAAAAAAAAAAAAAAAAAAAA"),
}
PUBLIC_ROUTES = {
    "POST /line/webhook/{channel_id}", "POST /stripe/webhook/{workspace_id}", "GET /f/{form_id}",
    "POST /f/{form_id}", "GET /c/{token}", "GET /p/{proxy+}", "POST /p/{product_id}", "GET /api/openapi.json",
    "GET /u/{token}", "POST /u/{token}", "GET /r/{code}", "GET /login/callback", "GET /cv/{code}",
    "GET /liff/{proxy+}", "POST /liff/{proxy+}", "GET /partner/{token}",
    "GET /b", "POST /b", "GET /b/{proxy+}", "POST /b/{proxy+}",
    "GET /sem/{proxy+}", "POST /sem/{proxy+}", "GET /cpn/{proxy+}", "POST /cpn/{proxy+}", "GET /s/{event_id}",
    "GET /m/{proxy+}", "POST /m/{proxy+}", "GET /f/{proxy+}", "POST /f/{proxy+}", "GET /a/{proxy+}",
}  # fmt: skip


# ---------------------------------------------------------------- helpers


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def text(value: Any) -> str:
    """A Resource as text: plain strings, !Sub templates, and !Ref as 'Ref:<name>'."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub[0] if isinstance(sub, list) else sub)
    if isinstance(value, dict) and "Ref" in value:
        return f"Ref:{value['Ref']}"
    return str(value)


def policy_statements(policy: Any, condition: str | None = None) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The inline statements of one SAM Policies entry (both branches of an Fn::If), with the condition on them."""
    if isinstance(policy, dict) and "Fn::If" in policy:
        name, *branches = policy["Fn::If"]
        for branch in branches:
            yield from policy_statements(branch, name)
    elif isinstance(policy, dict) and "Statement" in policy:
        for statement in as_list(policy["Statement"]):
            yield statement, condition


def statements(fn: tpl.Function) -> list[tuple[dict[str, Any], str | None]]:
    return [s for policy in fn.properties.get("Policies", []) for s in policy_statements(policy)]


def allows(fn: tpl.Function, prefix: str) -> list[tuple[dict[str, Any], str | None]]:
    return [(s, c) for s, c in statements(fn)
            if s.get("Effect") == "Allow" and any(str(a).startswith(prefix) for a in as_list(s["Action"]))]


def secret_arn_patterns(fn: tpl.Function) -> list[str]:
    return [text(r) for s, _ in allows(fn, "secretsmanager:") for r in as_list(s["Resource"])]


def iam_match(name: str, pattern: str) -> bool:
    """IAM ARN wildcards: * is any run of characters (slashes included), ? is one character."""
    return fnmatch.fnmatchcase(name, pattern)


def stored_secret(kind: str, suffix: str = "-AbC123") -> str:
    """The part of a secret's ARN after ``secret:`` in any stage: the code's name plus Secrets Manager's suffix.

    IAM sees the suffix on an existing secret, and no suffix when a secret is asked for by a name that does not
    exist yet (the admin API's first write of a kind): both must match, or "not found" turns into "access denied".
    """
    from haishin.config import settings  # noqa: PLC0415

    return secret_name(*KIND_NAMES[kind]).replace(settings().secrets_prefix, "haishin/${Stage}", 1) + suffix


# ---------------------------------------------------------------- secrets


def test_secret_prefix_in_functions_is_the_one_iam_scopes() -> None:
    env = tpl.template()["Globals"]["Function"]["Environment"]["Variables"]
    assert text(env["SECRETS_PREFIX"]) == "haishin/${Stage}"


@pytest.mark.parametrize("logical_id", list(FUNCTIONS))
def test_no_function_reads_secrets_beyond_the_kinds_it_needs(logical_id: str) -> None:
    fn = FUNCTIONS[logical_id]
    patterns = secret_arn_patterns(fn)
    assert all(":secret:haishin/${Stage}/" in p for p in patterns), patterns
    for suffix in ("-AbC123", ""):
        readable = {kind for kind in KIND_NAMES
                    if any(iam_match(stored_secret(kind, suffix), p.split(":secret:")[1]) for p in patterns)}
        assert readable == SECRET_KINDS[logical_id], f"{logical_id} can read {sorted(readable)} (suffix {suffix!r})"
    # Every pattern stays inside one kind: a name of any other shape (a new kind) is not readable by accident.
    for pattern in patterns:
        suffix = pattern.split(":secret:")[1]
        assert not iam_match("haishin/${Stage}/ws_1/other/x-AbC123", suffix), pattern
        assert not suffix.endswith("${Stage}/*"), pattern


def test_no_secret_statement_is_on_star() -> None:
    for fn in FUNCTIONS.values():
        for statement, _ in allows(fn, "secretsmanager:"):
            assert "*" not in [text(r) for r in as_list(statement["Resource"])], fn.logical_id


# ---------------------------------------------------------------- SNS and SES


def test_sns_publish_reaches_phone_numbers_only() -> None:
    for fn in FUNCTIONS.values():
        publish = allows(fn, "sns:Publish")
        if fn.logical_id != "DeliveryWorkerFunction":
            assert not publish, f"{fn.logical_id} may publish to SNS"
            continue
        assert publish
        denies = [s for s, _ in statements(fn) if s.get("Effect") == "Deny" and "sns:Publish" in as_list(s["Action"])]
        denied = {text(r) for s in denies for r in as_list(s["Resource"])}
        # SMS to a phone number has no ARN; every topic (and platform endpoint) ARN is refused.
        assert "arn:${AWS::Partition}:sns:*:*:*" in denied
        for statement, _ in publish:
            assert not statement.get("Condition"), "a condition here would only pacify scanners: the Deny does the work"


# The delivery worker sends scenario and broadcast mail; the pages function sends the one mail a visitor waits for on
# the page (a member site's login link), never in bulk.
SES_SENDERS = {"DeliveryWorkerFunction": {"ses:SendEmail", "ses:SendRawEmail"}, "PagesFunction": {"ses:SendEmail"}}


def test_ses_sends_only_from_identities_of_this_account_and_region() -> None:
    """Workspaces add their identities at run time, so no static ARN list can name them; the worker may send From
    identities of this account and region (or only those in SesIdentityArns), and the application decides which
    workspace may use which (tests/unit/senders). Only the admin API manages identities."""
    assert PARAMETERS["SesIdentityArns"]["Type"] == "CommaDelimitedList"
    assert PARAMETERS["SesIdentityArns"]["Default"] == ""
    here = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
    manage = {"ses:CreateEmailIdentity", "ses:GetEmailIdentity", "ses:DeleteEmailIdentity", "ses:TagResource"}
    for fn in FUNCTIONS.values():
        policy_templates = [p for p in fn.properties.get("Policies", []) if isinstance(p, dict)
                            and any(str(k).startswith("SES") for k in p)]
        assert not policy_templates, f"{fn.logical_id}: SES policy templates grant more than sending"
        for statement, _ in allows(fn, "ses:"):
            actions = set(as_list(statement["Action"]))
            resource = statement["Resource"]
            if actions & {"ses:SendEmail", "ses:SendRawEmail"}:
                assert actions == SES_SENDERS.get(fn.logical_id), f"{fn.logical_id} may not send e-mail"
                assert resource == {"Fn::If": ["HasSesIdentities", {"Ref": "SesIdentityArns"}, {"Fn::Sub": here}]}
            elif fn.logical_id == "AdminApiFunction":
                assert actions <= manage and text(resource) == here
            else:
                assert actions == {"ses:GetEmailIdentity"} and text(resource) == here
    assert allows(FUNCTIONS["DeliveryWorkerFunction"], "ses:SendRawEmail")
    assert allows(FUNCTIONS["AdminApiFunction"], "ses:CreateEmailIdentity")


# ---------------------------------------------------------------- encryption, logs, TLS


@pytest.mark.parametrize("logical_id", list(tpl.resources(tpl.QUEUE_TYPE)))
def test_every_queue_is_encrypted_at_rest(logical_id: str) -> None:
    props = RESOURCES[logical_id]["Properties"]
    assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId")


def retention_of(log_group_ref: Any) -> Any:
    assert isinstance(log_group_ref, dict), log_group_ref
    name = log_group_ref.get("Ref") or log_group_ref.get("Fn::GetAtt", [None])[0]
    group = RESOURCES.get(str(name))
    assert group is not None and group["Type"] == "AWS::Logs::LogGroup", f"{name} is not a template log group"
    return group["Properties"].get("RetentionInDays")


@pytest.mark.parametrize("logical_id", list(FUNCTIONS))
def test_every_function_logs_to_its_own_group_with_retention(logical_id: str) -> None:
    group = (FUNCTIONS[logical_id].properties.get("LoggingConfig") or {}).get("LogGroup")
    assert group, f"{logical_id} logs to Lambda's default group, which is kept forever"
    assert retention_of(group) == {"Ref": "LogRetentionDays"}
    others = [f.properties.get("LoggingConfig", {}).get("LogGroup") for f in FUNCTIONS.values() if f is not
              FUNCTIONS[logical_id]]
    assert group not in others


def test_log_retention_parameter_is_a_valid_cloudwatch_value_and_bounded() -> None:
    param = PARAMETERS["LogRetentionDays"]
    assert param["Default"] in param["AllowedValues"]
    assert 7 <= param["Default"] <= 365


def test_api_access_log_has_retention_and_never_logs_paths() -> None:
    settings = RESOURCES["HttpApi"]["Properties"].get("AccessLogSettings")
    assert settings, "the HTTP API keeps no access log"
    assert retention_of(settings["DestinationArn"]) == {"Ref": "LogRetentionDays"}
    fmt = settings["Format"]
    assert "$context.routeKey" in fmt and "$context.requestId" in fmt and "$context.status" in fmt
    assert "$context.path" not in fmt  # paths carry signed link tokens


@pytest.mark.parametrize("bucket", list(tpl.resources("AWS::S3::Bucket")))
def test_every_bucket_refuses_plain_http(bucket: str) -> None:
    policies = [r["Properties"]["PolicyDocument"] for r in tpl.resources("AWS::S3::BucketPolicy").values()
                if r["Properties"]["Bucket"] == {"Ref": bucket}]
    denies = [s for doc in policies for s in doc["Statement"]
              if s["Effect"] == "Deny" and s.get("Principal") == "*" and s["Action"] in ("s3:*", ["s3:*"])
              and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert denies, f"{bucket} has no TLS-only policy"
    covered = [r for s in denies for r in as_list(s["Resource"])]
    assert {"Fn::GetAtt": [bucket, "Arn"]} in covered  # the bucket itself
    assert f"${{{bucket}.Arn}}/*" in [text(r) for r in covered]  # and every object


# ---------------------------------------------------------------- capacity for the delivery path


SQS_CONSUMERS = {fid: ev for fid, f in FUNCTIONS.items() for ev in f.events("SQS").values()}


@pytest.mark.parametrize("logical_id", list(SQS_CONSUMERS))
def test_queue_consumers_reserve_what_their_event_source_may_use(logical_id: str) -> None:
    maximum = SQS_CONSUMERS[logical_id]["Properties"]["ScalingConfig"]["MaximumConcurrency"]
    reserved = FUNCTIONS[logical_id].properties.get("ReservedConcurrentExecutions")
    assert reserved is not None, f"{logical_id}: a flood on public routes could take all of the account's concurrency"
    assert reserved == maximum  # fewer throttles the poller; more is capacity never used


def test_delivery_worker_reserves_the_delivery_concurrency() -> None:
    props = FUNCTIONS["DeliveryWorkerFunction"].properties
    assert props["ReservedConcurrentExecutions"] == {"Ref": "DeliveryMaxConcurrency"}
    assert SQS_CONSUMERS["DeliveryWorkerFunction"]["Properties"]["ScalingConfig"]["MaximumConcurrency"] == {
        "Ref": "DeliveryMaxConcurrency"}


# ---------------------------------------------------------------- routes and headers


def test_routes_are_private_unless_they_say_otherwise() -> None:
    auth = RESOURCES["HttpApi"]["Properties"]["Auth"]
    # Without a DefaultAuthorizer, SAM rejects `Authorizer: NONE` (the stack would not deploy) and a new route
    # without Auth would be public.
    assert auth.get("DefaultAuthorizer") in auth["Authorizers"]
    public = set()
    for fn in FUNCTIONS.values():
        for event in fn.events("HttpApi").values():
            props = event["Properties"]
            authorizer = (props.get("Auth") or {}).get("Authorizer", auth["DefaultAuthorizer"])
            assert authorizer == "NONE" or authorizer in auth["Authorizers"]
            if authorizer == "NONE":
                public.add(f"{props['Method']} {props['Path']}")
    assert public == PUBLIC_ROUTES


def test_admin_is_served_with_a_csp_that_forbids_framing() -> None:
    behavior = RESOURCES["AdminDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    policy_id = behavior.get("ResponseHeadersPolicyId")
    assert policy_id, "the admin is served without security headers"
    config = RESOURCES[policy_id["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = text(config["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {p.split()[0]: p.split()[1:] for p in (d.strip() for d in csp.split(";")) if p}
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert config["FrameOptions"]["FrameOption"] == "DENY"
    assert config["ContentTypeOptions"]["Override"] is True
    assert config["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_alarm_topic_can_receive_cloudwatch_alarms() -> None:
    # The AWS-managed aws/sns key's policy does not let CloudWatch use it: an alarm would fire and notify nobody.
    key = RESOURCES["AlarmTopic"].get("Properties", {}).get("KmsMasterKeyId")
    assert "aws/sns" not in text(key or ""), key


# ---------------------------------------------------------------- scanner skips


def test_every_scanner_skip_says_why() -> None:
    for logical_id, resource in RESOURCES.items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
            assert str(skip.get("id", "")).startswith(("CKV_", "CKV2_")), logical_id
            assert len(str(skip.get("comment", "")).strip()) >= 20, f"{logical_id} skips {skip.get('id')} without a reason"


# ---------------------------------------------------------------- step deliveries queued outside the tick
def crud_tables(fn: tpl.Function) -> set[str]:
    return {text(p["DynamoDBCrudPolicy"]["TableName"]) for p in fn.properties.get("Policies") or []
            if isinstance(p, dict) and "DynamoDBCrudPolicy" in p}


def queues_sent_to(fn: tpl.Function) -> set[str]:
    return {text(p["SQSSendMessagePolicy"]["QueueName"]) for p in fn.properties.get("Policies") or []
            if isinstance(p, dict) and "SQSSendMessagePolicy" in p}


@pytest.mark.parametrize("logical_id", ["FormSubmitFunction", "StripeWebhookFunction", "LineEventsFunction"])
def test_functions_that_queue_a_first_step_at_once_can_write_its_ledger_row(logical_id: str) -> None:
    """A form answer, a payment or a LINE event queues the started scenario's first step itself (the tick's own
    work: ledger row, daily cap, enrollment advance, delivery queue); without these grants it works locally and
    fails in AWS with AccessDenied."""
    fn = next(f for f in tpl.functions() if f.logical_id == logical_id)
    assert {"Ref:LedgerTable", "Ref:EnrollmentsTable"} <= crud_tables(fn)
    assert any("DeliveryQueue" in q for q in queues_sent_to(fn))


@pytest.mark.parametrize("logical_id", ["DeliveryWorkerFunction", "FormSubmitFunction", "StripeWebhookFunction",
                                        "LineEventsFunction", "AdminApiFunction", "PagesFunction", "InflowFunction"])
def test_functions_whose_events_can_be_conversions_can_record_them_once(logical_id: str) -> None:
    """A tag added by a step, a form answer, a payment, a route's action, an API call or the /cv/ pixel can be a
    conversion (haishin.conversions): recorded once through the run-once table, with a timeline entry. Without the
    grant it works locally and is lost in AWS (AccessDenied, logged by the event fanout)."""
    fn = next(f for f in tpl.functions() if f.logical_id == logical_id)
    assert {"Ref:IdempotencyTable", "Ref:WorkspaceTable", "Ref:TimelineTable"} <= crud_tables(fn)
