"""The sync engine: keep a team's mirror equal to its Telnyx account (ARCHITECTURE.md §6.3)."""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.core.exceptions import ServiceError
from portal.core.services import audit_record
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.numbers import mirror
from portal.numbers.models import (
    IN_FLIGHT,
    Batch,
    DirNumber,
    NumberRemoval,
    StatusChange,
    SyncLease,
    SyncRun,
    WebhookEvent,
)

logger = logging.getLogger("portal.sync")

LEASE_SECONDS = 15 * 60
PAGES_PER_COMMIT = 4  # number pages (of 250) written in one transaction
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class SyncBusy(Exception):
    """Another worker holds the lease for this account; try again later."""


@contextmanager
def lease(key: str, *, seconds: int = LEASE_SECONDS):
    """Hold a database lease for `key`; a crashed holder's lease simply expires."""
    token = f"{HOLDER}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    # Take an expired lease over, or create a new one; exactly one contender wins either way.
    taken = SyncLease.objects.filter(key=key, expires_at__lt=now).update(holder=token, expires_at=expires)
    if not taken:
        try:
            with transaction.atomic():
                SyncLease.objects.create(key=key, holder=token, expires_at=expires)
        except IntegrityError as exc:
            raise SyncBusy(key) from exc
    try:
        yield
    finally:
        SyncLease.objects.filter(key=key, holder=token).delete()


def account_sync(*, account: TelnyxAccount, full: bool, run: SyncRun | None = None) -> SyncRun:
    """Bring the team's mirror up to date: everything (full) or only what is in flight (incremental)."""
    with lease(f"account:{account.pk}"):
        kind = SyncRun.Kind.FULL if full else SyncRun.Kind.INCREMENTAL
        if run is None:
            run = SyncRun.objects.create(account=account, kind=kind)
        else:
            run.state, run.kind = SyncRun.State.RUNNING, kind
            run.save(update_fields=["state", "kind"])
        try:
            with telnyx.get_client(api_key=account.api_key) as api:
                if full:
                    _sync_full(api, account, run)
                else:
                    _sync_in_flight(api, account, run)
                run.api_calls = api.calls
        except telnyx.TelnyxError as exc:
            run.state, run.error = SyncRun.State.FAILED, str(exc)[:255]
            run.finished_at = timezone.now()
            run.save()
            raise
        run.state, run.finished_at = SyncRun.State.DONE, timezone.now()
        run.save()
        return run


def _sync_full(api: telnyx.TelnyxClient, account: TelnyxAccount, run: SyncRun) -> None:
    team = account.team
    at = timezone.now()
    enterprises: dict[str, Enterprise] = {}
    for remotes in api.enterprise_pages():
        with transaction.atomic():
            enterprises.update(mirror.enterprises_apply_remote(team=team, remotes=remotes, at=at))
        run.pages += 1
    mirror.mark_removed(Enterprise.objects.filter(team=team), seen=set(enterprises), at=at)

    dirs: dict[str, Dir] = {}
    for remotes in api.dir_pages():
        with transaction.atomic():
            dirs.update(
                mirror.dirs_apply_remote(
                    team=team,
                    remotes=remotes,
                    enterprises=enterprises,
                    source=StatusChange.Source.SYNC,
                    at=at,
                )
            )
        run.pages += 1
    mirror.mark_removed(Dir.objects.filter(team=team), seen=set(dirs), at=at)
    run.dirs_total = len(dirs)
    SyncRun.objects.filter(pk=run.pk).update(pages=run.pages, dirs_total=run.dirs_total)
    for dir_ in dirs.values():
        run.pages += dir_children_sync(api, dir_, at=at)
        run.dirs_done += 1
        # Progress for the dashboard's bar (one small write per DIR, not per page of numbers).
        SyncRun.objects.filter(pk=run.pk).update(pages=run.pages, dirs_done=run.dirs_done)


