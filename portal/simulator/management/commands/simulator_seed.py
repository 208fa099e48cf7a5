"""Seed the simulator: a demo account with data in every status, or bulk data for load tests."""

from __future__ import annotations

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
        """Rows made by the database itself: one `INSERT … SELECT` over a counter per table and chunk.

        No model instances, no per-row services and no per-row Python: a recursive CTE on SQLite,
        `generate_series` on PostgreSQL, with the values that never change bound once. Each chunk of
        150,000 numbers is one transaction. (It took five and a half minutes for a million; row by
        row from Python, 40 s on SQLite and 106 s on PostgreSQL, most of it building the rows.)
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
        # Ids for this load: numbers and inventory counted by inventory index, batches by position.
        ids = {"number": _IdSeries(), "inventory": _IdSeries()}
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
                batch_ids = _IdSeries()  # per DIR, as positions are
                for offset in range(0, count, CHUNK):
                    with services.atomic():
                        self._load_chunk(
                            account,
                            dir_,
                            at,
                            ids={**ids, "batch": batch_ids},
                            base=start + made + offset,
                            offset=offset,
                            size=min(CHUNK, count - offset),
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

    def _load_chunk(self, account, dir_, at, *, ids: dict, base: int, offset: int, size: int) -> None:
        """`size` numbers, verified: inventory index `base` on, the DIR's `offset` on, 15 a batch.

        Row `i` of the chunk is number `base + i` (its phone number, seq and ids follow from that)
        and sits in the DIR's batch at position `(offset + i) // 15`. CHUNK is a multiple of 15, so
        a chunk's batches are its own.
        """
        common = {"account": account, "status": "verified"}
        first_batch = offset // 15
        phone = ("'+1' || CAST(%s + i AS TEXT)", [2_000_000_000 + base])
        _insert_series(
            Batch,
            -(-size // 15),
            {"id": ids["batch"].sql(first_batch), "position": ("%s + i", [first_batch])},
            **common,
            dir=dir_,
            status_changed_at=at,
            submitted_at=at,
        )
        _insert_series(
            InventoryNumber,
            size,
            {"id": ids["inventory"].sql(base, text=True), "phone_number": phone},
            account=account,
            created_at=at,
        )
        _insert_series(
            DirPhoneNumber,
            size,
            {
                "id": ids["number"].sql(base),
                "batch": ids["batch"].sql("(%s + i) / 15", [offset]),
                "phone_number": phone,
                "seq": ("(%s + i) * 16", [base]),
            },
            **common,
            dir=dir_,
            created_at=at,
            updated_at=at,
            verified_at=at,
        )


CHUNK = 150_000  # numbers per transaction (10,000 batches)


class _IdSeries:
    """Version 4 UUIDs for one load's rows: 64 random bits, the variant, then a 48-bit counter.

    Unique across loads by the random part and ascending with the counter, so every index grows at
    its end instead of splitting pages across a million-row B-tree, and a DIR's batches, which share
    one timestamp, list in position order (the listing breaks ties by id).
    """

    def __init__(self):
        prefix = uuid.uuid4().hex[:16]  # its 13th digit is the version, 4
        self.hex = f"{prefix}8000"
        self.text = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-8000-"

    def sql(self, counter, params=None, *, text: bool = False) -> tuple[str, list]:
        """(SQL of the id for counter value `counter` (a number, or SQL with `params`), its params)."""
        if not isinstance(counter, str):
            counter, params = "%s + i", [counter]
        connection = connections[ALIAS]
        if connection.vendor == "postgresql":
            digits = f"lpad(to_hex({counter}), 12, '0')"
        else:
            digits = f"printf('%%012x', {counter})"
        if text or connection.features.has_native_uuid_field:
            return f"%s || {digits}", [self.text, *params]  # PostgreSQL's uuid takes the dashed form
        return f"%s || {digits}", [self.hex, *params]  # SQLite: 32 hex digits, what UUIDField writes


def _insert_series(model, count: int, varying: dict[str, tuple[str, list]], **constants) -> None:
    """INSERT `count` rows made by the database: `varying` gives a field's SQL over the row index `i`.

    `i` runs from 0 to count - 1. Constants are prepared once through their fields; a field in
    neither takes its default. No model instances, no signals: the loader's rows are known-good.
    """
    connection = connections[ALIAS]
    postgres = connection.vendor == "postgresql"
    fields = {f.name: f for f in model._meta.concrete_fields}
    fixed = [f for f in model._meta.concrete_fields if f.name not in varying]
    moving = [fields[name] for name in varying]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [*moving, *fixed])
    picks, params = [], []
    for field, (sql, values) in zip(moving, varying.values(), strict=True):
        picks.append(f"CAST({sql} AS {field.db_type(connection)})" if postgres else sql)
        params += values
    for field in fixed:
        value = constants.get(field.name, field.get_default())
        picks.append(f"CAST(%s AS {field.db_type(connection)})" if postgres else "%s")
        params.append(field.get_db_prep_save(getattr(value, "pk", value), connection))
    table = connection.ops.quote_name(model._meta.db_table)
    insert = f"INSERT INTO {table} ({columns}) SELECT {', '.join(picks)}"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"{insert} FROM generate_series(0, %s::bigint - 1) AS s(i)", [*params, count])
        else:
            counter = "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < %s)"
            cursor.execute(f"{counter} {insert} FROM s", [count, *params])


@contextmanager
def _fast_writes():
    """This connection skips what a load of known-good rows does not need, and puts it back after.

    SQLite: no fsyncs, a big page cache for the indexes, no foreign-key look-ups (three a number,
    for rows made from those very parents). A crash of this process loses nothing committed; only
    an OS crash or power cut mid-load could damage the file, and the simulator's database is test
    data. PostgreSQL, when the user may (a superuser, as in development and CI): no foreign-key
    triggers, which otherwise ran four queries a number at each commit (`session_replication_role`,
    as restoring a dump does).
    """
    connection = connections[ALIAS]
    if connection.in_atomic_block:  # (SQLite refuses its PRAGMAs in a transaction)
        yield
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            if not cursor.fetchone()[0]:
                yield
                return
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
        return
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA foreign_keys")
        foreign_keys = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
        cursor.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.execute(f"PRAGMA foreign_keys={int(foreign_keys)}")
