"""Applying remote batches and attached numbers to the local mirror, a page at a time.

The generic helpers (upsert, raw inserts, the status timeline) are in core.mirror; see its
docstring for the rules every `*_apply_remote` follows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import F

from portal.core.mirror import apply_page, changes_record, datetime_adapter, insert_rows, upsert
from portal.core.models import StatusChange
from portal.dirs.models import Dir
from portal.numbers.models import Batch, DirNumber
from portal.telnyx import schemas


def batches_apply_remote(
    *, dir: Dir, remotes: Iterable[schemas.Batch], source: str, at: datetime
) -> dict[str, Batch]:
    """Upsert a page of a DIR's batches (their numbers are mirrored by numbers_apply_remote)."""
    wanted = {
        b.batch_id: {
            "status": b.status,
            "total_count": b.total_count,
            "submitted_at": b.submitted_at,
            "documents": list(b.documents),
        }
        for b in remotes
    }
    rows, before = apply_page(
        Batch, wanted, at=at, build=lambda rid, v: Batch(dir=dir, remote_id=rid, synced_at=at, **v)
    )
    # Like a number, a batch seen for the first time is not a change: its row carries its first
    # status and submitted_at; a batch the portal itself creates records that as a user change.
    changes_record(
        {rid: row for rid, row in rows.items() if rid in before},
        before,
        team_id=dir.team_id,
        entity=StatusChange.Entity.BATCH,
        source=source,
        dir_id_of=lambda row: dir.pk,
        reason_of=lambda row: None,
    )
    return rows


def _reason(reason: schemas.RejectionReason | None) -> dict | None:
    # Not dataclasses.asdict: its deep copy is the slowest step of a big sync.
    if reason is None:
        return None
    return {"code": reason.code, "title": reason.title, "detail": reason.detail, "message": reason.message}


def numbers_apply_remote(
    *,
    dir: Dir,
    remotes: Iterable[schemas.DirPhoneNumber],
    batches: dict[str, int],
    source: str,
    at: datetime,
    retire_replaced: bool = True,
    fresh: bool = False,
) -> set[str]:
    """Upsert a page of a DIR's attached numbers (`batches`: remote batch id → local pk); returns their ids.

    `retire_replaced=False` is for a DIR with no attached number mirrored: no earlier row can stand
    in the way. `fresh=True` is for a DIR with no row at all (its first sync): every number is new,
    so there is nothing to look up, compare or record; they are only inserted.
    """
    # A row without an id or a number cannot be mirrored (nor told apart from the next one).
    remotes = [r for r in remotes if r.id and r.phone_number]
    missing = {r.batch_id for r in remotes if r.batch_id and r.batch_id not in batches}
    if missing:
        batches = {
            **batches,
            **dict(Batch.objects.filter(remote_id__in=missing).values_list("remote_id", "pk")),
        }
    wanted = {
        r.id: {
            "phone_number": r.phone_number,
            "status": r.status,
            "batch_id": batches.get(r.batch_id),
            "rejection_reason": _reason(r.rejection_reason),
            "verified_at": r.verified_at,
        }
        for r in remotes
    }
    if fresh:
        # A row that did turn up meanwhile (an add of the portal's own landing on this DIR) is
        # left as it is by ON CONFLICT DO NOTHING; the next sync compares it like any other.
        _insert_numbers(dir_id=dir.pk, new=list(wanted.items()), at=at, skip_conflicts=True)
        numbers_changed(dir_id=dir.pk)
        return set(wanted)
    existing = {n.remote_id: n for n in DirNumber.objects.select_for_update().filter(remote_id__in=wanted)}
    before = {rid: n.status for rid, n in existing.items()}
    creates, updates, fields = upsert(DirNumber, existing, wanted, at=at, build=lambda rid, v: (rid, v))
    if creates or updates:
        numbers_changed(dir_id=dir.pk)
    if creates and retire_replaced:
        # A number removed and attached again has a new id on Telnyx: its earlier attachment is
        # over, and must make way (one attached row per number and DIR) before the new one lands.
        DirNumber.objects.filter(
            dir=dir, removed_at=None, phone_number__in=[values["phone_number"] for _rid, values in creates]
        ).exclude(remote_id__in=[rid for rid, _values in creates]).update(removed_at=at, synced_at=at)
    _insert_numbers(dir_id=dir.pk, new=creates, at=at)
    if updates:
        DirNumber.objects.bulk_update(updates, fields)
    # A number seen for the first time is not a change: its row shows its first status and when it
    # was added; its history starts with its first transition (keeps a million-number import lean).
    changes_record(
        existing,  # only rows mirrored before: see above
        before,
        team_id=dir.team_id,
        entity=StatusChange.Entity.NUMBER,
        source=source,
        dir_id_of=lambda row: dir.pk,
        reason_of=lambda row: row.rejection_reason,
    )
    return set(wanted)


