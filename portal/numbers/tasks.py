"""Queue tasks for the sync engine: they take ids and call services."""

from __future__ import annotations

import logging

from portal.accounts.models import TelnyxAccount
from portal.numbers import services
from portal.numbers.models import SyncRun

logger = logging.getLogger("portal.sync")


def sync_account(account_id: int, full: bool = False, run_id: int | None = None) -> str:
    account = TelnyxAccount.objects.select_related("team").filter(pk=account_id).first()
    if account is None:
        return "account gone"
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    try:
        run = services.account_sync(account=account, full=full, run=run)
    except services.SyncBusy:
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
        async_task("portal.numbers.tasks.sync_account", account_id, full, group="sync")
    return len(ids)


def sync_dir(dir_id: int, source: str = "webhook") -> str:
    try:
        services.dir_sync(dir_id=dir_id, source=source)
    except services.SyncBusy:
        # The account sync running now will see the change, or the next one will.
        return "busy"
    return "done"


# --- Numbers and batches pages, removal


def run_removal(removal_id: int) -> str:
    """Send a queued removal (more than one chunk of numbers); see services.removal_run."""
    from portal.numbers.models import NumberRemoval

    removal = NumberRemoval.objects.filter(pk=removal_id).first()
    if removal is None:
        return "removal gone"
    removal = services.removal_run(removal=removal)
    return f"{removal.state}: {len(removal.removed)} removed, {len(removal.not_removed)} refused"


def settle_removals() -> int:
    """End the removals whose worker died, queue again the ones nobody started (a schedule runs this)."""
    return services.removals_settle()


# --- Add flow


def send_add_request(add_request_id: int) -> str:
    """Send (or settle) one chunk of an add."""
    try:
        request = services.add_request_send(add_request_id=add_request_id)
    except services.SyncBusy:
        return "busy: another add to this DIR is still being sent; settled later"
    except services.AddUncertain:
        return "uncertain: Telnyx could not be read; settled later"
    except services.AddSuperseded:
        return "superseded: another worker moved this chunk on meanwhile"
    return request.state if request is not None else "gone"


def settle_add_requests() -> int:
    """Queue again the adds left open (a schedule runs this every few minutes)."""
    return services.add_requests_settle()
