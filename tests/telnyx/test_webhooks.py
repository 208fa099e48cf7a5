"""The webhook signature verifier: ed25519 over `timestamp|body`, both headers, a 300 s window."""

from __future__ import annotations

import base64
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portal.telnyx import WebhookSignatureError, verify_webhook

BODY = b'{"data":{"id":"e1"}}'


@pytest.fixture
def keys():
    private = Ed25519PrivateKey.generate()
    public = base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    return private, public


def signed(private, timestamp: int, body: bytes = BODY) -> dict:
    signature = base64.b64encode(private.sign(f"{timestamp}|".encode() + body)).decode()
    return {"Telnyx-Timestamp": str(timestamp), "Telnyx-Signature-Ed25519": signature}


def test_valid_signature_with_case_insensitive_headers(keys):
    private, public = keys
    now = int(time.time())
    assert verify_webhook(public_key=public, headers=signed(private, now), body=BODY) == now


@pytest.mark.parametrize("age", [301, -301])
def test_stale_or_future_timestamps_are_refused(keys, age):
    private, public = keys
    headers = signed(private, int(time.time()) - age)
    with pytest.raises(WebhookSignatureError, match="window"):
        verify_webhook(public_key=public, headers=headers, body=BODY)


def test_within_the_window_is_fine(keys):
    private, public = keys
    verify_webhook(public_key=public, headers=signed(private, int(time.time()) - 299), body=BODY)


@pytest.mark.parametrize("drop", ["Telnyx-Timestamp", "Telnyx-Signature-Ed25519"])
def test_both_headers_are_required(keys, drop):
    private, public = keys
    headers = signed(private, int(time.time()))
    del headers[drop]
    with pytest.raises(WebhookSignatureError, match="missing"):
        verify_webhook(public_key=public, headers=headers, body=BODY)


def test_tampered_body_wrong_key_and_junk_are_refused(keys):
    private, public = keys
    headers = signed(private, int(time.time()))
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(public_key=public, headers=headers, body=BODY + b" ")
    other = base64.b64encode(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(public_key=other, headers=headers, body=BODY)
    with pytest.raises(WebhookSignatureError, match="32 bytes"):
        verify_webhook(public_key=base64.b64encode(b"short").decode(), headers=headers, body=BODY)
    with pytest.raises(WebhookSignatureError, match="integer"):
        verify_webhook(public_key=public, headers={**headers, "Telnyx-Timestamp": "soon"}, body=BODY)
