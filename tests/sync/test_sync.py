"""The sync engine against the simulator: equality, history, faults, idempotence, query counts."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.core.leases import LeaseBusy, lease
from portal.core.models import StatusChange
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.numbers.models import Batch, DirNumber
from portal.simulator import models as sim_models
from portal.sync import services
from portal.sync.models import SyncRun
from portal.telnyx import ServerError

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


def remote_state(account_key: str) -> dict:
    """The simulator's state, as the portal should mirror it."""
    account = sim_models.Account.objects.get(api_key=account_key)
    return {
        "enterprises": {
            (str(e.id), e.legal_name, e.branded_calling_enabled)
            for e in sim_models.Enterprise.objects.filter(account=account, deleted_at=None)
        },
        "dirs": {
            (str(d.id), str(d.enterprise_id), d.display_name, d.status, d.verified_at)
            for d in sim_models.Dir.objects.filter(account=account, deleted_at=None)
        },
        "batches": {
            (str(b.id), str(b.dir_id), b.status)
            for b in sim_models.Batch.objects.filter(account=account, dir__deleted_at=None)
        },
        "numbers": {
            (
                str(n.id),
                str(n.dir_id),
                n.phone_number,
                n.status,
                str(n.batch_id),
                (n.rejection_reason or {}).get("code"),
            )
            for n in sim_models.DirPhoneNumber.objects.filter(
                account=account, removed_at=None, dir__deleted_at=None
            )
        },
    }


def local_state(team) -> dict:
    return {
        "enterprises": {(e.remote_id, e.legal_name, e.branded_calling_enabled) for e in Enterprise.objects.filter(team=team, removed_at=None)},
        "dirs": {
            (d.remote_id, d.enterprise.remote_id, d.display_name, d.status, d.verified_at)
            for d in Dir.objects.filter(team=team, removed_at=None).select_related("enterprise")
        },
        "batches": {(b.remote_id, b.dir.remote_id, b.status) for b in Batch.objects.filter(dir__team=team, removed_at=None).select_related("dir")},
        "numbers": {
            (n.remote_id, n.dir.remote_id, n.phone_number, n.status, n.batch.remote_id, (n.rejection_reason or {}).get("code"))
            for n in DirNumber.objects.filter(dir__team=team, removed_at=None).select_related("dir", "batch")
        },
    }  # fmt: skip


@pytest.fixture
def demo(sim, connected):
    """The simulator's demo data (every status) under the connected account."""
    call_command("simulator_seed", "--demo", stdout=io.StringIO())
    # Move the demo account's data to the test account's key.
    sim_models.Account.objects.filter(api_key=sim.key).delete()
    sim_models.Account.objects.filter(name="Acme Health (demo)").update(api_key=sim.key)
    return connected


def test_full_sync_mirrors_every_field_and_status(demo, team_a, sim):
    run = services.account_sync(account=demo, full=True)
    assert run.state == "done"
    assert run.dirs_done == run.dirs_total == Dir.objects.filter(team=team_a, removed_at=None).count()
    assert local_state(team_a) == remote_state(sim.key)
    assert {d.status for d in Dir.objects.filter(team=team_a)} >= {
        "verified",
        "rejected",
        "suspended",
        "expired",
    }
    rejected = Dir.objects.get(team=team_a, status="rejected")
    assert rejected.rejection_reasons[0]["code"] == "display_name_not_associated"


def test_second_full_sync_with_nothing_changed_writes_nothing(demo, team_a):
    services.account_sync(account=demo, full=True)
    stamps = {
        model: dict(model.objects.values_list("pk", "updated_at"))
        for model in (Enterprise, Dir, Batch, DirNumber)
    }
    history = StatusChange.objects.count()
    with CaptureQueriesContext(connection) as queries:
        services.account_sync(account=demo, full=True)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and "numbers_sync" not in q["sql"]
    ]
    assert writes == []
    assert StatusChange.objects.count() == history
    for model, before in stamps.items():
        assert dict(model.objects.values_list("pk", "updated_at")) == before


