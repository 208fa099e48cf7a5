"""A database made before the apps were untangled upgrades in place: nothing copied, nothing lost.

The sync engine's models moved from `numbers` to `sync`, the timeline and leases to `core`, each
keeping its table; stored schedules and tasks queued under the old dotted paths keep working.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_q.tasks import async_task

from portal.core.models import Lease, StatusChange
from portal.dirs.models import Dir
from portal.sync.models import SyncRun, WebhookEvent

BEFORE = [
    ("numbers", "0008_removal_claim"),
    ("core", "0002_audit_verbs_for_domain_events"),
    ("sync", None),
]


def _migrate(targets):
    """Migrate the test database to `targets`; the models as they were then."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader  # read again: what is applied now
    return loader.project_state(list(loader.applied_migrations)).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_there_after_it():
    old = _migrate(BEFORE)
    at = timezone.now()
    team = old.get_model("accounts", "Team").objects.create(name="Acme", slug="acme")
    account = old.get_model("accounts", "TelnyxAccount").objects.create(
        team=team, api_key="KEY", api_key_last4="KEY"
    )
    enterprise = old.get_model("enterprises", "Enterprise").objects.create(
        team=team, remote_id="ent-1", legal_name="Acme LLC"
    )
    dir_ = old.get_model("dirs", "Dir").objects.create(
        team=team, enterprise=enterprise, remote_id="dir-1", display_name="Acme", status="verified"
    )
    old.get_model("numbers", "StatusChange").objects.create(
        team=team, entity_type="dir", entity_id=dir_.pk, dir=dir_, from_status="in_review",
        to_status="verified", reason={"code": "x"}, source="sync",
    )  # fmt: skip
    old.get_model("numbers", "SyncRun").objects.create(account=account, kind="full", state="done", pages=7)
    old.get_model("numbers", "SyncLease").objects.create(key="account:1", holder="w1", expires_at=at)
    old.get_model("numbers", "WebhookEvent").objects.create(account=account, event_id="evt-1")
    old.get_model("django_q", "Schedule").objects.create(
        name="sync: in-flight items, every minute", func="portal.numbers.tasks.sync_all", schedule_type="I",
        minutes=1, repeats=-1, next_run=at + timedelta(minutes=1),
    )  # fmt: skip

    _migrate(_latest())

    change = StatusChange.objects.get()
    assert (change.entity_type, change.entity_id, change.dir_id) == ("dir", dir_.pk, dir_.pk)
    assert (change.from_status, change.to_status, change.reason) == ("in_review", "verified", {"code": "x"})
    assert SyncRun.objects.get().pages == 7
    assert Lease.objects.get().key == "account:1"
    assert WebhookEvent.objects.get().event_id == "evt-1"
    from django_q.models import Schedule

    assert Schedule.objects.get().func == "portal.sync.tasks.sync_all"
    # The timeline no longer holds a database constraint on the DIR: deleting the DIR is not refused.
    Dir.objects.filter(pk=dir_.pk).delete()
    assert StatusChange.objects.filter(dir_id=dir_.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_rolled_back_and_replayed():
    """Backwards then forwards again on the same database (a failed deploy rolled back)."""
    _migrate(BEFORE)
    _migrate(_latest())
    assert StatusChange.objects.count() == 0  # the table is there and usable
    Lease.objects.create(key="k", holder="h", expires_at=timezone.now())


def test_a_task_queued_under_its_old_path_still_runs(db):
    """Tasks queued before the move name portal.numbers.tasks.*; they run the sync app's task."""
    result = async_task("portal.numbers.tasks.sync_all", False, sync=True)
    from django_q.models import Task

    task = Task.objects.get(id=result)
    assert (task.success, task.result) == (True, 0)  # no account connected: nothing to queue
