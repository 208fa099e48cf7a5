"""Sending one chunk of an add exactly once, serialised per DIR; settling chunks left open (ARCHITECTURE.md §6.2)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import telnyx
from portal.accounts.selectors import telnyx_account_require
from portal.core.exceptions import ServiceError
from portal.core.leases import LeaseBusy, lease
from portal.core.models import Lease, StatusChange
from portal.core.services import audit_record
from portal.core.telnyx_errors import telnyx_read_error, telnyx_write_error
from portal.numbers import checks, mirror
from portal.numbers.models import READDABLE, AddRequest, Batch, DirNumber

logger = logging.getLogger("portal.numbers")

ADD_MAX_ATTEMPTS = 3  # POSTs per chunk, counting the ones a reconcile proved were not applied
ADD_LEASE_SECONDS = 120
ADD_READBACK_DELAY = 2.0  # seconds after a lost answer before reading back: Telnyx may still be writing
ADD_CLOCK_SKEW = timedelta(seconds=60)  # Telnyx's clock against ours, when matching a batch to a send
# 429s in a row one task waits out for a chunk (each after Retry-After, at most ADD_MAX_RETRY_AFTER s);
# then the chunk stays pending and the sweep queues it again. A 429 never spends an attempt.
ADD_MAX_RATE_LIMITED = 10
ADD_MAX_RETRY_AFTER = 10.0
# How long one task goes on sending the DIR's next pending chunks before handing on (far below Q_TIMEOUT).
ADD_DRAIN_SECONDS = 60.0
_add_sleep = time.sleep  # module-level so tests can make waits instant

# Set at start-up by the loas app (above this one): `(api, request, fresh=False)` returns the
# `documents` of a chunk whose LOA is a letter of its own, that letter uploaded just now if need be
# (`fresh`: again, as Telnyx lost it), or None for a chunk with no letter of its own. It is called
# under the DIR's add lease right before the add: an upload nothing links to dies after 30 minutes.
letter_documents: Callable[..., list[dict] | None] | None = None


@contextmanager
def _dir_add_lease(dir_id: int, *, request_id: int):
    """Serialize adds per DIR (on any database); yields `renew`, called before each step (a POST, a read-back).

    Never waits: if another sender holds the lease, this leaves a mark of its own ("this chunk is
    waiting"), tries once more, and raises LeaseBusy. A holder, after letting the lease go, queues the
    chunk of the oldest mark (see _add_hand_on). Each bounced chunk has its own mark, so however many
    bounce off one sender, each is handed on in turn and none is left for the sweep; the mark is set
    before the second try, so no hand-off is lost between the two.

    Renewing keeps the lease for as long as the sender is alive, however many steps it takes; a crashed
    sender's lease simply expires. Correctness does not rest on it: every state change of an AddRequest
    is a compare-and-set (see _add_update), so a second worker can never undo or repeat the first's step.
    """
    key, mark = f"add:dir:{dir_id}", f"{_waiting_prefix(dir_id)}{request_id}"
    held = lease(key, seconds=ADD_LEASE_SECONDS)
    second_try = False
    try:
        held.__enter__()
    except LeaseBusy:
        _add_mark_waiting(mark)
        held = lease(key, seconds=ADD_LEASE_SECONDS)
        held.__enter__()  # LeaseBusy again: the mark stays, and the holder hands on to it when done
        second_try = True
    # From here the lease is ours: whatever fails, the `finally` lets it go now (an abandoned lease
    # generator would let it go only when collected, from inside some later query).
    try:
        if second_try:
            Lease.objects.filter(key=mark).delete()  # got it after all: nobody needs to queue this chunk
        holder = Lease.objects.filter(key=key).values_list("holder", flat=True).first()

        def renew() -> None:
            expires = timezone.now() + timedelta(seconds=ADD_LEASE_SECONDS)
            if not Lease.objects.filter(key=key, holder=holder).update(expires_at=expires):
                raise LeaseBusy(key)  # ours expired and another sender took it over: stop here

        yield renew
    finally:
        held.__exit__(None, None, None)
        _add_hand_on(dir_id, exclude=request_id)


def add_request_send(*, add_request_id: int) -> AddRequest | None:
    """Send one chunk exactly once: settle an earlier uncertain attempt by reading Telnyx, never by re-POSTing.

    One sender per DIR at a time, and nobody waits for it: if another worker holds the DIR's add lease,
    this raises LeaseBusy at once (the task returns "busy") and leaves the chunk pending, after marking
    it as waiting. A sender goes on with the DIR's next pending chunks while it holds the lease (up to
    ADD_DRAIN_SECONDS), then lets it go and queues the oldest waiting chunk (see _dir_add_lease), so
    a big add's chunks go one after another without tying up workers. A chunk still left over (its
    sender died) is queued again by add_requests_settle.
    """
    request = AddRequest.objects.select_related("dir", "team").filter(pk=add_request_id).first()
    if request is None or not request.is_open:
        return request
    try:
        account = telnyx_account_require(team=request.team_id)
    except ServiceError as exc:
        return _add_finish(request, AddRequest.State.FAILED, message=exc.message)
    lease_ = _dir_add_lease(request.dir_id, request_id=request.pk)
    with lease_ as renew, telnyx.get_client(api_key=account.api_key) as api:
        request.refresh_from_db()
        _add_send_open(api, request, renew)
        # While it holds the DIR's lease, the sender goes on with the DIR's next pending chunks for a
        # while: through the queue, each would cost a broker round trip and a bounce off this lease.
        drain_until = time.monotonic() + ADD_DRAIN_SECONDS
        while time.monotonic() < drain_until:
            following = _add_next_pending(request.dir_id)
            if following is None:
                break
            try:
                _add_send_open(api, following, renew)
            except (AddUncertain, AddSuperseded, AddRateLimited):
                break  # that chunk is settled later, by its own task or the sweep
    return request


def _add_next_pending(dir_id: int) -> AddRequest | None:
    """The DIR's oldest chunk never sent (an uncertain one is left to its own task: it reads back first)."""
    return (
        AddRequest.objects.select_related("dir", "team")
        .filter(dir_id=dir_id, state=AddRequest.State.PENDING)
        .order_by("created_at", "position", "pk")
        .first()
    )


