"""Haishin-Signature: what a receiver verifies (round trip, tolerance, tampering, rotation)."""

from __future__ import annotations

import pytest

from haishin.webhooks.signer import SignatureError, new_secret, sign, verify

BODY = b'{"id":"evt_1","type":"friend_added","data":{"subscriber_id":"s_1"}}'
T = 1_767_571_200


def test_round_trip_returns_the_timestamp() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    assert verify(secret, BODY, sign(secret, BODY, T), now=T + 10) == T


def test_the_header_is_stripe_shaped() -> None:
    header = sign("whsec_x", BODY, T)
    t, v1 = header.split(",")
    assert t == f"t={T}" and v1.startswith("v1=") and len(v1) == 3 + 64


@pytest.mark.parametrize("now", [T + 301, T - 301])
def test_a_timestamp_outside_the_tolerance_is_refused(now: int) -> None:
    with pytest.raises(SignatureError, match="tolerance"):
        verify("whsec_x", BODY, sign("whsec_x", BODY, T), now=now)


def test_tolerance_is_the_receivers_choice() -> None:
    assert verify("whsec_x", BODY, sign("whsec_x", BODY, T), now=T + 3600, tolerance_s=7200) == T


@pytest.mark.parametrize("body", [BODY.replace(b"s_1", b"s_2"), BODY + b" ", b""])
def test_a_tampered_body_is_refused(body: bytes) -> None:
    with pytest.raises(SignatureError, match="no signature matches"):
        verify("whsec_x", body, sign("whsec_x", BODY, T), now=T)


def test_another_secret_or_a_changed_timestamp_is_refused() -> None:
    header = sign("whsec_x", BODY, T)
    with pytest.raises(SignatureError):
        verify("whsec_y", BODY, header, now=T)
    with pytest.raises(SignatureError):
        verify("whsec_x", BODY, header.replace(f"t={T}", f"t={T + 1}"), now=T)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=abc,v1=abc", f"t={T}"])
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify("whsec_x", BODY, header, now=T)


def test_during_rotation_either_secret_verifies() -> None:
    header = sign(["whsec_new", "whsec_old"], BODY, T)
    assert header.count("v1=") == 2
    assert verify("whsec_new", BODY, header, now=T) == T
    assert verify("whsec_old", BODY, header, now=T) == T
