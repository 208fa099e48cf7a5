"""Writes for enterprises: each calls Telnyx first, then mirrors the answer and audits it.

Nothing is written locally for a refused write. Every Telnyx failure becomes a ServiceError with
a message a customer admin can act on (CONTRACT.md §2, §4, §5.1, §5.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.core.exceptions import ServiceError
from portal.core.mirror import apply_page, plain
from portal.core.services import audit_record
from portal.enterprises.models import Enterprise

if TYPE_CHECKING:
    from django.http import HttpRequest

    from portal.accounts.models import Team, User

MUTABLE_FIELDS = (
    "billing_address", "billing_contact", "corporate_registration_number", "customer_reference",
    "doing_business_as", "dun_bradstreet_number", "fein", "industry", "jurisdiction_of_incorporation",
    "legal_name", "number_of_employees", "organization_contact", "organization_legal_type",
    "organization_physical_address", "primary_business_domain_sic_code", "professional_license_number",
    "website",
)  # fmt: skip
REGISTRATION_PENDING = "registration has not completed"
TOS_NOT_ACCEPTED = "terms_of_service_not_accepted"


@dataclass(frozen=True)
class FieldProblem:
    """One entry of a remote refusal: the body pointer it names (if any) and the message."""

    pointer: str | None
    message: str


class EnterpriseRefused(ServiceError):
    """Telnyx refused the body (400/422); `problems` lists each entry with its pointer."""

    def __init__(self, message: str, *, problems: list[FieldProblem]) -> None:
        super().__init__(message, code="refused")
        self.problems = problems


class ActivationPending(ServiceError):
    """Activation was accepted but Telnyx has not finished the registration yet; ask again shortly."""

    def __init__(self) -> None:
        super().__init__(_("Telnyx is still completing the Branded Calling registration."), code="pending")


# ---------------------------------------------------------------------------------------------
# Helpers


def _account(team: Team) -> TelnyxAccount:
    account = TelnyxAccount.objects.filter(team=team).first()
    if account is None:
        raise ServiceError(_("Connect a Telnyx account first."), code="no_account")
    return account


def _service_error(exc: telnyx.TelnyxError, *, write: bool) -> ServiceError:
    """The user-facing ServiceError for any Telnyx failure."""
    detail = exc.message
    if isinstance(exc, telnyx.ApiValidationError):
        problems = [FieldProblem(e.pointer, e.detail or e.title) for e in exc.errors] or [
            FieldProblem(None, detail)
        ]
        return EnterpriseRefused(_("Telnyx refused this: %(detail)s") % {"detail": detail}, problems=problems)
    if isinstance(exc, telnyx.PermissionDeniedError):
        if TOS_NOT_ACCEPTED in detail:
            return ServiceError(
                _("Accept the Branded Calling terms of service before activating."), code="tos_required"
            )
        return ServiceError(_("Telnyx does not allow this for your account: %(detail)s") % {"detail": detail})
    if isinstance(exc, telnyx.ConflictError):
        return ServiceError(_("Telnyx refused this: %(detail)s") % {"detail": detail}, code="conflict")
    if isinstance(exc, telnyx.NotFoundError):
        return ServiceError(_("This enterprise no longer exists in Telnyx."), code="not_found")
    if isinstance(exc, telnyx.AuthenticationError):
        return ServiceError(
            _(
                "Telnyx refused this team's API key. An admin can replace it under Team settings › Telnyx account."
            ),
            code="auth",
        )
    if isinstance(exc, telnyx.RateLimitError):
        wait = int(exc.retry_after) if exc.retry_after else None
        message = (
            _("Telnyx is receiving too many requests. Wait %(n)s seconds and try again.") % {"n": wait}
            if wait
            else _("Telnyx is receiving too many requests. Wait a moment and try again.")
        )
        return ServiceError(message, code="rate_limited")
    if write:
        return ServiceError(
            _(
                "Telnyx did not confirm the change (%(reason)s). It may still have been applied: "
                "reload the page in a minute before trying again."
            )
            % {"reason": _reason(exc)},
            code="unavailable",
        )
    return ServiceError(
        _("Telnyx is not answering right now (%(reason)s). Try again in a moment.")
        % {"reason": _reason(exc)},
        code="unavailable",
    )


def _reason(exc: telnyx.TelnyxError) -> str:
    if isinstance(exc, telnyx.RequestTimeout):
        return _("timed out")
    if isinstance(exc, telnyx.TransportError):
        return _("no connection")
    return _("HTTP %(status)s") % {"status": exc.status} if exc.status else _("error")


def _mirror(*, team: Team, remote: telnyx.schemas.Enterprise) -> Enterprise:
    return enterprises_apply_remote(team=team, remotes=[remote], at=timezone.now())[remote.id]


# ---------------------------------------------------------------------------------------------
# Enterprises


def enterprise_create(
    *, team: Team, user: User, data: dict[str, Any], request: HttpRequest | None = None
) -> Enterprise:
    """Register an enterprise with Telnyx and mirror it."""
    account = _account(team)
    with telnyx.get_client(api_key=account.api_key) as api:
        try:
            remote = api.enterprise_create(data)
        except telnyx.TelnyxError as exc:
            raise _service_error(exc, write=True) from exc
    with transaction.atomic():
        enterprise = _mirror(team=team, remote=remote)
        audit_record(
            verb="enterprise_created",
            actor=user,
            team=team,
            target=enterprise,
            details={"remote_id": remote.id},
            request=request,
        )
    return enterprise


def enterprise_update(
    *,
    team: Team,
    user: User,
    enterprise: Enterprise,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> Enterprise:
    """Send the full mutable set (a fresh GET overlaid with the form) and mirror the result."""
    account = _account(team)
    with telnyx.get_client(api_key=account.api_key) as api:
        try:
            current = plain(api.enterprise_get(enterprise.remote_id))
            body = {key: current.get(key) for key in MUTABLE_FIELDS if key in current}
            body.update({key: value for key, value in data.items() if key in MUTABLE_FIELDS})
            remote = api.enterprise_update(enterprise.remote_id, body)
        except telnyx.TelnyxError as exc:
            raise _service_error(exc, write=True) from exc
    changed = sorted(k for k in MUTABLE_FIELDS if current.get(k) != plain(remote).get(k))
    with transaction.atomic():
        enterprise = _mirror(team=team, remote=remote)
        audit_record(
            verb="enterprise_updated",
            actor=user,
            team=team,
            target=enterprise,
            details={"fields": ", ".join(changed) or "none"},
            request=request,
        )
    return enterprise


def enterprise_delete(
    *, team: Team, user: User, enterprise: Enterprise, request: HttpRequest | None = None
) -> None:
    """Delete the enterprise in Telnyx; mirror it (and its DIRs, deleted with it) as removed."""
    account = _account(team)
    with telnyx.get_client(api_key=account.api_key) as api:
        try:
            api.enterprise_delete(enterprise.remote_id)
        except telnyx.NotFoundError:
            pass  # already gone remotely: the mirror catches up below
        except telnyx.TelnyxError as exc:
            raise _service_error(exc, write=True) from exc
    at = timezone.now()
    with transaction.atomic():
        enterprise.dirs.filter(removed_at=None).update(removed_at=at, synced_at=at)
        Enterprise.objects.filter(pk=enterprise.pk).update(removed_at=at, synced_at=at)
        audit_record(
            verb="enterprise_deleted",
            actor=user,
            team=team,
            target=enterprise,
            details={"remote_id": enterprise.remote_id},
            request=request,
        )


# ---------------------------------------------------------------------------------------------
# Branded Calling: terms of service and activation


def tos_status_get(*, team: Team) -> dict[str, Any]:
    """Whether the team's Telnyx account agreed to the current Branded Calling terms."""
    account = _account(team)
    with telnyx.get_client(api_key=account.api_key) as api:
        try:
            return api.tos_status() or {}
        except telnyx.TelnyxError as exc:
            raise _service_error(exc, write=False) from exc