def dir_children_sync(api: telnyx.TelnyxClient, dir_: Dir, *, at) -> int:
    """Mirror all batches, then all attached numbers, of one DIR; returns the pages read."""
    pages = 0
    batches: dict[str, int] = {}
    for remotes in api.batch_pages(dir_.remote_id):
        with transaction.atomic():
            rows = mirror.batches_apply_remote(
                dir=dir_, remotes=remotes, source=StatusChange.Source.SYNC, at=at
            )
        batches.update({rid: row.pk for rid, row in rows.items()})
        pages += 1
    mirror.mark_removed(Batch.objects.filter(dir=dir_), seen=set(batches), at=at)
    seen: set[str] = set()
    # Pages are fetched first and written a few at a time: fewer commits, and no transaction is
    # ever open while waiting on Telnyx.
    for group in itertools.batched(api.number_pages(dir_.remote_id), PAGES_PER_COMMIT):
        with transaction.atomic():
            for remotes in group:
                seen.update(
                    mirror.numbers_apply_remote(
                        dir=dir_, remotes=remotes, batches=batches, source=StatusChange.Source.SYNC, at=at
                    )
                )
        pages += len(group)
    mirror.mark_removed(DirNumber.objects.filter(dir=dir_), seen=seen, at=at)
    return pages


def _sync_in_flight(api: telnyx.TelnyxClient, account: TelnyxAccount, run: SyncRun) -> None:
    """Only DIRs and batches still under review are fetched; terminal ones are left alone."""
    team = account.team
    at = timezone.now()
    for dir_ in Dir.objects.filter(team=team, removed_at=None, status__in=Dir.IN_FLIGHT).select_related(
        "enterprise"
    ):
        dir_refresh(api, dir_, source=StatusChange.Source.SYNC, at=at)
        run.pages += 1
    in_flight = Batch.objects.filter(dir__team=team, removed_at=None, status__in=IN_FLIGHT).select_related(
        "dir"
    )
    for batch in in_flight:
        batch_refresh(api, batch, source=StatusChange.Source.SYNC, at=at)
        run.pages += 1


def dir_refresh(api: telnyx.TelnyxClient, dir_: Dir, *, source: str, at) -> Dir | None:
    """Re-read one DIR; a DIR gone remotely is marked removed."""
    try:
        remote = api.dir_get(dir_.remote_id)
    except telnyx.NotFoundError:
        Dir.objects.filter(pk=dir_.pk, removed_at=None).update(removed_at=at, synced_at=at)
        return None
    with transaction.atomic():
        rows = mirror.dirs_apply_remote(
            team=dir_.team,
            remotes=[remote],
            enterprises={remote.enterprise_id: dir_.enterprise},
            source=source,
            at=at,
        )
    return rows.get(remote.id)


def batch_refresh(api: telnyx.TelnyxClient, batch: Batch, *, source: str, at) -> None:
    """Re-read one batch with its embedded numbers."""
    try:
        remote = api.batch_get(batch.dir.remote_id, batch.remote_id)
    except telnyx.NotFoundError:
        Batch.objects.filter(pk=batch.pk).update(removed_at=at, synced_at=at)
        return
    with transaction.atomic():
        rows = mirror.batches_apply_remote(dir=batch.dir, remotes=[remote], source=source, at=at)
        mirror.numbers_apply_remote(
            dir=batch.dir,
            remotes=remote.phone_numbers,
            batches={rid: row.pk for rid, row in rows.items()},
            source=source,
            at=at,
        )


def dir_sync(*, dir_id: int, source: str = StatusChange.Source.SYNC) -> None:
    """Refresh one DIR and everything under it (what a webhook asks for)."""
    dir_ = Dir.objects.select_related("team__telnyx_account", "enterprise").get(pk=dir_id)
    account = dir_.team.telnyx_account
    with lease(f"account:{account.pk}"), telnyx.get_client(api_key=account.api_key) as api:
        at = timezone.now()
        if dir_refresh(api, dir_, source=source, at=at) is not None:
            dir_children_sync(api, dir_, at=at)


class WebhookRejected(Exception):
    """The webhook is not processed (bad signature, stale, malformed); the view answers 4xx."""


