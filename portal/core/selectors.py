"""Reads shared by every app: the audit log."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.core.models import AuditEvent


def audit_event_list(*, team, verb: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """A team's audit events plus its members' own account events (sign-ins), newest first."""
    events = AuditEvent.objects.filter(
        Q(team=team) | Q(team__isnull=True, actor__memberships__team=team)
    ).select_related("actor", "team")
    if verb:
        events = events.filter(verb=verb)
    if actor:
        events = events.filter(Q(actor_email__icontains=actor) | Q(actor__full_name__icontains=actor))
    return events
