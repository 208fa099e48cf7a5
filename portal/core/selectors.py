"""Reads shared by every app: the audit log."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.accounts.models import Membership
from portal.core.models import AuditEvent


def audit_event_list(*, team, verb: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """A team's audit events plus its members' own account events (sign-ins), newest first."""
    # A subquery, not a join on memberships: a join repeats each event once per team of its actor.
    members = Membership.objects.filter(team=team).values("user_id")
    events = AuditEvent.objects.filter(
        Q(team=team) | Q(team__isnull=True, actor_id__in=members)
    ).select_related("actor", "team")
    if verb:
        events = events.filter(verb=verb)
    if actor:
        events = events.filter(Q(actor_email__icontains=actor) | Q(actor__full_name__icontains=actor))
    return events