NUMBER_COLUMNS = ("remote_id", "dir_id", "batch_id", "phone_number", "status", "rejection_reason",
                  "verified_at", "synced_at", "created_at", "updated_at")  # fmt: skip
BATCH_COLUMNS = ("remote_id", "dir_id", "status", "total_count", "submitted_at", "documents",
                 "synced_at", "created_at", "updated_at")  # fmt: skip


def _insert_numbers(
    *, dir_id: int, new: list[tuple[str, dict]], at: datetime, skip_conflicts: bool = False
) -> None:
    """Insert never-seen numbers with raw INSERTs: no model instances, the sync's hot path."""
    if not new:
        return
    ops = connection.ops
    # The backend's own adapters, called directly: the field-level chain costs more than the insert.
    stamp = ops.adapt_datetimefield_value(at)
    moment = datetime_adapter()
    encoder = DirNumber._meta.get_field("rejection_reason").encoder
    rows = [
        (
            remote_id,
            dir_id,
            values["batch_id"],
            values["phone_number"],
            values["status"],
            None
            if values["rejection_reason"] is None
            else json.dumps(values["rejection_reason"], cls=encoder),
            moment(values["verified_at"]),
            stamp,
            stamp,
            stamp,
        )
        for remote_id, values in new
    ]
    insert_rows(DirNumber, NUMBER_COLUMNS, rows, skip_conflicts=skip_conflicts)


def batches_insert_new(*, dir: Dir, remotes: Iterable[schemas.Batch], at: datetime) -> dict[str, int]:
    """A first sync's page of batches for a DIR with none mirrored: inserted raw; remote id → pk.

    No history, as for any batch seen for the first time. A batch that turned up meanwhile (the
    portal's own add) is kept as it is, and its pk looked up.
    """
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(at)
    moment = datetime_adapter()
    encoder = Batch._meta.get_field("documents").encoder
    rows = {
        b.batch_id: (
            b.batch_id,
            dir.pk,
            b.status,
            b.total_count,
            moment(b.submitted_at),
            json.dumps(list(b.documents), cls=encoder),
            stamp,
            stamp,
            stamp,
        )  # fmt: skip
        for b in remotes
        if b.batch_id
    }
    if not rows:
        return {}
    pks = dict(insert_rows(Batch, BATCH_COLUMNS, list(rows.values()), skip_conflicts=True, returning=True))
    missing = [rid for rid in rows if rid not in pks]
    if missing:
        pks.update(Batch.objects.filter(remote_id__in=missing).values_list("remote_id", "pk"))
    return pks


def numbers_changed(*, dir_id: int) -> None:
    """The DIR's numbers were written: raise its numbers_version (cached counts under the old one lapse)."""
    Dir.objects.filter(pk=dir_id).update(numbers_version=F("numbers_version") + 1)


# --- Numbers and batches pages, removal

REMOVED = "removed"  # the timeline's to_status when a number leaves its DIR


def numbers_mark_removed(
    *, dir: Dir, phone_numbers: Iterable[str], at: datetime, source: str = StatusChange.Source.USER
) -> int:
    """Numbers Telnyx detached from the DIR: mark their rows removed (never delete) and log each one."""
    wanted = list(phone_numbers)
    if not wanted:
        return 0
    rows = list(
        DirNumber.objects.select_for_update()
        .filter(dir=dir, removed_at=None, phone_number__in=wanted)
        .only("pk", "status", "rejection_reason")
    )
    DirNumber.objects.filter(pk__in=[row.pk for row in rows]).update(
        removed_at=at, synced_at=at, updated_at=at
    )
    if rows:
        numbers_changed(dir_id=dir.pk)
    StatusChange.objects.bulk_create(
        StatusChange(
            team_id=dir.team_id,
            entity_type=StatusChange.Entity.NUMBER,
            entity_id=row.pk,
            dir_id=dir.pk,
            from_status=row.status,
            to_status=REMOVED,
            source=source,
        )
        for row in rows
    )
    return len(rows)


# --- Add flow


def batch_created_record(*, batch: Batch) -> StatusChange | None:
    """A batch the portal created: its creation is a user change on the timeline (written once)."""
    if StatusChange.objects.filter(entity_type=StatusChange.Entity.BATCH, entity_id=batch.pk).exists():
        return None  # a sync saw it first and already wrote its history
    return StatusChange.objects.create(
        team_id=batch.dir.team_id,
        entity_type=StatusChange.Entity.BATCH,
        entity_id=batch.pk,
        dir_id=batch.dir_id,
        from_status="",
        to_status=batch.status,
        source=StatusChange.Source.USER,
    )