def test_each_transition_is_recorded_once_even_when_seen_twice(demo, team_a, sim):
    services.account_sync(account=demo, full=True)
    dir_ = Dir.objects.get(team=team_a, display_name="Acme Dental")  # a draft
    sim.ok("POST", f"/v2/dir/{dir_.remote_id}/submit")
    sim.ok("POST", f"/_sim/dir/{dir_.remote_id}/transition", json={"to": "in_review"})
    services.dir_sync(dir_id=dir_.pk, source=StatusChange.Source.WEBHOOK)  # the webhook path sees it…
    services.account_sync(account=demo, full=False)  # …and the scheduled sync sees the same state
    changes = list(StatusChange.objects.filter(entity_type="dir", entity_id=dir_.pk).order_by("at", "pk"))
    assert [(c.from_status, c.to_status, c.source) for c in changes][-1] == ("draft", "in_review", "webhook")
    assert sum(1 for c in changes if c.to_status == "in_review") == 1
    sim.ok("POST", f"/_sim/dir/{dir_.remote_id}/transition", json={"to": "verified"})
    services.account_sync(account=demo, full=False)
    dir_.refresh_from_db()
    assert dir_.status == "verified"
    assert (
        StatusChange.objects.filter(entity_id=dir_.pk, entity_type="dir", to_status="verified").count() == 1
    )


def test_incremental_sync_fetches_only_what_is_in_flight(demo, team_a, sim):
    services.account_sync(account=demo, full=True)
    in_flight = Dir.objects.filter(team=team_a, status__in=Dir.IN_FLIGHT).count()
    in_flight_batches = Batch.objects.filter(dir__team=team_a, status__in=("submitted", "in_review")).count()
    run = services.account_sync(account=demo, full=False)
    assert run.api_calls == in_flight + in_flight_batches
    assert run.api_calls < services.account_sync(account=demo, full=True).api_calls / 5


def test_an_account_never_synced_in_full_gets_a_full_sync_first(demo, team_a):
    """A newly connected account is mirrored by the next scheduled (incremental) sync, not in the night."""
    first = services.account_sync(account=demo, full=False)
    assert first.kind == "full"
    assert Dir.objects.filter(team=team_a).count() == 11
    assert services.account_sync(account=demo, full=False).kind == "incremental"


def test_removed_remotely_is_marked_not_deleted(demo, team_a, sim):
    services.account_sync(account=demo, full=True)
    dir_ = Dir.objects.filter(team=team_a, status="verified", numbers__isnull=False).distinct().first()
    number = DirNumber.objects.filter(dir=dir_).first()
    sim.ok("DELETE", f"/v2/dir/{dir_.remote_id}/phone_numbers", json={"phone_numbers": [number.phone_number]})
    services.account_sync(account=demo, full=True)
    number.refresh_from_db()
    assert number.removed_at is not None
    assert DirNumber.objects.filter(pk=number.pk).exists()


def test_faults_429_and_503_on_a_fraction_of_calls_still_converge(demo, team_a, sim):
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "^/v2/", "method": "GET", "every": 4, "retry_after": 1},
    )
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": "phone_numbers", "method": "GET", "every": 5},
    )
    run = services.account_sync(account=demo, full=True)
    sim.ok("DELETE", "/_sim/faults")
    assert run.state == "done"
    assert local_state(team_a) == remote_state(sim.key)


def test_a_sync_interrupted_half_way_converges_on_the_next_run(demo, team_a, sim):
    # Every number listing fails past the client's retries: the sync stops after the DIR pages.
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": "phone_numbers$", "method": "GET"},
    )
    with pytest.raises(ServerError):
        services.account_sync(account=demo, full=True)
    assert Dir.objects.filter(team=team_a).exists()
    assert not DirNumber.objects.exists()
    sim.ok("DELETE", "/_sim/faults")
    services.account_sync(account=demo, full=True)
    assert local_state(team_a) == remote_state(sim.key)


def test_two_syncs_of_one_account_never_overlap(connected):
    with lease(f"account:{connected.pk}"), pytest.raises(LeaseBusy):
        services.account_sync(account=connected, full=True)


def test_query_count_grows_with_pages_not_numbers(sim, connected, team_a):
    out = io.StringIO()
    call_command("simulator_seed", numbers=10_000, dirs=2, api_key=sim.key, stdout=out)
    with CaptureQueriesContext(connection) as queries:
        run = services.account_sync(account=connected, full=True)
    assert DirNumber.objects.count() == 10_000
    # 2 DIRs × (40 number pages + 3 batch pages) + enterprise and DIR pages, about 6 queries each.
    assert run.pages <= 90
    assert len(queries.captured_queries) <= 8 * run.pages + 20, len(queries.captured_queries)


