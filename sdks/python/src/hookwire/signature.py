"""Checking that a request really came from hookwire (receiver side).

hookwire signs every delivery the Standard Webhooks way: ``webhook-signature`` holds
one or more space-separated ``v1,<base64 HMAC-SHA256>`` of
``"{webhook-id}.{webhook-timestamp}.{body}"``; during a secret rotation it holds one
per secret. The key is the base64 after ``whsec_``, or the secret's UTF-8 bytes
when it has no such prefix. A webhook with ``signature_scheme="ed25519"`` sends
``v1a,<base64 Ed25519 signature>`` of the same text instead: pass its public key
(``whpk_…``, from the webhook's view) where the secret goes; checking it needs
the ``cryptography`` package. :func:`verify` accepts a request when any
signature matches (HMAC compared in constant time) and the timestamp is within
``tolerance`` seconds of now, which stops replays of old captured requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union


class WebhookVerificationError(Exception):
    """The request is not a valid, fresh hookwire delivery; the message says why."""


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except binascii.Error as error:
            raise ValueError("secret: whsec_ must be followed by base64") from error
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, payload: Union[bytes, str]) -> str:
    """The ``v1,…`` signature hookwire sends for this id, time and body."""
    body = payload.encode("utf-8") if isinstance(payload, str) else payload
    signed = f"{msg_id}.{timestamp}.".encode("utf-8") + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    payload: Union[bytes, str],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = 300,
    now: Optional[float] = None,
) -> Any:
    """Verify a delivery and return its parsed JSON body.

    ``payload`` must be the raw body as received (before any JSON parsing);
    ``headers`` any mapping (names are matched without regard to case). Raises
    :class:`WebhookVerificationError` when a header is missing, the timestamp is
    more than ``tolerance`` seconds away from ``now``, or no signature matches.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(stamp)
    except ValueError as error:
        raise WebhookVerificationError("webhook-timestamp is not a number") from error
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(f"webhook-timestamp is more than {tolerance} s away from now")
    if secret.startswith("whpk_"):
        if _ed25519_matches(secret, f"{msg_id}.{timestamp}.".encode("utf-8"), payload, signatures):
            body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
            return json.loads(body)
        raise WebhookVerificationError("no signature matches")
    expected = sign(secret, msg_id, timestamp, payload).encode("ascii")
    for candidate in signatures.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode("ascii", "replace"), expected):
            body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
            return json.loads(body)
    raise WebhookVerificationError("no signature matches")


def _ed25519_matches(public_key: str, prefix: bytes, payload: Union[bytes, str], signatures: str) -> bool:
    """Whether a ``v1a,`` signature of ``prefix + payload`` verifies with ``public_key``."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ValueError("checking Ed25519 signatures needs the cryptography package") from error
    try:
        raw = base64.b64decode(public_key[len("whpk_") :], validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as error:
        raise ValueError("public key: whpk_ must be followed by base64 of 32 bytes") from error
    body = payload.encode("utf-8") if isinstance(payload, str) else payload
    for candidate in signatures.split(" "):
        if not candidate.startswith("v1a,"):
            continue
        try:
            key.verify(base64.b64decode(candidate[len("v1a,") :], validate=True), prefix + body)
            return True
        except (binascii.Error, InvalidSignature):
            continue
    return False
