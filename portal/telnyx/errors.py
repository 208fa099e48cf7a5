"""Typed errors for every way a Telnyx call can fail (CONTRACT.md §2, §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUMBER_IN_TEXT = re.compile(r"\+?\d{10,15}")


@dataclass(frozen=True)
class ErrorItem:
    """One element of the error envelope's `errors[]`."""

    code: str
    title: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict) -> ErrorItem:
        source = raw.get("source") or {}
        return cls(
            code=str(raw.get("code", "")),
            title=str(raw.get("title", "")),
            detail=str(raw.get("detail", "")),
            pointer=source.get("pointer"),
            parameter=source.get("parameter"),
            meta=raw.get("meta") or {},
        )

    @property
    def path(self) -> tuple[str, ...]:
        """The body path a pointer names (`/body/billing_contact/email` → `billing_contact`, `email`).

        Branded-calling pointers start with /body; the Documents API's do not (CONTRACT.md §2).
        """
        parts = [p for p in (self.pointer or "").split("/") if p]
        if parts[:1] == ["body"]:
            parts = parts[1:]
        return tuple(parts)

    @property
    def field(self) -> str | None:
        """The top-level body field a pointer names (`/body/display_name` → `display_name`)."""
        return self.path[0] if self.path else None

    @property
    def category(self) -> str | None:
        return self.meta.get("category")

    @property
    def phone_numbers(self) -> list[str]:
        """The numbers this entry is about: `meta.phone_numbers`, else every number found in `detail`."""
        numbers = self.meta.get("phone_numbers")
        if isinstance(numbers, list):
            return [str(n) for n in numbers]
        return NUMBER_IN_TEXT.findall(self.detail)


class TelnyxError(Exception):
    """Base of every client error."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: list[ErrorItem] | None = None,
        body: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or []
        self.body = body

    @property
    def first(self) -> ErrorItem | None:
        return self.errors[0] if self.errors else None


class ApiValidationError(TelnyxError):
    """400/422: the request was refused as it stands; `errors` say why, field by field."""


class AuthenticationError(TelnyxError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(TelnyxError):
    """403: e.g. terms of service not accepted, or the account level is too low."""


class NotFoundError(TelnyxError):
    """404: unknown, deleted, or another account's resource."""


class ConflictError(TelnyxError):
    """409: an open infringement claim, or a duplicate."""


class RateLimitError(TelnyxError):
    """429: too many requests; `retry_after` is the delay the server asked for (seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(TelnyxError):
    """5xx: Telnyx failed; the request may or may not have been applied."""


class TransportError(TelnyxError):
    """No HTTP answer at all: connection refused or dropped. A write may still have happened."""


class RequestTimeout(TransportError):
    """The request timed out. A write may still have happened."""


STATUS_CLASSES: dict[int, type[TelnyxError]] = {
    400: ApiValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ApiValidationError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[TelnyxError]:
    if status in STATUS_CLASSES:
        return STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    return ApiValidationError if 400 <= status < 500 else TelnyxError
