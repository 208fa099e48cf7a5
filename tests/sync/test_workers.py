"""Several real `qcluster` processes, one real simulator server: an account is never synced twice at once."""

from __future__ import annotations

import os
import signal
import socket
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

ROOT = Path(__file__).resolve().parents[2]
TASKS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _portal_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _stop(process: subprocess.Popen) -> str:
    """Stop a process and every child of its group; the workers hold database sessions until gone."""
    process.terminate()
    try:
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0].decode(errors="replace")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(process.pid, signal.SIGKILL)
    return output


@pytest.fixture
def simulator_server(tmp_path):
    """`runsimulator` on a free port with a small seeded account; yields (base URL, API key)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV_FILE": str(tmp_path / "none.env"),
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "SIMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'sim.sqlite3'}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "--database", "simulator", "-v0"], **run)
    seeded = subprocess.run(
        [sys.executable, "manage.py", "simulator_seed", "--numbers", "600", "--dirs", "3"], **run
    )
    key = seeded.stdout.rsplit("account key ", 1)[1].strip()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsimulator", "--port", str(port), "--no-autopilot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/v2/dir", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        # Slow number listings: every sync then takes seconds, so the workers really overlap.
        httpx.post(
            f"{base}/_sim/faults",
            headers={"Authorization": f"Bearer {key}"},
            json={"kind": "latency", "latency_ms": 150, "pattern": "phone_numbers"},
        ).raise_for_status()
        yield base, key
    finally:
        _stop(process)


@pytest.mark.django_db(transaction=True)
def test_two_qcluster_processes_never_sync_one_account_at_once(simulator_server):
    base, key = simulator_server
    team = Team.objects.create(name="Workers Co", slug="workers-co")
    account = TelnyxAccount.objects.create(team=team, api_key=key, api_key_last4=key[-4:])
    for _ in range(TASKS):
        async_task("portal.sync.tasks.sync_account", account.pk, True, sync=False)

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
        output = "\n".join(_stop(cluster) for cluster in clusters)

    results = list(Success.objects.values_list("result", flat=True))
    assert len(results) == TASKS, output
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
