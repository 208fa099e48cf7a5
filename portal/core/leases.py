"""Database leases: one holder per key at a time (an account's sync, a DIR's adds), on any database."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.core.models import Lease

LEASE_SECONDS = 15 * 60


class LeaseBusy(Exception):
    """Another worker holds the lease for this key; try again later."""


def lease_holder_id() -> str:
    """This process's name for a lease holder, read at each call (a forked worker has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def lease(key: str, *, seconds: int = LEASE_SECONDS):
    """Hold a database lease for `key`; a crashed holder's lease simply expires."""
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
        yield
    finally:
        Lease.objects.filter(key=key, holder=token).delete()
