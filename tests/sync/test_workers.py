"""Several real `qcluster` processes, one real simulator server: an account is never synced twice at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django_q.models import Success
from django_q.tasks import async_task

from portal.accounts.models import Team, TelnyxAccount
from portal.core.models import StatusChange
from portal.dirs.models import Dir
from portal.numbers.models import DirNumber
from portal.sync.models import SyncRun
from tests import sim as simulator
from tests import task_queue

ROOT = Path(__file__).resolve().parents[2]
TASKS = 6
pytestmark = pytest.mark.workers


def _portal_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def simulator_server(tmp_path):
    """`runsimulator` with a small seeded account whose number listings are slow; yields (base URL, key)."""
    with simulator.simulator_server(tmp_path, seed=["--numbers", "600", "--dirs", "3"]) as (base, key):
        # Slow number listings: every sync then takes seconds, so the workers really overlap.
        httpx.post(
            f"{base}/_sim/faults",
            headers={"Authorization": f"Bearer {key}"},
            json={"kind": "latency", "latency_ms": 150, "pattern": "phone_numbers"},
        ).raise_for_status()
        yield base, key


@pytest.mark.django_db(transaction=True)
def test_two_qcluster_processes_never_sync_one_account_at_once(simulator_server):
    base, key = simulator_server
    team = Team.objects.create(name="Workers Co", slug="workers-co")
    account = TelnyxAccount.objects.create(team=team, api_key=key, api_key_last4=key[-4:])
    queue = task_queue.broker()
    queue.purge_queue()
    for _ in range(TASKS):
        async_task("portal.sync.tasks.sync_account", account.pk, True, sync=False)
    task_queue.assert_queued(queue, TASKS)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _portal_database_url(),
        "PORTAL_TEST_Q_SYNC": "0",
        "TELNYX_API_BASE_URL": f"{base}/v2",
        "Q_WORKERS": "2",
    }
    clusters = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and Success.objects.count() < TASKS:
            time.sleep(0.3)
    finally:
        output = "\n".join(simulator.process_stop(cluster) for cluster in clusters)

    results = list(Success.objects.values_list("result", flat=True))
    assert len(results) == TASKS, output
    assert queue.queue_size() == 0
    busy = [r for r in results if str(r).startswith("busy")]
    synced = [r for r in results if str(r).startswith("full")]
    assert busy and synced, results  # the workers did contend, and the lease decided
    assert len(busy) + len(synced) == TASKS

    runs = list(SyncRun.objects.filter(account=account).order_by("started_at"))
    assert [r.state for r in runs] == [SyncRun.State.DONE] * len(synced)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at  # never two at once

    # The mirror is whole and nothing was recorded twice.
    assert DirNumber.objects.filter(dir__team=team, removed_at=None).count() == 600
    assert Dir.objects.filter(team=team).count() == 3
    dir_history = StatusChange.objects.filter(team=team, entity_type=StatusChange.Entity.DIR)
    assert dir_history.count() == 3  # each DIR's first sighting, once
