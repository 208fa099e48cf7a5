"""Reads for the mirror: counts, sync state, the status timeline (always scoped to a team)."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.models import Team, TelnyxAccount
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.numbers.models import DirNumber, StatusChange, SyncRun


def mirror_counts(*, team: Team) -> dict[str, int]:
    return {
        "enterprises": Enterprise.objects.filter(team=team, removed_at=None).count(),
        "dirs": Dir.objects.filter(team=team, removed_at=None).count(),
        "numbers": DirNumber.objects.filter(dir__team=team, dir__removed_at=None, removed_at=None).count(),
    }


def sync_latest(*, account: TelnyxAccount | None) -> dict:
    """The run in progress (if any) and the last finished one."""
    if account is None:
        return {"active": None, "last_done": None}
    runs = SyncRun.objects.filter(account=account)
    return {
        "active": runs.filter(state__in=(SyncRun.State.QUEUED, SyncRun.State.RUNNING)).first(),
        "last_done": runs.filter(state=SyncRun.State.DONE).first(),
        "last_failed": runs.filter(state=SyncRun.State.FAILED).first(),
    }


def status_change_list(*, team: Team, dir: Dir | None = None, limit: int = 50) -> QuerySet[StatusChange]:
    """The newest status changes of a team, or of one DIR and everything under it."""
    changes = StatusChange.objects.filter(team=team)
    if dir is not None:
        changes = changes.filter(dir=dir)
    return changes.select_related("dir")[:limit]
