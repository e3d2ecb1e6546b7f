"""aws_lite's SigV4 signer against AWS's published test vector, and against botocore for a JSON-protocol call."""

from __future__ import annotations

from datetime import UTC, datetime

from haishin import aws_lite
from haishin.aws_lite import Credentials, sign

# From the AWS Signature Version 4 test suite ("get-vanilla"): GET / on example.amazonaws.com.
VECTOR_CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
VECTOR_TIME = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def test_published_get_vanilla_vector() -> None:
    headers = sign("GET", "https://example.amazonaws.com/", {"Host": "example.amazonaws.com"}, b"",
                   service="service", region="us-east-1", credentials=VECTOR_CREDENTIALS, now=VECTOR_TIME)
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_published_iam_example() -> None:
    # The worked example of the SigV4 documentation (IAM ListUsers, with a content-type header).
    headers = sign(
        "GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        {"Host": "iam.amazonaws.com", "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, b"",
        service="iam", region="us-east-1", credentials=VECTOR_CREDENTIALS, now=VECTOR_TIME,
    )
    assert headers["Authorization"].endswith(
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    )


def test_matches_botocore_for_a_json_call_with_session_token() -> None:
    from botocore.auth import SigV4Auth  # noqa: PLC0415
    from botocore.awsrequest import AWSRequest  # noqa: PLC0415
    from botocore.credentials import Credentials as BotoCredentials  # noqa: PLC0415

    body = b'{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/q","MessageBody":"\\u3042"}'
    url = "https://sqs.us-east-1.amazonaws.com/"
    base = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"}
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(base))
    SigV4Auth(BotoCredentials("AKID", "SECRET", "TOKEN"), "sqs", "us-east-1").add_auth(request)
    when = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    ours = sign("POST", url, dict(base), body, service="sqs", region="us-east-1",
                credentials=Credentials("AKID", "SECRET", "TOKEN"), now=when)
    assert ours["Authorization"] == request.headers["Authorization"]


def test_endpoint_resolution(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    assert aws_lite.endpoint_from_env("sqs", "ap-northeast-1") == "https://sqs.ap-northeast-1.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/")
    assert aws_lite.endpoint_from_env("sqs", "us-east-1") == "http://127.0.0.1:5000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:6000")
    assert aws_lite.endpoint_from_env("secretsmanager", "us-east-1") == "http://127.0.0.1:6000"


def test_attribute_round_trip() -> None:
    value = {"s": "テキスト", "n": 3, "f": 1.5, "b": True, "z": None, "l": [1, "a"], "m": {"x": "y"}}
    encoded = {k: aws_lite.to_attribute(v) for k, v in value.items()}
    assert {k: aws_lite.from_attribute(v) for k, v in encoded.items()} == value
