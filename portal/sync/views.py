"""The Telnyx webhook receiver and the "Sync now" control."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from portal.accounts import selectors as account_selectors
from portal.accounts.permissions import team_view
from portal.core.exceptions import ServiceError
from portal.core.htmx import HtmxHttpRequest
from portal.sync import selectors, services

logger = logging.getLogger("portal.webhooks")

SYNC_CARD = "sync/_sync_card.html"


@csrf_exempt  # Telnyx signs its requests; there is no browser session or CSRF token here
@login_not_required
@require_POST
def telnyx_webhook(request, account_id: int) -> HttpResponse:
    account = account_selectors.telnyx_account_for_webhook(account_id=account_id)
    if account is None:
        raise Http404
    try:
        outcome = services.webhook_receive(account=account, headers=request.headers, body=request.body)
    except services.WebhookRejected as exc:
        logger.warning("webhook for account %s refused: %s", account_id, exc)
        return JsonResponse({"error": "rejected"}, status=400)
    return JsonResponse({"status": outcome})


def _sync_context(request) -> dict:
    account = account_selectors.telnyx_account_get(team=request.team)
    return {"telnyx_account": account, "sync": selectors.sync_latest(account=account)}


@require_POST
@team_view
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a full sync of the team's Telnyx account and show its progress."""
    try:
        account = account_selectors.telnyx_account_require(team=request.team)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:telnyx_account", team_slug=request.team.slug)
    services.sync_request(account=account, user=request.user, request=request)
    if request.htmx:
        return render(request, SYNC_CARD, _sync_context(request))
    return redirect("dashboard:dashboard", team_slug=request.team.slug)


@require_GET
@team_view
def sync_status(request: HtmxHttpRequest) -> HttpResponse:
    """The sync card alone; it polls itself while a sync is queued or running."""
    return render(request, SYNC_CARD, _sync_context(request))
