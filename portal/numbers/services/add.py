"""Adding numbers, up to sending: read, pre-flight, cut into chunks of 15 and queue each (ARCHITECTURE.md §6.1)."""

from __future__ import annotations

import itertools
import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import telnyx
from portal.accounts.selectors import telnyx_account_require
from portal.accounts.services import telnyx_account_client
from portal.core.exceptions import ServiceError
from portal.core.services import audit_record
from portal.dirs.models import Dir
from portal.numbers import checks
from portal.numbers import selectors as number_selectors
from portal.numbers.models import AddCheck, AddRequest

logger = logging.getLogger("portal.numbers")


INVENTORY_SEARCH_LIMIT = 50
ADD_CHECK_KEEP = timedelta(days=1)  # how long a check's flagged rows can be downloaded


class PreflightFailed(ServiceError):
    """Some numbers would be refused; `preflight` says which and why."""

    def __init__(self, preflight: checks.Preflight) -> None:
        super().__init__(_("Some numbers cannot be added; drop them or fix them first."), field="numbers")
        self.preflight = preflight


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


def numbers_read(*, text: str = "", csv_file=None, picked: list[str] | None = None) -> checks.Given:
    """Every number the user gave, with its origin: typed or pasted, from a CSV (streamed), picked from inventory."""
    given = checks.Given()
    for line, token in checks.tokens_by_line(text):
        given.add(token, _("line %(line)s") % {"line": line})
    if csv_file is not None:
        try:
            rows = checks.csv_rows(csv_file.chunks(), limit=checks.MAX_NUMBERS - len(given))
        except checks.NotACsv as exc:
            raise ServiceError(
                _("That file does not look like a CSV of phone numbers."), field="csv"
            ) from exc
        except checks.TooManyNumbers as exc:
            raise _too_many("csv") from exc
        for line, cell in rows:
            given.add(cell, _("CSV line %(line)s") % {"line": line})
    for value in picked or []:
        if value:
            given.add(value, _("picked from the inventory"))
    if len(given) > checks.MAX_NUMBERS:
        raise _too_many("numbers")
    return given


