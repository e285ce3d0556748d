"""What every delivery carries to be verified: the exact bytes (compact JSON) and their signatures,
Standard Webhooks' `webhook-signature` (several during a secret's rotation grace) and the hex
HMAC `X-Webhook-Signature`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


def compact_json(value: Any) -> str:
    """The bytes we sign: no spaces, keys in insertion order, as Node's JSON.stringify writes them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def hex_signature(secret: str, body: bytes) -> str:
    """`X-Webhook-Signature`: hex HMAC-SHA256 of the body, keyed with the secret string."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_webhooks_key(secret: str) -> bytes:
    """The key Standard Webhooks libraries derive from a `whsec_` secret (base64 after the prefix).

    Secrets we issue always decode. One that does not (hand-edited data) cannot be loaded by the
    libraries either; its raw bytes are used so that delivery goes on (verify with bytes)."""
    encoded = secret.removeprefix("whsec_")
    try:
        # Same decoding as the reference libraries: non-alphabet characters skipped, padding added.
        return base64.b64decode(encoded + "==")
    except binascii.Error:
        return encoded.encode()


def standard_webhooks_signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_webhooks_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, event_id: str, body: bytes, timestamp: int, previous_secret: str | None = None
) -> dict[str, str]:
    """The delivery's headers. During a rotation's grace period `previous_secret` signs too:
    `webhook-signature` carries both signatures, space-separated as Standard Webhooks allows (a
    receiver holding either secret verifies), and `X-Webhook-Signature-Previous` the old secret's
    hex signature beside the new one's."""
    signatures = [standard_webhooks_signature(secret, event_id, timestamp, body)]
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Signature": hex_signature(secret, body),
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
    }
    if previous_secret and previous_secret != secret:
        signatures.append(standard_webhooks_signature(previous_secret, event_id, timestamp, body))
        headers["X-Webhook-Signature-Previous"] = hex_signature(previous_secret, body)
    headers["webhook-signature"] = " ".join(signatures)
    return headers
