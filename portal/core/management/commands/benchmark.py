"""Benchmarks (print figures; never timed assertions): `benchmark sync --numbers N --dirs D`."""

from __future__ import annotations

import io
import math
import resource
import time

import httpx
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import telnyx
from portal.accounts.models import Team, TelnyxAccount


class Command(BaseCommand):
    help = "Seed the bundled simulator and measure the portal against it (in-process, no servers needed)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sync = sub.add_parser("sync", help="Full then incremental sync of N numbers spread over D DIRs.")
        sync.add_argument("--numbers", type=int, default=10_000)
        sync.add_argument("--dirs", type=int, default=10)

    def handle(self, *args, what: str, **options):
        if what == "sync":
            self._sync(numbers=options["numbers"], dirs=options["dirs"])

    def _sync(self, *, numbers: int, dirs: int) -> None:
        from portal.numbers import services
        from portal.simulator.models import Account, Batch, Dir
        from portal.simulator.wsgi import SimulatorHandler

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
        telnyx.TRANSPORT = httpx.WSGITransport(app=SimulatorHandler())
        # In one process the simulator's request signals would close the portal's own database
        # connection after every API call; separate servers never do that, so neither may this.
        from django.db.backends.base.base import BaseDatabaseWrapper

        BaseDatabaseWrapper.close_if_unusable_or_obsolete = lambda self: None
        base_url = "http://simulator.local/v2"

        # The least a full sync can do: every page of every listing, once.
        lower = 1 + math.ceil(dirs / 250)  # the enterprise page(s) and the DIR pages
        for dir_ in Dir.objects.filter(account=account):
            lower += math.ceil(dir_.numbers.count() / 250) + math.ceil(
                Batch.objects.filter(dir=dir_).count() / 250
            )

        rows = []
        for kind, full in (("full", True), ("incremental", False)):
            clients: list[telnyx.TelnyxClient] = []
            real_get_client = telnyx.get_client

            def tracking_client(clients=clients, real_get_client=real_get_client, **kwargs):
                client = real_get_client(base_url=base_url, **kwargs)
                clients.append(client)
                return client

            telnyx.get_client = tracking_client
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    run = services.account_sync(account=telnyx_account, full=full)
                    wall = time.perf_counter() - started
            finally:
                telnyx.get_client = real_get_client
            # Growth of the process's peak resident size (KiB on Linux); tracemalloc would slow the run 3x.
            peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
            http = sum(c.http_seconds for c in clients)
            local = max(wall - http, 1e-9)
            rows.append(
                (kind, run.api_calls, wall, http, numbers / local if full else None, len(queries), peak)
            )
        self.stdout.write(f"API calls, lower bound for a full sync: {lower}")
        self.stdout.write(
            f"{'sync':<12} {'API calls':>9} {'wall s':>8} {'in API s':>8} {'local numbers/s':>16} {'queries':>8} {'+peak RSS MiB':>14}"
        )
        for kind, calls, wall, http, rate, query_count, peak in rows:
            rate_text = f"{rate:,.0f}" if rate else "—"
            self.stdout.write(
                f"{kind:<12} {calls:>9} {wall:>8.2f} {http:>8.2f} {rate_text:>16} {query_count:>8} {peak / 2**20:>14.1f}"
            )
        full_calls, incremental_calls = rows[0][1], rows[1][1]
        self.stdout.write(
            f"incremental / full calls: {incremental_calls / full_calls:.2%}; full calls vs lower bound: {full_calls} / {lower}"
        )
