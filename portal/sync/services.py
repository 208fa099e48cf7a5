"""The sync engine: keep a team's mirror equal to its Telnyx account (ARCHITECTURE.md §6.3).

It reads Telnyx page by page and hands each page to the domain that owns it
(`enterprises_apply_remote`, `dirs_apply_remote`, `batches_apply_remote`, `numbers_apply_remote`);
it also receives Telnyx's webhooks and queues "Sync now". Nothing below it imports it: a domain
that wants a DIR re-read sends `portal.dirs.signals.dir_refresh_wanted`.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.core.leases import HeldLease, lease, lease_held
from portal.core.mirror import mark_removed
from portal.core.models import StatusChange
from portal.core.telnyx_errors import telnyx_read_error
from portal.dirs import services as dir_services
from portal.dirs.models import Dir
from portal.enterprises import services as enterprise_services
from portal.enterprises.models import Enterprise
from portal.numbers import mirror as number_mirror
from portal.numbers.models import IN_FLIGHT, Batch, DirNumber
from portal.sync.fetch import PageFetcher
from portal.sync.models import SyncRun, WebhookEvent

logger = logging.getLogger("portal.sync")

PAGES_PER_COMMIT = 4  # number pages (of 250) written in one transaction
REFRESH_EVERY = timedelta(seconds=10)
RATE_LIMIT_RETRIES = 6  # per request: with a few in flight, a 429 often meets several at once
QUEUED_PATIENCE = 15 * 60  # seconds a queued "Sync now" may wait for a worker before another is allowed


def account_sync(*, account: TelnyxAccount, full: bool, run: SyncRun | None = None) -> SyncRun:
    """Bring the team's mirror up to date: everything (full) or only what is in flight (incremental)."""
    with lease(f"account:{account.pk}", seconds=settings.SYNC_LEASE_SECONDS) as held:
        # Holding the lease, no other sync of this account is alive: a run still "running" lost its
        # worker (killed, its machine gone) and would show as running for ever.
        SyncRun.objects.filter(account=account, state=SyncRun.State.RUNNING).exclude(
            pk=run.pk if run else None
        ).update(state=SyncRun.State.FAILED, error="Abandoned by its worker.", finished_at=timezone.now())
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
            with telnyx.get_client(api_key=account.api_key, max_rate_limit_retries=RATE_LIMIT_RETRIES) as api:
                if full:
                    _sync_full(api, account, run, held)
                else:
                    _sync_in_flight(api, account, run, held)
                run.api_calls = api.calls
        except telnyx.TelnyxError as exc:
            # The sync card shows it: the same words as every other failed read.
            run.state, run.error = SyncRun.State.FAILED, telnyx_read_error(exc).message[:255]
            run.finished_at = timezone.now()
            run.save()
            raise
        run.state, run.finished_at = SyncRun.State.DONE, timezone.now()
        run.save()
        return run


def _sync_full(api: telnyx.TelnyxClient, account: TelnyxAccount, run: SyncRun, held: HeldLease) -> None:
    """Every page of every listing, a few requests in flight; written here, in this thread, as pages land."""
    team = account.team
    at = timezone.now()
    with PageFetcher(api, width=settings.SYNC_CONCURRENCY) as fetcher:
        # Enterprises and DIRs are read together; DIRs are written once every enterprise is in.
        fetcher.add(api.enterprise_listing(), "enterprises")
        fetcher.add(api.dir_listing(), "dirs")
        enterprises: dict[str, Enterprise] = {}
        dir_pages: list[list] = []
        for pages in fetcher.batches():
            held.renew()
            for page in pages:
                if not page.items:  # an empty listing's page 1, or past its end
                    continue
                if page.tag == "dirs":
                    dir_pages.append(page.items)
                    continue
                with transaction.atomic():
                    enterprises.update(
                        enterprise_services.enterprises_apply_remote(team=team, remotes=page.items, at=at)
                    )
                run.pages += 1
        # Only listings read to their end get here (a failed page raised): removals are sure.
        mark_removed(Enterprise.objects.filter(team=team), seen=set(enterprises), at=at)
        dirs: dict[str, Dir] = {}
        for remotes in dir_pages:
            with transaction.atomic():
                dirs.update(
                    dir_services.dirs_apply_remote(
                        team=team, remotes=remotes, enterprises=enterprises, source=StatusChange.Source.SYNC, at=at
                    )
                )  # fmt: skip
            run.pages += 1
        mark_removed(Dir.objects.filter(team=team), seen=set(dirs), at=at)
        run.dirs_total = len(dirs)
        SyncRun.objects.filter(pk=run.pk).update(pages=run.pages, dirs_total=run.dirs_total)

        def progress(pages: int, done: int) -> None:
            run.pages += pages
            run.dirs_done += done
            # Progress for the dashboard's card: a small write now and then, not one per page.
            SyncRun.objects.filter(pk=run.pk).update(pages=run.pages, dirs_done=run.dirs_done)

        _children_sync(fetcher, api, list(dirs.values()), at=at, held=held, progress=progress)


