"""setup_schedules declares the recurring syncs, idempotently."""

from __future__ import annotations

import io

from django.core.management import call_command
from django_q.models import Schedule


def test_setup_schedules_is_idempotent(db):
    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", stdout=io.StringIO())
    schedules = {s.name: s for s in Schedule.objects.all()}
    assert len(schedules) == 5
    nightly = schedules["sync: full reconcile, nightly"]
    assert (nightly.func, nightly.kwargs, nightly.cron) == (
        "portal.sync.tasks.sync_all",
        "full=True",
        "15 3 * * *",
    )
    assert nightly.next_run is not None
    minutely = schedules["sync: in-flight items, every minute"]
    assert (minutely.schedule_type, minutely.minutes, minutely.kwargs) == (Schedule.MINUTES, 1, "full=False")
    settle = schedules["numbers: settle open add requests, every 5 minutes"]
    assert (settle.func, settle.schedule_type, settle.minutes) == (
        "portal.numbers.tasks.settle_add_requests",
        Schedule.MINUTES,
        5,
    )
    removals = schedules["numbers: settle stale removals, every 5 minutes"]
    assert (removals.func, removals.schedule_type, removals.minutes, removals.repeats) == (
        "portal.numbers.tasks.settle_removals",
        Schedule.MINUTES,
        5,
        -1,
    )
    loas = schedules["loas: complete signed adds, every minute"]
    assert (loas.func, loas.schedule_type, loas.minutes) == (
        "portal.loas.tasks.settle_ceremonies",
        Schedule.MINUTES,
        1,
    )
