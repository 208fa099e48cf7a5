"""Exactly once (ARCHITECTURE.md §6.2): a lost answer is settled by reading Telnyx back, never by re-POSTing."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import httpx
import pytest
from django.db import connections
from django.utils import timezone

from portal.core.models import Lease, StatusChange
from portal.numbers import services
from portal.numbers.models import AddRequest, Batch, DirNumber
from portal.numbers.services import add_send
from portal.simulator import models as sim_models
from portal.simulator.middleware import ConnectionDropped
from portal.simulator.wsgi import SimulatorHandler
from portal.sync import services as sync_services
from tests.numbers import addflow
from tests.numbers.addflow import numbers

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
verified = addflow.verified  # the shared fixture

ADD_PATH = r"^/v2/dir/[^/]+/phone_numbers$"
BATCHES_PATH = r"/phone_number_batches$"


class Recording(httpx.WSGITransport):
    """The in-process simulator, recording each call; a closed connection becomes httpx's own error."""

    def __init__(self, *, lose_answer: str | None = None) -> None:
        super().__init__(app=SimulatorHandler())
        self.calls: list[tuple[str, str]] = []
        self.lose_answer = lose_answer  # "after" the add commits, or "before" it is sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        is_add = request.method == "POST" and request.url.path.endswith("/phone_numbers")
        if is_add and self.lose_answer == "before":
            self.lose_answer = None
            raise httpx.ConnectTimeout("timed out connecting", request=request)
        try:
            response = super().handle_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without a response.", request=request
            ) from exc
        if is_add and self.lose_answer == "after":
            self.lose_answer = None
            raise httpx.ReadTimeout("timed out reading", request=request)
        return response

    def posts(self) -> int:
        return sum(1 for method, path in self.calls if method == "POST" and path.endswith("/phone_numbers"))


@pytest.fixture
def transport(connected, route_through, monkeypatch) -> Recording:
    recording = route_through(Recording())
    monkeypatch.setattr(add_send, "_add_sleep", lambda seconds: None)
    return recording


def add_request(v, batch_numbers: list[str], **fields) -> AddRequest:
    return AddRequest.objects.create(
        dir=v.dir,
        team=v.dir.team,
        group=uuid.uuid4(),
        numbers=batch_numbers,
        loa=v.loa,
        documents=[{"document_id": v.loa.remote_id, "document_type": "letter_of_authorization"}],
        idempotency_key=uuid.uuid4(),
        **fields,
    )


def remote_batches(v) -> list[sim_models.Batch]:
    return list(sim_models.Batch.objects.filter(dir_id=v.remote_id))


def fault(sim, **body) -> None:
    sim.ok("POST", "/_sim/faults", 201, json={"pattern": ADD_PATH, "method": "POST", "count": 1, **body})


@pytest.mark.parametrize("status", [502, 0], ids=["502", "closed-connection"])
def test_lost_answer_after_commit_is_reconciled_without_a_second_post(verified, sim, transport, status):
    """drop_after_commit: the batch exists remotely; the task reads the DIR back and records that batch."""
    fault(sim, kind="drop_after_commit", status=status)
    request = add_request(verified, numbers(2000, 15))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert transport.posts() == 1
    [batch] = remote_batches(verified)
    assert request.batch_remote_id == str(batch.id)
    assert request.batch.remote_id == str(batch.id)
    assert request.outcome["settled"] == "reconciled"
    assert request.attempts == 1
    local = DirNumber.objects.filter(dir=verified.dir, batch=request.batch, removed_at=None)
    assert sorted(local.values_list("phone_number", flat=True)) == numbers(2000, 15)
    # Sending again (a redelivered task) changes nothing and calls nothing.
    before = len(transport.calls)
    services.add_request_send(add_request_id=request.pk)
    assert len(transport.calls) == before


def test_503_before_commit_is_resent_once_and_done(verified, sim, transport):
    """A 5xx may or may not have been applied: the DIR is read, nothing is attached, so it is sent again."""
    fault(sim, kind="error", status=503)
    request = add_request(verified, numbers(2000, 3))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.DONE
    assert transport.posts() == 2
    assert request.attempts == 2
    assert len(remote_batches(verified)) == 1
    assert ("GET", f"/v2/dir/{verified.remote_id}/phone_number_batches") in transport.calls  # read first


