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
from django.db.models import F

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


def _apply(model, wanted: dict[str, dict], *, at: datetime, build) -> tuple[dict, dict[str, str | None]]:
    """Lock the page's existing rows, create the new ones, update the changed; rows and prior statuses."""
    existing = {row.remote_id: row for row in model.objects.select_for_update().filter(remote_id__in=wanted)}
    before = {rid: getattr(row, "status", None) for rid, row in existing.items()}
    creates, updates, fields = _upsert(model, existing, wanted, at=at, build=build)
    model.objects.bulk_create(creates)
    if updates:
        model.objects.bulk_update(updates, fields)
    return {**existing, **{row.remote_id: row for row in creates}}, before


def _record_changes(
    rows: dict, before: dict, *, team_id: int, entity: str, source: str, dir_of, reason_of
) -> None:
    """One StatusChange per row whose status differs from what was mirrored before (new rows included)."""
    StatusChange.objects.bulk_create(
        StatusChange(
            team_id=team_id,
            entity_type=entity,
            entity_id=row.pk,
            dir=dir_of(row),
            from_status=before.get(rid) or "",
            to_status=row.status,
            reason=reason_of(row),
            source=source,
        )
        for rid, row in rows.items()
        if before.get(rid) != row.status
    )


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
    rows, _before = _apply(
        Enterprise,
        wanted,
        at=at,
        build=lambda rid, v: Enterprise(team=team, remote_id=rid, synced_at=at, **v),
    )
    return rows


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
    rows, before = _apply(
        Dir, wanted, at=at, build=lambda rid, v: Dir(team=team, remote_id=rid, synced_at=at, **v)
    )
    _record_changes(
        rows,
        before,
        team_id=team.pk,
        entity=StatusChange.Entity.DIR,
        source=source,
        dir_of=lambda row: row,
        reason_of=lambda row: row.rejection_reasons or None,
    )
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
    rows, before = _apply(
        Batch, wanted, at=at, build=lambda rid, v: Batch(dir=dir, remote_id=rid, synced_at=at, **v)
    )
    # Like a number, a batch seen for the first time is not a change: its row carries its first
    # status and submitted_at; a batch the portal itself creates records that as a user change.
    _record_changes(
        {rid: row for rid, row in rows.items() if rid in before},
        before,
        team_id=dir.team_id,
        entity=StatusChange.Entity.BATCH,
        source=source,
        dir_of=lambda row: dir,
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
    creates, updates, fields = _upsert(DirNumber, existing, wanted, at=at, build=lambda rid, v: (rid, v))
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
    _record_changes(
        existing,  # only rows mirrored before: see above
        before,
        team_id=dir.team_id,
        entity=StatusChange.Entity.NUMBER,
        source=source,
        dir_of=lambda row: dir,
        reason_of=lambda row: row.rejection_reason,
    )
    return set(wanted)


NUMBER_COLUMNS = ("remote_id", "dir_id", "batch_id", "phone_number", "status", "rejection_reason",
                  "verified_at", "synced_at", "created_at", "updated_at")  # fmt: skip
BATCH_COLUMNS = ("remote_id", "dir_id", "status", "total_count", "submitted_at", "documents",
                 "synced_at", "created_at", "updated_at")  # fmt: skip


def _moments():
    """The backend's datetime adapter, remembering each distinct value (a batch's numbers share theirs)."""
    adapt = connection.ops.adapt_datetimefield_value
    adapted: dict[datetime, object] = {}

    def moment(value: datetime | None):
        if value is None:
            return None
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    return moment


def _insert(
    model, columns: tuple[str, ...], rows: list[tuple], *, skip_conflicts: bool, returning: bool = False
):
    """Raw INSERTs of adapted values (JSON as text); with `returning`, (remote_id, pk) of each row inserted.

    A bare ON CONFLICT DO NOTHING skips a row that would break any unique constraint, on both backends.
    """
    if not rows:
        return []
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    suffix = (" ON CONFLICT DO NOTHING" if skip_conflicts else "") + (
        f" RETURNING {ops.quote_name('remote_id')}, {ops.quote_name('id')}" if returning else ""
    )
    if connection.vendor == "postgresql":
        return _insert_unnest(model, columns, rows, f"INSERT INTO {table} ({names})", suffix, returning)
    # SQLite: multi-row VALUES (executemany would send a statement per row), split where the
    # backend caps the parameters of one statement.
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params
    per_statement = max(1, limit // len(columns)) if limit else len(rows)
    inserted: list[tuple[str, int]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * len(chunk))}{suffix}",
                [value for values in chunk for value in values],
            )
            if returning:
                inserted.extend(cursor.fetchall())
    return inserted


