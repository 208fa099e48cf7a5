"""Writes shared by every app: the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from portal.core.models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from portal.accounts.models import Team, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as Django sees it (REMOTE_ADDR; a proxy must set it correctly)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    verb: str,
    actor: User | None = None,
    team: Team | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_email: str = "",
) -> AuditEvent:
    """Append one event to the audit log."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        verb=verb,
        actor=actor,
        actor_email=actor.email if actor is not None else actor_email,
        team=team,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        details=details or {},
        ip_address=client_ip(request),
    )
