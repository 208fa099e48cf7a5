"""Writes for enterprises: each calls Telnyx first, then mirrors the answer and audits it.

Nothing is written locally for a refused write. Every Telnyx failure becomes a ServiceError with
a message a customer admin can act on (CONTRACT.md §2, §4, §5.1, §5.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import telnyx
from portal.accounts.services import telnyx_account_client
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


class ActivationPending(ServiceError):
    """Activation was accepted but Telnyx has not finished the registration yet; ask again shortly."""


# ---------------------------------------------------------------------------------------------
# Helpers


def _pending() -> ActivationPending:
    return ActivationPending(
        _("Telnyx is still completing the Branded Calling registration."), code="pending"
    )


def _telnyx(team: Team, **options: Any):
    """The team's Telnyx client for a call about an enterprise (a 404 means it is gone)."""
    return telnyx_account_client(
        team=team, not_found=_("This enterprise no longer exists in Telnyx."), **options
    )


def _mirror(*, team: Team, remote: telnyx.schemas.Enterprise) -> Enterprise:
    return enterprises_apply_remote(team=team, remotes=[remote], at=timezone.now())[remote.id]


# ---------------------------------------------------------------------------------------------
# Enterprises


def enterprise_create(
    *, team: Team, user: User, data: dict[str, Any], request: HttpRequest | None = None
) -> Enterprise:
    """Register an enterprise with Telnyx and mirror it."""
    with _telnyx(team) as api:
        remote = api.enterprise_create(data)
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
    with _telnyx(team) as api:
        current = plain(api.enterprise_get(enterprise.remote_id))
        body = {key: current.get(key) for key in MUTABLE_FIELDS if key in current}
        body.update({key: value for key, value in data.items() if key in MUTABLE_FIELDS})
        remote = api.enterprise_update(enterprise.remote_id, body)
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
    # Already gone remotely (404) is fine: the mirror catches up below.
    with _telnyx(team) as api, suppress(telnyx.NotFoundError):
        api.enterprise_delete(enterprise.remote_id)
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
    with _telnyx(team, read=True) as api:
        return api.tos_status() or {}


def tos_agree(*, team: Team, user: User, request: HttpRequest | None = None) -> dict[str, Any]:
    """Agree to the current Branded Calling terms for the team's Telnyx account (idempotent)."""
    with _telnyx(team) as api:
        agreement = api.tos_agree() or {}
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
    with _telnyx(team) as api:
        try:
            remote = api.enterprise_activate(enterprise.remote_id)
        except telnyx.ApiValidationError as exc:
            if REGISTRATION_PENDING in exc.message.lower():
                raise _pending() from exc
            raise
        except telnyx.PermissionDeniedError as exc:
            if TOS_NOT_ACCEPTED in exc.message:  # the card shows the terms box again
                raise ServiceError(
                    _("Accept the Branded Calling terms of service before activating."), code="tos_required"
                ) from exc
            raise
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
        raise _pending()
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
