"""The team's home page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.accounts import selectors as account_selectors
from portal.accounts.permissions import team_view
from portal.core.htmx import HtmxHttpRequest
from portal.dashboard import selectors
from portal.dirs import selectors as dir_selectors
from portal.sync import selectors as sync_selectors


@require_GET
@team_view
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    account = account_selectors.telnyx_account_get(team=request.team)
    context = {
        "telnyx_account": account,
        "member_count": account_selectors.membership_list(team=request.team).count(),
        "counts": selectors.mirror_counts(team=request.team),
        "sync": sync_selectors.sync_latest(account=account),
        "changes": dir_selectors.timeline(team=request.team, limit=10),
    }
    return render(request, "dashboard/dashboard.html", context)