def _add_send_open(api: telnyx.TelnyxClient, request: AddRequest, renew) -> None:
    """Take one open chunk to a settled state (or leave it uncertain), under the DIR's lease."""
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
            # Each attempt failed and was read back as not applied (a 429 spends none): none landed.
            message = _("%(last)s Nothing was added after %(n)s attempts; try these numbers again later.") % {
                "last": request.outcome.get("message", ""),
                "n": request.attempts,
            }
            _add_finish(request, AddRequest.State.FAILED, message=message.strip())
            break
        _add_attempt(api, request)


def _waiting_prefix(dir_id: int) -> str:
    return f"add:waiting:{dir_id}:"


def _add_mark_waiting(key: str) -> None:
    """Leave this chunk's "waiting" mark (a lease row that nobody holds; it lapses after an hour)."""
    expires = timezone.now() + timedelta(hours=1)
    if not Lease.objects.filter(key=key).update(expires_at=expires):
        try:
            with transaction.atomic():
                Lease.objects.create(key=key, holder="waiting", expires_at=expires)
        except IntegrityError:
            pass  # the same chunk's other task marked it just now


def _add_hand_on(dir_id: int, *, exclude: int) -> int | None:
    """After letting the DIR's lease go: queue the oldest chunk that bounced off it and is still open.

    Taking a mark is deleting it, so two senders letting go at once never queue the same chunk; a
    mark of a chunk that settled meanwhile is dropped and the next one tried. Returns the queued id.
    """
    from django_q.tasks import async_task

    prefix = _waiting_prefix(dir_id)
    waiting = sorted(
        int(key.removeprefix(prefix))
        for key in Lease.objects.filter(key__startswith=prefix).values_list("key", flat=True)
        if key.removeprefix(prefix).isdigit()
    )
    for request_id in waiting:
        if not Lease.objects.filter(key=f"{prefix}{request_id}").delete()[0] or request_id == exclude:
            continue  # handed on by another sender just now, or this very chunk
        if AddRequest.objects.filter(pk=request_id, state__in=AddRequest.OPEN).exists():
            async_task("portal.numbers.tasks.send_add_request", request_id, group="add")
            return request_id
    return None


