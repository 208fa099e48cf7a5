"""The one domain error services raise; views map it onto forms (field or top of form)."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused write, with a user-facing message and optionally the form field it concerns."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
