"""Typing helpers for htmx-aware views."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx swap wants the partial; a history restore asks for the whole page although it comes from htmx."""
    return bool(request.htmx) and not request.htmx.history_restore_request
