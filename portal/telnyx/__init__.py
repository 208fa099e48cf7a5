"""The Telnyx API client (a plain package, not a Django app): httpx, typed errors, dataclasses.

Services call `get_client(api_key=...)`; nothing else in the portal talks to Telnyx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

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

_routes: list[dict] = []  # client_route() blocks, innermost last (process-wide: live servers' threads too)

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
    "client_route",
    "get_client",
    "verify_webhook",
]


def get_client(*, api_key: str, **overrides) -> TelnyxClient:
    """A client for one account, configured from settings at call time (never at import)."""
    from django.conf import settings

    route = _routes[-1] if _routes else {}
    options = {
        "api_key": api_key,
        "base_url": route.get("base_url") or settings.TELNYX_API_BASE_URL,
        "timeout": settings.TELNYX_API_TIMEOUT,
        "transport": route.get("transport"),
    }
    if route.get("sleep") is not None:
        options["sleep"] = route["sleep"]
    options.update(overrides)
    client = TelnyxClient(**options)
    if route.get("on_client") is not None:
        route["on_client"](client)
    return client


@contextmanager
def client_route(
    *,
    transport: httpx.BaseTransport | None = None,
    base_url: str | None = None,
    on_client: Callable[[TelnyxClient], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Iterator[None]:
    """Inside the block, every client goes through `transport` to `base_url`, and `on_client` sees each one.

    `sleep` replaces the wait between retries of a GET (tests make it instant).

    The seam for benchmarks and tests that run the bundled simulator in-process (or count calls):
    the services under measurement run unchanged.
    """
    _routes.append({"transport": transport, "base_url": base_url, "on_client": on_client, "sleep": sleep})
    try:
        yield
    finally:
        _routes.pop()