def _add_attempt(api: telnyx.TelnyxClient, request: AddRequest) -> None:
    _add_update(  # before the POST: see §6.2
        request,
        state=AddRequest.State.SENDING,
        attempts=request.attempts + 1,
        sent_at=request.sent_at or timezone.now(),  # the first send: reconcile looks from there
    )
    try:
        rows = _add_post(api, request)
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
        # Refused before it was processed: nothing was written, so it is sent again after Retry-After
        # without spending one of its attempts ("later", not "no"). Past a bound this task lets the
        # chunk be (still pending, its text says why) and the sweep queues it again.
        limited = int(request.outcome.get("rate_limited") or 0) + 1
        _add_update(
            request,
            state=AddRequest.State.PENDING,
            attempts=request.attempts - 1,
            outcome={**request.outcome, "message": telnyx_write_error(exc).message, "rate_limited": limited},
        )
        if limited % ADD_MAX_RATE_LIMITED == 0:
            raise AddRateLimited(request.pk) from exc
        _add_sleep(min(exc.retry_after or 1.0, ADD_MAX_RETRY_AFTER))
    except (telnyx.TransportError, telnyx.ServerError) as exc:
        # What happened, without advice: the read-back decides whether it landed (see _add_reconcile).
        message = telnyx_write_error(exc, uncertain="").message
        _add_update(
            request, state=AddRequest.State.UNCERTAIN, outcome={**request.outcome, "message": message}
        )
    except telnyx.TelnyxError as exc:  # 401, 403, 404: not about the numbers, and not settled by retrying
        _add_finish(request, AddRequest.State.FAILED, message=telnyx_write_error(exc).message)
    else:
        _add_accept(request, _batch_of(request, rows), state=AddRequest.State.DONE)


def _add_post(api: telnyx.TelnyxClient, request: AddRequest) -> list:
    """The add itself, with the chunk's own letter uploaded first if it has one (see letter_documents)."""
    documents = letter_documents(api, request) if letter_documents is not None else None
    if documents is None:
        return api.numbers_add(request.dir.remote_id, request.numbers, request.documents)
    _add_documents_sent(request, documents)
    try:
        return api.numbers_add(request.dir.remote_id, request.numbers, documents)
    except telnyx.ApiValidationError as exc:
        if not _document_lost(exc):
            raise
    # Telnyx no longer has the letter's upload (unlinked for 30 minutes, or deleted): nothing was
    # added, so it is uploaded again and the same add sent once more, within this attempt.
    documents = letter_documents(api, request, fresh=True)
    _add_documents_sent(request, documents)
    return api.numbers_add(request.dir.remote_id, request.numbers, documents)


def _add_documents_sent(request: AddRequest, documents: list[dict]) -> None:
    """Record what goes with the add before it is sent (the batch and any read-back show it)."""
    if documents != request.documents:
        AddRequest.objects.filter(pk=request.pk).update(documents=documents)
        request.documents = documents


def _document_lost(exc: telnyx.ApiValidationError) -> bool:
    """A refusal only because a referenced document is unknown to Telnyx (CONTRACT.md §5.9)."""
    errors = list(exc.errors)
    return bool(errors) and all(
        (e.pointer or "").removeprefix("/body").startswith("/documents")
        and "not found" in (e.detail or "").lower()
        for e in errors
    )


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
        message = telnyx_read_error(exc).message
        _add_update(
            request, state=AddRequest.State.UNCERTAIN, outcome={**request.outcome, "message": message}
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


class AddRateLimited(Exception):
    """Telnyx kept answering 429 for a chunk; it stays pending and is queued again by the sweep."""


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
