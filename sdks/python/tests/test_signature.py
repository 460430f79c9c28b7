"""``verify`` and ``sign`` against the Standard Webhooks reference vector and the
reference library (``standardwebhooks`` on PyPI)."""

import base64
import time

import pytest
import standardwebhooks

from hookwire import WebhookVerificationError, sign, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str, timestamp: int = TIMESTAMP) -> dict:
    return {"Webhook-Id": MSG_ID, "Webhook-Timestamp": str(timestamp), "Webhook-Signature": signature}


def test_the_reference_vector_signs_and_verifies() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED
    assert verify(BODY, headers(EXPECTED), SECRET, now=TIMESTAMP) == {"test": 2432232314}


def test_any_of_several_signatures_verifies_during_a_rotation() -> None:
    other = sign("whsec_" + base64.b64encode(b"x" * 32).decode(), MSG_ID, TIMESTAMP, BODY)
    assert verify(BODY, headers(f"{other} {EXPECTED}"), SECRET, now=TIMESTAMP) == {"test": 2432232314}


def test_a_tampered_body_a_wrong_secret_and_a_stale_timestamp_are_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify(b'{"test": 2432232315}', headers(EXPECTED), SECRET, now=TIMESTAMP)
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify(BODY, headers(EXPECTED), "whsec_" + base64.b64encode(b"y" * 32).decode(), now=TIMESTAMP)
    with pytest.raises(WebhookVerificationError, match="away from now"):
        verify(BODY, headers(EXPECTED), SECRET, now=TIMESTAMP + 301)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(BODY, {"webhook-id": MSG_ID}, SECRET)
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify(BODY, headers("v1,ünicode"), SECRET, now=TIMESTAMP)


def test_a_secret_without_the_prefix_is_used_as_its_bytes() -> None:
    now = int(time.time())
    signature = sign("plain-secret", MSG_ID, now, BODY)
    assert verify(BODY, headers(signature, now), "plain-secret") == {"test": 2432232314}


def test_the_reference_library_accepts_what_sign_makes() -> None:
    now = int(time.time())
    signature = sign(SECRET, MSG_ID, now, BODY)
    assert standardwebhooks.Webhook(SECRET).verify(BODY, headers(signature, now)) == {"test": 2432232314}
