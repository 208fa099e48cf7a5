"""Dashboard, activity log and health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.accounts import selectors as account_selectors
from portal.accounts.models import Role
from portal.accounts.permissions import team_view
from portal.core import selectors
from portal.core.forms import AuditFilterForm
from portal.core.htmx import HtmxHttpRequest, wants_fragment
from portal.numbers import selectors as number_selectors


@require_GET
@team_view
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    account = account_selectors.telnyx_account_get(team=request.team)
    context = {
        "telnyx_account": account,
        "member_count": account_selectors.membership_list(team=request.team).count(),
        "counts": number_selectors.mirror_counts(team=request.team),
        "sync": number_selectors.sync_latest(account=account),
        "changes": number_selectors.status_change_list(team=request.team, limit=10),
    }
    return render(request, "core/dashboard.html", context)


@require_GET
@vary_on_headers("HX-Request")
@team_view(role=Role.ADMIN)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    form.is_valid()  # a bad field is shown and ignored; the valid ones still filter
    filters = getattr(form, "cleaned_data", {})
    events = selectors.audit_event_list(
        team=request.team, verb=filters.get("verb") or "", actor=filters.get("actor") or ""
    )
    page = Paginator(events, filters.get("per_page") or 25).get_page(request.GET.get("page"))
    fragment = wants_fragment(request)
    template = "core/audit_list.html#audit-results" if fragment else "core/audit_list.html"
    return render(request, template, {"form": form, "page": page})


@login_not_required
@never_cache
@require_GET
def healthz(request) -> JsonResponse:
    """Liveness plus a database round-trip, for load balancers and the run script."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def csrf_failure(request, reason: str = "") -> HttpResponse:
    """A refused POST (missing or stale CSRF token): explain instead of Django's debug page."""
    return render(request, "csrf_failure.html", status=403)