def webhook_receive(*, account: TelnyxAccount, headers, body: bytes) -> str:
    """Verify, dedupe and queue a sync of the DIR a webhook is about; returns what was done."""
    from django_q.tasks import async_task

    if not account.webhook_public_key:
        raise WebhookRejected("no webhook public key configured for this account")
    try:
        telnyx.verify_webhook(public_key=account.webhook_public_key, headers=headers, body=body)
    except telnyx.WebhookSignatureError as exc:
        raise WebhookRejected(str(exc)) from exc
    try:
        event = json.loads(body)
        data = event["data"]
        event_id = str(data["id"])
        payload = data.get("payload") or {}
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRejected("body is not a Telnyx event") from exc
    dir_remote_id = str(payload.get("dir_id") or "")
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                account=account, event_id=event_id[:64], event_type=str(data.get("event_type", ""))[:100],
                dir_remote_id=dir_remote_id[:64],
            )  # fmt: skip
    except IntegrityError:
        return "duplicate"
    # Never trust the payload as state: re-read the DIR from Telnyx (CONTRACT.md §8).
    dir_ = (
        Dir.objects.filter(team_id=account.team_id, remote_id=dir_remote_id).first()
        if dir_remote_id
        else None
    )
    if dir_ is not None:
        transaction.on_commit(lambda: async_task("portal.numbers.tasks.sync_dir", dir_.pk, "webhook"))
        return "dir sync queued"
    transaction.on_commit(lambda: async_task("portal.numbers.tasks.sync_account", account.pk, True))
    return "account sync queued"


def sync_request(*, account: TelnyxAccount, user, request=None) -> SyncRun:
    """Queue a full sync from the dashboard ("Sync now"); one at a time per account."""
    from django_q.tasks import async_task

    active = SyncRun.objects.filter(
        account=account, state__in=(SyncRun.State.QUEUED, SyncRun.State.RUNNING)
    ).first()
    if active is not None and active.started_at > timezone.now() - timedelta(seconds=LEASE_SECONDS):
        return active
    if active is not None:  # its worker died; it must not block "Sync now" forever
        SyncRun.objects.filter(pk=active.pk).update(
            state=SyncRun.State.FAILED, error="Abandoned by its worker."
        )
    run = SyncRun.objects.create(
        account=account, kind=SyncRun.Kind.FULL, state=SyncRun.State.QUEUED, requested_by=user
    )
    transaction.on_commit(lambda: async_task("portal.numbers.tasks.sync_account", account.pk, True, run.pk))
    return run


# --- Numbers and batches pages, removal

REMOVE_CHUNK = 100  # CONTRACT.md §5.10.3: 1–100 numbers per DELETE
# A request handler makes at most one remote call (STYLE.md rule 8): a bigger removal is queued.
REMOVE_INLINE_MAX = REMOVE_CHUNK
REFRESH_EVERY = timedelta(seconds=10)


def dir_refresh_request(*, dir: Dir) -> bool:
    """Queue one re-read of a DIR from Telnyx, at most every 10 s however many pages poll it."""
    if not TelnyxAccount.objects.filter(team_id=dir.team_id).exists():
        return False
    now = timezone.now()
    # A conditional UPDATE is the throttle: of all the pollers, exactly one wins each 10 s window.
    claimed = (
        Dir.objects.filter(pk=dir.pk)
        .filter(Q(synced_at=None) | Q(synced_at__lt=now - REFRESH_EVERY))
        .update(synced_at=now)
    )
    if claimed:
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("portal.numbers.tasks.sync_dir", dir.pk, StatusChange.Source.SYNC)
        )
    return bool(claimed)


def number_removal_request(*, dir: Dir, phone_numbers: list[str], user, request=None) -> NumberRemoval:
    """Record a removal and send it: within the request for one chunk, by a queue task beyond that."""
    numbers = list(dict.fromkeys(phone_numbers))
    if not numbers:
        raise ServiceError(_("Select at least one number to remove."))
    if dir.status == Dir.Status.DELETE_REQUESTED:
        raise ServiceError(_("This DIR is being deleted; its numbers are removed with it."))
    if not TelnyxAccount.objects.filter(team_id=dir.team_id).exists():
        raise ServiceError(_("Connect a Telnyx account first."))
    removal = NumberRemoval.objects.create(
        dir=dir,
        requested_by=user,
        phone_numbers=numbers,
        chunks_total=-(-len(numbers) // REMOVE_CHUNK),
    )
    audit_record(
        verb="numbers_remove_requested",
        actor=user,
        team=dir.team,
        target=dir,
        details={"removal": removal.pk, "count": len(numbers), "numbers": numbers[:20]},
        request=request,
    )
    if len(numbers) <= REMOVE_INLINE_MAX:
        return removal_run(removal=removal)
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("portal.numbers.tasks.run_removal", removal.pk, group="removal"))
    return removal