def tos_agree(*, team: Team, user: User, request: HttpRequest | None = None) -> dict[str, Any]:
    """Agree to the current Branded Calling terms for the team's Telnyx account (idempotent)."""
    account = _account(team)
    with telnyx.get_client(api_key=account.api_key) as api:
        try:
            agreement = api.tos_agree() or {}
        except telnyx.TelnyxError as exc:
            raise _service_error(exc, write=True) from exc
    audit_record(
        verb="tos_agreed",
        actor=user,
        team=team,
        details={"terms_version": agreement.get("terms_version") or agreement.get("version") or ""},
        request=request,
    )
    return agreement


def enterprise_activate(
    *, team: Team, user: User, enterprise: Enterprise, request: HttpRequest | None = None
) -> Enterprise:
    """Turn Branded Calling on; raises ActivationPending while Telnyx finishes the registration.

    Activation is idempotent by contract, so asking again while it is pending is safe.
    """
    account = _account(team)
    with telnyx.get_client(api_key=account.api_key) as api:
        try:
            remote = api.enterprise_activate(enterprise.remote_id)
        except telnyx.ApiValidationError as exc:
            if REGISTRATION_PENDING in exc.message.lower():
                raise ActivationPending() from exc
            raise _service_error(exc, write=True) from exc
        except telnyx.TelnyxError as exc:
            raise _service_error(exc, write=True) from exc
    was_enabled = enterprise.branded_calling_enabled
    with transaction.atomic():
        enterprise = _mirror(team=team, remote=remote)
        if remote.branded_calling_enabled and not was_enabled:
            audit_record(
                verb="branded_calling_activated",
                actor=user,
                team=team,
                target=enterprise,
                request=request,
            )
    if not remote.branded_calling_enabled:
        raise ActivationPending()
    return enterprise


# --- Mirror: what sync and the portal's own writes apply


def enterprises_apply_remote(
    *, team: Team, remotes: Iterable[telnyx.schemas.Enterprise], at: datetime
) -> dict[str, Enterprise]:
    """Upsert a page of enterprises; returns them by remote id."""
    wanted = {
        e.id: {
            "legal_name": e.legal_name,
            "doing_business_as": e.doing_business_as or "",
            "branded_calling_enabled": e.branded_calling_enabled,
            "data": plain(e),
        }
        for e in remotes
    }
    rows, _before = apply_page(
        Enterprise,
        wanted,
        at=at,
        build=lambda rid, v: Enterprise(team=team, remote_id=rid, synced_at=at, **v),
    )
    return rows