def test_timeout_after_commit_is_reconciled(verified, connected, route_through):
    recording = Recording(lose_answer="after")
    route_through(recording)
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert recording.posts() == 1
    assert len(remote_batches(verified)) == 1


def test_timeout_before_sending_is_resent(verified, connected, route_through):
    recording = Recording(lose_answer="before")
    route_through(recording)
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.DONE
    assert recording.posts() == 2
    assert len(remote_batches(verified)) == 1


def test_a_429_is_sent_again_after_retry_after_without_spending_an_attempt(
    verified, sim, transport, monkeypatch
):
    """Three 429s in a row (Telnyx wrote nothing): the chunk is sent again after each Retry-After and
    lands; it is not failed after ADD_MAX_ATTEMPTS, and its attempts count only the POST that landed."""
    waits: list[float] = []
    monkeypatch.setattr(add_send, "_add_sleep", waits.append)
    fault(sim, kind="rate_limit", retry_after=2, count=3)
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.DONE
    assert (request.attempts, transport.posts()) == (1, 4)
    assert waits == [2.0, 2.0, 2.0]
    assert len(remote_batches(verified)) == 1


def test_a_chunk_telnyx_keeps_rate_limiting_stays_pending_for_the_sweep(
    verified, sim, transport, monkeypatch
):
    """Past ADD_MAX_RATE_LIMITED 429s the task lets the chunk be: pending, saying why, never failed."""
    from portal.numbers import tasks

    monkeypatch.setattr(add_send, "ADD_MAX_RATE_LIMITED", 4)
    fault(sim, kind="rate_limit", retry_after=1, count=50)
    request = add_request(verified, numbers(2000, 2))
    assert tasks.send_add_request(request.pk).startswith("rate-limited")
    request.refresh_from_db()
    assert (request.state, request.attempts, transport.posts()) == (AddRequest.State.PENDING, 0, 4)
    assert "HTTP 429" in request.outcome["message"]
    assert remote_batches(verified) == []


def test_persistent_5xx_fails_after_bounded_attempts(verified, sim, transport):
    """Every POST answered 503 and read back as not applied: the chunk fails after ADD_MAX_ATTEMPTS, saying why."""
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": ADD_PATH, "method": "POST"},
    )
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.FAILED
    assert transport.posts() == services.ADD_MAX_ATTEMPTS
    assert remote_batches(verified) == []
    assert request.outcome["message"] == (
        "Telnyx is having trouble right now (HTTP 503). "
        "Nothing was added after 3 attempts; try these numbers again later."
    )


def test_unreadable_telnyx_leaves_it_uncertain_and_never_resends(verified, sim, transport):
    """The answer is lost and the DIR cannot be read either: stay uncertain; a later run settles it."""
    fault(sim, kind="drop_after_commit", status=502)
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": BATCHES_PATH, "method": "GET", "count": 3},
    )
    request = add_request(verified, numbers(2000, 4))
    with pytest.raises(services.AddUncertain):
        services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.UNCERTAIN
    assert transport.posts() == 1
    # Telnyx is readable again: the next run settles it from the DIR's batches, still without a POST.
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert transport.posts() == 1
    assert len(remote_batches(verified)) == 1


def test_task_reports_uncertain_instead_of_failing(verified, sim, transport):
    from portal.numbers import tasks

    fault(sim, kind="drop_after_commit", status=0)
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": BATCHES_PATH, "method": "GET"},
    )
    request = add_request(verified, numbers(2000, 1))
    assert tasks.send_add_request(request.pk).startswith("uncertain")


def test_a_worker_that_died_mid_send_is_settled_by_reading(verified, sim, transport):
    """State `sending` with no answer recorded: the numbers are attached → reconciled, no POST."""
    request = add_request(verified, numbers(2000, 2), state=AddRequest.State.SENDING, attempts=1)
    sim.ok(
        "POST",
        f"/v2/dir/{verified.remote_id}/phone_numbers",
        201,
        json={"phone_numbers": request.numbers, "documents": request.documents},
    )
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert transport.posts() == 0


def test_a_worker_that_died_before_the_post_reached_telnyx_is_resent(verified, sim, transport):
    request = add_request(verified, numbers(2000, 2), state=AddRequest.State.SENDING, attempts=1)
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.DONE
    assert transport.posts() == 1
    assert request.attempts == 2


