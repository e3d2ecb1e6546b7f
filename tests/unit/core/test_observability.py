"""Secrets never reach a log line, whichever logger writes it."""

from __future__ import annotations

import io
import json

from haishin.observability import logger, redact, register_secret_values
from haishin.secrets import InMemorySecretStore


def _capture(log: object) -> io.StringIO:
    buffer = io.StringIO()
    log.registered_handler.setStream(buffer)  # type: ignore[attr-defined]
    return buffer


def test_values_under_secret_keys_are_redacted() -> None:
    line = json.dumps({"channel_secret": "0123456789abcdef", "access_token": "tok-123456789", "name": "salon"})
    redacted = json.loads(redact(line))
    assert redacted == {"channel_secret": "***", "access_token": "***", "name": "salon"}


def test_stripe_keys_are_redacted_anywhere() -> None:
    assert redact("using sk_test_51Habcdefghijklmnop now") == "using *** now"
    assert "whsec_" not in redact("secret whsec_abcdefghijklmnopqrstu")


def test_a_value_read_from_the_secret_store_is_redacted_in_free_text() -> None:
    store = InMemorySecretStore()
    store.put("haishin/local/ws/line/1", {"access_token": "very-private-token-value"})
    log = logger(service="test-redaction")
    log.setLevel("INFO")
    buffer = _capture(log)
    log.info("calling LINE with very-private-token-value in a message")
    log.warning({"detail": "again very-private-token-value"})
    out = buffer.getvalue()
    assert "very-private-token-value" not in out
    assert out.count("***") == 2


def test_short_values_are_not_registered() -> None:
    register_secret_values("abc")
    assert redact("abc def") == "abc def"


def test_exceptions_are_redacted_too() -> None:
    register_secret_values("exception-secret-0001")
    log = logger(service="test-redaction-exc")
    buffer = _capture(log)
    try:
        raise RuntimeError("failed with exception-secret-0001")
    except RuntimeError:
        log.exception("boom")
    out = buffer.getvalue()
    assert "exception-secret-0001" not in out
    assert "failed with ***" in out
