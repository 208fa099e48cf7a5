"""Queue tasks for removals and adds: they take ids and call services."""

from __future__ import annotations

import logging

from portal.core.leases import LeaseBusy
from portal.numbers import services

logger = logging.getLogger("portal.numbers")


# --- Numbers and batches pages, removal


def run_removal(removal_id: int) -> str:
    """Send a queued removal (more than one chunk of numbers); see services.removal_run."""
    from portal.numbers.models import NumberRemoval

    removal = NumberRemoval.objects.filter(pk=removal_id).first()
    if removal is None:
        return "removal gone"
    removal = services.removal_run(removal=removal)
    return f"{removal.state}: {len(removal.removed)} removed, {len(removal.not_removed)} refused"


def settle_removals() -> int:
    """End the removals whose worker died, queue again the ones nobody started (a schedule runs this)."""
    return services.removals_settle()


# --- Add flow


def send_add_request(add_request_id: int) -> str:
    """Send (or settle) one chunk of an add."""
    try:
        request = services.add_request_send(add_request_id=add_request_id)
    except LeaseBusy:
        return "busy: another add to this DIR is still being sent; settled later"
    except services.AddUncertain:
        return "uncertain: Telnyx could not be read; settled later"
    except services.AddRateLimited:
        return "rate-limited: Telnyx keeps answering 429; left pending, queued again by the sweep"
    except services.AddSuperseded:
        return "superseded: another worker moved this chunk on meanwhile"
    return request.state if request is not None else "gone"


def settle_add_requests() -> int:
    """Queue again the adds left open (a schedule runs this every few minutes)."""
    return services.add_requests_settle()