def _insert_unnest(model, columns, rows, insert: str, suffix: str, returning: bool):
    """PostgreSQL: one array per column, unnested, bound on the server in binary.

    A short statement with a dozen parameters, where a VALUES list of 2,500 placeholders had
    psycopg parse and quote it all on the client. A column with one value for every row (the DIR,
    the sync's timestamps) goes as that single value, not as an array of copies.
    """
    import psycopg

    # Placeholders in the SELECT list come before those in unnest(): so do their values.
    picks, scalars, arrays, lists, aliases = [], [], [], [], []
    for index, (name, values) in enumerate(zip(columns, zip(*rows, strict=True), strict=True)):
        db_type = model._meta.get_field(name).db_type(connection)
        bound = "text" if db_type == "jsonb" else db_type  # JSON travels as text, cast on the server
        cast = "::jsonb" if db_type == "jsonb" else ""
        # The first column (the remote id) always stays an array: it is what tells rows apart.
        if index and values.count(values[0]) == len(values):
            picks.append(f"%b::{bound}{cast}")
            scalars.append(values[0])
        else:
            picks.append(f"c{index}{cast}")
            arrays.append(f"%b::{bound}[]")
            lists.append(list(values))
            aliases.append(f"c{index}")
    source = f" FROM unnest({', '.join(arrays)}) AS u({', '.join(aliases)})"
    connection.ensure_connection()
    # Django's cursor binds on the client; this one shares its connection and transaction.
    with connection.make_cursor(psycopg.Cursor(connection.connection)) as cursor:
        cursor.execute(f"{insert} SELECT {', '.join(picks)}{source}{suffix}", [*scalars, *lists])
        return cursor.fetchall() if returning else []


def _insert_numbers(
    *, dir_id: int, new: list[tuple[str, dict]], at: datetime, skip_conflicts: bool = False
) -> None:
    """Insert never-seen numbers with raw INSERTs: no model instances, the sync's hot path."""
    if not new:
        return
    ops = connection.ops
    # The backend's own adapters, called directly: the field-level chain costs more than the insert.
    stamp = ops.adapt_datetimefield_value(at)
    moment = _moments()
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
    _insert(DirNumber, NUMBER_COLUMNS, rows, skip_conflicts=skip_conflicts)


def batches_insert_new(*, dir: Dir, remotes: Iterable[schemas.Batch], at: datetime) -> dict[str, int]:
    """A first sync's page of batches for a DIR with none mirrored: inserted raw; remote id → pk.

    No history, as for any batch seen for the first time. A batch that turned up meanwhile (the
    portal's own add) is kept as it is, and its pk looked up.
    """
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(at)
    moment = _moments()
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
    pks = dict(_insert(Batch, BATCH_COLUMNS, list(rows.values()), skip_conflicts=True, returning=True))
    missing = [rid for rid in rows if rid not in pks]
    if missing:
        pks.update(Batch.objects.filter(remote_id__in=missing).values_list("remote_id", "pk"))
    return pks


def numbers_changed(*, dir_id: int) -> None:
    """The DIR's numbers were written: raise its numbers_version (cached counts under the old one lapse)."""
    Dir.objects.filter(pk=dir_id).update(numbers_version=F("numbers_version") + 1)


def mark_removed(queryset, *, seen: set[str], at: datetime) -> int:
    """Rows of a complete remote listing that were not in it are gone remotely: mark, never delete."""
    local = queryset.filter(removed_at=None).values_list("remote_id", flat=True)
    gone = [rid for rid in local.iterator(chunk_size=5000) if rid not in seen]
    for start in range(0, len(gone), 500):  # bounded IN lists
        queryset.filter(remote_id__in=gone[start : start + 500]).update(removed_at=at, synced_at=at)
    return len(gone)


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
            dir=dir,
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
