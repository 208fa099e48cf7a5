"""Removing numbers from a DIR: chunks of 100, within the request or by a queue task."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import telnyx
from portal.accounts.selectors import telnyx_account_require
from portal.core.exceptions import ServiceError
from portal.core.services import audit_record
from portal.core.telnyx_errors import telnyx_write_error
from portal.dirs.models import Dir
from portal.dirs.services import DIR_GONE, dir_refresh_request
from portal.numbers import mirror
from portal.numbers.models import NumberRemoval

logger = logging.getLogger("portal.numbers")


REMOVE_CHUNK = 100  # CONTRACT.md §5.10.3: 1–100 numbers per DELETE
# A request handler makes at most one remote call (STYLE.md rule 8): a bigger removal is queued.
REMOVE_INLINE_MAX = REMOVE_CHUNK
# A queued removal sends this many chunks per task, then queues itself again: at ≤ 10 s a DELETE
# (TELNYX_API_TIMEOUT), one task stays far below Q_TIMEOUT (300 s) however many chunks there are.
REMOVE_CHUNKS_PER_TASK = 10
# No DELETE takes this long, so a RUNNING removal whose progress clock stopped lost its worker.
REMOVE_STALE_AFTER = timedelta(minutes=10)
REMOVAL_UNCERTAIN = gettext_lazy(
    "The last chunk may or may not have been applied; the DIR is being re-read, then try the remaining "
    "numbers again."
)


def number_removal_request(*, dir: Dir, phone_numbers: list[str], user, request=None) -> NumberRemoval:
    """Record a removal and send it: within the request for one chunk, by a queue task beyond that."""
    numbers = list(dict.fromkeys(phone_numbers))
    if not numbers:
        raise ServiceError(_("Select at least one number to remove."))
    if dir.status == Dir.Status.DELETE_REQUESTED:
        raise ServiceError(_("This DIR is being deleted; its numbers are removed with it."))
    telnyx_account_require(team=dir.team_id)  # refused here, before anything is recorded
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
        error = telnyx_write_error(exc, not_found=DIR_GONE, uncertain=REMOVAL_UNCERTAIN).message
        if isinstance(exc, telnyx.TransportError | telnyx.ServerError):
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
    account = telnyx_account_require(team=dir_.team_id)
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
