"""Applying remote Telnyx state to the local mirror, a page at a time.

Each `*_apply_remote` function takes one page of remote objects and writes it with a fixed number
of queries (one read, one bulk insert, one bulk update, one bulk insert of history), inside the
caller's transaction. Rows whose values did not change are not written. Every status change
becomes exactly one StatusChange row, whichever path (sync or webhook) saw it first.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from portal.accounts.models import Team
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.numbers.models import Batch, DirNumber, StatusChange
from portal.telnyx import schemas


def _plain(obj) -> dict:
    """A JSON-ready dict of a response dataclass (datetimes as ISO strings)."""
    return json.loads(json.dumps(dataclasses.asdict(obj), cls=DjangoJSONEncoder))


def _upsert(
    model, existing: dict, wanted: dict[str, dict], *, at: datetime, build
) -> tuple[list, list, list]:
    """Split wanted values (by remote id) into rows to create and rows whose values changed."""
    creates, updates, changed_fields = [], [], set()
    for remote_id, values in wanted.items():
        row = existing.get(remote_id)
        if row is None:
            creates.append(build(remote_id, values))
            continue
        diff = {k: v for k, v in values.items() if getattr(row, k) != v}
        if row.removed_at is not None:
            diff["removed_at"] = None
        if diff:
            for key, value in diff.items():
                setattr(row, key, value)
            row.synced_at = at
            updates.append(row)
            changed_fields |= diff.keys()
    return creates, updates, sorted(changed_fields | {"synced_at", "updated_at"}) if updates else []


def enterprises_apply_remote(
    *, team: Team, remotes: Iterable[schemas.Enterprise], at: datetime
) -> dict[str, Enterprise]:
    """Upsert a page of enterprises; returns them by remote id."""
    wanted = {
        e.id: {
            "legal_name": e.legal_name,
            "doing_business_as": e.doing_business_as or "",
            "branded_calling_enabled": e.branded_calling_enabled,
            "data": _plain(e),
        }
        for e in remotes
    }
    existing = {e.remote_id: e for e in Enterprise.objects.select_for_update().filter(remote_id__in=wanted)}
    creates, updates, fields = _upsert(
        Enterprise,
        existing,
        wanted,
        at=at,
        build=lambda rid, v: Enterprise(team=team, remote_id=rid, synced_at=at, **v),
    )
    Enterprise.objects.bulk_create(creates)
    if updates:
        Enterprise.objects.bulk_update(updates, fields)
    return {**existing, **{e.remote_id: e for e in creates}}


def _dir_values(remote: schemas.Dir, enterprise: Enterprise) -> dict:
    return {
        "enterprise_id": enterprise.pk,
        "display_name": remote.display_name,
        "status": remote.status,
        "call_reasons": list(remote.call_reasons),
        "logo_url": remote.logo_url or "",
        "rejection_reasons": [dataclasses.asdict(r) for r in remote.rejection_reasons],
        "submitted_at": remote.submitted_at,
        "verified_at": remote.verified_at,
        "expiring_at": remote.expiring_at,
        "remote_updated_at": remote.updated_at,
        "data": _plain(remote),
    }


def dirs_apply_remote(
    *,
    team: Team,
    remotes: Iterable[schemas.Dir],
    enterprises: dict[str, Enterprise],
    source: str,
    at: datetime,
) -> dict[str, Dir]:
    """Upsert a page of DIRs and record their status changes; DIRs of unknown enterprises are skipped."""
    remotes = [r for r in remotes if r.enterprise_id in enterprises]
    wanted = {r.id: _dir_values(r, enterprises[r.enterprise_id]) for r in remotes}
    existing = {d.remote_id: d for d in Dir.objects.select_for_update().filter(remote_id__in=wanted)}
    before = {rid: d.status for rid, d in existing.items()}
    creates, updates, fields = _upsert(
        Dir, existing, wanted, at=at, build=lambda rid, v: Dir(team=team, remote_id=rid, synced_at=at, **v)
    )
    Dir.objects.bulk_create(creates)
    if updates:
        Dir.objects.bulk_update(updates, fields)
    rows = {**existing, **{d.remote_id: d for d in creates}}
    history = [
        StatusChange(
            team=team,
            entity_type=StatusChange.Entity.DIR,
            entity_id=row.pk,
            dir=row,
            from_status=before.get(rid, ""),
            to_status=row.status,
            reason=row.rejection_reasons or None,
            source=source,
        )
        for rid, row in rows.items()
        if before.get(rid) != row.status
    ]
    StatusChange.objects.bulk_create(history)
    return rows


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
    existing = {b.remote_id: b for b in Batch.objects.select_for_update().filter(remote_id__in=wanted)}
    before = {rid: b.status for rid, b in existing.items()}
    creates, updates, fields = _upsert(
        Batch, existing, wanted, at=at, build=lambda rid, v: Batch(dir=dir, remote_id=rid, synced_at=at, **v)
    )
    Batch.objects.bulk_create(creates)
    if updates:
        Batch.objects.bulk_update(updates, fields)
    rows = {**existing, **{b.remote_id: b for b in creates}}
    StatusChange.objects.bulk_create(
        StatusChange(
            team_id=dir.team_id,
            entity_type=StatusChange.Entity.BATCH,
            entity_id=row.pk,
            dir=dir,
            from_status=before.get(rid, ""),
            to_status=row.status,
            source=source,
        )
        for rid, row in rows.items()
        if before.get(rid) != row.status
    )
    return rows


def _reason(reason: schemas.RejectionReason | None) -> dict | None:
    # Not dataclasses.asdict: its deep copy is the slowest step of a big sync.
    if reason is None:
        return None
    return {"code": reason.code, "title": reason.title, "detail": reason.detail, "message": reason.message}


def numbers_apply_remote(
    *, dir: Dir, remotes: Iterable[schemas.DirPhoneNumber], batches: dict[str, int], source: str, at: datetime
) -> set[str]:
    """Upsert a page of a DIR's attached numbers (`batches`: remote batch id → local pk); returns their ids."""
    remotes = list(remotes)
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
    existing = {n.remote_id: n for n in DirNumber.objects.select_for_update().filter(remote_id__in=wanted)}
    before = {rid: n.status for rid, n in existing.items()}
    creates, updates, fields = _upsert(DirNumber, existing, wanted, at=at, build=lambda rid, v: (rid, v))
    _insert_numbers(dir_id=dir.pk, new=creates, at=at)
    if updates:
        DirNumber.objects.bulk_update(updates, fields)
    # A number seen for the first time is not a change: its row shows its first status and when it
    # was added; its history starts with its first transition (keeps a million-number import lean).
    StatusChange.objects.bulk_create(
        StatusChange(
            team_id=dir.team_id,
            entity_type=StatusChange.Entity.NUMBER,
            entity_id=row.pk,
            dir=dir,
            from_status=before[rid],
            to_status=row.status,
            reason=row.rejection_reason,
            source=source,
        )
        for rid, row in existing.items()
        if before[rid] != row.status
    )
    return set(wanted)


