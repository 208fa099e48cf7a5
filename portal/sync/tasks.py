"""Queue tasks for the sync engine: they take ids and call services."""

from __future__ import annotations

import logging

from portal.accounts.models import TelnyxAccount
from portal.core.leases import LeaseBusy
from portal.sync import services
from portal.sync.models import SyncRun

logger = logging.getLogger("portal.sync")


def sync_account(account_id: int, full: bool = False, run_id: int | None = None) -> str:
    account = TelnyxAccount.objects.select_related("team").filter(pk=account_id).first()
    if account is None:
        return "account gone"
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    try:
        run = services.account_sync(account=account, full=full, run=run)
    except LeaseBusy:
        if run is not None:
            SyncRun.objects.filter(pk=run.pk).update(
                state=SyncRun.State.FAILED, error="Another sync was running."
            )
        return "busy: another worker is syncing this account"
    return f"{run.kind}: {run.pages} pages, {run.api_calls} calls"


def sync_all(full: bool = False) -> int:
    """Queue one sync per connected account (the schedules call this)."""
    from django_q.tasks import async_task

    ids = list(TelnyxAccount.objects.values_list("pk", flat=True))
    for account_id in ids:
        async_task("portal.sync.tasks.sync_account", account_id, full, group="sync")
    return len(ids)


def sync_dir(dir_id: int, source: str = "webhook") -> str:
    try:
        services.dir_sync(dir_id=dir_id, source=source)
    except LeaseBusy:
        # The account sync running now will see the change, or the next one will.
        return "busy"
    return "done"


# Until the release after the one that moved them here: tasks queued (and schedules stored) under
# their old dotted paths still find them. Migration sync.0002 rewrites the stored schedules.
LEGACY_NAMES = ("sync_account", "sync_all", "sync_dir")


def install_legacy_aliases() -> None:
    """Make `portal.numbers.tasks.<name>` resolve to the task that now lives here."""
    from portal.numbers import tasks as numbers_tasks

    for name in LEGACY_NAMES:
        setattr(numbers_tasks, name, globals()[name])
