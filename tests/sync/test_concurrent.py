"""A full sync with a few requests in flight, against the simulator as its own server process.

The simulator answers each API call after 40 ms (SIMULATOR_LATENCY_MS), so requests overlap; the
portal's transport wraps a real HTTP transport and records what was sent and how many at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.core.leases import HeldLease, LeaseBusy, LeaseLost, lease
from portal.core.models import Lease
from portal.dirs.models import Dir
from portal.numbers.models import DirNumber
from portal.sync import services
from portal.sync.models import SyncRun
from tests.sim import simulator_server

NUMBERS, DIRS = 3000, 3  # 1,000 numbers (4 pages) and 67 batches (1 page) per DIR
LOWER_BOUND = 1 + 1 + DIRS * (4 + 1)  # enterprises, DIRs, then each DIR's numbers and batches


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One simulator server for the module, seeded once; tests never change its data."""
    import os

    os.environ["SIMULATOR_LATENCY_MS"] = "40"
    try:
        with simulator_server(
            tmp_path_factory.mktemp("sim"), seed=["--numbers", str(NUMBERS), "--dirs", str(DIRS)]
        ) as (base, key):
            yield base, key
    finally:
        del os.environ["SIMULATOR_LATENCY_MS"]


class Recorder(httpx.BaseTransport):
    """A real HTTP transport that records each request (path, page) and the most ever in flight.

    `fail(path_end, page)` answers 503 to that page of a listing instead of sending it.
    """

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.sent: list[tuple[str, int, int]] = []  # (path, page, status)
        self.failing: set[tuple[str, int]] = set()

    def fail(self, path_end: str, page: int) -> None:
        self.failing.add((path_end, page))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page[number]", 0))
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if any(request.url.path.endswith(end) and page == p for end, p in self.failing):
                time.sleep(0.01)
                response = httpx.Response(503, json={"errors": [{"code": "90503", "detail": "down"}]})
            else:
                response = self.inner.handle_request(request)
                response.read()
        finally:
            with self.lock:
                self.in_flight -= 1
        with self.lock:
            self.sent.append((request.url.path, page, response.status_code))
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def account(server, team_a):
    return TelnyxAccount.objects.create(team=team_a, api_key=server[1], api_key_last4=server[1][-4:])


@pytest.fixture
def route(server):
    """Route the portal's clients to the server through a Recorder; waits are recorded, not slept."""
    recorder, slept = Recorder(), []
    with telnyx.client_route(transport=recorder, base_url=f"{server[0]}/v2", sleep=slept.append):
        yield recorder, slept
    recorder.close()


@pytest.mark.django_db
@pytest.mark.parametrize("width", [2, 4])
def test_a_full_sync_keeps_at_most_width_requests_in_flight_and_reads_each_page_once(
    width, account, route, settings, team_a
):
    settings.SYNC_CONCURRENCY = width
    recorder, _slept = route
    run = services.account_sync(account=account, full=True)
    assert run.state == "done"
    assert 2 <= recorder.peak <= width  # requests did overlap, never more than allowed
    pages = Counter((path, page) for path, page, _status in recorder.sent)
    assert set(pages.values()) == {1}  # every page of every listing exactly once
    assert run.api_calls == len(recorder.sent) == LOWER_BOUND
    assert DirNumber.objects.filter(dir__team=team_a, removed_at=None).count() == NUMBERS
    assert Dir.objects.filter(team=team_a).count() == DIRS
    assert run.dirs_done == run.dirs_total == DIRS
    assert run.pages == LOWER_BOUND


@pytest.mark.django_db
def test_a_429_on_one_page_is_retried_after_retry_after_and_the_sync_completes(
    server, account, route, settings, team_a
):
    settings.SYNC_CONCURRENCY = 4
    recorder, slept = route
    base, key = server
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as sim:
        dir_id = sim.get("/v2/dir").json()["data"][1]["id"]
        fault = {"kind": "rate_limit", "pattern": f"^/v2/dir/{dir_id}/phone_numbers$", "method": "GET",
                 "retry_after": 2, "count": 1}  # fmt: skip
        sim.post("/_sim/faults", json=fault).raise_for_status()
        try:
            run = services.account_sync(account=account, full=True)
        finally:
            sim.delete("/_sim/faults")
    assert run.state == "done"
    throttled = [(path, page) for path, page, status in recorder.sent if status == 429]
    assert len(throttled) == 1 and throttled[0][0].endswith(f"{dir_id}/phone_numbers")
    # The throttled request waits the Retry-After it was given (not a backoff guess); every other
    # thread holds back until the same moment (waits are recorded, not slept, so they all show).
    assert 2.0 in slept and all(0 < s <= 2.0 for s in slept)
    assert len(slept) > 1
    pages = Counter((path, page) for path, page, status in recorder.sent if status == 200)
    assert set(pages.values()) == {1} and len(pages) == LOWER_BOUND
    assert run.api_calls == LOWER_BOUND + 1  # the lower bound plus the one retry of the 429
    dir_ = Dir.objects.get(remote_id=dir_id)
    assert DirNumber.objects.filter(dir=dir_, removed_at=None).count() == NUMBERS // DIRS
    assert DirNumber.objects.filter(dir__team=team_a, removed_at=None).count() == NUMBERS