def _refusals(exc: telnyx.ApiValidationError, chunk: list[str]) -> list[dict] | None:
    """A 400 where every number was refused (not attached) as per-number outcomes; None for other 400s."""
    items = [e for e in exc.errors if e.category == "not_associated"]
    if not items:
        return None
    listed = {n for e in items for n in e.phone_numbers}
    return [
        {
            "phone_number": number,
            "code": "not_associated",
            "title": "Phone number not associated",
            "detail": f"{number} is not attached to this DIR",
        }
        for number in chunk
        if number in listed or not listed
    ]


def _failure_message(exc: telnyx.TelnyxError) -> str:
    if isinstance(exc, telnyx.RateLimitError):
        return _(
            "Telnyx is limiting how fast we may call it (429). Try the remaining numbers again in a minute."
        )
    if isinstance(exc, telnyx.ServerError):
        return _(
            "Telnyx had an error (%(status)s) and stopped the removal. Try the remaining numbers again."
        ) % {"status": exc.status}
    if isinstance(exc, telnyx.TransportError):
        return _(
            "Telnyx did not answer in time. The last chunk may or may not have been applied; the DIR is "
            "being re-read, then try the remaining numbers again."
        )
    if isinstance(exc, telnyx.AuthenticationError):
        return _("Telnyx refused the team's API key. An admin can update it under Team settings.")
    if isinstance(exc, telnyx.NotFoundError):
        return _("Telnyx no longer knows this DIR.")
    first = exc.first
    return (first.detail if first and first.detail else exc.message)[:255]


def removal_run(*, removal: NumberRemoval) -> NumberRemoval:
    """Send a removal's chunks in order, mirroring each chunk's outcome as it lands; stop at a failure."""
    if not removal.in_progress:
        return removal
    dir_ = Dir.objects.select_related("team__telnyx_account").get(pk=removal.dir_id)
    removal.state = NumberRemoval.State.RUNNING
    removal.save(update_fields=["state"])
    chunks = [list(c) for c in itertools.batched(removal.phone_numbers, REMOVE_CHUNK)]
    try:
        with telnyx.get_client(api_key=dir_.team.telnyx_account.api_key) as api:
            # Resumable: a retried task carries on after the last chunk it recorded.
            for index in range(removal.chunks_done, len(chunks)):
                chunk = chunks[index]
                try:
                    result = api.numbers_remove(dir_.remote_id, chunk)
                    removed, refused = list(result.removed), [dict(e) for e in result.not_removed]
                except telnyx.ApiValidationError as exc:
                    refused = _refusals(exc, chunk)
                    if refused is None:
                        raise
                    removed = []
                with transaction.atomic():
                    mirror.numbers_mark_removed(dir=dir_, phone_numbers=removed, at=timezone.now())
                    removal.removed = [*removal.removed, *removed]
                    removal.not_removed = [*removal.not_removed, *refused]
                    removal.chunks_done = index + 1
                    removal.save(update_fields=["removed", "not_removed", "chunks_done"])
    except telnyx.TelnyxError as exc:
        removal.state, removal.error = NumberRemoval.State.FAILED, _failure_message(exc)
        if isinstance(exc, telnyx.TransportError):
            dir_refresh_request(dir=dir_)  # what the lost answer did, the next read shows
    else:
        removal.state = NumberRemoval.State.DONE
    removal.finished_at = timezone.now()
    removal.save(update_fields=["state", "error", "finished_at"])
    audit_record(
        verb="numbers_removed",
        actor=removal.requested_by,
        team=dir_.team,
        target=dir_,
        details={
            "removal": removal.pk,
            "removed": len(removal.removed),
            "not_removed": len(removal.not_removed),
            "not_done": len(removal.not_done),
            "error": removal.error,
        },
    )
    return removal
