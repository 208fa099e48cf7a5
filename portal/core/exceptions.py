"""The one domain error services raise; views map it onto forms (field or top of form)."""

from __future__ import annotations

from collections.abc import Iterable


class ServiceError(Exception):
    """A refused write or a failed read, in the user's words.

    `errors` lists each problem as (form field or None, message); one error by default, at `field`.
    Subclasses only mark a case a caller branches on, or carry what is really extra.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: Iterable[tuple[str | None, str]] | None = None,
        code: str = "invalid",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = list(errors) if errors else [(field, message)]
        self.code = code