@pytest.mark.django_db
def test_a_page_failing_mid_listing_marks_nothing_removed_in_that_listing(
    server, account, route, settings, team_a
):
    settings.SYNC_CONCURRENCY = 4
    recorder, _slept = route
    services.account_sync(account=account, full=True)
    broken, whole = Dir.objects.filter(team=team_a).order_by("pk")[:2]
    # Rows the mirror has and Telnyx no longer lists: a complete listing marks them removed.
    stale = {
        dir_.pk: DirNumber.objects.create(
            dir=dir_, remote_id=f"gone-{dir_.pk}", phone_number=f"+1312555{dir_.pk:04}", status="verified"
        )
        for dir_ in (broken, whole)
    }
    recorder.fail(f"/dir/{broken.remote_id}/phone_numbers", 3)  # page 3 of 4 answers 503, retries too
    with pytest.raises(telnyx.ServerError):
        services.account_sync(account=account, full=True)
    run = SyncRun.objects.filter(account=account).order_by("-pk").first()
    assert run.state == "failed" and "503" in run.error
    sent = [(path, page) for path, page, status in recorder.sent if status == 503]
    assert sent.count((f"/v2/dir/{broken.remote_id}/phone_numbers", 3)) == 3  # the first try and 2 retries
    stale[broken.pk].refresh_from_db()
    assert stale[broken.pk].removed_at is None  # its listing was not read to the end: nothing is removed
    assert (
        DirNumber.objects.filter(dir=broken, removed_at=None).exclude(pk=stale[broken.pk].pk).count() == 1000
    )
    recorder.failing.clear()
    services.account_sync(account=account, full=True)  # the next run converges
    for row in stale.values():
        row.refresh_from_db()
        assert row.removed_at is not None


@pytest.mark.django_db
def test_a_live_sync_renews_its_lease_past_its_first_expiry(account, route, settings, monkeypatch):
    """A lease of 0.2 s (renewed every third of it) and a sync that cannot take less than 0.36 s: 17
    calls of at least 40 ms each, 2 at a time. The sync outlives its lease and is never taken over."""
    lease_seconds = 0.2
    settings.SYNC_CONCURRENCY = 2
    settings.SYNC_LEASE_SECONDS = lease_seconds
    expiries = []
    renew = HeldLease.renew

    def recording_renew(self, *, force=False):
        renew(self, force=force)
        expiries.append(Lease.objects.get(key=self.key).expires_at)

    monkeypatch.setattr(HeldLease, "renew", recording_renew)
    started = timezone.now()
    run = services.account_sync(account=account, full=True)
    took = timezone.now() - started
    assert run.state == "done"
    assert took > timedelta(seconds=lease_seconds)  # by the simulator's latency alone
    assert len(set(expiries)) >= 2
    assert max(expiries) > started + timedelta(seconds=lease_seconds)  # renewed past its first expiry
    assert not Lease.objects.exists()  # released at the end


@pytest.mark.django_db
def test_a_lease_never_renewed_is_taken_over_after_its_ttl_and_its_holder_learns_it():
    """A worker that died (here: never renews) holds its key for SYNC_LEASE_SECONDS at most."""
    dead = lease("account:42", seconds=1)
    held = dead.__enter__()  # taken and then abandoned, as by a SIGKILLed worker
    try:
        with pytest.raises(LeaseBusy), lease("account:42", seconds=1):
            pass
        time.sleep(1.1)
        with lease("account:42", seconds=1):
            assert Lease.objects.get(key="account:42").holder != held.holder
            with pytest.raises(LeaseLost):  # had it been alive after all, its next heartbeat stops it
                held.renew(force=True)
    finally:
        # Finish the abandoned generator here: left to the garbage collector, its `finally` (a DELETE)
        # would run at whatever moment a later test's thread is inside a query on the same connection.
        dead.__exit__(None, None, None)


@pytest.mark.django_db
def test_sync_now_replaces_a_running_sync_only_once_its_lease_is_gone(team_a, member_a):
    account = TelnyxAccount.objects.create(team=team_a, api_key="KEY-x", api_key_last4="xxxx")
    running = SyncRun.objects.create(account=account, kind="full", state=SyncRun.State.RUNNING)
    SyncRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=1))
    with lease(f"account:{account.pk}", seconds=60):  # alive: a long sync still renewing
        assert services.sync_request(account=account, user=member_a) == running
    fresh = services.sync_request(account=account, user=member_a)  # its worker died: lease gone
    assert fresh != running and fresh.state == "queued"
    running.refresh_from_db()
    assert running.state == "failed"
