"""Seed the simulator: a demo account with data in every status, or bulk data for load tests."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from portal.simulator import rejections, services
from portal.simulator.api import now
from portal.simulator.models import (
    Account,
    Batch,
    Dir,
    DirNumberIndex,
    DirPhoneNumber,
    Document,
    Enterprise,
    InfringementClaim,
    InventoryNumber,
    TosAgreement,
)
from portal.simulator.router import ALIAS

LOA_PDF = b"%PDF-1.4\n% demo signed letter of authorization\n%%EOF\n"
ADDRESS = {
    "street_address": "100 N Michigan Ave",
    "extended_address": "Suite 400",
    "city": "Chicago",
    "administrative_area": "IL",
    "postal_code": "60601",
    "country": "US",
}
CONTACT = {
    "first_name": "Ada",
    "last_name": "Admin",
    "email": "admin@acme.test",
    "phone_number": "+13125550100",
}
DEMO_DIRS = [
    # display name, status, number statuses per batch
    (
        "Acme Health",
        "verified",
        [["verified"] * 5, ["in_review"] * 3, ["verified", "unsuccessful", "permanently_rejected"]],
    ),
    ("Acme Health Billing", "verified", [["submitted"] * 4]),
    ("Acme Pharmacy", "in_review", []),
    ("Acme Labs", "submitted", []),
    ("Acme Dental", "draft", []),
    ("Acme Reminders", "rejected", []),
    ("Acme Imaging", "unsuccessful", []),
    ("Acme Urgent Care", "suspended", [["suspended"] * 2]),
    ("Acme Vision", "expired", [["expired"] * 2]),
    ("Acme Wellness", "permanently_rejected", []),
    ("Acme Old Brand", "delete_requested", []),
]


class Command(BaseCommand):
    help = "Seed the Telnyx simulator: --demo (every status, for the portal's demo team) or --numbers/--dirs (load)."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Create the demo account (idempotent).")
        parser.add_argument(
            "--reset", action="store_true", help="With --demo: delete and recreate the demo account."
        )
        parser.add_argument("--numbers", type=int, default=0, help="Attach this many numbers (load seeding).")
        parser.add_argument(
            "--dirs", type=int, default=1, help="Spread the numbers over this many verified DIRs."
        )
        parser.add_argument(
            "--api-key", default=None, help="Account key for load seeding (default: a new account)."
        )

    def handle(self, *args, demo=False, reset=False, numbers=0, dirs=1, api_key=None, **options):
        if demo:
            self._demo(reset=reset)
        if numbers:
            self._load(numbers=numbers, dirs=max(1, dirs), api_key=api_key)
        if not demo and not numbers:
            raise CommandError("Say what to seed: --demo, or --numbers N [--dirs D].")

    # --- demo ---------------------------------------------------------------------------------

    def _demo(self, *, reset: bool) -> None:
        key = settings.SIMULATOR_DEMO_API_KEY
        existing = Account.objects.filter(api_key=key).first()
        if existing and not reset:
            self.stdout.write(f"Simulator demo account exists (key {key}).")
            return
        if existing:
            existing.delete()
        at = now()
        with services.atomic():
            account = services.account_create(name="Acme Health (demo)", api_key=key)
            TosAgreement.objects.create(
                account=account, product_type="branded_calling", terms_version="v1.0.0", agreed_at=at
            )
            numbers = [f"+1312555{n:04}" for n in range(1000, 1300)]
            InventoryNumber.objects.bulk_create(
                InventoryNumber(id=str(uuid.uuid4()), account=account, phone_number=n, created_at=at)
                for n in numbers
            )
            enterprise = Enterprise.objects.create(
                account=account,
                legal_name="Acme Health LLC",
                fein="36-1234567",
                country_code="US",
                branded_calling_enabled=True,
                data={
                    "doing_business_as": "Acme Health",
                    "organization_type": "commercial",
                    "organization_legal_type": "llc",
                    "jurisdiction_of_incorporation": "Delaware",
                    "website": "https://acmehealth.example",
                    "industry": "healthcare",
                    "number_of_employees": "201-500",
                    "organization_contact": {**CONTACT, "job_title": "Operations Director"},
                    "billing_contact": CONTACT,
                    "organization_physical_address": ADDRESS,
                    "billing_address": ADDRESS,
                },
                created_at=at,
                updated_at=at,
            )
            loa = Document.objects.create(
                account=account,
                filename="acme-loa-signed.pdf",
                content_type="application/pdf",
                size=len(LOA_PDF),
                sha256="0" * 64,
                content=LOA_PDF,
                linked=True,
                created_at=at,
                updated_at=at,
            )
            pool = iter(numbers)
            for i, (name, status, batches) in enumerate(DEMO_DIRS):
                created = at - timedelta(days=40 - i)
                self._demo_dir(account, enterprise, loa, name, status, batches, pool, created)
        self.stdout.write(
            self.style.SUCCESS(f"Simulator demo account seeded (key {key}, {len(numbers)} numbers).")
        )

    def _demo_dir(self, account, enterprise, loa, name, status, batches, pool, created):
        dir_ = Dir.objects.create(
            account=account,
            enterprise=enterprise,
            display_name=name,
            authorizer_name="Ada Admin",
            authorizer_email="admin@acme.test",
            call_reasons=[{"reason": "Appointment Reminder", "created_at": created.isoformat()}],
            certify_brand_is_accurate=True,
            certify_no_shaft_content=True,
            certify_ip_ownership=True,
            status="draft",
            status_changed_at=created,
            created_at=created,
            updated_at=created,
        )
        if status != "draft":
            services.dir_transition(dir_, "verified", at=created + timedelta(hours=1))
        for b, statuses in enumerate(batches):
            at = created + timedelta(days=1, hours=b)
            batch = Batch.objects.create(
                account=account,
                dir=dir_,
                documents=[
                    {
                        "document_id": str(loa.id),
                        "document_type": "letter_of_authorization",
                        "description": None,
                    }
                ],
                status_changed_at=at,
                submitted_at=at,
            )
            rows = [
                DirPhoneNumber(
                    account=account,
                    dir=dir_,
                    batch=batch,
                    phone_number=next(pool),
                    loa_document_id=loa.id,
                    seq=services.number_seq(at, p),
                    created_at=at,
                    updated_at=at,
                )
                for p in range(len(statuses))
            ]
            DirPhoneNumber.objects.bulk_create(rows)
            for row, number_status in zip(rows, statuses, strict=True):
                reason = None
                if number_status == "unsuccessful":
                    reason = rejections.NUMBER_BY_CODE["number_not_in_service"].wire()
                elif number_status == "permanently_rejected":
                    reason = rejections.NUMBER_BY_CODE["number_type_ineligible"].wire()
                services.numbers_set_status(
                    DirPhoneNumber.objects.filter(pk=row.pk), number_status, at=at, rejection_reason=reason
                )
        services.number_index_refresh(dir_.id)
        services.batch_positions_refresh(dir_.id)
        later = created + timedelta(days=2)
        if status == "suspended":
            InfringementClaim.objects.create(
                account=account,
                dir=dir_,
                claimant_name="Contoso Urgent Care Inc.",
                claimant_contact="legal@contoso.example",
                claim_description="The display name is confusingly similar to our registered trademark.",
                claim_date=later,
                created_at=later,
                updated_at=later,
            )
            services.dir_transition(dir_, "suspended", at=later)
        elif status in ("rejected", "unsuccessful", "permanently_rejected"):
            services.dir_transition(dir_, "in_review", at=later)
            outcome = {
                "rejected": ["display_name_not_associated", "documentation_incomplete"],
                "unsuccessful": ["logo_unreachable"],
                "permanently_rejected": ["ineligible_business_category"],
            }[status]
            services.dir_transition(
                dir_, status, rejection_reasons=services.dir_reasons(outcome, status), at=later
            )
        elif status == "expired":
            services.dir_transition(dir_, "expired", at=later)
        elif status in ("submitted", "in_review"):
            services.dir_submit(dir_, at=later)
            if status == "in_review":
                services.dir_transition(dir_, "in_review", at=later)
        elif status == "delete_requested":
            Dir.objects.filter(pk=dir_.pk).update(status="delete_requested", delete_requested_at=later)

    # --- load ---------------------------------------------------------------------------------

    def _load(self, *, numbers: int, dirs: int, api_key: str | None) -> None:
        """Rows straight into the tables as plain INSERTs (no model instances, no per-row services).

        Each chunk of 150,000 numbers is one transaction with one INSERT per table — `executemany`
        on SQLite, one server-bound `unnest()` on PostgreSQL — with the values that never change
        prepared once: under a minute for a million on SQLite (it was five and a half).
        """
        account = Account.objects.filter(api_key=api_key).first() if api_key else None
        account = account or services.account_create(name="Load test", api_key=api_key)
        at = now()
        enterprise = Enterprise.objects.create(
            account=account,
            legal_name=f"Load Test {uuid.uuid4().hex[:6]} LLC",
            fein="12-3456789",
            country_code="US",
            branded_calling_enabled=True,
            data={},
            created_at=at,
            updated_at=at,
        )
        per_dir = -(-numbers // dirs)
        start = InventoryNumber.objects.filter(account=account).count()
        made = 0
        with _fast_writes():
            for d in range(dirs):
                dir_ = Dir.objects.create(
                    account=account,
                    enterprise=enterprise,
                    display_name=f"Load DIR {d + 1}",
                    status="verified",
                    verified_at=at,
                    expiring_at=at + timedelta(days=365),
                    status_changed_at=at,
                    created_at=at,
                    updated_at=at,
                )
                count = min(per_dir, numbers - made)
                # All batches share one timestamp, so their listing order is by id: number them so.
                batch_ids = _uuids(-(-count // 15))
                positions = {b: p for p, b in enumerate(sorted(batch_ids))}
                for offset in range(0, count, CHUNK):
                    size = min(CHUNK, count - offset)
                    batches = [
                        (b, positions[b]) for b in batch_ids[offset // 15 : (offset + size + 14) // 15]
                    ]
                    with services.atomic():
                        self._load_chunk(
                            account, dir_, at, base=start + made + offset, size=size, batches=batches
                        )
                # The paging index number_index_refresh would build (a window query over the whole
                # DIR): the DIR's numbers are exactly these, with consecutive seqs.
                first = start + made
                DirNumberIndex.objects.create(
                    dir=dir_, total=count, anchors=[(first + k) * 16 for k in range(0, count, services.BLOCK)]
                )
                made += count
                self.stdout.write(f"  DIR {dir_.id}: {count} numbers")
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {made} numbers on {dirs} DIR(s); account key {account.api_key}")
        )

    def _load_chunk(self, account, dir_, at, *, base: int, size: int, batches: list[tuple]) -> None:
        """`size` numbers from inventory index `base` on, 15 to each of `batches` ((id, position)), all verified."""
        phones = [f"+1{2000000000 + base + i:010d}" for i in range(size)]
        common = {"account": account, "status": "verified"}
        _insert(
            Batch,
            ["id", "position"],
            batches,
            **common,
            dir=dir_,
            status_changed_at=at,
            submitted_at=at,
        )
        _insert(
            InventoryNumber,
            ["id", "phone_number"],
            list(zip(_uuids(size, text=True), phones, strict=True)),
            account=account,
            created_at=at,
        )
        _insert(
            DirPhoneNumber,
            ["id", "batch", "phone_number", "seq"],
            [
                (row_id, batches[i // 15][0], p, (base + i) * 16)
                for i, (row_id, p) in enumerate(zip(_uuids(size), phones, strict=True))
            ],
            **common,
            dir=dir_,
            created_at=at,
            updated_at=at,
            verified_at=at,
        )


CHUNK = 150_000  # numbers per transaction (10,000 batches)


# Random (version 4) UUIDs a million at a time: uuid.uuid4() per row cost more than the INSERTs.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuids(count: int, *, text: bool = False) -> list:
    """`count` random UUIDs as the simulator database stores them, or (`text`) as 36-character strings."""
    raw = os.urandom(16 * count)
    ints = [int.from_bytes(raw[i : i + 16]) & _V4_CLEAR | _V4_SET for i in range(0, 16 * count, 16)]
    if text:
        return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in (f"{n:032x}" for n in ints)]
    if connections[ALIAS].features.has_native_uuid_field:
        return [uuid.UUID(int=n) for n in ints]
    return [f"{n:032x}" for n in ints]  # SQLite: 32 hex digits, what UUIDField writes there


def _insert(model, varying: list[str], rows: list[tuple], **constants) -> None:
    """INSERT `rows` (values of the `varying` fields, ready for the database) plus constant fields.

    Constants are prepared once through their fields; a field in neither takes its default. No
    model instances, no signals: the loader's rows are known-good, and there are millions of them.
    """
    connection = connections[ALIAS]
    fields = {f.name: f for f in model._meta.concrete_fields}
    fixed = [f for f in model._meta.concrete_fields if f.name not in varying]
    fixed_values = [
        f.get_db_prep_save(
            getattr(constants[f.name], "pk", constants[f.name]) if f.name in constants else f.get_default(),
            connection,
        )
        for f in fixed
    ]
    moving = [fields[n] for n in varying]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [*moving, *fixed])
    insert = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns})"
    if connection.vendor == "postgresql":
        _insert_unnest(connection, insert, moving, rows, fixed, fixed_values)
        return
    one = "(" + ", ".join(["%s"] * (len(moving) + len(fixed))) + ")"
    with connection.cursor() as cursor:
        # One prepared statement that SQLite runs per row: the fastest path it has.
        cursor.executemany(f"{insert} VALUES {one}", [(*r, *fixed_values) for r in rows])


def _insert_unnest(connection, insert: str, moving: list, rows: list[tuple], fixed: list, fixed_values: list):
    """PostgreSQL: each varying column as one array, unnested; the constants once; bound on the server.

    Django's cursors quote every parameter into the SQL on the client, which for a million rows was
    most of the load; a psycopg cursor binds on the server and shares Django's connection and transaction.
    """
    import psycopg

    def cast(field) -> str:
        return field.db_type(connection)

    aliases = [f"v{i}" for i in range(len(moving))]
    picks = aliases + [f"%s::{cast(f)}" for f in fixed]
    arrays = ", ".join(f"%s::{cast(f)}[]" for f in moving)
    sql = f"{insert} SELECT {', '.join(picks)} FROM unnest({arrays}) AS u({', '.join(aliases)})"
    connection.ensure_connection()
    with connection.make_cursor(psycopg.Cursor(connection.connection)) as cursor:
        # Placeholders in the SELECT list come first, then the arrays in unnest().
        cursor.execute(sql, [*fixed_values, *(list(column) for column in zip(*rows, strict=True))])


@contextmanager
def _fast_writes():
    """On SQLite, this connection skips fsyncs and keeps the indexes in a big page cache while loading.

    Both settings belong to this connection only and are put back afterwards. A crash of this
    process loses nothing committed; only an OS crash or power cut mid-load could damage the file.
    The simulator's database is test data.
    """
    connection = connections[ALIAS]
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # (SQLite refuses it in a transaction)
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
