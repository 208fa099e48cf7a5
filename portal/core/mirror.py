"""The shared shape of rows that mirror a Telnyx resource, and the helpers every domain's
`<entity>_apply_remote` writes a page of remote objects with.

Each apply function takes one page of remote objects and writes it with a fixed number of queries
(one read, one bulk insert, one bulk update, one bulk insert of history), inside the caller's
transaction. Rows whose values did not change are not written. Every status change becomes
exactly one StatusChange row, whichever path (sync or webhook) saw it first.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction

from portal.core.models import StatusChange


class RemoteMirrorModel(models.Model):
    """A local copy of a remote resource: its Telnyx id, when it was last seen, and whether it is gone."""

    remote_id = models.CharField(max_length=64, unique=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)  # gone remotely; never deleted silently
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def plain(obj) -> dict:
    """A JSON-ready dict of a response dataclass (datetimes as ISO strings)."""
    return json.loads(json.dumps(dataclasses.asdict(obj), cls=DjangoJSONEncoder))


def upsert(model, existing: dict, wanted: dict[str, dict], *, at: datetime, build) -> tuple[list, list, list]:
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


def apply_page(model, wanted: dict[str, dict], *, at: datetime, build) -> tuple[dict, dict[str, str | None]]:
    """Lock the page's existing rows, create the new ones, update the changed; rows and prior statuses."""
    existing = {row.remote_id: row for row in model.objects.select_for_update().filter(remote_id__in=wanted)}
    before = {rid: getattr(row, "status", None) for rid, row in existing.items()}
    creates, updates, fields = upsert(model, existing, wanted, at=at, build=build)
    model.objects.bulk_create(creates)
    if updates:
        model.objects.bulk_update(updates, fields)
    return {**existing, **{row.remote_id: row for row in creates}}, before


def changes_record(
    rows: dict, before: dict, *, team_id: int, entity: str, source: str, dir_id_of, reason_of
) -> None:
    """One StatusChange per row whose status differs from what was mirrored before (new rows included).

    `dir_id_of(row)` names the DIR whose timeline shows the change; `reason_of(row)` its stored reason.
    """
    StatusChange.objects.bulk_create(
        StatusChange(
            team_id=team_id,
            entity_type=entity,
            entity_id=row.pk,
            dir_id=dir_id_of(row),
            from_status=before.get(rid) or "",
            to_status=row.status,
            reason=reason_of(row),
            source=source,
        )
        for rid, row in rows.items()
        if before.get(rid) != row.status
    )


def datetime_adapter():
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


def insert_rows(
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
        if not returning:
            return insert_copy(model, columns, rows, table=table, names=names, skip_conflicts=skip_conflicts)
        return insert_unnest(model, columns, rows, f"INSERT INTO {table} ({names})", suffix, returning)
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


def insert_unnest(model, columns, rows, insert: str, suffix: str, returning: bool):
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


def insert_copy(model, columns, rows, *, table: str, names: str, skip_conflicts: bool) -> list:
    """PostgreSQL: a binary COPY, the server's cheapest way in (a quarter less than INSERT … unnest).

    COPY has no ON CONFLICT. With `skip_conflicts` it runs in a savepoint, and a conflict (rare: a
    first sync meeting the portal's own add) rolls it back and sends the rows again as INSERT …
    ON CONFLICT DO NOTHING, so the rows kept are exactly those an INSERT would have kept.
    """
    import psycopg
    from psycopg.types.json import Jsonb

    types = [model._meta.get_field(name).db_type(connection).split("(")[0] for name in columns]
    jsons = [index for index, db_type in enumerate(types) if db_type == "jsonb"]
    sent = rows
    if jsons:  # JSON comes as text: sent as it is (a bare str would be encoded again as a JSON string)

        def wrapped(row: tuple) -> tuple:
            if all(row[index] is None for index in jsons):
                return row  # (most rows: a number without a rejection reason)
            row = list(row)
            for index in jsons:
                if row[index] is not None:
                    row[index] = Jsonb(row[index], dumps=str)
            return tuple(row)

        sent = [wrapped(row) for row in rows]

    def copy() -> None:
        connection.ensure_connection()
        with (
            connection.wrap_database_errors,
            psycopg.Cursor(connection.connection) as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as feed,
        ):
            feed.set_types(types)
            for row in sent:
                feed.write_row(row)

    if not skip_conflicts:
        copy()
        return []
    try:
        with transaction.atomic():
            copy()
    except IntegrityError:
        suffix = " ON CONFLICT DO NOTHING"
        insert_unnest(model, columns, rows, f"INSERT INTO {table} ({names})", suffix, returning=False)
    return []


def mark_removed(queryset, *, seen: set[str], at: datetime) -> int:
    """Rows of a complete remote listing that were not in it are gone remotely: mark, never delete."""
    local = queryset.filter(removed_at=None).values_list("remote_id", flat=True)
    gone = [rid for rid in local.iterator(chunk_size=5000) if rid not in seen]
    for start in range(0, len(gone), 500):  # bounded IN lists
        queryset.filter(remote_id__in=gone[start : start + 500]).update(removed_at=at, synced_at=at)
    return len(gone)
