"""Reads for the sync engine's own records."""

from __future__ import annotations

from portal.accounts.models import TelnyxAccount
from portal.core.leases import lease_held
from portal.sync.models import SyncRun


def sync_latest(*, account: TelnyxAccount | None) -> dict:
    """The run in progress (if any) and the last finished one."""
    if account is None:
        return {"active": None, "last_done": None}
    runs = SyncRun.objects.filter(account=account)
    active = runs.filter(state__in=(SyncRun.State.QUEUED, SyncRun.State.RUNNING)).first()
    if (
        active is not None
        and active.state == SyncRun.State.RUNNING
        and not lease_held(f"account:{account.pk}")
    ):
        active = None  # its worker died (its lease ran out unrenewed): "Sync now" is offered again
    return {
        "active": active,
        "last_done": runs.filter(state=SyncRun.State.DONE).first(),
        "last_failed": runs.filter(state=SyncRun.State.FAILED).first(),
    }
