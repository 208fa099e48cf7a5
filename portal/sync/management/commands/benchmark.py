"""Benchmarks (print figures; never timed assertions): `benchmark sync --numbers N --dirs D`."""

from __future__ import annotations

import io
import math
import resource
import time
from contextlib import contextmanager

import httpx
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.timezone import now as timezone_now

from portal import telnyx
from portal.accounts.models import Team, TelnyxAccount
from portal.sync import services
from portal.sync.management import realpath


class QueryCount:
    n = 0


@contextmanager
def count_queries():
    """Count the queries of a block without Django's debug cursor (whose SQL formatting would be timed too)."""
    counter = QueryCount()

    def count(execute, sql, params, many, context):
        counter.n += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counter


class Command(BaseCommand):
    help = "Seed the bundled simulator and measure the portal against it (in-process, no servers needed)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sync = sub.add_parser("sync", help="Full then incremental sync of N numbers spread over D DIRs.")
        sync.add_argument("--numbers", type=int, default=10_000)
        sync.add_argument("--dirs", type=int, default=10)
        sync.add_argument(
            "--latency-ms", type=int, default=0, help="milliseconds the simulator waits before each API call"
        )
        sync.add_argument(
            "--server",
            action="store_true",
            help="run the simulator as its own server process (runsimulator on a free port), as in production",
        )
        sync.add_argument(
            "--concurrency", type=int, default=None, help="requests in flight (default: SYNC_CONCURRENCY)"
        )
        add = sub.add_parser("add", help="Pre-flight and add N numbers to one verified DIR, in chunks of 15.")
        add.add_argument("--numbers", type=int, default=1000)
        add.add_argument(
            "--workers",
            type=int,
            default=2,
            help="send through a real `qcluster` with this many workers and the simulator as its own "
            "server, as scripts/run does (0: only the in-process, one-after-another run)",
        )
        pages = sub.add_parser(
            "pages",
            help="Time the numbers and batch pages on 1k/10k/100k numbers next to the admin changelist.",
        )
        pages.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
        pages.add_argument("--repeat", type=int, default=5, help="requests per page; the median is shown")
        pages.add_argument("--keep", action="store_true", help="keep the seeded team and numbers")

    def handle(self, *args, what: str, **options):
        from django.conf import settings

        # Time what production runs: with DEBUG on, Django would format and keep every query's SQL.
        settings.DEBUG = False
        if what == "sync":
            self._sync(**{k: options[k] for k in ("numbers", "dirs", "latency_ms", "server", "concurrency")})
        if what == "add":
            self._add(numbers=options["numbers"])
            if options["workers"]:
                self._add_queued(numbers=options["numbers"], workers=options["workers"])
        elif what == "pages":
            self._pages(sizes=options["sizes"], repeat=options["repeat"], keep=options["keep"])

    def _sync(
        self, *, numbers: int, dirs: int, latency_ms: int, server: bool, concurrency: int | None
    ) -> None:
        from django.conf import settings

        from portal.simulator.models import Account, Batch, Dir

        call_command("migrate", database="simulator", verbosity=0)
        out = io.StringIO()
        started = time.monotonic()
        call_command("simulator_seed", numbers=numbers, dirs=dirs, stdout=out)
        key = out.getvalue().rsplit("account key ", 1)[1].strip()
        self.stdout.write(f"seeded {numbers:,} numbers on {dirs} DIRs in {time.monotonic() - started:.1f} s")
        account = Account.objects.get(api_key=key)
        team = Team.objects.create(
            name=f"Benchmark {account.id.hex[:6]}", slug=f"bench-{account.id.hex[:10]}"
        )
        telnyx_account = TelnyxAccount.objects.create(team=team, api_key=key, api_key_last4=key[-4:])
        if concurrency is not None:
            settings.SYNC_CONCURRENCY = concurrency
        # The least a full sync can do: every page of every listing, once.
        lower = 1 + math.ceil(dirs / 250)  # the enterprise page(s) and the DIR pages
        for dir_ in Dir.objects.filter(account=account):
            lower += math.ceil(dir_.numbers.count() / 250) + math.ceil(
                Batch.objects.filter(dir=dir_).count() / 250
            )
        if server:
            # The simulator in its own process, as in production: its GIL is not the sync's.
            with realpath.Processes() as processes:
                base_url = processes.simulator(latency_ms=latency_ms)
                rows = self._sync_runs(telnyx_account, numbers, transport=None, base_url=f"{base_url}/v2")
        else:
            from django.db.backends.base.base import BaseDatabaseWrapper

            from portal.simulator.wsgi import SimulatorHandler

            # In one process the simulator's request signals would close the portal's own database
            # connection after every API call; separate servers never do that, so neither may this.
            BaseDatabaseWrapper.close_if_unusable_or_obsolete = lambda self: None
            settings.SIMULATOR_LATENCY_MS = latency_ms
            transport = httpx.WSGITransport(app=SimulatorHandler())
            rows = self._sync_runs(
                telnyx_account, numbers, transport=transport, base_url="http://simulator.local/v2"
            )
        mode = "its own server" if server else "in-process"
        self.stdout.write(
            f"simulator {mode}, {latency_ms} ms per call; {settings.SYNC_CONCURRENCY} request(s) in flight"
        )
        self.stdout.write(f"API calls, lower bound for a full sync: {lower}")
        self.stdout.write(
            f"{'sync':<12} {'API calls':>9} {'429s':>5} {'wall s':>8} {'in API s':>8} {'waited s':>8} "
            f"{'local numbers/s':>16} {'queries':>8} {'+peak RSS MiB':>14}"
        )
        for kind, calls, throttled, wall, http, waited, rate, query_count, peak in rows:
            rate_text = f"{rate:,.0f}" if rate else "—"
            self.stdout.write(
                f"{kind:<12} {calls:>9} {throttled:>5} {wall:>8.2f} {http:>8.2f} {waited:>8.2f} "
                f"{rate_text:>16} {query_count:>8} {peak / 2**20:>14.1f}"
            )
        full_calls, incremental_calls = rows[0][1], rows[1][1]
        self.stdout.write(
            f"incremental / full calls: {incremental_calls / full_calls:.2%}; full calls vs lower bound: "
            f"{full_calls} / {lower}; full wall vs {lower} calls one after another: "
            f"{rows[0][3] / max(lower * latency_ms / 1000, 1e-9):.0%}"
            if latency_ms
            else f"incremental / full calls: {incremental_calls / full_calls:.2%}; full calls vs lower bound: "
            f"{full_calls} / {lower}"
        )
        self.stdout.write(
            "in API s: time in HTTP summed over the fetching threads; waited s: time the sync's own thread "
            "waited for pages; local numbers/s: numbers / (wall - waited)"
        )

    def _sync_runs(self, telnyx_account, numbers: int, *, transport, base_url: str) -> list[tuple]:
        """A full then an incremental sync; one row of figures each."""
        rows = []
        for kind, full in (("full", True), ("incremental", False)):
            clients: list[telnyx.TelnyxClient] = []
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with (
                telnyx.client_route(transport=transport, base_url=base_url, on_client=clients.append),
                count_queries() as queries,
            ):
                started = time.perf_counter()
                run = services.account_sync(account=telnyx_account, full=full)
                wall = time.perf_counter() - started
            # Growth of the process's peak resident size (KiB on Linux); tracemalloc would slow the run 3x.
            peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
            http = sum(c.http_seconds for c in clients)
            throttled = sum(c.throttled for c in clients)
            # Sequential calls outside the page fetcher (an incremental sync's) are waited on too.
            waited = sum(c.idle_seconds for c in clients) or http
            local = max(wall - waited, 1e-9)
            rate = numbers / local if full else None
            rows.append((kind, run.api_calls, throttled, wall, http, waited, rate, queries.n, peak))
        return rows

    # --- Numbers and batches pages, removal

    def _pages(self, *, sizes: list[int], repeat: int, keep: bool) -> None:
        """Seed DIRs of each size in the portal database and time the pages as a member, and the admin."""
        import statistics
        import uuid

        from django.conf import settings
        from django.test import Client
        from django.urls import reverse

        from portal.accounts.models import Membership, Role, User
        from portal.dirs.models import Dir
        from portal.enterprises.models import Enterprise
        from portal.numbers.models import Batch, DirNumber

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        tag = uuid.uuid4().hex[:8]
        team = Team.objects.create(name=f"Benchmark pages {tag}", slug=f"bench-pages-{tag}")
        member = User.objects.create_user(email=f"member-{tag}@bench.test", password=uuid.uuid4().hex)
        Membership.objects.create(user=member, team=team, role=Role.MEMBER)
        admin_user = User.objects.create_superuser(email=f"admin-{tag}@bench.test", password=uuid.uuid4().hex)
        enterprise = Enterprise.objects.create(
            team=team, remote_id=f"bench-ent-{tag}", legal_name="Benchmark LLC"
        )
        reason = {
            "code": "number_not_in_service",
            "title": "Number not in service",
            "detail": "",
            "message": "",
        }

        def seed(size: int) -> Dir:
            dir_ = Dir.objects.create(
                team=team, enterprise=enterprise, remote_id=f"bench-dir-{tag}-{size}",
                display_name=f"Benchmark {size:,}", status="verified",
            )  # fmt: skip
            batches = Batch.objects.bulk_create(
                Batch(dir=dir_, remote_id=f"bench-b-{tag}-{size}-{i}", status="verified", total_count=15)
                for i in range(math.ceil(size / 15))
            )
            statuses = ["verified"] * 8 + ["unsuccessful", "in_review"]
            for start in range(0, size, 5000):
                DirNumber.objects.bulk_create(
                    DirNumber(
                        dir=dir_, batch=batches[i // 15], remote_id=f"bench-n-{tag}-{size}-{i}",
                        phone_number=f"+1{200 + size // 1000:03}{i:07}", status=statuses[i % 10],
                        rejection_reason=reason if statuses[i % 10] == "unsuccessful" else None,
                    )
                    for i in range(start, min(size, start + 5000))
                )  # fmt: skip
            return dir_

        def measure(client: Client, url: str) -> tuple[float, int]:
            client.get(url)  # warm caches and the session
            times, count = [], 0
            for _ in range(repeat):
                with count_queries() as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    if response.streaming:
                        b"".join(response.streaming_content)
                    times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                count = queries.n
            return statistics.median(times) * 1000, count

        member_client, admin_client = Client(), Client()
        member_client.force_login(member)
        admin_client.force_login(admin_user)
        admin_url = reverse("admin:numbers_dirnumber_changelist")
        rows = []
        try:
            for size in sizes:
                started = time.monotonic()
                dir_ = seed(size)
                self.stdout.write(f"seeded {size:,} numbers in {time.monotonic() - started:.1f} s")
                pages = math.ceil(size / 25)
                base = reverse("numbers:number_list", args=[team.slug, dir_.pk])
                digits = f"{size // 2:07}"[-5:]
                batch = Batch.objects.filter(dir=dir_).order_by("pk").first()
                cases = [
                    ("numbers, first page", f"{base}", f"{admin_url}?dir__id__exact={dir_.pk}"),
                    ("numbers, middle page", f"{base}?page={pages // 2}", f"{admin_url}?dir__id__exact={dir_.pk}&p={pages // 2}"),
                    ("numbers, last page", f"{base}?page={pages}", f"{admin_url}?dir__id__exact={dir_.pk}&p={pages}"),
                    ("status filter", f"{base}?status=unsuccessful", f"{admin_url}?dir__id__exact={dir_.pk}&status__exact=unsuccessful"),
                    ("digit search", f"{base}?q={digits}", f"{admin_url}?dir__id__exact={dir_.pk}&q={digits}"),
                    ("batch list", reverse("numbers:batch_list", args=[team.slug, dir_.pk]), None),
                    ("batch detail", reverse("numbers:batch_detail", args=[team.slug, dir_.pk, batch.pk]), None),
                ]  # fmt: skip
                for label, url, admin in cases:
                    ms, queries = measure(member_client, url)
                    admin_ms, admin_queries = measure(admin_client, admin) if admin else (None, None)
                    rows.append((size, label, ms, queries, admin_ms, admin_queries))
        finally:
            if not keep:
                DirNumber.objects.filter(dir__team=team).delete()
                Batch.objects.filter(dir__team=team).delete()
                team.delete()
                User.objects.filter(pk__in=[member.pk, admin_user.pk]).delete()

        self.stdout.write(
            f"{'numbers':>8}  {'page':<22} {'portal ms':>9} {'queries':>7} {'admin ms':>9} {'queries':>7}"
        )
        for size, label, ms, queries, admin_ms, admin_queries in rows:
            admin_text = (
                f"{admin_ms:>9.1f} {admin_queries:>7}" if admin_ms is not None else f"{'—':>9} {'—':>7}"
            )
            self.stdout.write(f"{size:>8,}  {label:<22} {ms:>9.1f} {queries:>7} {admin_text}")

    # --- Add flow

    def _add(self, *, numbers: int) -> None:
        """Pre-flight time for N numbers, the API calls of a signed add (renders, uploads, adds), end to end."""
        from portal.loas import services as loa_services
        from portal.loas.models import Ceremony
        from portal.numbers import checks
        from portal.numbers import services as number_services
        from portal.numbers.models import AddRequest
        from portal.simulator.wsgi import SimulatorHandler

        if not 1 <= numbers <= checks.MAX_NUMBERS:
            self.stderr.write(f"--numbers must be 1 to {checks.MAX_NUMBERS} (the add page's cap)")
            return
        from django.db.backends.base.base import BaseDatabaseWrapper

        BaseDatabaseWrapper.close_if_unusable_or_obsolete = lambda self: None  # see _sync
        transport = httpx.WSGITransport(app=SimulatorHandler())
        base_url = "http://simulator.local/v2"
        wanted = _numbers("+1312", numbers)
        key = realpath.simulator_account("http://simulator.local", wanted, transport=transport)
        started_at = timezone_now()
        team = Team.objects.create(name=f"Add benchmark {key[-6:]}", slug=f"add-bench-{key[-10:].lower()}")
        account = TelnyxAccount.objects.create(team=team, api_key=key, api_key_last4=key[-4:])
        clients: list[telnyx.TelnyxClient] = []
        with telnyx.client_route(transport=transport, base_url=base_url, on_client=clients.append):
            services.account_sync(account=account, full=True)
            dir_ = team.dirs.get()
            clients.clear()
            signer = _signer(team, dir_)
            started = time.perf_counter()
            with count_queries() as queries:
                before = time.perf_counter()
                preflight = number_services.numbers_preflight(dir=dir_, raw=wanted)
                preflight_wall = time.perf_counter() - before
            preflight_local = preflight_wall - sum(c.http_seconds for c in clients)
            inventory_calls = sum(c.calls for c in clients)
            preflight_queries = queries.n
            clients.clear()
            ceremonies: list[int] = []
            # Everything inline (no worker in this mode): the submit hands its letters task to us,
            # and the letters task its chunks.
            group = _sign_and_submit(dir_, signer, wanted, enqueue=ceremonies.append)
            submit_calls = sum(c.calls for c in clients)
            clients.clear()
            queued: list[int] = []
            ceremony = Ceremony.objects.get(pk=ceremonies[0])
            loa_services.add_letters_prepare(ceremony=ceremony, enqueue=queued.extend)
            render_calls = sum(c.calls for c in clients)
            clients.clear()
            for pk in queued:
                number_services.add_request_send(add_request_id=pk)
            wall = time.perf_counter() - started
            send_calls = sum(c.calls for c in clients)
            states = sorted(set(AddRequest.objects.filter(group=group).values_list("state", flat=True)))
            made = _simulator_counts(key, since=started_at)
            outcomes = _simulator_decide(key)
        chunks = math.ceil(numbers / checks.CHUNK_SIZE)
        self.stdout.write(f"pre-flight of {numbers:,} numbers: {preflight_local * 1000:.1f} ms local "
                          f"({preflight_wall * 1000:.1f} ms with the inventory call), {preflight_queries} queries, "
                          f"{len(preflight.ok):,} ok")  # fmt: skip
        self.stdout.write(f"{'step':<34} {'API calls':>9}")
        for label, calls in (
            ("pre-flight (inventory)", inventory_calls),
            ("sign and submit (its pre-flight)", submit_calls),
            ("letters rendered (POST /loa)", render_calls),
            ("sends (upload, then add)", send_calls),
        ):
            self.stdout.write(f"{label:<34} {calls:>9}")
        total = inventory_calls + submit_calls + render_calls + send_calls
        self.stdout.write(f"{'total':<34} {total:>9}")
        self.stdout.write(
            f"simulator saw: {made['renders']} letter renders, {made['uploads']} uploads, {made['batches']} adds "
            f"(lower bound 3 x ceil({numbers}/15) = {3 * chunks} calls: {sum(made.values())})"
        )
        self.stdout.write(f"end to end (sign, submit, {made['renders']} letters, {len(queued)} sends): {wall:.2f} s; "
                          f"chunks {states}")  # fmt: skip
        self.stdout.write(
            f"vetting (simulator autopilot, each number against its batch's letter): {outcomes}"
        )

    def _add_queued(self, *, numbers: int, workers: int) -> None:
        """The same add through the real path: the simulator as its own server, chunks queued to a real
        `qcluster` with `workers` workers; then, on a second DIR of the same server, the chunks sent one
        after another in this process. Prints the time to the last chunk settled for both."""
        from django.db.models import Max
        from django_q.models import Task

        from portal.loas import services as loa_services
        from portal.loas.models import Ceremony
        from portal.numbers import services as number_services
        from portal.numbers.models import AddRequest

        call_command("migrate", database="simulator", verbosity=0)
        with realpath.Processes() as processes:
            server = processes.simulator()
            queued_numbers = _numbers("+1312", numbers)
            inline_numbers = _numbers("+1773", numbers)
            key = realpath.simulator_account(server, queued_numbers + inline_numbers, dirs=2)
            team = Team.objects.create(name=f"Add benchmark {key[-6:]}", slug=f"add-q-{key[-10:].lower()}")
            account = TelnyxAccount.objects.create(team=team, api_key=key, api_key_last4=key[-4:])
            with telnyx.client_route(base_url=f"{server}/v2"):
                services.account_sync(account=account, full=True)
                queued_dir, inline_dir = team.dirs.order_by("display_name")
                signer = _signer(team, queued_dir)
                processes.cluster(server=server, workers=workers)
                submitted = timezone_now()
                began = time.perf_counter()
                # Signed, then the letters task and every send through the queue, as the add page does.
                group = _sign_and_submit(queued_dir, signer, queued_numbers)
                chunks = AddRequest.objects.filter(group=group)
                deadline = time.monotonic() + 1800
                while chunks.filter(state__in=AddRequest.UNSETTLED).exists() and time.monotonic() < deadline:
                    time.sleep(0.2)
                polled = time.perf_counter() - began
                last = chunks.aggregate(last=Max("finished_at"))["last"]
                queued_wall = (last - submitted).total_seconds() if last else polled
                queued_states = sorted(set(chunks.values_list("state", flat=True)))
                tasks = Task.objects.filter(
                    func="portal.numbers.tasks.send_add_request", started__gte=submitted
                )
                bounces = sum(
                    1 for result in tasks.values_list("result", flat=True) if str(result).startswith("busy")
                )
                sends = tasks.count()
                # The same add, its letters and chunks sent one after another in this process.
                ceremonies: list[int] = []
                ids: list[int] = []
                began = time.perf_counter()
                group = _sign_and_submit(
                    inline_dir, _signer(team, inline_dir), inline_numbers, enqueue=ceremonies.append
                )
                loa_services.add_letters_prepare(
                    ceremony=Ceremony.objects.get(pk=ceremonies[0]), enqueue=ids.extend
                )
                for pk in ids:
                    number_services.add_request_send(add_request_id=pk)
                inline_wall = time.perf_counter() - began
                inline_states = sorted(
                    set(AddRequest.objects.filter(group=group).values_list("state", flat=True))
                )
        chunk_count = math.ceil(numbers / 15)
        self.stdout.write(f"add of {numbers:,} numbers ({chunk_count} chunks), simulator as its own server:")
        self.stdout.write(f"{'path':<40} {'to last chunk s':>15}  chunks")
        self.stdout.write(
            f"{f'queued, qcluster with {workers} workers':<40} {queued_wall:>15.2f}  {queued_states}"
        )
        self.stdout.write(f"{'one after another, in this process':<40} {inline_wall:>15.2f}  {inline_states}")
        self.stdout.write(
            f"send tasks recorded: {sends} ({bounces} bounced off the DIR's busy sender and were handed on; "
            "django-q keeps the last 250 results); "
            f"queued / one-after-another: {queued_wall / max(inline_wall, 1e-9):.2f}x"
        )


def _numbers(prefix: str, count: int) -> list[str]:
    """`count` numbers under `prefix`, none ending in 13 or 66 (the autopilot rejects those by rule),
    so that every outcome is the letter's."""
    found = (f"{prefix}{7000000 + i:07d}" for i in range(count * 2))
    return [n for n in found if n[-2:] not in ("13", "66")][:count]


def _signer(team, dir_):
    """The DIR's authorizer as a member of the team: who signs its letters."""
    from portal.accounts.models import Membership, Role, User
    from portal.loas import services as loa_services

    name, email = loa_services.authorizer_of(dir_)
    user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(
        email=email, full_name=name
    )
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": Role.MEMBER})
    return user


def _sign_and_submit(dir_, user, numbers: list[str], *, enqueue=None):
    """Sign the add's letters as the authorizer would on the add page (a typed signature) and submit it."""
    from PIL import Image, ImageDraw

    from portal.loas import services as loa_services
    from portal.loas.consent import CONSENT
    from portal.loas.models import Ceremony

    image = Image.new("LA", (480, 120), (0, 0))
    ImageDraw.Draw(image).line(
        [(20, 90), (120, 20), (220, 100), (320, 30), (460, 80)], fill=(0, 255), width=5
    )
    png = io.BytesIO()
    image.save(png, format="PNG")
    signed = loa_services.SignedBy(
        name=user.full_name or user.email, method=Ceremony.Method.TYPED, png=png.getvalue(), consented=True,
        consent_version=CONSENT.version, ip="127.0.0.1", user_agent="manage.py benchmark add",
    )  # fmt: skip
    shown = loa_services.identity_digest(loa_services.identity_of(dir_))
    return loa_services.add_sign_submit(
        dir=dir_, user=user, raw=numbers, signed=signed, shown_identity=shown, enqueue=enqueue
    )


def _simulator_counts(api_key: str, *, since) -> dict[str, int]:
    """What the (in-process) simulator recorded for the account since `since`: renders, uploads, adds."""
    from portal.simulator.models import Batch, Document, LoaRender

    account = {"account__api_key": api_key}
    return {
        "renders": LoaRender.objects.filter(**account, created_at__gte=since).count(),
        "uploads": Document.objects.filter(**account, created_at__gte=since).count(),
        "batches": Batch.objects.filter(**account, submitted_at__gte=since).count(),
    }


def _simulator_decide(api_key: str) -> dict[str, int]:
    """Run the simulator's vetting to its end (its clock moved on) and count the numbers by outcome."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Count

    from portal.simulator import services as simulator_services
    from portal.simulator.api import now as simulator_now
    from portal.simulator.models import DirPhoneNumber

    step = timedelta(seconds=max(settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY) + 1)
    at = simulator_now()
    for _ in range(2):
        at += step
        simulator_services.autopilot_tick(at=at)
    rows = (
        DirPhoneNumber.objects.filter(account__api_key=api_key, removed_at=None)
        .values("status", "rejection_reason__code")
        .annotate(n=Count("id"))
    )
    return {f"{r['status']}" + (f" ({r['rejection_reason__code']})" if r["rejection_reason__code"] else ""): r["n"]
            for r in rows}  # fmt: skip
