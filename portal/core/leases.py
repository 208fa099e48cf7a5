"""Database leases: one holder per key at a time (an account's sync, a DIR's adds), on any database.

A lease is short and kept alive by its holder: `renew()` while working (a heartbeat), so a holder
that dies (SIGKILL, a lost machine) lets go of the key within `seconds`, however long a live holder
works.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.core.models import Lease

LEASE_SECONDS = 15 * 60


class LeaseBusy(Exception):
    """Another worker holds the lease for this key; try again later."""


class LeaseLost(LeaseBusy):
    """Our lease expired unrenewed and another worker took the key over; stop working on it."""


def lease_holder_id() -> str:
    """This process's name for a lease holder, read at each call (a forked worker has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class HeldLease:
    """A lease this worker holds; `renew()` pushes its expiry out again (at most every third of it)."""

    def __init__(self, key: str, holder: str, seconds: int) -> None:
        self.key, self.holder, self.seconds = key, holder, seconds
        self.renewed = time.monotonic()

    def renew(self, *, force: bool = False) -> None:
        """Heartbeat: one small UPDATE when a third of the lease has gone by; LeaseLost if it was taken over."""
        if not force and time.monotonic() - self.renewed < self.seconds / 3:
            return
        expires = timezone.now() + timedelta(seconds=self.seconds)
        if not Lease.objects.filter(key=self.key, holder=self.holder).update(expires_at=expires):
            raise LeaseLost(self.key)
        self.renewed = time.monotonic()


def lease_held(key: str) -> bool:
    """Whether a live (unexpired) lease holds `key`."""
    return Lease.objects.filter(key=key, expires_at__gte=timezone.now()).exists()


@contextmanager
def lease(key: str, *, seconds: int = LEASE_SECONDS):
    """Hold a database lease for `key`; yields a HeldLease to renew. A crashed holder's lease expires."""
    token = lease_holder_id()
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    # Take an expired lease over, or create a new one; exactly one contender wins either way.
    taken = Lease.objects.filter(key=key, expires_at__lt=now).update(holder=token, expires_at=expires)
    if not taken:
        try:
            with transaction.atomic():
                Lease.objects.create(key=key, holder=token, expires_at=expires)
        except IntegrityError as exc:
            raise LeaseBusy(key) from exc
    try:
        yield HeldLease(key, token, seconds)
    finally:
        Lease.objects.filter(key=key, holder=token).delete()
