"""Reads for the sync engine's own records."""

from __future__ import annotations

from portal.accounts.models import TelnyxAccount
from portal.sync.models import SyncRun


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
