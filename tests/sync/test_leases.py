"""Two workers never sync one account at once: the lease holds across threads and connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from portal.accounts.models import Team, TelnyxAccount
from portal.core.leases import LeaseBusy, lease
from portal.core.models import Lease
from portal.sync import services


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_is_turned_away_while_the_first_holds_the_lease(monkeypatch):
    team = Team.objects.create(name="Lease Co", slug="lease-co")
    account = TelnyxAccount.objects.create(
        team=team, api_key="KEY-lease-test-0000000000", api_key_last4="0000"
    )
    inside, release = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def slow_sync(api, account, run, held):
        inside.set()
        release.wait(10)

    monkeypatch.setattr(services, "_sync_full", slow_sync)

    def worker(name: str) -> None:
        try:
            services.account_sync(account=account, full=True)
            outcomes[name] = "synced"
        except LeaseBusy:
            outcomes[name] = "busy"
        finally:
            connections.close_all()

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    second.join(10)
    release.set()
    first.join(10)
    assert outcomes == {"second": "busy", "first": "synced"}
    assert not Lease.objects.exists()  # released when done


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over():
    from datetime import timedelta

    from django.utils import timezone

    Lease.objects.create(
        key="account:1", holder="crashed-worker", expires_at=timezone.now() - timedelta(seconds=1)
    )
    with lease("account:1"):
        assert Lease.objects.get(key="account:1").holder != "crashed-worker"


@pytest.mark.django_db(databases=["default", "simulator"])
def test_a_run_whose_worker_died_is_closed_by_the_next_sync(connected, sim):
    """A worker killed mid-sync leaves its run "running"; whoever next holds the lease marks it failed."""
    from portal.sync.models import SyncRun

    dead = SyncRun.objects.create(account=connected, kind=SyncRun.Kind.FULL, state=SyncRun.State.RUNNING)
    other_team = Team.objects.create(name="Other Co", slug="other-co")
    other = TelnyxAccount.objects.create(
        team=other_team, api_key="KEY-other-0000000000", api_key_last4="0000"
    )
    elsewhere = SyncRun.objects.create(account=other, kind=SyncRun.Kind.FULL, state=SyncRun.State.RUNNING)

    run = services.account_sync(account=connected, full=True)

    dead.refresh_from_db()
    elsewhere.refresh_from_db()
    assert run.state == SyncRun.State.DONE
    assert dead.state == SyncRun.State.FAILED
    assert dead.error == "Abandoned by its worker."
    assert dead.finished_at is not None
    assert elsewhere.state == SyncRun.State.RUNNING  # another account's sync is not ours to close
