"""The task queue as the tests that start real `qcluster` processes see it (marker `workers`).

scripts/test runs those tests twice: with the database as django-q2's broker, then with
`REDIS_URL` pointing at a throwaway `redis-server`. `broker()` checks which one the settings chose,
so a Redis run that quietly fell back to the database fails instead of proving nothing.
"""

from __future__ import annotations

from django.conf import settings
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.models import OrmQ


def broker() -> Broker:
    """The broker the settings chose, checked: Redis (and reachable) when REDIS_URL is set, else the ORM."""
    queue = get_broker()
    if settings.REDIS_URL:
        from django_q.brokers.redis_broker import Redis

        assert isinstance(queue, Redis), f"REDIS_URL is set but django-q2 uses {type(queue).__name__}"
        assert queue.ping()
    else:
        assert isinstance(queue, ORM), type(queue).__name__
    return queue


def assert_queued(queue: Broker, count: int) -> None:
    """`count` tasks wait in `queue`, and only there (none in the database when Redis is the broker)."""
    assert queue.queue_size() == count
    if settings.REDIS_URL:
        assert not OrmQ.objects.exists()
