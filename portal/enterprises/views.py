"""Pages of the enterprises app."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.accounts.permissions import team_view
from portal.core.htmx import HtmxHttpRequest


@require_GET
@team_view
def enterprise_list(request: HtmxHttpRequest) -> HttpResponse:
    """Placeholder until the list page is built."""
    return render(request, "enterprises/enterprise_list.html", {})