@pytest.mark.parametrize("decided", ["unsuccessful", "verified"])
def test_a_lost_add_already_decided_by_vetting_is_reconciled_not_sent_again(
    verified, sim, transport, decided
):
    """The lost POST did land, and vetting decided the batch before the read-back: still this add's batch."""
    request = add_request(verified, numbers(2000, 3), state=AddRequest.State.UNCERTAIN, attempts=1)
    body = sim.ok(
        "POST",
        f"/v2/dir/{verified.remote_id}/phone_numbers",
        201,
        json={"phone_numbers": request.numbers, "documents": request.documents},
    )
    batch_id = body["data"][0]["batch_id"]
    sim.ok("POST", f"/_sim/batches/{batch_id}/transition", json={"to": decided})
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert request.batch_remote_id == batch_id
    assert transport.posts() == 0
    assert len(remote_batches(verified)) == 1
    assert request.batch.status == decided


def test_reconcile_reads_only_the_newest_batches_not_every_number(verified, sim, transport, monkeypatch):
    """A DIR with many older batches: the read-back is one page of batches, newest first, no number list."""
    monkeypatch.setattr("portal.telnyx.client.PAGE_SIZE", 5)  # 21 batches: 5 pages if it read them all
    for start in range(2000, 2000 + 15 * 20, 15):  # 20 older batches, mirrored
        sim.ok(
            "POST",
            f"/v2/dir/{verified.remote_id}/phone_numbers",
            201,
            json={"phone_numbers": numbers(start, 15), "documents": sim.loa()},
        )
    sim_models.Batch.objects.filter(dir_id=verified.remote_id).update(
        submitted_at=timezone.now() - timedelta(days=1)
    )
    sync_services.account_sync(account=verified.dir.team.telnyx_account, full=True)
    fault(sim, kind="drop_after_commit", status=502)
    request = add_request(verified, numbers(2400, 2))
    transport.calls.clear()
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    reads = [path for method, path in transport.calls if method == "GET"]
    assert reads == [f"/v2/dir/{verified.remote_id}/phone_number_batches"]


def test_reconcile_ignores_an_older_batch_of_the_same_numbers(verified, sim, transport):
    """Numbers re-added after `unsuccessful` sit in an older batch: that batch is not taken for this add."""
    first = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=first.pk)
    first.refresh_from_db()
    sim.ok("POST", f"/_sim/batches/{first.batch_remote_id}/transition", json={"to": "unsuccessful"})
    sync_services.account_sync(account=verified.dir.team.telnyx_account, full=True)
    fault(sim, kind="error", status=503)
    again = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=again.pk)
    again.refresh_from_db()
    assert again.state == AddRequest.State.DONE
    assert again.batch_remote_id != first.batch_remote_id
    assert transport.posts() == 3


