"""Reads shared by every app: the audit log."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from portal.accounts.models import Membership
from portal.core.models import AuditEvent


def audit_event_list(*, team, verb: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """A team's audit events plus its members' own account events (sign-ins), newest first."""
    # Account events (sign-ins) of people while they are members of this team; a subquery, not a
    # join, so an event is not repeated once per team of its actor.
    member_then = Membership.objects.filter(
        team=team, user_id=OuterRef("actor_id"), created_at__lte=OuterRef("at")
    )
    events = AuditEvent.objects.filter(
        Q(team=team) | Q(Exists(member_then), team__isnull=True)
    ).select_related("actor", "team")
    if verb:
        events = events.filter(verb=verb)
    if actor:
        events = events.filter(Q(actor_email__icontains=actor) | Q(actor__full_name__icontains=actor))
    return events