def test_number_and_batch_transitions_are_recorded_once(demo, team_a, sim):
    services.account_sync(account=demo, full=True)
    batch = Batch.objects.filter(dir__team=team_a, status="in_review").first()
    numbers = list(DirNumber.objects.filter(batch=batch))
    sim.ok("POST", f"/_sim/batches/{batch.remote_id}/transition", json={"to": "verified"})
    services.account_sync(account=demo, full=False)  # the in-flight batch is re-read
    services.account_sync(account=demo, full=True)  # and seen again: no second record
    for number in numbers:
        changes = StatusChange.objects.filter(entity_type="number", entity_id=number.pk)
        assert [(c.from_status, c.to_status) for c in changes] == [("in_review", "verified")]
    batch_changes = StatusChange.objects.filter(entity_type="batch", entity_id=batch.pk, to_status="verified")
    assert batch_changes.count() == 1


def test_sync_telnyx_command_and_scheduled_task(demo, team_a, sim):
    from portal.sync.tasks import sync_all

    out = io.StringIO()
    call_command("sync_telnyx", "--full", stdout=out)
    assert "Acme Health: full sync" in out.getvalue()
    assert local_state(team_a) == remote_state(sim.key)
    assert sync_all(full=False) == 1  # one account queued (run inline in tests)
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/"})
    with pytest.raises(CommandError, match="1 account"):
        call_command("sync_telnyx", "--full", stdout=io.StringIO(), stderr=io.StringIO())
    failed = SyncRun.objects.filter(state=SyncRun.State.FAILED).get()
    # What the sync card shows: the shared wording of a failed read, never the client's own text.
    assert failed.error == "Telnyx is having trouble right now (HTTP 503). Try again in a moment."


def test_a_number_removed_and_added_again_is_mirrored_as_its_new_attachment(sim, connected):
    """Telnyx gives a re-added number a new id: the old row is marked removed, the sync goes on."""
    sim.inventory("+13125552000", "+13125552001")
    enterprise = sim.activated_enterprise()
    remote = sim.verified_dir(enterprise_id=enterprise["id"])
    path = f"/v2/dir/{remote['id']}/phone_numbers"
    body = {"phone_numbers": ["+13125552000", "+13125552001"], "documents": sim.loa()}
    sim.ok("POST", path, status=201, json=body)
    services.account_sync(account=connected, full=True)
    first = DirNumber.objects.get(phone_number="+13125552000", removed_at=None)

    sim.request("DELETE", path, json={"phone_numbers": ["+13125552000"]}).raise_for_status()
    sim.ok("POST", path, status=201, json={"phone_numbers": ["+13125552000"], "documents": sim.loa()})
    services.account_sync(account=connected, full=True)  # used to fail on the attached-row constraint

    old, new = DirNumber.objects.filter(phone_number="+13125552000").order_by("pk")
    assert (old.pk, old.removed_at is not None) == (first.pk, True)
    assert new.remote_id != first.remote_id and new.removed_at is None
    assert DirNumber.objects.get(phone_number="+13125552001", removed_at=None)  # untouched


def test_rows_without_an_id_or_a_number_are_skipped():
    """A malformed row from Telnyx is not mirrored under an empty id (nor breaks the page)."""
    from datetime import UTC, datetime

    from portal.accounts.models import Team
    from portal.enterprises.models import Enterprise
    from portal.numbers import mirror
    from portal.telnyx import schemas

    team = Team.objects.create(name="Rows", slug="rows")
    enterprise = Enterprise.objects.create(team=team, remote_id="e-rows", legal_name="Rows LLC")
    dir_ = Dir.objects.create(
        team=team, enterprise=enterprise, remote_id="d-rows", display_name="R", status="verified"
    )
    page = [
        schemas.DirPhoneNumber.from_dict({"phone_number": "+13125550001", "status": "verified"}),
        schemas.DirPhoneNumber.from_dict({"id": "n-1", "status": "verified"}),
        schemas.DirPhoneNumber.from_dict({"id": "n-2", "phone_number": "+13125550002", "status": "verified"}),
    ]
    seen = mirror.numbers_apply_remote(
        dir=dir_, remotes=page, batches={}, source="sync", at=datetime.now(UTC)
    )
    assert seen == {"n-2"}
    assert list(DirNumber.objects.values_list("remote_id", flat=True)) == ["n-2"]


