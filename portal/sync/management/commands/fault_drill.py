"""A fault drill through the real path: the simulator as its own server, a real `qcluster`, injected faults.

    manage.py fault_drill [--numbers 1000] [--workers 2] [--stop-seconds 30]

1. faults: every 5th add POST is a 429, every 16th of the rest a 503, every 15th of the rest is
   written and then its connection dropped (about 20%, 5% and 5% of all add POSTs);
2. the same faults, and the worker sending the add frozen (SIGSTOP) for --stop-seconds, then resumed;
3. a worker killed (SIGKILL) in the middle of a full sync, then the account synced again.

For each add it prints duplicate batches (a batch on Telnyx that no chunk claims), lost numbers
(neither attached nor reported to the user as failed), numbers attached twice, chunks still open
when the drill stops waiting, and the time to settle; after each, the mirror is compared with
Telnyx's side. Nothing is patched: what it measures is what `scripts/run` runs.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from dataclasses import dataclass

import httpx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils import timezone

from portal import telnyx
from portal.accounts.models import Team, TelnyxAccount
from portal.core.leases import LeaseBusy
from portal.documents import services as document_services
from portal.documents.models import DocumentType
from portal.numbers import services as number_services
from portal.numbers.models import AddRequest, DirNumber
from portal.sync import services as sync_services
from portal.sync.management.realpath import Processes, lease_pid, simulator_account
from portal.sync.models import SyncRun

SETTLE_TIMEOUT = 900  # seconds an add may take to settle before its open chunks count as stuck
ADD_FAULTS = [
    {"kind": "rate_limit", "every": 5, "retry_after": 1},
    {"kind": "error", "status": 503, "every": 16},
    {"kind": "drop_after_commit", "status": 0, "every": 15},
]


@dataclass
class AddReport:
    label: str
    chunks: int
    settle: float
    duplicates: int
    lost: int
    double: int
    stuck: int
    failed: int
    states: list[str]
    mirror_ok: bool


class Command(BaseCommand):
    help = "Add and sync through real workers under injected faults; print duplicates, losses and stuck work."

    def add_arguments(self, parser):
        parser.add_argument("--numbers", type=int, default=1000, help="numbers per add (default 1,000)")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--stop-seconds", type=int, default=30, help="how long the sender is frozen")
        parser.add_argument(
            "--sync-latency-ms",
            type=int,
            default=400,
            help="per-call latency that keeps the killed sync busy",
        )

    def handle(self, *args, numbers: int, workers: int, stop_seconds: int, sync_latency_ms: int, **options):
        from django.conf import settings

        settings.DEBUG = False
        call_command("migrate", database="simulator", verbosity=0)
        wanted = {name: [f"+1{area}{7000000 + i:07d}" for i in range(numbers)]
                  for name, area in (("faults", 312), ("stopped", 773))}  # fmt: skip
        reports: list[AddReport] = []
        with Processes() as processes:
            server = processes.simulator()
            key = simulator_account(server, [n for batch in wanted.values() for n in batch], dirs=2)
            team = Team.objects.create(name=f"Fault drill {key[-6:]}", slug=f"drill-{key[-10:].lower()}")
            account = TelnyxAccount.objects.create(team=team, api_key=key, api_key_last4=key[-4:])
            control = httpx.Client(base_url=server, headers={"Authorization": f"Bearer {key}"}, timeout=30)
            with control, telnyx.client_route(base_url=f"{server}/v2"):
                sync_services.account_sync(account=account, full=True)
                faults_dir, stopped_dir = team.dirs.order_by("display_name")
                loa = document_services.document_upload(
                    team=team, user=None, file=SimpleUploadedFile("loa.pdf", b"%PDF-1.4 drill"),
                    kind=DocumentType.LETTER_OF_AUTHORIZATION,
                )  # fmt: skip
                for fault in ADD_FAULTS:
                    control.post(
                        "/_sim/faults", json={**fault, "pattern": r"/phone_numbers$", "method": "POST"}
                    )
                processes.cluster(server=server, workers=workers)
                reports.append(self._add(account, faults_dir, wanted["faults"], loa, label="faults"))
                reports.append(
                    self._add(account, stopped_dir, wanted["stopped"], loa, stop_seconds=stop_seconds,
                              label=f"faults, sender stopped {stop_seconds} s")
                )  # fmt: skip
                fired = {
                    f["kind"]: f["seen"] // max(f["every"], 1)
                    for f in control.get("/_sim/faults").json()["data"]
                }
                control.delete("/_sim/faults")
                killed = self._killed_sync(account, control, sync_latency_ms)
        self._print(numbers, workers, reports, fired, killed)

    # --- the adds

    def _add(self, account, dir_, wanted, loa, *, label: str, stop_seconds: int = 0) -> AddReport:
        submitted = timezone.now()
        group = number_services.add_submit(dir=dir_, user=None, raw=wanted, loa=loa)  # to the real queue
        chunks = AddRequest.objects.filter(group=group)
        if stop_seconds:
            self._freeze_sender(dir_, chunks, stop_seconds)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while chunks.filter(state__in=AddRequest.OPEN).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        last = chunks.aggregate(last=Max("finished_at"))["last"]
        settle = (last - submitted).total_seconds() if last else float("nan")
        sync_services.account_sync(account=account, full=True)
        return self._add_report(label, dir_, chunks, wanted, settle)

    def _freeze_sender(self, dir_, chunks, seconds: int) -> None:
        """SIGSTOP the worker holding the DIR's add lease once a few chunks are done, then SIGCONT it."""
        deadline = time.monotonic() + 120
        pid = None
        while time.monotonic() < deadline:
            if chunks.filter(state__in=AddRequest.SUCCEEDED).count() >= 3:
                pid = lease_pid(f"add:dir:{dir_.pk}")
                if pid:
                    break
            time.sleep(0.05)
        if pid is None:
            self.stderr.write("no sender held the DIR's lease mid-add; nothing was stopped")
            return
        os.kill(pid, signal.SIGSTOP)
        self.stdout.write(f"stopped worker {pid} mid-add for {seconds} s")
        time.sleep(seconds)
        os.kill(pid, signal.SIGCONT)

    @staticmethod
    def _add_report(label, dir_, chunks, wanted, settle) -> AddReport:
        from portal.simulator import models as sim

        remote_dir = sim.Dir.objects.get(id=dir_.remote_id)
        rows = sim.DirPhoneNumber.objects.filter(account=remote_dir.account, phone_number__in=wanted)
        attached = set(rows.filter(dir=remote_dir, removed_at=None).values_list("phone_number", flat=True))
        double = sum(
            1 for count in Counter(rows.values_list("phone_number", flat=True)).values() if count > 1
        )
        claimed = set(chunks.exclude(batch_remote_id="").values_list("batch_remote_id", flat=True))
        remote_batches = {
            str(pk) for pk in sim.Batch.objects.filter(dir=remote_dir).values_list("id", flat=True)
        }
        told = {
            n
            for chunk_numbers in chunks.exclude(
                state__in=(*AddRequest.OPEN, *AddRequest.SUCCEEDED)
            ).values_list("numbers", flat=True)
            for n in chunk_numbers
        }
        mirrored = set(
            DirNumber.objects.filter(dir=dir_, removed_at=None).values_list("phone_number", flat=True)
        )
        return AddReport(
            label=label,
            chunks=chunks.count(),
            settle=settle,
            duplicates=len(remote_batches - claimed),
            lost=len(set(wanted) - attached - told),
            double=double,
            stuck=chunks.filter(state__in=AddRequest.OPEN).count(),
            failed=chunks.exclude(state__in=(*AddRequest.OPEN, *AddRequest.SUCCEEDED)).count(),
            states=sorted(set(chunks.values_list("state", flat=True))),
            mirror_ok=mirrored == attached,
        )

    # --- the killed sync

    def _killed_sync(self, account, control, latency_ms: int) -> dict:
        """Queue a full sync, SIGKILL the worker running it, and time how soon the account syncs again."""
        control.post("/_sim/faults", json={"kind": "latency", "latency_ms": latency_ms, "method": "GET"})
        sync_services.sync_request(account=account, user=None)  # "Sync now": queued to the real workers
        deadline = time.monotonic() + 120
        pid = None
        while time.monotonic() < deadline and pid is None:
            pid = lease_pid(f"account:{account.pk}")
            time.sleep(0.05)
        if pid is None:
            return {"killed": None}
        time.sleep(latency_ms / 1000 * 3)  # a few pages in
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        control.delete("/_sim/faults")
        # Sync again, as the next schedule or "Sync now" would, until the dead worker's lease lets go.
        while True:
            try:
                sync_services.account_sync(account=account, full=True)
                break
            except LeaseBusy:
                if time.monotonic() - killed_at > 3600:
                    break
                time.sleep(1)
        released = time.monotonic() - killed_at
        from portal.simulator import models as sim

        remote = set(
            sim.DirPhoneNumber.objects.filter(account__api_key=account.api_key, removed_at=None).values_list(
                "phone_number", flat=True
            )
        )
        local = set(
            DirNumber.objects.filter(dir__team=account.team, removed_at=None).values_list(
                "phone_number", flat=True
            )
        )
        open_runs = SyncRun.objects.filter(
            account=account, state__in=(SyncRun.State.QUEUED, SyncRun.State.RUNNING)
        ).count()
        return {"killed": pid, "released": released, "mirror_ok": remote == local, "open_runs": open_runs}

    def _print(self, numbers, workers, reports, fired, killed) -> None:
        self.stdout.write(
            f"fault drill: {numbers:,} numbers per add, qcluster with {workers} workers, simulator as its own server"
        )
        self.stdout.write(
            "faults fired on add POSTs: " + ", ".join(f"{kind} × {count}" for kind, count in fired.items())
        )
        self.stdout.write(
            f"{'scenario':<32} {'chunks':>6} {'settle s':>8} {'dup batches':>11} {'lost':>5} "
            f"{'attached twice':>14} {'stuck':>5} {'failed':>6}  mirror  chunk states"
        )
        for r in reports:
            self.stdout.write(
                f"{r.label:<32} {r.chunks:>6} {r.settle:>8.1f} {r.duplicates:>11} {r.lost:>5} {r.double:>14} "
                f"{r.stuck:>5} {r.failed:>6}  {'ok' if r.mirror_ok else 'DIFFERS':<6}  {r.states}"
            )
        if killed.get("killed") is None:
            self.stdout.write("killed sync: no worker took the sync within 120 s")
            return
        self.stdout.write(
            f"worker {killed['killed']} killed mid-sync: the account synced again after {killed['released']:.1f} s; "
            f"sync runs left open: {killed['open_runs']}; mirror {'ok' if killed['mirror_ok'] else 'DIFFERS'}"
        )
