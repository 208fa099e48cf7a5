"""Removing numbers from a DIR against the simulator: partial success, chunks, failures, history, the views."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from portal.core.models import AuditEvent, StatusChange
from portal.dirs.models import Dir
from portal.numbers import services
from portal.numbers.models import DirNumber, NumberRemoval
from portal.numbers.services import removal as removal_module
from portal.simulator import models as sim_models
from portal.sync import services as sync_services
from portal.telnyx.client import TelnyxClient
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


def numbers_range(count: int, start: int = 0) -> list[str]:
    return [f"+1312556{n:04}" for n in range(start, start + count)]


@pytest.fixture
def seeded(sim, connected):
    """A factory: a verified DIR on the simulator with `count` numbers attached (15 per batch), mirrored."""

    def _seed(count: int = 5) -> tuple[Dir, list[str]]:
        remote = sim.verified_dir()
        numbers = numbers_range(count)
        sim.inventory(*numbers)
        loa = sim.loa()
        for start in range(0, count, 15):
            sim.ok("POST", f"/v2/dir/{remote['id']}/phone_numbers", 201,
                   json={"phone_numbers": numbers[start : start + 15], "documents": loa})  # fmt: skip
        sync_services.account_sync(account=connected, full=True)
        dir_ = Dir.objects.get(remote_id=remote["id"])
        assert DirNumber.objects.filter(dir=dir_, removed_at=None).count() == count
        return dir_, numbers

    return _seed


def remote_attached(dir_: Dir) -> set[str]:
    return set(
        sim_models.DirPhoneNumber.objects.filter(dir_id=dir_.remote_id, removed_at=None).values_list(
            "phone_number", flat=True
        )
    )


def attached(dir_: Dir) -> set[str]:
    return set(DirNumber.objects.filter(dir=dir_, removed_at=None).values_list("phone_number", flat=True))


@pytest.fixture
def calls(monkeypatch):
    """The size of every DELETE the client sends."""
    sizes: list[int] = []
    original = TelnyxClient.numbers_remove

    def spy(self, dir_id, phone_numbers):
        sizes.append(len(phone_numbers))
        return original(self, dir_id, phone_numbers)

    monkeypatch.setattr(TelnyxClient, "numbers_remove", spy)
    return sizes


def test_partial_success_mirrors_what_went_and_reports_the_rest(seeded, sim, member_a, calls):
    dir_, numbers = seeded(5)
    # Someone removed one number outside the portal: the mirror still shows it attached.
    sim.ok("DELETE", f"/v2/dir/{dir_.remote_id}/phone_numbers", json={"phone_numbers": [numbers[2]]})
    removal = services.number_removal_request(dir=dir_, phone_numbers=numbers[:3], user=member_a)
    assert removal.state == NumberRemoval.State.DONE
    assert calls == [1 + 2]
    assert sorted(removal.removed) == [numbers[0], numbers[1]]
    assert [(e["phone_number"], e["code"]) for e in removal.not_removed] == [(numbers[2], "not_associated")]
    assert removal.refusals_by_reason[0]["numbers"] == [numbers[2]]
    assert attached(dir_) == set(numbers[2:])  # the refused one stays until the next sync says otherwise
    assert remote_attached(dir_) == set(numbers[3:])
    removed_rows = DirNumber.objects.filter(dir=dir_, phone_number__in=numbers[:2])
    assert all(row.removed_at is not None for row in removed_rows)  # marked, never deleted


def test_history_rows_and_audit_for_each_removed_number(seeded, member_a):
    dir_, numbers = seeded(3)
    services.number_removal_request(dir=dir_, phone_numbers=numbers[:2], user=member_a)
    changes = StatusChange.objects.filter(dir_id=dir_.pk, entity_type="number", to_status="removed")
    assert changes.count() == 2
    assert {c.source for c in changes} == {"user"}
    assert {c.from_status for c in changes} == {"submitted"}
    rows = {n.pk for n in DirNumber.objects.filter(dir=dir_, phone_number__in=numbers[:2])}
    assert {c.entity_id for c in changes} == rows
    verbs = list(AuditEvent.objects.filter(team=dir_.team).values_list("verb", flat=True))
    assert "numbers_remove_requested" in verbs
    event = AuditEvent.objects.get(verb="numbers_removed")
    assert event.details["removed"] == 2
    assert event.actor == member_a


def test_every_number_refused_is_a_400_reported_per_number(seeded, sim, member_a):
    dir_, numbers = seeded(2)
    sim.ok("DELETE", f"/v2/dir/{dir_.remote_id}/phone_numbers", json={"phone_numbers": numbers})
    removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    assert removal.state == NumberRemoval.State.DONE
    assert removal.removed == []
    assert {e["phone_number"] for e in removal.not_removed} == set(numbers)
    assert {e["code"] for e in removal.not_removed} == {"not_associated"}
    assert not StatusChange.objects.filter(to_status="removed").exists()


def test_250_numbers_go_in_three_chunks_through_the_queue(
    seeded, member_a, calls, django_capture_on_commit_callbacks
):
    dir_, numbers = seeded(250)
    with django_capture_on_commit_callbacks(execute=True):
        removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
        assert removal.state == NumberRemoval.State.QUEUED  # nothing sent inside the request
        assert calls == []
    assert calls == [100, 100, 50]
    removal.refresh_from_db()
    assert (removal.state, removal.chunks_done, removal.chunks_total) == ("done", 3, 3)
    assert len(removal.removed) == 250
    assert attached(dir_) == set()
    assert remote_attached(dir_) == set()
    assert StatusChange.objects.filter(dir_id=dir_.pk, to_status="removed").count() == 250


def test_a_503_on_the_second_chunk_keeps_the_first_chunk_mirrored(seeded, sim, member_a, calls):
    dir_, numbers = seeded(250)
    sim.ok("POST", "/_sim/faults", 201,
           json={"kind": "error", "status": 503, "pattern": "phone_numbers$", "method": "DELETE", "every": 2, "count": 1})  # fmt: skip
    removal = NumberRemoval.objects.create(
        dir=dir_, requested_by=member_a, phone_numbers=numbers, chunks_total=3
    )
    removal = services.removal_run(removal=removal)
    assert calls == [100, 100]  # a DELETE is never retried by itself; the run stops
    assert removal.state == NumberRemoval.State.FAILED
    assert removal.error == (
        "Telnyx is having trouble right now (HTTP 503). The last chunk may or may not have been applied; "
        "the DIR is being re-read, then try the remaining numbers again."
    )
    assert removal.chunks_done == 1
    assert removal.removed == numbers[:100]
    assert removal.not_done == numbers[100:]
    assert attached(dir_) == set(numbers[100:])
    assert remote_attached(dir_) == set(numbers[100:])
    assert StatusChange.objects.filter(dir_id=dir_.pk, to_status="removed").count() == 100
    assert AuditEvent.objects.get(verb="numbers_removed").details["not_done"] == 150


def test_a_429_stops_with_a_clear_message(seeded, sim, member_a):
    dir_, numbers = seeded(2)
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "phone_numbers$", "method": "DELETE"},
    )
    removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    assert removal.state == NumberRemoval.State.FAILED
    assert removal.error.startswith(
        "Telnyx is rate-limiting this account: too many requests (HTTP 429). Try again in "
    )
    assert removal.not_done == numbers
    assert attached(dir_) == set(numbers)


def test_a_timeout_stops_and_asks_for_a_refresh(seeded, member_a, monkeypatch):
    from portal import telnyx

    dir_, numbers = seeded(2)
    refreshed = []
    monkeypatch.setattr(removal_module, "dir_refresh_request", lambda dir: refreshed.append(dir.pk))

    def boom(self, dir_id, phone_numbers):
        raise telnyx.RequestTimeout("timed out")

    monkeypatch.setattr(TelnyxClient, "numbers_remove", boom)
    removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    assert removal.state == NumberRemoval.State.FAILED
    assert removal.error == (
        "Telnyx did not answer in time (the request timed out). The last chunk may or may not have been "
        "applied; the DIR is being re-read, then try the remaining numbers again."
    )
    assert refreshed == [dir_.pk]


def test_refused_before_sending_when_the_dir_is_being_deleted(seeded, member_a):
    from portal.core.exceptions import ServiceError

    dir_, numbers = seeded(1)
    dir_.status = Dir.Status.DELETE_REQUESTED
    with pytest.raises(ServiceError):
        services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    with pytest.raises(ServiceError):
        services.number_removal_request(dir=dir_, phone_numbers=[], user=member_a)
    assert not NumberRemoval.objects.exists()


# --- views


def remove_url(dir_: Dir, slug: str = "acme") -> str:
    return reverse("numbers:number_remove", args=[slug, dir_.pk])


def pks(dir_: Dir, numbers: list[str]) -> list[int]:
    return list(DirNumber.objects.filter(dir=dir_, phone_number__in=numbers).values_list("pk", flat=True))


def test_confirmation_states_the_exact_count_and_sends_nothing(seeded, client_as, member_a, calls):
    dir_, numbers = seeded(4)
    response = client_as(member_a).post(
        remove_url(dir_), {"numbers": pks(dir_, numbers[:2])}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="number-remove-form"' in response.text
    assert "Remove 2 numbers from" in response.text
    assert calls == []


def test_confirmation_of_all_matching_counts_the_filter(seeded, client_as, member_a):
    dir_, numbers = seeded(4)
    response = client_as(member_a).post(remove_url(dir_), {"all_matching": "1", "q": numbers[3][-4:]})
    assert "Remove 1 number from" in response.text
    assert 'name="all_matching" value="1"' in response.text


def test_confirmed_removal_shows_each_outcome_and_triggers_a_table_refresh(seeded, sim, client_as, member_a):
    dir_, numbers = seeded(4)
    sim.ok("DELETE", f"/v2/dir/{dir_.remote_id}/phone_numbers", json={"phone_numbers": [numbers[1]]})
    response = client_as(member_a).post(
        remove_url(dir_), {"numbers": pks(dir_, numbers[:2]), "confirm": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="removal-' in response.text
    assert json.loads(response["HX-Trigger"]) == {"numbers-changed": {}}
    assert numbers[0] in response.text
    assert "1 not removed" in response.text
    assert "not_associated" in response.text
    assert attached(dir_) == set(numbers[1:])


def test_a_big_confirmed_removal_answers_with_progress_that_polls(seeded, client_as, member_a, monkeypatch):
    dir_, numbers = seeded(4)
    monkeypatch.setattr(removal_module, "REMOVE_INLINE_MAX", 1)
    response = client_as(member_a).post(remove_url(dir_), {"all_matching": "1", "confirm": "1"})
    assert 'data-testid="removal-progress"' in response.text
    assert "0 of 1 chunks" in response.text
    assert 'hx-trigger="every 2s"' in response.text
    assert "HX-Trigger" not in response
    removal = NumberRemoval.objects.get()
    status_url = reverse("numbers:removal_status", args=["acme", dir_.pk, removal.pk])
    assert 'hx-trigger="every 2s"' in client_as(member_a).get(status_url).text
    services.removal_run(removal=removal)
    response = client_as(member_a).get(status_url, {"shown": "running"}, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' not in response.text
    assert json.loads(response["HX-Trigger"]) == {"numbers-changed": {}}
    assert "All 4 numbers were removed." in response.text


def test_viewers_and_support_cannot_remove(seeded, client_as, viewer_a, calls):
    dir_, numbers = seeded(1)
    body = {"numbers": pks(dir_, numbers), "confirm": "1"}
    assert client_as(viewer_a).post(remove_url(dir_), body).status_code == 403
    support = make_user("sue@dirportal.test", support=True)
    assert client_as(support).post(remove_url(dir_), body).status_code == 403
    assert calls == []
    assert attached(dir_) == set(numbers)


def test_other_team_cannot_remove_or_watch(seeded, client_as, admin_b, calls):
    dir_, numbers = seeded(1)
    body = {"numbers": pks(dir_, numbers), "confirm": "1"}
    assert client_as(admin_b).post(remove_url(dir_), body).status_code == 404
    assert client_as(admin_b).post(remove_url(dir_, "globex"), body).status_code == 404
    assert calls == []


def test_a_refusal_comes_back_into_the_modal(seeded, client_as, member_a):
    dir_, numbers = seeded(1)
    Dir.objects.filter(pk=dir_.pk).update(status=Dir.Status.DELETE_REQUESTED)
    response = client_as(member_a).post(remove_url(dir_), {"numbers": pks(dir_, numbers), "confirm": "1"})
    assert response.status_code == 200
    assert 'id="number-remove-error"' in response.text
    assert "being deleted" in response.text


@pytest.mark.parametrize(
    "bad",
    [{"q": "1" * 33}, {"status": "bogus"}, {"q": "abc"}, {"numbers": "x"}],
    ids=["q-too-long", "unknown-status", "q-without-digits", "bad-pk"],
)
def test_an_invalid_filter_is_refused_in_the_modal_and_removes_nothing(
    seeded, client_as, member_a, calls, bad
):
    """A filter value the form rejects never widens "all matching" to every number of the DIR."""
    dir_, numbers = seeded(3)
    client = client_as(member_a)
    for step in ({}, {"confirm": "1"}):
        body = {"all_matching": "1", **bad, **step}
        response = client.post(remove_url(dir_), body, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'id="number-remove-error"' in response.text
        assert "nothing was removed" in response.text
        assert 'id="number-remove-confirm"' not in response.text
        assert "HX-Trigger" not in response
    assert calls == []
    assert not NumberRemoval.objects.exists()
    assert attached(dir_) == set(numbers)
    assert remote_attached(dir_) == set(numbers)


# --- claim, unexpected errors, re-queue, the sweep


def test_the_claim_is_compare_and_set_so_a_running_removal_is_never_run_twice(seeded, member_a, calls):
    """Only a queued removal is claimed: a second worker holding the same id sends nothing."""
    dir_, numbers = seeded(3)
    removal = NumberRemoval.objects.create(
        dir=dir_, requested_by=member_a, phone_numbers=numbers, chunks_total=1
    )
    NumberRemoval.objects.filter(pk=removal.pk).update(state=NumberRemoval.State.RUNNING)
    assert removal.state == NumberRemoval.State.QUEUED  # the stale copy a second worker would hold
    removal = services.removal_run(removal=removal)
    assert calls == []
    assert removal.state == NumberRemoval.State.RUNNING
    assert attached(dir_) == set(numbers)


def test_an_unexpected_meta_errors_item_ends_the_removal_as_failed(seeded, sim, member_a, monkeypatch):
    """A 200 whose `meta.errors` has an unknown shape: what Telnyx removed is mirrored, the rest reported."""
    from portal.telnyx import schemas

    dir_, numbers = seeded(4)
    original = TelnyxClient.numbers_remove

    def odd(self, dir_id, phone_numbers):
        result = original(self, dir_id, phone_numbers[:2])  # Telnyx detached only the first two
        return schemas.RemoveResult(removed=result.removed, not_removed=("not an object",))

    monkeypatch.setattr(TelnyxClient, "numbers_remove", odd)
    refreshed = []
    monkeypatch.setattr(removal_module, "dir_refresh_request", lambda dir: refreshed.append(dir.pk))
    removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    assert removal.state == NumberRemoval.State.FAILED
    assert "could not read" in removal.error
    assert removal.finished_at is not None
    assert sorted(removal.removed) == numbers[:2]
    assert removal.not_done == numbers[2:]
    assert attached(dir_) == set(numbers[2:])  # the mirror is exactly what Telnyx removed
    assert remote_attached(dir_) == set(numbers[2:])
    assert refreshed == [dir_.pk]
    assert AuditEvent.objects.get(verb="numbers_removed").details["removed"] == 2


def test_any_exception_in_a_queued_run_ends_it_as_failed_after_the_chunks_it_sent(
    seeded, member_a, monkeypatch, django_capture_on_commit_callbacks
):
    """A bug or a dead dependency mid-run never leaves the removal RUNNING (the page would poll forever)."""
    dir_, numbers = seeded(250)
    original = TelnyxClient.numbers_remove
    sent = []

    def flaky(self, dir_id, phone_numbers):
        sent.append(len(phone_numbers))
        if len(sent) == 2:
            raise RuntimeError("boom")
        return original(self, dir_id, phone_numbers)

    monkeypatch.setattr(TelnyxClient, "numbers_remove", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    removal.refresh_from_db()
    assert removal.state == NumberRemoval.State.FAILED
    assert "unexpected error" in removal.error
    assert removal.chunks_done == 1
    assert removal.removed == numbers[:100]
    assert attached(dir_) == set(numbers[100:])


def test_a_big_removal_queues_itself_again_every_few_chunks(
    seeded, member_a, calls, monkeypatch, django_capture_on_commit_callbacks
):
    """However many chunks, one task sends at most REMOVE_CHUNKS_PER_TASK of them (far below Q_TIMEOUT)."""
    dir_, numbers = seeded(250)
    monkeypatch.setattr(removal_module, "REMOVE_CHUNKS_PER_TASK", 1)
    runs = []
    original = services.removal_run

    def spy(*, removal):
        runs.append(removal.chunks_done)
        return original(removal=removal)

    monkeypatch.setattr(services, "removal_run", spy)
    with django_capture_on_commit_callbacks(execute=True):
        removal = services.number_removal_request(dir=dir_, phone_numbers=numbers, user=member_a)
    assert runs == [0, 1, 2]  # three tasks, each carrying on where the last one stopped
    assert calls == [100, 100, 50]
    removal.refresh_from_db()
    assert (removal.state, removal.chunks_done, len(removal.removed)) == ("done", 3, 250)
    assert AuditEvent.objects.filter(verb="numbers_removed").count() == 1


def test_settle_removals_fails_a_stale_running_one_and_queues_a_stale_queued_one_again(
    seeded, member_a, calls, monkeypatch, django_capture_on_commit_callbacks
):
    """The sweep: no progress for 10 minutes means the worker died; a queued one nobody picked up is re-queued."""
    from datetime import timedelta

    from django.utils import timezone

    from portal.numbers import tasks

    dir_, numbers = seeded(4)
    refreshed = []
    monkeypatch.setattr(removal_module, "dir_refresh_request", lambda dir: refreshed.append(dir.pk))
    long_ago = timezone.now() - timedelta(minutes=11)

    def make(state, at, chunk):
        removal = NumberRemoval.objects.create(
            dir=dir_, requested_by=member_a, phone_numbers=chunk, chunks_total=1, state=state
        )
        NumberRemoval.objects.filter(pk=removal.pk).update(progress_at=at, created_at=at or long_ago)
        return removal

    dead = make("running", long_ago, numbers[:1])
    legacy = make("running", None, numbers[1:2])  # from before progress_at existed
    alive = make("running", timezone.now() - timedelta(minutes=2), numbers[2:3])
    forgotten = make("queued", long_ago, numbers[3:])
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.settle_removals() == 3
    for removal in (dead, legacy):
        removal.refresh_from_db()
        assert removal.state == NumberRemoval.State.FAILED
        assert "interrupted" in removal.error
        assert removal.finished_at is not None
    alive.refresh_from_db()
    assert alive.state == NumberRemoval.State.RUNNING
    forgotten.refresh_from_db()
    assert forgotten.state == NumberRemoval.State.DONE
    assert forgotten.removed == numbers[3:]
    assert calls == [1]  # only the forgotten one was sent; a stale RUNNING one is never re-sent
    assert refreshed == [dir_.pk, dir_.pk]  # the dead workers' last chunk may have landed: re-read
    assert AuditEvent.objects.filter(verb="numbers_removed").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.settle_removals() == 0  # idempotent


def test_the_status_of_a_swept_removal_stops_polling(seeded, client_as, member_a):
    """Once the sweep ends a dead removal, the numbers page's poller gets a final render and stops."""
    from datetime import timedelta

    from django.utils import timezone

    dir_, numbers = seeded(1)
    removal = NumberRemoval.objects.create(
        dir=dir_, requested_by=member_a, phone_numbers=numbers, chunks_total=1, state="running"
    )
    NumberRemoval.objects.filter(pk=removal.pk).update(progress_at=timezone.now() - timedelta(minutes=11))
    status_url = reverse("numbers:removal_status", args=["acme", dir_.pk, removal.pk])
    assert 'hx-trigger="every 2s"' in client_as(member_a).get(status_url).text
    services.removals_settle()
    response = client_as(member_a).get(status_url, {"shown": "running"}, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' not in response.text
    assert 'data-testid="removal-error"' in response.text
    assert json.loads(response["HX-Trigger"]) == {"numbers-changed": {}}