def dir_children_sync(api: telnyx.TelnyxClient, dir_: Dir, *, at, held: HeldLease | None = None) -> int:
    """Mirror all batches, then all attached numbers, of one DIR; returns the pages read."""
    read = 0

    def count(pages: int, done: int) -> None:
        nonlocal read
        read += pages

    with PageFetcher(api, width=settings.SYNC_CONCURRENCY) as fetcher:
        _children_sync(fetcher, api, [dir_], at=at, held=held, progress=count)
    return read


PROGRESS_EVERY = 1.0  # seconds between progress writes


def _children_sync(fetcher: PageFetcher, api, dirs: list[Dir], *, at, held, progress) -> None:
    """The batch and number listings of many DIRs read at once; each DIR's numbers written after its batches."""
    children: dict[int, _DirChildren] = {}
    mirrored = _mirrored(dirs)
    for dir_ in dirs:
        children[dir_.pk] = _DirChildren(dir_, at=at, mirrored=mirrored[dir_.pk])
        fetcher.add(api.batch_listing(dir_.remote_id), ("batches", dir_.pk))
        fetcher.add(api.number_listing(dir_.remote_id), ("numbers", dir_.pk))
    pages = done = 0
    written = time.monotonic()
    for batch in fetcher.batches(group=PAGES_PER_COMMIT):
        if held is not None:
            held.renew()
        touched: dict[int, _DirChildren] = {}
        for page in batch:
            kind, dir_pk = page.tag
            child = touched[dir_pk] = children[dir_pk]
            if kind == "batches":
                if page.items:
                    child.batch_page(page.items)
                child.batches_read = page.last
            else:
                if page.items:
                    child.waiting.append(page.items)
                child.numbers_read = page.last
        for child in touched.values():
            pages += child.flush()
            if child.finished:
                done += 1
                del children[child.dir.pk]
        if pages and (done or time.monotonic() - written >= PROGRESS_EVERY):
            progress(pages, done)
            pages = done = 0
            written = time.monotonic()
    if pages or done:
        progress(pages, done)


def _mirrored(dirs: list[Dir]) -> dict[int, tuple[bool, bool, bool]]:
    """Per DIR, in one query per 500: has it any batch, any attached number, any number row at all?"""
    found = {}
    for chunk in itertools.batched([d.pk for d in dirs], 500):
        rows = (
            Dir.objects.filter(pk__in=chunk)
            .annotate(
                any_batch=Exists(Batch.objects.filter(dir=OuterRef("pk"))),
                any_attached=Exists(DirNumber.objects.filter(dir=OuterRef("pk"), removed_at=None)),
                any_number=Exists(DirNumber.objects.filter(dir=OuterRef("pk"))),
            )
            .values_list("pk", "any_batch", "any_attached", "any_number")
        )
        found.update({pk: flags for pk, *flags in rows})
    return found


class _DirChildren:
    """One DIR's batches and numbers as their pages land: batches first, numbers once all batches are in.

    Removals are marked only for a listing read to its end; a sync stopped by a failed page leaves
    the rows it did write (upserts, right as far as they go) and marks nothing removed.
    """

    def __init__(self, dir_: Dir, *, at, mirrored: tuple[bool, bool, bool]) -> None:
        self.dir, self.at = dir_, at
        any_batch, any_attached, any_number = mirrored
        # A DIR with no batch mirrored (its first sync) has nothing to compare: its batches are inserted.
        self.new_batches = not any_batch
        # A DIR with no number mirrored yet has no earlier attachment to retire, and a DIR with no
        # row at all (its first sync) has nothing to compare: the pages of a big first sync only insert.
        self.known, self.fresh = any_attached, not any_number
        self.batches: dict[str, int] = {}
        self.batches_read = self.numbers_read = self.finished = False
        self.batch_pages = 0
        self.waiting: list[list] = []  # number pages not written yet
        self.seen: set[str] = set()

    def batch_page(self, remotes) -> None:
        with transaction.atomic():
            if self.new_batches:
                self.batches.update(
                    number_mirror.batches_insert_new(dir=self.dir, remotes=remotes, at=self.at)
                )
            else:
                rows = number_mirror.batches_apply_remote(
                    dir=self.dir, remotes=remotes, source=StatusChange.Source.SYNC, at=self.at
                )
                self.batches.update({rid: row.pk for rid, row in rows.items()})
        self.batch_pages += 1

    def flush(self) -> int:
        """Write what can be written now; returns the pages done (batch pages count once their listing ends)."""
        if not self.batches_read:
            return 0
        pages = 0
        if self.batch_pages is not None:
            if not self.new_batches:  # (a first sync's batches are all its own: none to compare)
                mark_removed(Batch.objects.filter(dir=self.dir), seen=set(self.batches), at=self.at)
            pages, self.batch_pages = self.batch_pages, None
        # A few pages per transaction, and per statement: fewer commits and round trips (on
        # PostgreSQL the server's time per statement is most of the cost), none open while waiting on Telnyx.
        for group in itertools.batched(self.waiting, PAGES_PER_COMMIT):
            with transaction.atomic():
                self.seen.update(
                    number_mirror.numbers_apply_remote(
                        dir=self.dir, remotes=[r for remotes in group for r in remotes], batches=self.batches,
                        source=StatusChange.Source.SYNC, at=self.at, retire_replaced=self.known, fresh=self.fresh,
                    )
                )  # fmt: skip
            pages += len(group)
        self.waiting = []
        if self.numbers_read and not self.finished:
            # A DIR's first sync wrote every row it has (bar a portal add landing meanwhile, which
            # it must not retire): there is nothing to mark removed, and 1,000s of ids not to read back.
            if not self.fresh and mark_removed(
                DirNumber.objects.filter(dir=self.dir), seen=self.seen, at=self.at
            ):
                number_mirror.numbers_changed(dir_id=self.dir.pk)
            self.finished = True
        return pages


