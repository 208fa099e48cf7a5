"""The Telnyx API client (a plain package, not a Django app): httpx, typed errors, dataclasses.

Services call `get_client(api_key=...)`; nothing else in the portal talks to Telnyx.
"""

from __future__ import annotations

import httpx

from portal.telnyx import schemas  # noqa: F401  (re-exported for services)
from portal.telnyx.client import TelnyxClient
from portal.telnyx.errors import (
    ApiValidationError,
    AuthenticationError,
    ConflictError,
    ErrorItem,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeout,
    ServerError,
    TelnyxError,
    TransportError,
)
from portal.telnyx.webhooks import WebhookSignatureError, verify_webhook

# Tests point the client at the bundled simulator in-process by setting this (httpx.WSGITransport).
TRANSPORT: httpx.BaseTransport | None = None

__all__ = [
    "ApiValidationError",
    "AuthenticationError",
    "ConflictError",
    "ErrorItem",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeout",
    "ServerError",
    "TelnyxClient",
    "TelnyxError",
    "TransportError",
    "WebhookSignatureError",
    "get_client",
    "verify_webhook",
]


def get_client(*, api_key: str, **overrides) -> TelnyxClient:
    """A client for one account, configured from settings at call time (never at import)."""
    from django.conf import settings

    options = {
        "api_key": api_key,
        "base_url": settings.TELNYX_API_BASE_URL,
        "timeout": settings.TELNYX_API_TIMEOUT,
        "transport": TRANSPORT,
    }
    options.update(overrides)
    return TelnyxClient(**options)
