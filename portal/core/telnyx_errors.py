"""What the user reads when a Telnyx call failed: one wording for reads, one for writes (CONTRACT.md §2, §4).

Services catch `telnyx.TelnyxError` and raise `telnyx_read_error(exc)` or `telnyx_write_error(exc)`;
a caller may add its own context (what a missing record is, what to do after a lost answer).
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import telnyx
from portal.core.exceptions import ServiceError


def telnyx_read_error(exc: telnyx.TelnyxError, *, not_found: str | None = None) -> ServiceError:
    """A remote read that failed, as the text a card shows instead of its content."""
    known = _known_error(exc, not_found=not_found)
    if known is not None:
        return known
    if isinstance(exc, telnyx.ApiValidationError | telnyx.ConflictError):
        return ServiceError(_refused(exc.message), code="refused")
    return ServiceError(
        _("%(reason)s Try again in a moment.") % {"reason": _unavailable(exc)}, code="unavailable"
    )


def telnyx_write_error(
    exc: telnyx.TelnyxError, *, not_found: str | None = None, uncertain: str | None = None
) -> ServiceError:
    """A write Telnyx refused or did not confirm; a 400/422/409 keeps each entry at the field it points to.

    `uncertain` is the advice after a 5xx or a lost answer, when the change may or may not have been
    applied ("" for none); by default it says to reload before trying again.
    """
    known = _known_error(exc, not_found=not_found)
    if known is not None:
        return known
    if isinstance(exc, telnyx.ApiValidationError | telnyx.ConflictError):
        # A nested pointer becomes a field path (`billing_contact__email`); the form helper finds its field.
        errors = [
            ("__".join(item.path), item.detail or item.title)
            if item.path
            else (None, _refused(item.detail or item.title))
            for item in exc.errors
        ]
        code = "conflict" if isinstance(exc, telnyx.ConflictError) else "refused"
        return ServiceError(_refused(exc.message), errors=errors, code=code)
    if uncertain is None:
        uncertain = _(
            "The change may still have been applied: reload the page in a minute before trying again."
        )
    message = f"{_unavailable(exc)} {uncertain}".strip()
    return ServiceError(message, code="unavailable")


def _known_error(exc: telnyx.TelnyxError, *, not_found: str | None) -> ServiceError | None:
    """The failures reads and writes word alike: the key, permissions, a missing record, the rate limit."""
    if isinstance(exc, telnyx.AuthenticationError):
        return ServiceError(
            _(
                "Telnyx refused the team's API key. An admin can update it under Team settings › Telnyx account."
            ),
            code="auth",
        )
    if isinstance(exc, telnyx.PermissionDeniedError):
        return ServiceError(
            _("Telnyx does not allow this for the team's account: %(detail)s") % {"detail": exc.message},
            code="forbidden",
        )
    if isinstance(exc, telnyx.NotFoundError):
        return ServiceError(
            str(
                not_found
                or _("Telnyx no longer knows this record; it may have been deleted. Sync and try again.")
            ),
            code="not_found",
        )
    if isinstance(exc, telnyx.RateLimitError):
        wait = math.ceil(exc.retry_after) if exc.retry_after and exc.retry_after > 0 else None
        when = (
            ngettext("Try again in %(n)d second.", "Try again in %(n)d seconds.", wait) % {"n": wait}
            if wait
            else _("Try again in a moment.")
        )
        return ServiceError(
            _("Telnyx is rate-limiting this account: too many requests (HTTP 429).") + " " + when,
            code="rate_limited",
        )
    return None


def _refused(detail: str) -> str:
    return _("Telnyx refused this: %(detail)s") % {"detail": detail}


def _unavailable(exc: telnyx.TelnyxError) -> str:
    """Why there is no usable answer: Telnyx failed (5xx), did not answer in time, or was not reached."""
    if isinstance(exc, telnyx.RequestTimeout):
        return _("Telnyx did not answer in time (the request timed out).")
    if isinstance(exc, telnyx.TransportError):
        return _("Telnyx could not be reached (no connection).")
    if exc.status:
        return _("Telnyx is having trouble right now (HTTP %(status)s).") % {"status": exc.status}
    return _("Telnyx is having trouble right now.")