NUMBER_COLUMNS = ("remote_id", "dir_id", "batch_id", "phone_number", "status", "rejection_reason",
                  "verified_at", "synced_at", "created_at", "updated_at")  # fmt: skip


def _insert_numbers(*, dir_id: int, new: list[tuple[str, dict]], at: datetime) -> None:
    """Insert never-seen numbers with one executemany: no model instances, the sync's hot path."""
    if not new:
        return
    meta = DirNumber._meta
    prep = {
        name: meta.get_field(name[:-3] if name in ("dir_id", "batch_id") else name).get_db_prep_save
        for name in NUMBER_COLUMNS
    }
    stamp = prep["synced_at"](at, connection)
    rows = [
        (
            remote_id,
            dir_id,
            values["batch_id"],
            values["phone_number"],
            values["status"],
            prep["rejection_reason"](values["rejection_reason"], connection),
            prep["verified_at"](values["verified_at"], connection),
            stamp,
            stamp,
            stamp,
        )
        for remote_id, values in new
    ]
    columns = ", ".join(connection.ops.quote_name(c) for c in NUMBER_COLUMNS)
    placeholders = ", ".join(["%s"] * len(NUMBER_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})",
            rows,
        )


def mark_removed(queryset, *, seen: set[str], at: datetime) -> int:
    """Rows of a complete remote listing that were not in it are gone remotely: mark, never delete."""
    local = queryset.filter(removed_at=None).values_list("remote_id", flat=True)
    gone = [rid for rid in local.iterator(chunk_size=5000) if rid not in seen]
    for start in range(0, len(gone), 500):  # bounded IN lists
        queryset.filter(remote_id__in=gone[start : start + 500]).update(removed_at=at, synced_at=at)
    return len(gone)