def _sync_in_flight(api: telnyx.TelnyxClient, account: TelnyxAccount, run: SyncRun, held: HeldLease) -> None:
    """Only DIRs and batches still under review are fetched; terminal ones are left alone."""
    team = account.team
    at = timezone.now()
    for dir_ in Dir.objects.filter(team=team, removed_at=None, status__in=Dir.IN_FLIGHT).select_related(
        "enterprise"
    ):
        held.renew()
        dir_refresh(api, dir_, source=StatusChange.Source.SYNC, at=at)
        run.pages += 1
    in_flight = Batch.objects.filter(dir__team=team, removed_at=None, status__in=IN_FLIGHT).select_related(
        "dir"
    )
    for batch in in_flight:
        held.renew()
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
        rows = dir_services.dirs_apply_remote(
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
        rows = number_mirror.batches_apply_remote(dir=batch.dir, remotes=[remote], source=source, at=at)
        number_mirror.numbers_apply_remote(
            dir=batch.dir,
            remotes=remote.phone_numbers,
            batches={rid: row.pk for rid, row in rows.items()},
            source=source,
            at=at,
        )


def dir_sync(*, dir_id: int, source: str = StatusChange.Source.SYNC) -> None:
    """Refresh one DIR and everything under it (what a webhook asks for)."""
    dir_ = Dir.objects.select_related("team", "enterprise").filter(pk=dir_id).first()
    account = TelnyxAccount.objects.filter(team_id=dir_.team_id).first() if dir_ is not None else None
    if account is None:
        return  # the DIR or the team's key went away after the task was queued: nothing to read
    with (
        lease(f"account:{account.pk}", seconds=settings.SYNC_LEASE_SECONDS) as held,
        telnyx.get_client(api_key=account.api_key, max_rate_limit_retries=RATE_LIMIT_RETRIES) as api,
    ):
        at = timezone.now()
        if dir_refresh(api, dir_, source=source, at=at) is not None:
            dir_children_sync(api, dir_, at=at, held=held)


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
        transaction.on_commit(lambda: async_task("portal.sync.tasks.sync_dir", dir_.pk, "webhook"))
        return "dir sync queued"
    transaction.on_commit(lambda: async_task("portal.sync.tasks.sync_account", account.pk, True))
    return "account sync queued"


def sync_request(*, account: TelnyxAccount, user, request=None) -> SyncRun:
    """Queue a full sync from the dashboard ("Sync now"); one at a time per account."""
    from django_q.tasks import async_task

    active = SyncRun.objects.filter(
        account=account, state__in=(SyncRun.State.QUEUED, SyncRun.State.RUNNING)
    ).first()
    # A running sync is alive while it renews its lease; a queued one waits its turn for a while.
    if active is not None and (
        lease_held(f"account:{account.pk}")
        if active.state == SyncRun.State.RUNNING
        else active.started_at > timezone.now() - timedelta(seconds=QUEUED_PATIENCE)
    ):
        return active
    if active is not None:  # its worker died; it must not block "Sync now" forever
        SyncRun.objects.filter(pk=active.pk).update(
            state=SyncRun.State.FAILED, error="Abandoned by its worker."
        )
    run = SyncRun.objects.create(
        account=account, kind=SyncRun.Kind.FULL, state=SyncRun.State.QUEUED, requested_by=user
    )
    transaction.on_commit(lambda: async_task("portal.sync.tasks.sync_account", account.pk, True, run.pk))
    return run


# --- Re-reading one DIR on request (the status badge's poll, a removal's lost answer)


def dir_refresh_queue(*, dir: Dir) -> bool:
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
            lambda: async_task("portal.sync.tasks.sync_dir", dir.pk, StatusChange.Source.SYNC)
        )
    return bool(claimed)
