"""The health check and the CSRF failure page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
