"""Verify Telnyx webhook signatures: ed25519 over `timestamp|raw body` (CONTRACT.md §8)."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TOLERANCE_SECONDS = 300


class WebhookSignatureError(Exception):
    """The webhook must not be processed; the message says why (for logs, not for the sender)."""


def verify_webhook(
    *,
    public_key: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Check both headers, the timestamp window and the signature; return the signed timestamp."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp_raw = lowered.get("telnyx-timestamp")
    signature_raw = lowered.get("telnyx-signature-ed25519")
    if not timestamp_raw or not signature_raw:
        raise WebhookSignatureError("missing telnyx-timestamp or telnyx-signature-ed25519 header")
    try:
        timestamp = int(timestamp_raw)
    except ValueError as exc:
        raise WebhookSignatureError("telnyx-timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError(f"timestamp outside the {tolerance} s window")
    try:
        key_bytes = base64.b64decode(public_key, validate=True)
        signature = base64.b64decode(signature_raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookSignatureError("public key or signature is not base64") from exc
    if len(key_bytes) != 32 or len(signature) != 64:
        raise WebhookSignatureError("public key must be 32 bytes and signature 64 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(key_bytes).verify(signature, f"{timestamp_raw}|".encode() + body)
    except InvalidSignature as exc:
        raise WebhookSignatureError("signature does not match") from exc
    return timestamp
