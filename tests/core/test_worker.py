"""The real queue: a `manage.py qcluster` process picks up a task from the broker (database or Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_q.models import Success
from django_q.tasks import async_task

from portal.accounts import services
from portal.accounts.models import Role
from tests import task_queue

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.workers


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait_for_group_exit(pgid: int, timeout: float = 20) -> None:
    """Wait until no process of the group is left (they hold database sessions until they exit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)


@pytest.mark.django_db(transaction=True)
def test_worker_process_sends_the_invitation_email(admin_a, team_a, tmp_path):
    invitation = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    Success.objects.all().delete()  # the inline (sync) run from invitation_create does not count
    queue = task_queue.broker()
    queue.purge_queue()
    async_task("portal.accounts.tasks.send_invitation", invitation.pk, sync=False)
    task_queue.assert_queued(queue, 1)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "PORTAL_TEST_Q_SYNC": "0",
        "PORTAL_TEST_MAIL_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so every worker process can be stopped
    )
    try:
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and not Success.objects.filter(func__endswith="send_invitation").exists()
        ):
            time.sleep(0.2)
    finally:
        worker.terminate()  # the cluster's parent stops its workers itself
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
        _wait_for_group_exit(worker.pid)  # …and they hold database sessions until they are gone
    assert Success.objects.filter(func="portal.accounts.tasks.send_invitation").count() == 1, output
    assert queue.queue_size() == 0  # the worker took it from there
    mails = [p.read_text() for p in tmp_path.iterdir()]
    assert len(mails) == 1
    assert "To: new@acme.test" in mails[0]
    assert services.invitation_token(invitation)[:20] in mails[0].replace("=\n", "")
