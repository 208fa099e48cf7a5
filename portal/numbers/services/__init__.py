"""Writes for attached numbers: removal (removal.py), the add up to queueing (add.py) and the
exactly-once sending of each chunk (add_send.py). The sync engine that mirrors them is portal.sync.
"""

from portal.numbers.services.add import (
    INVENTORY_SEARCH_LIMIT,
    PreflightFailed,
    add_check_record,
    add_refusal,
    add_requests_enqueue,
    add_resubmit,
    add_stop,
    add_submit,
    inventory_search,
    numbers_preflight,
    numbers_read,
)
from portal.numbers.services.add_send import (
    ADD_MAX_ATTEMPTS,
    AddRateLimited,
    AddSuperseded,
    AddUncertain,
    add_request_send,
    add_requests_settle,
)
from portal.numbers.services.removal import (
    REMOVE_CHUNK,
    REMOVE_INLINE_MAX,
    number_removal_request,
    removal_run,
    removals_settle,
)

__all__ = [
    "ADD_MAX_ATTEMPTS",
    "INVENTORY_SEARCH_LIMIT",
    "REMOVE_CHUNK",
    "REMOVE_INLINE_MAX",
    "AddRateLimited",
    "AddSuperseded",
    "AddUncertain",
    "PreflightFailed",
    "add_check_record",
    "add_refusal",
    "add_request_send",
    "add_requests_enqueue",
    "add_requests_settle",
    "add_resubmit",
    "add_stop",
    "add_submit",
    "inventory_search",
    "number_removal_request",
    "numbers_preflight",
    "numbers_read",
    "removal_run",
    "removals_settle",
]