def _too_many(field: str) -> ServiceError:
    return ServiceError(
        _("At most %(max)s numbers can be added at once (that is %(batches)s batches); split the list.")
        % {"max": f"{checks.MAX_NUMBERS:,}", "batches": -(-checks.MAX_NUMBERS // checks.CHUNK_SIZE)},
        field=field,
    )


def numbers_preflight(*, dir: Dir, raw: list[str], origins: list[str] | None = None) -> checks.Preflight:
    """Check every number before anything is sent: format, P13, duplicates, mirror, the inventory.

    The inventory is asked in calls of INVENTORY_CHUNK numbers (10 calls for the largest add).
    """
    if len(raw) > checks.MAX_NUMBERS:
        raise _too_many("numbers")
    distinct = checks.normalized_set(raw)
    sets = number_selectors.preflight_mirror_sets(dir=dir, numbers=distinct)
    candidates = [n for n in distinct if checks.locale_problem(n) is None]
    inventory: set[str] | None = set()
    if candidates:
        account = telnyx_account_require(team=dir.team_id)
        try:
            with telnyx.get_client(api_key=account.api_key) as api:
                for part in checks.chunks(candidates, checks.INVENTORY_CHUNK):
                    owned, _not_found = api.verify_ownership(part)
                    inventory |= owned
        except telnyx.TelnyxError:
            logger.warning("add: inventory check failed for DIR %s", dir.pk, exc_info=True)
            inventory = None  # Telnyx checks again on add; the page says this one was skipped
    return checks.classify(raw, inventory=inventory, origins=origins, **sets)


def add_check_record(*, dir: Dir, user, preflight: checks.Preflight) -> AddCheck | None:
    """Keep a check's flagged rows for the CSV download (None when nothing was flagged); drop old ones."""
    AddCheck.objects.filter(created_at__lt=timezone.now() - ADD_CHECK_KEEP).delete()
    rows = preflight.flagged_rows()
    if not rows:
        return None
    return AddCheck.objects.create(
        dir=dir, team_id=dir.team_id, user=user, checked=len(preflight.entries), rows=rows
    )


def add_submit(
    *, dir: Dir, user, raw: list[str], loa, documents=(), request=None, enqueue=None, letters: bool = False
) -> uuid.UUID:
    """Save the add as AddRequests of ≤15 numbers (before anything is sent) and queue one task each.

    `enqueue(ids)` replaces the queue (after commit): the benchmark sends the chunks itself with it.
    With `letters`, each chunk gets a letter of its own (the loas app renders them and then makes
    the chunks pending): they are saved as awaiting it, and `enqueue` is that app's hand-over.
    """
    refusal = add_refusal(dir=dir)
    if refusal:
        raise ServiceError(refusal)
    if loa is None and not letters:
        raise ServiceError(_("Upload the signed LOA or pick one uploaded before."), field="loa")
    preflight = numbers_preflight(dir=dir, raw=raw)
    if preflight.problems:
        raise PreflightFailed(preflight)
    if not preflight.ok:
        raise ServiceError(_("Enter at least one phone number."), field="numbers")
    sent = (loa, *documents) if loa is not None else tuple(documents)
    refs = [{"document_id": d.remote_id, "document_type": str(d.kind)} for d in sent][:20]
    state = AddRequest.State.AWAITING if letters else AddRequest.State.PENDING
    group = uuid.uuid4()
    with transaction.atomic():
        created = AddRequest.objects.bulk_create(
            AddRequest(
                dir=dir, team_id=dir.team_id, group=group, position=i, numbers=chunk, loa=loa,
                documents=refs, requested_by=user, idempotency_key=uuid.uuid4(), state=state,
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
                "loa": loa.filename if loa is not None else "a letter per batch, signed in the portal",
            },
            request=request,
        )
        transaction.on_commit(lambda: (enqueue or add_requests_enqueue)(ids))
    return group


def add_stop(*, dir: Dir, group, user, request=None) -> int:
    """Stop the rest of a running add: its chunks not yet sent are cancelled; one being sent finishes.

    A compare-and-set on `pending`, as every transition is: a sender that takes a chunk at the same
    moment either wins (the chunk is sent) or finds it cancelled (see add_send._add_update).
    """
    now = timezone.now()
    with transaction.atomic():
        waiting = (AddRequest.State.PENDING, AddRequest.State.AWAITING)  # not sent, or its letter not ready
        stopped = AddRequest.objects.filter(dir=dir, group=group, state__in=waiting).update(
            state=AddRequest.State.CANCELLED, finished_at=now, updated_at=now
        )
        if stopped:
            audit_record(
                verb="numbers_add_stopped",
                actor=user,
                team=dir.team,
                target=dir,
                details={"group": str(group), "chunks": stopped},
                request=request,
            )
    return stopped


def add_requests_enqueue(ids: list[int]) -> None:
    """Queue one send task per chunk (the default `enqueue` of add_submit and add_resubmit)."""
    from django_q.tasks import async_task

    for pk in ids:
        async_task("portal.numbers.tasks.send_add_request", pk, group="add")


def add_resubmit(*, dir: Dir, group, user, request=None, enqueue=None) -> int:
    """Send again, in new AddRequests, the numbers of refused or failed chunks that Telnyx did not object to."""
    refusal = add_refusal(dir=dir)
    if refusal:
        raise ServiceError(refusal)
    with transaction.atomic():
        chunks = list(
            AddRequest.objects.select_for_update()
            .filter(dir=dir, group=group, state__in=(AddRequest.State.REFUSED, AddRequest.State.FAILED))
            .order_by("position")
        )
        if any(chunk.loa_id is None for chunk in chunks):
            # Each batch of a signed add went with a letter listing exactly its numbers: regrouped,
            # they need letters of their own (until the loas app renders those, they are added anew).
            raise ServiceError(
                _("These numbers went with letters signed for their first batches: add them again and sign.")
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
        transaction.on_commit(lambda: (enqueue or add_requests_enqueue)(ids))
    return len(rest)


def inventory_search(*, team, digits: str) -> list[dict]:
    """Up to 50 of the team's active Telnyx numbers containing these digits (one page from Telnyx)."""
    digits = "".join(ch for ch in digits if ch.isdigit())
    if len(digits) < 3:
        return []
    with telnyx_account_client(team=team, read=True) as api:
        found = itertools.islice(api.inventory_iter(digits=digits), INVENTORY_SEARCH_LIMIT)
        return [
            {"phone_number": n.get("phone_number"), "status": n.get("status")}
            for n in found
            if n.get("status") == "active"
        ]