def test_already_attached_by_another_request_is_not_sent(verified, sim, transport):
    """The pre-send check (under the DIR's lease) sees the first request's numbers in the mirror."""
    first = add_request(verified, numbers(2000, 5))
    second = add_request(verified, numbers(2000, 5))
    services.add_request_send(add_request_id=first.pk)
    services.add_request_send(add_request_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == AddRequest.State.DONE
    assert second.state == AddRequest.State.RECONCILED
    assert second.outcome["settled"] == "another_request"
    assert second.outcome["other_request"] == first.pk
    assert second.batch_id == first.batch_id
    assert transport.posts() == 1


def test_partly_attached_by_another_request_is_refused_locally(verified, sim, transport):
    first = add_request(verified, numbers(2000, 3))
    services.add_request_send(add_request_id=first.pk)
    second = add_request(verified, numbers(2001, 4))  # two overlap, two are new
    services.add_request_send(add_request_id=second.pk)
    second.refresh_from_db()
    assert second.state == AddRequest.State.REFUSED
    assert second.outcome["errors"][0]["phone_numbers"] == numbers(2001, 2)
    assert second.rest_numbers == numbers(2003, 2)
    assert transport.posts() == 1


def test_the_reconciled_batch_lands_once_in_the_timeline(verified, sim, transport):
    fault(sim, kind="drop_after_commit", status=502)
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    sync_services.account_sync(account=verified.dir.team.telnyx_account, full=True)
    rows = StatusChange.objects.filter(entity_type=StatusChange.Entity.BATCH, entity_id=request.batch_id)
    assert [(r.from_status, r.to_status, r.source) for r in rows] == [("", "submitted", "user")]


def test_a_late_worker_whose_lease_ran_out_changes_nothing(verified, sim, transport, monkeypatch):
    """Worker A's read-back outlives its lease; the settle job re-queues the chunk and worker B settles it.
    When A's read-back finally returns, its compare-and-set fails: no second settle, timeline row or audit."""
    from portal.core.models import AuditEvent
    from portal.numbers import tasks

    fault(sim, kind="drop_after_commit", status=502)
    request = add_request(verified, numbers(2000, 2))
    results: list[str] = []
    handle = transport.handle_request

    def slow_read_back(http_request):
        if http_request.url.path.endswith("/phone_number_batches") and not results:
            results.append("B started")
            Lease.objects.filter(key=f"add:dir:{verified.dir.pk}").update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
            results.append(tasks.send_add_request(request.pk))  # worker B, after the lease ran out
        return handle(http_request)

    monkeypatch.setattr(transport, "handle_request", slow_read_back)
    results.append(tasks.send_add_request(request.pk))  # worker A
    assert results[1] == AddRequest.State.RECONCILED
    assert results[2].startswith("superseded")
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert transport.posts() == 1
    assert AuditEvent.objects.filter(verb="numbers_added").count() == 1
    rows = StatusChange.objects.filter(entity_type=StatusChange.Entity.BATCH, entity_id=request.batch_id)
    assert rows.count() == 1


def test_a_finished_request_is_never_overwritten_by_a_stale_copy(verified, sim, transport):
    """Every transition is a compare-and-set on (state, attempts): a stale in-memory copy cannot undo `done`."""
    request = add_request(verified, numbers(2000, 2))
    stale = AddRequest.objects.get(pk=request.pk)
    services.add_request_send(add_request_id=request.pk)
    stale.state, stale.attempts = AddRequest.State.SENDING, 1  # what a slow worker last saw
    with pytest.raises(services.AddSuperseded):
        add_send._add_finish(stale, AddRequest.State.FAILED, message="late")
    request.refresh_from_db()
    assert request.state == AddRequest.State.DONE
    assert request.outcome["message"] == ""


def test_the_lease_is_renewed_before_each_send(verified, sim, transport, monkeypatch):
    """However long the steps take, the sender keeps its DIR's lease (renewed before each POST)."""
    fault(sim, kind="error", status=503)
    request = add_request(verified, numbers(2000, 2))
    seen: list = []
    handle = transport.handle_request

    def watch(http_request):
        if http_request.method == "POST":
            seen.append(Lease.objects.get(key=f"add:dir:{verified.dir.pk}").expires_at)
            Lease.objects.filter(key=f"add:dir:{verified.dir.pk}").update(
                expires_at=timezone.now() + timedelta(seconds=1)  # as if the step took almost all of it
            )
        return handle(http_request)

    monkeypatch.setattr(transport, "handle_request", watch)
    services.add_request_send(add_request_id=request.pk)
    assert len(seen) == 2
    assert seen[1] > timezone.now() + timedelta(seconds=add_send.ADD_LEASE_SECONDS - 30)


class LateFirstPost(Recording):
    """Realistic timing: the client times out on the first add, which Telnyx commits only later.

    `lands` says when the held POST is applied: "after_read" (once the read-back has run, just before
    the resend reaches Telnyx) or "before_read" (at once, then `then` runs, e.g. vetting decides it).
    """

    def __init__(self, *, lands: str, then=None) -> None:
        super().__init__()
        self.lands, self.then = lands, then
        self.held: httpx.Request | None = None
        self.first_batch: str | None = None

    def _land(self) -> None:
        held, self.held = self.held, None
        response = httpx.WSGITransport.handle_request(self, held)
        response.read()
        self.first_batch = response.json()["data"][0]["batch_id"]
        if self.then:
            self.then(self.first_batch)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_add = request.method == "POST" and request.url.path.endswith("/phone_numbers")
        if is_add and self.held is None and self.first_batch is None:
            self.calls.append((request.method, request.url.path))
            self.held = request
            if self.lands == "before_read":
                self._land()
            raise httpx.ReadTimeout("timed out reading", request=request)
        if is_add and self.held is not None:
            self._land()  # the first POST lands between the read-back and the resend
        return super().handle_request(request)


def test_a_resend_refused_as_already_attached_settles_from_the_late_first_post(verified, sim, route_through):
    """The read-back ran while Telnyx was still writing the first POST; the resend is refused as
    "already attached to this DIR": that is the first POST's batch, so the chunk is settled, not refused."""
    late = LateFirstPost(lands="after_read")
    route_through(late)
    request = add_request(verified, numbers(2000, 3))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert request.outcome["settled"] == "reconciled_after_resend"
    assert request.batch_remote_id == late.first_batch
    assert request.attempts == 2
    assert late.posts() == 2
    assert len(remote_batches(verified)) == 1
    local = DirNumber.objects.filter(dir=verified.dir, batch=request.batch, removed_at=None)
    assert local.count() == 3


def test_a_first_send_refused_as_already_attached_is_still_refused(verified, sim, transport):
    """Only a resend is read back on "already attached here": a first send's refusal is the user's to see."""
    sim.ok(
        "POST",
        f"/v2/dir/{verified.remote_id}/phone_numbers",
        201,
        json={"phone_numbers": numbers(2000, 2), "documents": sim.loa()},
    )
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.REFUSED
    assert request.outcome["errors"][0]["category"] == "already_attached_to_this_dir"


@pytest.mark.parametrize("decided", ["unsuccessful", "verified"])
def test_a_timed_out_post_decided_before_the_read_back_is_reconciled(verified, sim, route_through, decided):
    """The POST completes after the client timed out, and vetting decides the batch before the read-back."""

    def decide(batch_id: str) -> None:
        sim.ok("POST", f"/_sim/batches/{batch_id}/transition", json={"to": decided})

    late = LateFirstPost(lands="before_read", then=decide)
    route_through(late)
    request = add_request(verified, numbers(2000, 4))
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.RECONCILED
    assert request.batch_remote_id == late.first_batch
    assert late.posts() == 1
    assert len(remote_batches(verified)) == 1
    assert request.batch.status == decided


def test_the_read_back_waits_after_a_lost_answer_only(verified, sim, transport, monkeypatch):
    """ADD_READBACK_DELAY: a fresh lost answer waits before reading; a long-dead worker's does not."""
    waits: list[float] = []
    monkeypatch.setattr(add_send, "_add_sleep", waits.append)
    monkeypatch.setattr(add_send, "ADD_READBACK_DELAY", 2.0)
    fault(sim, kind="drop_after_commit", status=502)
    request = add_request(verified, numbers(2000, 2))
    services.add_request_send(add_request_id=request.pk)
    assert len(waits) == 1 and 1.0 < waits[0] <= 2.0
    waits.clear()
    old = add_request(verified, numbers(2010, 2), state=AddRequest.State.SENDING, attempts=1)
    AddRequest.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    services.add_request_send(add_request_id=old.pk)
    assert waits == []


def test_a_chunk_finding_the_dir_busy_returns_at_once_and_is_handed_on(verified, sim, transport, monkeypatch):
    """No spinning on the DIR's lease: the second chunk's task returns "busy" without waiting, and the
    sender holding the lease queues it when it lets the lease go."""
    from portal.numbers import tasks

    sleeps: list[float] = []
    monkeypatch.setattr(add_send, "_add_sleep", sleeps.append)
    first = add_request(verified, numbers(2000, 2))
    second = add_request(verified, numbers(2010, 2))
    results: list[str] = []
    handle = transport.handle_request

    def during_first_post(http_request):
        if http_request.method == "POST" and not results:
            results.append(tasks.send_add_request(second.pk))  # another worker, same DIR, same moment
            second.refresh_from_db()
            results.append(second.state)
        return handle(http_request)

    monkeypatch.setattr(transport, "handle_request", during_first_post)
    assert tasks.send_add_request(first.pk) == AddRequest.State.DONE
    assert results[0].startswith("busy")
    assert results[1] == AddRequest.State.PENDING
    assert sleeps == []  # nobody waited
    second.refresh_from_db()
    assert second.state == AddRequest.State.DONE  # handed on by the first sender (sync queue in tests)
    assert transport.posts() == 2
    assert not Lease.objects.filter(key__startswith="add:").exists()


def test_many_chunks_bouncing_off_one_sender_are_all_handed_on_in_turn(verified, sim, transport, monkeypatch):
    """Six chunks' tasks run while the first chunk is being sent: each bounces and leaves its own mark;
    each sender, letting go, queues the next, so all go out back to back and none waits for the sweep."""
    from portal.numbers import tasks

    first = add_request(verified, numbers(2000, 2))
    others = [add_request(verified, numbers(2010 + 10 * i, 2)) for i in range(6)]
    bounced: list[str] = []
    handle = transport.handle_request

    def during_first_post(http_request):
        if http_request.method == "POST" and not bounced:
            for other in others:  # six more workers, same DIR, same moment
                bounced.append(tasks.send_add_request(other.pk))
        return handle(http_request)

    monkeypatch.setattr(transport, "handle_request", during_first_post)
    assert tasks.send_add_request(first.pk) == AddRequest.State.DONE
    assert all(result.startswith("busy") for result in bounced) and len(bounced) == 6
    states = list(AddRequest.objects.filter(pk__in=[o.pk for o in others]).values_list("state", flat=True))
    assert states == [AddRequest.State.DONE] * 6  # handed on one after another (sync queue in tests)
    assert transport.posts() == 7
    assert len(remote_batches(verified)) == 7
    assert not Lease.objects.filter(key__startswith="add:").exists()  # no mark left behind


def test_a_mark_of_a_chunk_settled_meanwhile_is_dropped_and_the_next_one_handed_on(verified, sim, transport):
    """A waiting mark whose chunk was settled by someone else is skipped, not a dead end."""
    from portal.numbers.services import add_send

    done = add_request(verified, numbers(2000, 2), state=AddRequest.State.DONE)
    waiting = add_request(verified, numbers(2010, 2))
    for request in (done, waiting):
        add_send._add_mark_waiting(f"add:waiting:{verified.dir.pk}:{request.pk}")
    assert add_send._add_hand_on(verified.dir.pk, exclude=0) == waiting.pk
    waiting.refresh_from_db()
    assert waiting.state == AddRequest.State.DONE
    assert not Lease.objects.filter(key__startswith="add:").exists()


def test_a_sender_goes_on_with_the_dirs_pending_chunks_and_queues_nothing(
    verified, sim, transport, monkeypatch
):
    """Holding the DIR's lease, one task sends the DIR's pending chunks in order, without a queue round trip;
    nobody bounced, so nothing is handed on (the others' own tasks find them settled)."""
    queued: list = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: queued.append(args))
    chunks = [add_request(verified, numbers(2000 + 10 * i, 2)) for i in range(5)]
    services.add_request_send(add_request_id=chunks[0].pk)
    assert queued == []
    assert set(AddRequest.objects.filter(pk__in=[c.pk for c in chunks]).values_list("state", flat=True)) == {
        AddRequest.State.DONE
    }
    sent = [call for call in transport.calls if call[0] == "POST"]
    assert len(sent) == 5
    assert services.add_request_send(add_request_id=chunks[3].pk).state == AddRequest.State.DONE  # no resend
    assert transport.posts() == 5


