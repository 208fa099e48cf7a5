"""Reads shared by every app: the status timeline."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.core.models import StatusChange


def status_change_list(*, team, dir_id: int | None = None, limit: int = 50) -> QuerySet[StatusChange]:
    """The newest status changes of a team, or of one DIR and everything under it."""
    changes = StatusChange.objects.filter(team=team)
    if dir_id is not None:
        changes = changes.filter(dir_id=dir_id)
    return changes[:limit]
