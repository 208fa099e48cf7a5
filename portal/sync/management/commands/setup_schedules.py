"""Declare every recurring task in one place (idempotent; run on every deploy and by scripts/run)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import Schedule

SCHEDULES = [
    # name, function, kwargs, schedule
    {
        "name": "sync: in-flight items, every minute",
        "func": "portal.sync.tasks.sync_all",
        "kwargs": "full=False",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        # Adds whose worker died or whose answer was lost (ARCHITECTURE.md §6.2) are settled by
        # reading the DIR back; nothing is re-sent blindly.
        "name": "numbers: settle open add requests, every 5 minutes",
        "func": "portal.numbers.tasks.settle_add_requests",
        "kwargs": "",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    {
        # A removal whose worker died (no progress for 10 minutes) is ended as failed, never re-sent;
        # a queued one nobody picked up is queued again. Either way the numbers page stops polling.
        "name": "numbers: settle stale removals, every 5 minutes",
        "func": "portal.numbers.tasks.settle_removals",
        "kwargs": "",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    {
        # A signed add that ended gets its sealed certificate and the signer their copy; chunks
        # waiting for their letter longer than 5 minutes (their worker died) are rendered again.
        "name": "loas: complete signed adds, every minute",
        "func": "portal.loas.tasks.settle_ceremonies",
        "kwargs": "",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        # https://crontab.guru/#15_3_*_*_*
        "name": "sync: full reconcile, nightly",
        "func": "portal.sync.tasks.sync_all",
        "kwargs": "full=True",
        "schedule_type": Schedule.CRON,
        "cron": "15 3 * * *",
    },
]


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules."

    def handle(self, *args, **options):
        for spec in SCHEDULES:
            spec = dict(spec)
            name = spec.pop("name")
            Schedule.objects.update_or_create(name=name, defaults={**spec, "repeats": -1})
            self.stdout.write(f"schedule: {name}")
