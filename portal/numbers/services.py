"""The sync engine: keep a team's mirror equal to its Telnyx account (ARCHITECTURE.md §6.3)."""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import time
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
from portal.numbers import checks, mirror
from portal.numbers import selectors as number_selectors
from portal.numbers.models import (
    IN_FLIGHT,
    READDABLE,
    AddRequest,
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
        # An account never mirrored in full has nothing "in flight" to follow yet: the first sync,
        # whoever asks for it (the minute schedule, just after a key is saved), reads everything.
        full = (
            full
            or not SyncRun.objects.filter(
                account=account, kind=SyncRun.Kind.FULL, state=SyncRun.State.DONE
            ).exists()
        )
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
    # A DIR with no batch mirrored (its first sync) has nothing to compare: its batches are inserted.
    new_batches = not Batch.objects.filter(dir=dir_).exists()
    for remotes in api.batch_pages(dir_.remote_id):
        with transaction.atomic():
            if new_batches:
                batches.update(mirror.batches_insert_new(dir=dir_, remotes=remotes, at=at))
            else:
                rows = mirror.batches_apply_remote(
                    dir=dir_, remotes=remotes, source=StatusChange.Source.SYNC, at=at
                )
                batches.update({rid: row.pk for rid, row in rows.items()})
        pages += 1
    mirror.mark_removed(Batch.objects.filter(dir=dir_), seen=set(batches), at=at)
    seen: set[str] = set()
    # A DIR with no number mirrored yet has no earlier attachment to retire, and a DIR with no row
    # at all (its first sync) has nothing to compare: the pages of a big first sync only insert.
    known = DirNumber.objects.filter(dir=dir_, removed_at=None).exists()
    fresh = not known and not DirNumber.objects.filter(dir=dir_).exists()
    # Pages are fetched first and written a few at a time: fewer commits, and no transaction is
    # ever open while waiting on Telnyx.
    for group in itertools.batched(api.number_pages(dir_.remote_id), PAGES_PER_COMMIT):
        with transaction.atomic():
            for remotes in group:
                seen.update(
                    mirror.numbers_apply_remote(
                        dir=dir_,
                        remotes=remotes,
                        batches=batches,
                        source=StatusChange.Source.SYNC,
                        at=at,
                        retire_replaced=known,
                        fresh=fresh,
                    )  # fmt: skip
                )
        pages += len(group)
    if mirror.mark_removed(DirNumber.objects.filter(dir=dir_), seen=seen, at=at):
        mirror.numbers_changed(dir_id=dir_.pk)
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
# A queued removal sends this many chunks per task, then queues itself again: at ≤ 10 s a DELETE
# (TELNYX_API_TIMEOUT), one task stays far below Q_TIMEOUT (300 s) however many chunks there are.
REMOVE_CHUNKS_PER_TASK = 10
# No DELETE takes this long, so a RUNNING removal whose progress clock stopped lost its worker.
REMOVE_STALE_AFTER = timedelta(minutes=10)
REFRESH_EVERY = timedelta(seconds=10)


def dir_refresh_request(*, dir: Dir) -> bool:
    """Queue one re-read of a DIR from Telnyx, at most every 10 s however many pages poll it."""
    if not TelnyxAccount.objects.filter(team_id=dir.team_id).exists():
        return False
    now = timezone.now()
    # A conditional UPDATE is the throttle: of all the pollers, exactly one wins each 10 s window.
    # It has its own column, so "last synced" keeps meaning that a sync really ran.
    claimed = (
        Dir.objects.filter(pk=dir.pk)
        .filter(Q(refresh_requested_at=None) | Q(refresh_requested_at__lt=now - REFRESH_EVERY))
        .update(refresh_requested_at=now)
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
        progress_at=timezone.now(),
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
    _removal_enqueue(removal.pk)
    return removal


def _removal_enqueue(removal_id: int) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("portal.numbers.tasks.run_removal", removal_id, group="removal"))


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


class RemovalAnswerUnreadable(Exception):
    """Telnyx answered a DELETE with something the portal cannot read (after applying it, perhaps)."""


def removal_run(*, removal: NumberRemoval) -> NumberRemoval:
    """Claim a queued removal and send its next chunks, mirroring each as it lands; any error ends it."""
    # Compare-and-set: of the workers that may hold this id (a retry, a re-queue, the sweep), one runs it.
    claimed = NumberRemoval.objects.filter(pk=removal.pk, state=NumberRemoval.State.QUEUED).update(
        state=NumberRemoval.State.RUNNING, progress_at=timezone.now()
    )
    removal.refresh_from_db()
    if not claimed:
        return removal
    dir_ = Dir.objects.select_related("team").get(pk=removal.dir_id)
    try:
        if not _removal_send(removal, dir_):
            return removal  # handed on to the next task (or ended by the sweep meanwhile)
    except telnyx.TelnyxError as exc:
        error = _failure_message(exc)
        if isinstance(exc, telnyx.TransportError):
            dir_refresh_request(dir=dir_)  # what the lost answer did, the next read shows
    except ServiceError as exc:
        error = exc.message
    except RemovalAnswerUnreadable:
        logger.exception("removal %s: an answer of an unexpected shape", removal.pk)
        error = _(
            "Telnyx answered in a way the portal could not read, so the removal stopped. Only the numbers "
            "listed as removed were removed; the DIR is being re-read, then try the rest again."
        )
        dir_refresh_request(dir=dir_)  # the chunk's other numbers: the next read shows where they are
    except Exception:
        # Whatever broke, the removal must end: a RUNNING one keeps the numbers page polling.
        logger.exception("removal %s stopped on an unexpected error", removal.pk)
        error = _(
            "The removal stopped on an unexpected error. Only the numbers listed as removed were removed; "
            "the DIR is being re-read, then try the rest again."
        )
        dir_refresh_request(dir=dir_)  # the last DELETE may have landed without its answer being read
    else:
        error = ""
    _removal_finish(removal, dir_=dir_, error=error)
    return removal


def _removal_send(removal: NumberRemoval, dir_: Dir) -> bool:
    """Send the next chunks of a claimed removal: True once all are sent, False if it goes on elsewhere."""
    account = TelnyxAccount.objects.filter(team_id=dir_.team_id).first()
    if account is None:
        raise ServiceError(_("Connect a Telnyx account first."))
    chunks = [list(c) for c in itertools.batched(removal.phone_numbers, REMOVE_CHUNK)]
    stop = min(len(chunks), removal.chunks_done + REMOVE_CHUNKS_PER_TASK)
    with telnyx.get_client(api_key=account.api_key) as api:
        # Resumable: a re-queued task carries on after the last chunk recorded.
        for index in range(removal.chunks_done, stop):
            if not _removal_chunk(api, removal, dir_, chunks[index], index):
                return False
    if stop == len(chunks):
        return True
    with transaction.atomic():
        handed = NumberRemoval.objects.filter(
            pk=removal.pk, state=NumberRemoval.State.RUNNING, chunks_done=stop
        ).update(state=NumberRemoval.State.QUEUED, progress_at=timezone.now())
        if handed:
            _removal_enqueue(removal.pk)
    removal.refresh_from_db(fields=["state", "error", "progress_at", "finished_at"])
    return False


def _removal_chunk(api: telnyx.TelnyxClient, removal: NumberRemoval, dir_: Dir, chunk, index: int) -> bool:
    """Send one chunk and record its outcome; False if the removal stopped being this worker's."""
    unreadable = None
    try:
        result = api.numbers_remove(dir_.remote_id, chunk)
    except telnyx.ApiValidationError as exc:
        refused = _refusals(exc, chunk)
        if refused is None:
            raise
        removed = []
    else:
        asked = set(chunk)
        # Only numbers this chunk asked for count as removed: an odd answer never marks other rows.
        removed = [n for n in result.removed if isinstance(n, str) and n in asked]
        try:
            refused = [dict(e) for e in result.not_removed]
        except (TypeError, ValueError) as exc:
            refused, unreadable = [], exc
    now = timezone.now()
    changes = {
        "removed": [*removal.removed, *removed],
        "not_removed": [*removal.not_removed, *refused],
        "chunks_done": index + 1,
    }
    with transaction.atomic():
        # What Telnyx detached is mirrored whatever happens next: the mirror follows Telnyx, not the run.
        mirror.numbers_mark_removed(dir=dir_, phone_numbers=removed, at=now)
        recorded = NumberRemoval.objects.filter(
            pk=removal.pk, state=NumberRemoval.State.RUNNING, chunks_done=index
        ).update(progress_at=now, **changes)
    if recorded:
        for name, value in changes.items():
            setattr(removal, name, value)
    if unreadable is not None:
        raise RemovalAnswerUnreadable(str(unreadable)) from unreadable
    if not recorded:
        logger.warning("removal %s was ended by someone else after chunk %s", removal.pk, index)
    return bool(recorded)


def _removal_finish(removal: NumberRemoval, *, dir_: Dir, error: str, **expected) -> bool:
    """End a running removal (done, or failed with `error`) and audit its outcome; False if already ended."""
    now = timezone.now()
    finished = NumberRemoval.objects.filter(
        pk=removal.pk, state=NumberRemoval.State.RUNNING, **expected
    ).update(
        state=NumberRemoval.State.FAILED if error else NumberRemoval.State.DONE,
        error=error[:255],
        finished_at=now,
        progress_at=now,
    )
    removal.refresh_from_db()
    if not finished:
        return False
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
    return True


def removals_settle(*, stale_after: timedelta = REMOVE_STALE_AFTER) -> int:
    """End as failed the removals whose worker died; queue again the queued ones nobody picked up."""
    now = timezone.now()
    cutoff = now - stale_after
    stale = Q(progress_at__lt=cutoff) | Q(progress_at=None, created_at__lt=cutoff)
    settled = 0
    running = NumberRemoval.objects.filter(stale, state=NumberRemoval.State.RUNNING).select_related(
        "dir__team"
    )
    for removal in running:
        # Never re-sent: the dead worker's last DELETE may have landed unrecorded, so the DIR is re-read.
        error = _(
            "The removal stopped: its worker was interrupted after %(done)s of %(total)s chunks. The DIR "
            "is being re-read; try the remaining numbers again."
        ) % {"done": removal.chunks_done, "total": removal.chunks_total}
        expected = {"chunks_done": removal.chunks_done, "progress_at": removal.progress_at}
        if _removal_finish(removal, dir_=removal.dir, error=error, **expected):
            dir_refresh_request(dir=removal.dir)
            settled += 1
    queued = NumberRemoval.objects.filter(stale, state=NumberRemoval.State.QUEUED)
    for pk in queued.values_list("pk", flat=True):
        # Nothing of it is in flight, so queueing it again is safe: the claim lets exactly one task run it.
        if NumberRemoval.objects.filter(stale, pk=pk, state=NumberRemoval.State.QUEUED).update(
            progress_at=now
        ):
            _removal_enqueue(pk)
            settled += 1
    return settled


# --- Add flow: pre-flight, submit in chunks of 15, send each exactly once (ARCHITECTURE.md §6.1, §6.2)

ADD_MAX_ATTEMPTS = 3  # POSTs per chunk, counting the ones a reconcile proved were not applied
ADD_LEASE_SECONDS = 120
ADD_READBACK_DELAY = 2.0  # seconds after a lost answer before reading back: Telnyx may still be writing
ADD_CLOCK_SKEW = timedelta(seconds=60)  # Telnyx's clock against ours, when matching a batch to a send
INVENTORY_SEARCH_LIMIT = 50
_add_sleep = time.sleep  # module-level so tests can make waits instant


class PreflightFailed(ServiceError):
    """Some numbers would be refused; `preflight` says which and why."""

    def __init__(self, preflight: checks.Preflight) -> None:
        super().__init__(_("Some numbers cannot be added; drop them or fix them first."), field="numbers")
        self.preflight = preflight


def _account_for(team_id: int) -> TelnyxAccount:
    account = TelnyxAccount.objects.filter(team_id=team_id).first()
    if account is None:
        raise ServiceError(_("No Telnyx account is connected to this team."))
    return account


def add_refusal(*, dir: Dir) -> str | None:
    """Why numbers cannot be added to this DIR now, or None."""
    if dir.status == Dir.Status.VERIFIED:
        return None
    if dir.status in Dir.IN_FLIGHT:
        return _("Telnyx is still vetting this DIR. Numbers can be added once it is verified.")
    if dir.status in (Dir.Status.SUSPENDED, Dir.Status.INFRINGEMENT_CLAIMED):
        return _("This DIR is suspended by an infringement claim; resolve the claim first.")
    if dir.status == Dir.Status.EXPIRED:
        return _("This DIR's verification expired. Resubmit it to renew, then add numbers.")
    return _("Numbers can only be added to a verified DIR; this one is %(status)s.") % {
        "status": dir.get_status_display().lower()
    }


def numbers_read(*, text: str = "", csv_file=None, picked: list[str] | None = None) -> list[str]:
    """Every number the user gave: typed or pasted, from a CSV (streamed), picked from inventory."""
    raw = checks.tokens(text)
    if csv_file is not None:
        try:
            raw += checks.csv_numbers(csv_file.chunks(), limit=checks.MAX_NUMBERS - len(raw))
        except checks.NotACsv as exc:
            raise ServiceError(
                _("That file does not look like a CSV of phone numbers."), field="csv"
            ) from exc
        except checks.TooManyNumbers as exc:
            raise _too_many("csv") from exc
    raw += [p for p in picked or [] if p]
    if len(raw) > checks.MAX_NUMBERS:
        raise _too_many("numbers")
    return raw


def _too_many(field: str) -> ServiceError:
    return ServiceError(
        _("At most %(max)s numbers can be added at once (that is %(batches)s batches); split the list.")
        % {"max": f"{checks.MAX_NUMBERS:,}", "batches": -(-checks.MAX_NUMBERS // checks.CHUNK_SIZE)},
        field=field,
    )


def numbers_preflight(*, dir: Dir, raw: list[str]) -> checks.Preflight:
    """Check every number before anything is sent: format, P13, duplicates, mirror, one inventory call."""
    if len(raw) > checks.MAX_NUMBERS:
        raise _too_many("numbers")
    distinct = checks.normalized_set(raw)
    sets = number_selectors.preflight_mirror_sets(dir=dir, numbers=distinct)
    candidates = [n for n in distinct if checks.locale_problem(n) is None]
    inventory: set[str] | None = set()
    if candidates:
        try:
            with telnyx.get_client(api_key=_account_for(dir.team_id).api_key) as api:
                inventory, _not_found = api.verify_ownership(candidates)
        except telnyx.TelnyxError:
            logger.warning("add: inventory check failed for DIR %s", dir.pk, exc_info=True)
            inventory = None  # Telnyx checks again on add; the page says this one was skipped
    return checks.classify(raw, inventory=inventory, **sets)


def add_submit(*, dir: Dir, user, raw: list[str], loa, documents=(), request=None) -> uuid.UUID:
    """Save the add as AddRequests of ≤15 numbers (before anything is sent) and queue one task each."""
    from django_q.tasks import async_task

    refusal = add_refusal(dir=dir)
    if refusal:
        raise ServiceError(refusal)
    if loa is None:
        raise ServiceError(_("Upload the signed LOA or pick one uploaded before."), field="loa")
    preflight = numbers_preflight(dir=dir, raw=raw)
    if preflight.problems:
        raise PreflightFailed(preflight)
    if not preflight.ok:
        raise ServiceError(_("Enter at least one phone number."), field="numbers")
    refs = [{"document_id": loa.remote_id, "document_type": "letter_of_authorization"}]
    refs += [{"document_id": d.remote_id, "document_type": d.document_type} for d in documents][:19]
    group = uuid.uuid4()
    with transaction.atomic():
        created = AddRequest.objects.bulk_create(
            AddRequest(
                dir=dir, team_id=dir.team_id, group=group, position=i, numbers=chunk, loa=loa,
                documents=refs, requested_by=user, idempotency_key=uuid.uuid4(),
            )
            for i, chunk in enumerate(checks.chunks(preflight.ok))
        )  # fmt: skip
        ids = [r.pk for r in created]
        audit_record(
            verb="numbers_add_requested",
            actor=user,
            team=dir.team,
            target=dir,
            details={
                "numbers": len(preflight.ok),
                "chunks": len(ids),
                "group": str(group),
                "loa": loa.filename,
            },
            request=request,
        )
        transaction.on_commit(lambda: _add_enqueue(ids, async_task))
    return group


def _add_enqueue(ids: list[int], async_task) -> None:
    for pk in ids:
        async_task("portal.numbers.tasks.send_add_request", pk, group="add")


def add_resubmit(*, dir: Dir, group, user, request=None) -> int:
    """Send again, in new AddRequests, the numbers of refused or failed chunks that Telnyx did not object to."""
    from django_q.tasks import async_task

    refusal = add_refusal(dir=dir)
    if refusal:
        raise ServiceError(refusal)
    with transaction.atomic():
        chunks = list(
            AddRequest.objects.select_for_update()
            .filter(dir=dir, group=group, state__in=(AddRequest.State.REFUSED, AddRequest.State.FAILED))
            .order_by("position")
        )
        rest: list[str] = []
        for chunk in chunks:
            if chunk.outcome.get("resubmitted"):
                continue
            rest += chunk.rest_numbers
            chunk.outcome = {**chunk.outcome, "resubmitted": True}
            chunk.save(update_fields=["outcome", "updated_at"])
        rest = list(dict.fromkeys(rest))
        if not rest:
            return 0
        first = chunks[0]
        start = AddRequest.objects.filter(group=group).count()
        created = AddRequest.objects.bulk_create(
            AddRequest(
                dir=dir, team_id=dir.team_id, group=group, position=start + i, numbers=part, loa=first.loa,
                documents=first.documents, requested_by=user, idempotency_key=uuid.uuid4(),
            )
            for i, part in enumerate(checks.chunks(rest))
        )  # fmt: skip
        ids = [r.pk for r in created]
        audit_record(
            verb="numbers_add_resubmitted",
            actor=user,
            team=dir.team,
            target=dir,
            details={"numbers": len(rest), "chunks": len(ids), "group": str(group)},
            request=request,
        )
        transaction.on_commit(lambda: _add_enqueue(ids, async_task))
    return len(rest)


def inventory_search(*, team, digits: str) -> list[dict]:
    """Up to 50 of the team's active Telnyx numbers containing these digits (one page from Telnyx)."""
    digits = "".join(ch for ch in digits if ch.isdigit())
    if len(digits) < 3:
        return []
    try:
        with telnyx.get_client(api_key=_account_for(team.pk).api_key) as api:
            found = itertools.islice(api.inventory_iter(digits=digits), INVENTORY_SEARCH_LIMIT)
            return [
                {"phone_number": n.get("phone_number"), "status": n.get("status")}
                for n in found
                if n.get("status") == "active"
            ]
    except telnyx.TelnyxError as exc:
        raise ServiceError(_("Could not search your Telnyx inventory; try again.")) from exc


@contextmanager
def _dir_add_lease(dir_id: int, *, request_id: int):
    """Serialize adds per DIR (on any database); yields `renew`, called before each step (a POST, a read-back).

    Never waits: if another sender holds the lease, this marks the DIR as having a chunk waiting, tries
    once more, and raises SyncBusy. A holder, after letting the lease go, queues the DIR's oldest pending
    chunk if the mark is there (the mark is set before the second try, so no hand-off is lost).

    Renewing keeps the lease for as long as the sender is alive, however many steps it takes; a crashed
    sender's lease simply expires. Correctness does not rest on it: every state change of an AddRequest
    is a compare-and-set (see _add_update), so a second worker can never undo or repeat the first's step.
    """
    key, waiting = f"add:dir:{dir_id}", f"add:waiting:{dir_id}"
    held = lease(key, seconds=ADD_LEASE_SECONDS)
    try:
        held.__enter__()
    except SyncBusy:
        _add_mark_waiting(waiting)
        held = lease(key, seconds=ADD_LEASE_SECONDS)
        held.__enter__()  # SyncBusy again: the holder queues a waiting chunk when it is done
    holder = SyncLease.objects.filter(key=key).values_list("holder", flat=True).first()

    def renew() -> None:
        expires = timezone.now() + timedelta(seconds=ADD_LEASE_SECONDS)
        if not SyncLease.objects.filter(key=key, holder=holder).update(expires_at=expires):
            raise SyncBusy(key)  # ours expired and another sender took it over: stop here

    try:
        yield renew
    finally:
        held.__exit__(None, None, None)
        _add_enqueue_waiting(dir_id, waiting, exclude=request_id)


def add_request_send(*, add_request_id: int) -> AddRequest | None:
    """Send one chunk exactly once: settle an earlier uncertain attempt by reading Telnyx, never by re-POSTing.

    One sender per DIR at a time, and nobody waits for it: if another worker holds the DIR's add lease,
    this raises SyncBusy at once (the task returns "busy") and leaves the chunk pending, after marking
    the DIR as having a chunk waiting. A sender, once it has let the lease go, queues the DIR's oldest
    pending chunk if one is waiting (see _dir_add_lease), so a big add's chunks go one after another
    without tying up workers. A chunk still left over (its sender died) is queued again by
    add_requests_settle.
    """
    request = AddRequest.objects.select_related("dir", "team").filter(pk=add_request_id).first()
    if request is None or not request.is_open:
        return request
    try:
        account = _account_for(request.team_id)
    except ServiceError as exc:
        return _add_finish(request, AddRequest.State.FAILED, message=exc.message)
    lease_ = _dir_add_lease(request.dir_id, request_id=request.pk)
    with lease_ as renew, telnyx.get_client(api_key=account.api_key) as api:
        request.refresh_from_db()
        while request.is_open:
            renew()
            if request.state in (AddRequest.State.SENDING, AddRequest.State.UNCERTAIN):
                # An earlier POST's outcome is unknown (lost answer or dead worker): read, don't resend.
                _add_readback_wait(request)
                if _add_reconcile(api, request):
                    break
            elif _add_settle_locally(request):
                break
            if request.attempts >= ADD_MAX_ATTEMPTS:
                _add_finish(request, AddRequest.State.FAILED, message=request.outcome.get("message", ""))
                break
            _add_attempt(api, request)
    return request


def _add_mark_waiting(key: str) -> None:
    expires = timezone.now() + timedelta(hours=1)
    if not SyncLease.objects.filter(key=key).update(expires_at=expires):
        try:
            with transaction.atomic():
                SyncLease.objects.create(key=key, holder="waiting", expires_at=expires)
        except IntegrityError:
            pass  # marked by another chunk just now


def _add_enqueue_waiting(dir_id: int, key: str, *, exclude: int) -> None:
    """After letting the DIR's lease go: if a chunk bounced off it meanwhile, queue the oldest pending one."""
    from django_q.tasks import async_task

    if not SyncLease.objects.filter(key=key).delete()[0]:
        return
    following = (
        AddRequest.objects.filter(dir_id=dir_id, state=AddRequest.State.PENDING)
        .exclude(pk=exclude)
        .order_by("created_at", "position", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        async_task("portal.numbers.tasks.send_add_request", following, group="add")


def _add_attempt(api: telnyx.TelnyxClient, request: AddRequest) -> None:
    _add_update(  # before the POST: see §6.2
        request,
        state=AddRequest.State.SENDING,
        attempts=request.attempts + 1,
        sent_at=request.sent_at or timezone.now(),  # the first send: reconcile looks from there
    )
    try:
        rows = api.numbers_add(request.dir.remote_id, request.numbers, request.documents)
    except (telnyx.ApiValidationError, telnyx.ConflictError) as exc:
        errors = _add_errors(exc)
        if request.attempts > 1 and _attached_here_only(request, errors):
            # A resend refused as "already attached to this DIR", all of it: the earlier POST landed
            # after its answer was lost (and after the read-back). Read again and settle from it.
            _add_sleep(ADD_READBACK_DELAY)
            if _add_reconcile(api, request, late=True):
                return
        _add_finish(request, AddRequest.State.REFUSED, message=exc.message, errors=errors)
    except telnyx.RateLimitError as exc:
        # Refused before it was processed: nothing was written, so it is safe to send again.
        _add_update(
            request, state=AddRequest.State.PENDING, outcome={**request.outcome, "message": exc.message}
        )
        _add_sleep(min(exc.retry_after or 1.0, 10.0))
    except (telnyx.TransportError, telnyx.ServerError) as exc:
        _add_update(
            request, state=AddRequest.State.UNCERTAIN, outcome={**request.outcome, "message": str(exc)}
        )
    except telnyx.TelnyxError as exc:  # 401, 403, 404: not about the numbers, and not settled by retrying
        _add_finish(request, AddRequest.State.FAILED, message=exc.message)
    else:
        _add_accept(request, _batch_of(request, rows), state=AddRequest.State.DONE)


def _add_readback_wait(request: AddRequest) -> None:
    """Give Telnyx ADD_READBACK_DELAY after the lost answer before reading (no wait for an old one)."""
    waited = (timezone.now() - request.updated_at).total_seconds()
    if waited < ADD_READBACK_DELAY:
        _add_sleep(ADD_READBACK_DELAY - waited)


def _attached_here_only(request: AddRequest, errors: list[dict]) -> bool:
    named = {n for e in errors for n in e["phone_numbers"]}
    return (
        bool(errors)
        and all(e["category"] == "already_attached_to_this_dir" for e in errors)
        and (named >= set(request.numbers))
    )


def _add_errors(exc: telnyx.TelnyxError) -> list[dict]:
    """A refused add's errors, each with the numbers it names (meta.phone_numbers, else found in detail)."""
    return [
        {
            "category": item.category or "",
            "code": item.code,
            "title": item.title,
            "detail": item.detail,
            "phone_numbers": [checks.normalize(n) or n for n in item.phone_numbers],
        }
        for item in exc.errors
    ]


def _batch_of(request: AddRequest, rows: list[telnyx.schemas.DirPhoneNumber]) -> telnyx.schemas.Batch:
    """The new batch, as a batch listing would show it, built from the add's 201 (no extra call)."""
    statuses = {r.status for r in rows}
    return telnyx.schemas.Batch(
        batch_id=rows[0].batch_id,
        dir_id=request.dir.remote_id,
        status=statuses.pop() if len(statuses) == 1 else "submitted",
        total_count=len(rows),
        submitted_at=rows[0].created_at,
        documents=tuple(request.documents),
        phone_numbers=tuple(rows),
    )


def _add_accept(
    request: AddRequest,
    remote: telnyx.schemas.Batch,
    *,
    state: str,
    errors: list[dict] | None = None,
    **outcome,
) -> None:
    """Mirror an attached batch at once (with the user's timeline row), settle the request, audit."""
    at = timezone.now()
    with transaction.atomic():
        # Settle it first: the compare-and-set holds the row, so a second worker settling the same
        # request waits, then finds it settled and rolls back (no second timeline row or audit).
        _add_finish(request, state, errors=errors, batch_remote_id=remote.batch_id, **outcome)
        rows = mirror.batches_apply_remote(
            dir=request.dir, remotes=[remote], source=StatusChange.Source.USER, at=at
        )
        batch = rows[remote.batch_id]
        mirror.numbers_apply_remote(
            dir=request.dir,
            remotes=remote.phone_numbers,
            batches={remote.batch_id: batch.pk},
            source=StatusChange.Source.USER,
            at=at,
        )
        mirror.batch_created_record(batch=batch)
        AddRequest.objects.filter(pk=request.pk).update(batch=batch)
        request.batch = batch
        audit_record(
            verb="numbers_added",
            actor=request.requested_by,
            team=request.team,
            target=batch,
            details={
                "dir": request.dir.display_name,
                "numbers": [n.phone_number for n in remote.phone_numbers],
                "add_request": request.pk,
                "reconciled": state == AddRequest.State.RECONCILED,
            },
        )


class AddSuperseded(Exception):
    """Another worker moved this request on meanwhile (compare-and-set lost): this one stops, changing nothing."""


def _add_update(request: AddRequest, **changes) -> None:
    """Change the request only if nobody did since it was read: compare-and-set on (state, attempts).

    Every state transition goes through here, and writes only the fields it changes, so a late worker
    (its lease ran out during a slow read-back) can neither overwrite `done` nor send a chunk again.
    """
    changes["updated_at"] = timezone.now()
    won = AddRequest.objects.filter(pk=request.pk, state=request.state, attempts=request.attempts).update(
        **changes
    )
    if not won:
        raise AddSuperseded(request.pk)
    for name, value in changes.items():
        setattr(request, name, value)


def _add_finish(
    request: AddRequest,
    state: str,
    *,
    message: str = "",
    errors=None,
    batch: Batch | None = None,
    batch_remote_id: str = "",
    **outcome,
) -> AddRequest:
    changes = {
        "state": state,
        "outcome": {
            **{k: v for k, v in request.outcome.items() if k != "message"},
            **outcome,
            **({"batch_id": batch_remote_id} if batch_remote_id else {}),
            "errors": errors or [],
            "message": message,
            "attempts": request.attempts,
        },
        "finished_at": timezone.now(),
    }
    if batch_remote_id:
        changes.update(batch_remote_id=batch_remote_id, **({"batch": batch} if batch is not None else {}))
    _add_update(request, **changes)
    return request


def _add_settle_locally(request: AddRequest) -> bool:
    """Before a first send: numbers another request attached meanwhile are not sent again."""
    attached = dict(
        DirNumber.objects.filter(dir=request.dir, removed_at=None, phone_number__in=request.numbers)
        .exclude(status__in=READDABLE)
        .values_list("phone_number", "batch_id")
    )
    if not attached:
        return False
    batches = set(attached.values())
    other = AddRequest.objects.filter(dir=request.dir, batch_id__in=batches).exclude(pk=request.pk).first()
    if set(attached) == set(request.numbers) and len(batches) == 1:
        batch = Batch.objects.filter(pk=batches.pop()).first()
        _add_finish(
            request,
            AddRequest.State.RECONCILED,
            message=_("Already attached by another request; nothing was sent."),
            settled="another_request",
            other_request=other.pk if other else None,
            batch=batch,
            batch_remote_id=batch.remote_id if batch else "",
        )
        return True
    errors = [
        {
            "category": "already_attached_to_this_dir",
            "code": "",
            "title": "",
            "detail": _("Attached to this DIR meanwhile (by another request); nothing was sent."),
            "phone_numbers": [n for n in request.numbers if n in attached],
        }
    ]
    _add_finish(request, AddRequest.State.REFUSED, message=errors[0]["detail"], errors=errors)
    return True


def _add_reconcile(api: telnyx.TelnyxClient, request: AddRequest, *, late: bool = False) -> bool:
    """After a lost answer: did the add happen? Settle it if so (True); False means safe to send again.

    Reads the DIR's batches newest first and stops at the first one submitted before this request was
    first sent (less ADD_CLOCK_SKEW): a page, whatever the size of the DIR. A batch is this add's when it
    is new (not mirrored before the first send) and holds only this request's numbers (an add is atomic),
    whatever its status: vetting may already have decided it (verified, unsuccessful) before this read.
    """
    first_sent = request.sent_at or request.created_at
    cutoff = first_sent - ADD_CLOCK_SKEW
    mine = set(request.numbers)
    found: dict[str, telnyx.schemas.Batch] = {}
    try:
        for remote in api.batch_iter(request.dir.remote_id):  # newest first (CONTRACT.md §5.10.4)
            if remote.submitted_at is not None and remote.submitted_at < cutoff:
                break
            members = {row.phone_number for row in remote.phone_numbers}
            if members and members <= mine:
                found[remote.batch_id] = remote
    except telnyx.TelnyxError as exc:
        # Still unknown: stay uncertain, never resend blind; a later run of the task settles it.
        _add_update(
            request, state=AddRequest.State.UNCERTAIN, outcome={**request.outcome, "message": str(exc)}
        )
        raise AddUncertain(request.pk) from exc
    known_before = set(
        Batch.objects.filter(dir=request.dir, remote_id__in=found, created_at__lt=first_sent).values_list(
            "remote_id", flat=True
        )
    )
    candidates = sorted(
        (b for b in found if b not in known_before), key=lambda b: -len(found[b].phone_numbers)
    )
    if not candidates:
        return False
    claimed = dict(
        AddRequest.objects.filter(dir=request.dir, batch_remote_id__in=candidates)
        .exclude(pk=request.pk)
        .values_list("batch_remote_id", "pk")
    )
    attached = {row.phone_number for b in candidates for row in found[b].phone_numbers}
    missing = [n for n in request.numbers if n not in attached]
    errors = (
        [{"category": "not_attached", "code": "", "title": "", "detail": "", "phone_numbers": missing}]
        if missing
        else None
    )
    batch_id = candidates[0]
    if batch_id in claimed:
        _add_finish(
            request,
            AddRequest.State.RECONCILED,
            message=_("Already attached by another request; nothing was sent."),
            errors=errors,
            settled="another_request",
            other_request=claimed[batch_id],
            batch=Batch.objects.filter(remote_id=batch_id).first(),
            batch_remote_id=batch_id,
        )
        return True
    for extra in candidates[1:]:  # defensive: an atomic add never spreads over batches
        _mirror_batch(request, found[extra])
    _add_accept(
        request,
        found[batch_id],
        state=AddRequest.State.RECONCILED,
        errors=errors,
        settled="reconciled_after_resend" if late else "reconciled",
        message=_(
            "Telnyx's answer was lost and the first send landed late; the DIR showed the numbers attached."
        )
        if late
        else _("Telnyx's answer was lost; reading the DIR back showed the numbers attached."),
    )
    return True


def _mirror_batch(request: AddRequest, remote: telnyx.schemas.Batch) -> None:
    at = timezone.now()
    with transaction.atomic():
        rows = mirror.batches_apply_remote(
            dir=request.dir, remotes=[remote], source=StatusChange.Source.USER, at=at
        )
        mirror.numbers_apply_remote(
            dir=request.dir, remotes=remote.phone_numbers, batches={remote.batch_id: rows[remote.batch_id].pk},
            source=StatusChange.Source.USER, at=at,
        )  # fmt: skip


class AddUncertain(Exception):
    """Telnyx could not be read to settle an uncertain add; it stays uncertain and is retried later."""


def add_requests_settle(*, older_than_seconds: int = 120) -> int:
    """Queue again every add left open (worker died, Telnyx unreadable); sending settles or reconciles it."""
    from django_q.tasks import async_task

    stale = AddRequest.objects.filter(
        state__in=AddRequest.OPEN, updated_at__lt=timezone.now() - timedelta(seconds=older_than_seconds)
    ).values_list("pk", flat=True)
    ids = list(stale[:500])
    for pk in ids:
        async_task("portal.numbers.tasks.send_add_request", pk, group="add")
    return len(ids)
