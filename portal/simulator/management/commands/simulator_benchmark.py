"""Time the simulator's number and batch listings at a given scale (prints a table; not a test)."""

from __future__ import annotations

import io
import math
import statistics
import time

import httpx
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.test.utils import CaptureQueriesContext

from portal.simulator.models import Dir
from portal.simulator.router import ALIAS
from portal.simulator.wsgi import SimulatorHandler


class Command(BaseCommand):
    help = "Seed N numbers on one DIR (unless --reuse) and time first, middle and last pages of 250."

    def add_arguments(self, parser):
        parser.add_argument(
            "--numbers", type=int, action="append", help="Scale(s) to measure, e.g. 1000 1000000."
        )
        parser.add_argument(
            "--repeat", type=int, default=5, help="Requests per measurement (median reported)."
        )

    def handle(self, *args, numbers=None, repeat=5, **options):
        scales = numbers or [1000]
        rows = []
        for scale in scales:
            started = time.monotonic()
            out = io.StringIO()
            call_command("simulator_seed", numbers=scale, dirs=1, stdout=out)
            seeded = time.monotonic() - started
            key = out.getvalue().rsplit("account key ", 1)[1].strip()
            dir_ = Dir.objects.filter(account__api_key=key).get()
            pages = math.ceil(scale / 250)
            for label, page in (("first", 1), ("middle", max(1, pages // 2)), ("last", pages)):
                for what, url in (
                    ("numbers", f"/v2/dir/{dir_.id}/phone_numbers"),
                    ("batches", f"/v2/dir/{dir_.id}/phone_number_batches"),
                ):
                    batch_pages = math.ceil(math.ceil(scale / 15) / 250)
                    number = (
                        page
                        if what == "numbers"
                        else {"first": 1, "middle": max(1, batch_pages // 2), "last": batch_pages}[label]
                    )
                    ms, queries, embedded = self._measure(url, key, number, repeat)
                    rows.append((scale, what, label, number, ms, queries, embedded))
            self.stdout.write(f"seeded {scale:,} numbers in {seeded:.1f} s")
        # `numbers` = phone numbers in the page: a page of 250 batches embeds up to 3,750, so compare
        # batch pages of the same size (a DIR under 3,750 numbers has one smaller page).
        self.stdout.write(
            f"{'numbers':>10} {'list':>8} {'page':>7} {'page#':>7} {'median ms':>10} {'queries':>8} {'in page':>8}"
        )
        for scale, what, label, number, ms, queries, embedded in rows:
            self.stdout.write(
                f"{scale:>10,} {what:>8} {label:>7} {number:>7} {ms:>10.1f} {queries:>8} {embedded:>8}"
            )

    def _measure(self, url: str, key: str, page: int, repeat: int) -> tuple[float, int, int]:
        timings = []
        with httpx.Client(
            transport=httpx.WSGITransport(app=SimulatorHandler()), base_url="http://sim.bench"
        ) as client:
            for _ in range(repeat):
                with CaptureQueriesContext(connections[ALIAS]) as queries:
                    started = time.perf_counter()
                    response = client.get(
                        url,
                        params={"page[number]": page, "page[size]": 250},
                        headers={"Authorization": f"Bearer {key}"},
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
        items = response.json()["data"]
        embedded = sum(b["total_count"] for b in items) if "phone_number_batches" in url else len(items)
        return statistics.median(timings), len(queries.captured_queries), embedded