def _rows_dir():
    from portal.accounts.models import Team

    team = Team.objects.create(name="Fresh", slug="fresh")
    enterprise = Enterprise.objects.create(team=team, remote_id="e-fresh", legal_name="Fresh LLC")
    return Dir.objects.create(
        team=team, enterprise=enterprise, remote_id="d-fresh", display_name="F", status="verified"
    )


def test_a_first_sync_page_keeps_rows_that_turned_up_meanwhile():
    """The insert-only path of a DIR's first sync skips rows already there (the portal's own add)."""
    from datetime import UTC, datetime

    from portal.numbers import mirror
    from portal.telnyx import schemas

    dir_ = _rows_dir()
    at = datetime.now(UTC)
    mine = Batch.objects.create(dir=dir_, remote_id="b-1", status="pending", total_count=1)
    DirNumber.objects.create(
        dir=dir_, batch=mine, remote_id="n-1", phone_number="+13125550001", status="pending"
    )
    batches = mirror.batches_insert_new(
        dir=dir_,
        remotes=[
            schemas.Batch.summary_from_dict({"batch_id": "b-1", "status": "verified", "total_count": 1}),
            schemas.Batch.summary_from_dict(
                {"batch_id": "b-2", "status": "in_review", "total_count": 2, "documents": ["doc-1"]}
            ),
        ],
        at=at,
    )
    second = Batch.objects.get(remote_id="b-2")
    assert batches == {"b-1": mine.pk, "b-2": second.pk}
    assert (second.dir_id, second.status, second.total_count, second.documents) == (
        dir_.pk, "in_review", 2, ["doc-1"]
    )  # fmt: skip
    page = [
        schemas.DirPhoneNumber.from_dict({"id": "n-1", "phone_number": "+13125550001", "status": "verified"}),
        schemas.DirPhoneNumber.from_dict(
            {"id": "n-2", "phone_number": "+13125550002", "status": "in_review", "batch_id": "b-2"}
        ),
        # Same number as n-1 under another id: the one-attached-row rule skips it too.
        schemas.DirPhoneNumber.from_dict({"id": "n-3", "phone_number": "+13125550001", "status": "verified"}),
    ]
    seen = mirror.numbers_apply_remote(
        dir=dir_, remotes=page, batches=batches, source="sync", at=at, fresh=True
    )
    assert seen == {"n-1", "n-2", "n-3"}
    rows = dict(DirNumber.objects.values_list("remote_id", "status"))
    assert rows == {"n-1": "pending", "n-2": "in_review"}  # n-1 left as it was, for the next sync
    assert DirNumber.objects.get(remote_id="n-2").batch_id == second.pk
    assert not StatusChange.objects.exists()


def test_a_dir_with_only_removed_rows_is_compared_not_just_inserted(demo, team_a, sim):
    """Rows marked removed locally but still attached remotely come back on the next full sync."""
    services.account_sync(account=demo, full=True)
    attached = DirNumber.objects.filter(dir__team=team_a, removed_at=None).count()
    assert attached
    DirNumber.objects.filter(dir__team=team_a).update(removed_at="2026-01-01T00:00:00Z")
    services.account_sync(account=demo, full=True)
    assert DirNumber.objects.filter(dir__team=team_a, removed_at=None).count() == attached
    assert local_state(team_a) == remote_state(sim.key)


def test_the_sync_refreshes_counts_when_numbers_are_gone_remotely(sim, connected, team_a):
    from portal.dirs import selectors

    sim.inventory("+13125552000", "+13125552001")
    enterprise = sim.activated_enterprise()
    remote = sim.verified_dir(enterprise_id=enterprise["id"])
    path = f"/v2/dir/{remote['id']}/phone_numbers"
    sim.ok(
        "POST",
        path,
        status=201,
        json={"phone_numbers": ["+13125552000", "+13125552001"], "documents": sim.loa()},
    )
    services.account_sync(account=connected, full=True)
    dir_ = Dir.objects.get(remote_id=remote["id"])
    assert selectors.dir_number_status_counts(dir=dir_) == {"submitted": 2}
    sim.request("DELETE", path, json={"phone_numbers": ["+13125552000"]}).raise_for_status()
    services.account_sync(account=connected, full=True)
    dir_.refresh_from_db()  # as the next page would read it
    assert sum(selectors.dir_number_status_counts(dir=dir_).values()) == 1
