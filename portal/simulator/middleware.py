"""Per-request plumbing for the simulator: URLconf, body size, injected faults, error envelope."""

from __future__ import annotations

import logging
import re
import time

from django.conf import settings
from django.db.models import F, Q

from portal.simulator.api import BEARER, MAX_BODY_BYTES, ApiError, entry
from portal.simulator.models import Fault

logger = logging.getLogger("portal.simulator")


class ConnectionDropped(Exception):
    """Raised after a committed write so the server closes the socket without answering."""


class SimulatorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.urlconf = "portal.simulator.urls"
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return ApiError.one(
                413, "10015", f"The request body is larger than {MAX_BODY_BYTES} bytes."
            ).response()
        if length:
            # Read the body here so Django's form-upload limit (meant for the portal) does not apply.
            request._body = request.read()
        api_call = request.path.startswith("/v2/")
        if api_call and settings.SIMULATOR_LATENCY_MS > 0:
            # Every call takes at least this long, as over a network to Telnyx (benchmarks).
            time.sleep(settings.SIMULATOR_LATENCY_MS / 1000)
        fault = self._matching_fault(request) if api_call else None
        if fault is not None and fault.kind in ("rate_limit", "error"):
            return self._fault_response(fault)
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.latency_ms / 1000)
        try:
            response = self.get_response(request)
        except ApiError as exc:
            response = exc.response()
        if fault is not None and fault.kind == "drop_after_commit" and response.status_code < 400:
            logger.info("fault: dropping the response to %s %s after commit", request.method, request.path)
            if fault.status == 0:
                response.drop_connection = True  # SimulatorHandler closes the connection
                return response
            return ApiError.one(
                fault.status, "90502", "Upstream connection lost.", title="Bad Gateway"
            ).response()
        return response

    @staticmethod
    def _matching_fault(request):
        # A fault applies to the account that set it up (faults without an account apply to all).
        match = BEARER.match(request.headers.get("Authorization", ""))
        mine = (
            Q(account__isnull=True) | Q(account__api_key=match.group(1)) if match else Q(account__isnull=True)
        )
        for fault in Fault.objects.filter(mine).order_by("pk"):
            try:
                matches = re.search(fault.pattern, request.path)
            except re.error:
                continue  # never let a bad pattern take the API down
            if fault.method not in ("*", request.method) or not matches:
                continue
            if fault.remaining is not None and fault.remaining <= 0:
                continue
            Fault.objects.filter(pk=fault.pk).update(seen=F("seen") + 1)
            fault.seen += 1
            if fault.seen % fault.every:
                continue
            if fault.remaining is not None:
                Fault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
            return fault
        return None

    @staticmethod
    def _fault_response(fault):
        if fault.kind == "rate_limit":
            headers = {
                "Retry-After": str(fault.retry_after),
                "x-ratelimit-limit": "100",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(fault.retry_after),
            }
            return ApiError(
                429, [entry("10011", "Too many requests; slow down and retry.")], headers
            ).response()
        detail = (
            "The service is temporarily unavailable." if fault.status == 503 else "Internal server error."
        )
        title = "Service Unavailable" if fault.status == 503 else "Internal Server Error"
        return ApiError(fault.status, [entry(str(90000 + fault.status), detail, title=title)]).response()
