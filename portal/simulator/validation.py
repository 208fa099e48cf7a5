"""Field checks shared by the simulator's endpoints; each failure names its field with a JSON pointer."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from portal.simulator.api import ApiError, entry

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164 = re.compile(r"\+[1-9][0-9]{9,14}")  # used with fullmatch: no trailing newline, ASCII digits only
TEN_DIGITS = re.compile(r"[0-9]{10}")
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\U0000fe0f\U0000200d\U00002b00-\U00002bff]"
)


class Checker:
    """Collects field errors and raises them together (one `errors[]` entry per field)."""

    def __init__(self, body: dict, *, status: int = 400, prefix: str = "/body") -> None:
        self.body = body
        self.status = status
        self.code = "10015" if status == 400 else "10005"
        self.prefix = prefix
        self.errors: list[dict] = []

    def fail(self, field: str, detail: str) -> None:
        self.errors.append(entry(self.code, detail, pointer=f"{self.prefix}/{field}"))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError(self.status, self.errors)

    def string(
        self, field: str, *, required: bool = False, min_len: int = 0, max_len: int = 255, nullable=True
    ):
        value = self.body.get(field)
        if value is None:
            if required or (field in self.body and not nullable):
                self.fail(field, f"{field} is required.")
            return None
        if not isinstance(value, str):
            self.fail(field, f"{field} must be a string.")
            return None
        if len(value) < min_len or len(value) > max_len:
            if min_len:
                self.fail(field, f"{field} must be between {min_len} and {max_len} characters.")
            else:
                self.fail(field, f"{field} must be at most {max_len} characters.")
        return value

    def choice(self, field: str, choices, *, required: bool = False, case_insensitive: bool = False):
        value = self.body.get(field)
        if value is None:
            if required:
                self.fail(field, f"{field} is required.")
            return None
        allowed = {c.lower(): c for c in choices} if case_insensitive else {c: c for c in choices}
        key = value.lower() if case_insensitive and isinstance(value, str) else value
        if not isinstance(value, str) or key not in allowed:
            self.fail(field, f"{field} must be one of: {', '.join(choices)}.")
            return None
        return allowed[key]

    def boolean(self, field: str, *, required: bool = False, must_be_true: bool = False):
        value = self.body.get(field)
        if value is None:
            if required or field in self.body:
                self.fail(field, f"{field} is required and must be true or false.")
            return None
        if not isinstance(value, bool):
            self.fail(field, f"{field} must be true or false.")
            return None
        if must_be_true and value is not True:
            self.fail(field, f"{field} must be true.")
        return value

    def email(self, field: str, *, required: bool = False, max_len: int = 254):
        value = self.string(field, required=required, max_len=max_len)
        if value is not None and not EMAIL.match(value):
            self.fail(field, f"{field} must be a valid e-mail address.")
        return value

    def https_url(self, field: str, *, max_len: int):
        value = self.body.get(field)
        if value is None:
            return None
        if not isinstance(value, str) or not url_allowed(value) or len(value) > max_len:
            self.fail(field, f"{field} must be an https URL of at most {max_len} characters.")
            return None
        return value


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def url_allowed(value: str) -> bool:
    """https://…, or (simulator-only, SIMULATOR_ALLOW_HTTP_LOOPBACK) http:// on a loopback host.

    Real Telnyx accepts https only. A portal on a developer's machine has no TLS, so the simulator
    also takes http://127.0.0.1, http://localhost and http://[::1] there; every other host stays https.
    """
    from django.conf import settings

    parts = urlsplit(value)
    if parts.scheme == "https" and parts.netloc:
        return True
    if parts.scheme != "http" or not getattr(settings, "SIMULATOR_ALLOW_HTTP_LOOPBACK", False):
        return False
    try:
        host = parts.hostname
    except ValueError:  # a malformed [...] host
        return False
    return host in LOOPBACK_HOSTS


def display_name_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not (1 <= len(value) <= 35):
        return "display_name must be between 1 and 35 characters"
    if not value.strip():
        return "display_name must not be blank"
    if EMOJI.search(value):
        return "display_name must not contain emoji"
    return None


def normalize_number(raw: Any) -> str | None:
    """+E.164 (10–15 digits) as is; a bare 10-digit string is a US number. None when invalid."""
    if not isinstance(raw, str):
        return None
    if TEN_DIGITS.fullmatch(raw):
        return "+1" + raw
    return raw if E164.fullmatch(raw) else None