def test_the_sender_stops_going_on_after_its_time_budget(verified, sim, transport, monkeypatch):
    """ADD_DRAIN_SECONDS bounds one task's run (far below Q_TIMEOUT); the rest keep their own tasks."""
    monkeypatch.setattr(add_send, "ADD_DRAIN_SECONDS", 0.0)
    first = add_request(verified, numbers(2000, 2))
    second = add_request(verified, numbers(2010, 2))
    services.add_request_send(add_request_id=first.pk)
    second.refresh_from_db()
    assert (second.state, transport.posts()) == (AddRequest.State.PENDING, 1)


@pytest.mark.django_db(transaction=True, databases=["default", "simulator"])
def test_two_concurrent_adds_of_the_same_numbers_create_one_batch(verified, sim, transport):
    """Two users, same numbers, same moment: one batch; the other request settles without sending."""
    batch_numbers = numbers(2100, 15)
    requests = [add_request(verified, batch_numbers), add_request(verified, batch_numbers)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def send(pk: int) -> None:
        from portal.numbers import tasks

        try:
            barrier.wait()
            tasks.send_add_request(pk)  # "busy" at once for the second; the first hands off to it
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(r.pk,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    states = sorted(
        AddRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("state", flat=True)
    )
    assert states == [AddRequest.State.DONE, AddRequest.State.RECONCILED]
    assert len(remote_batches(verified)) == 1
    assert transport.posts() == 1
    assert Batch.objects.filter(dir=verified.dir).count() == 1
