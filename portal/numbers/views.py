"""The Telnyx webhook receiver, the "Sync now" control and the status timeline."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.accounts.models import TelnyxAccount
from portal.numbers import services

logger = logging.getLogger("portal.webhooks")


@csrf_exempt  # Telnyx signs its requests; there is no browser session or CSRF token here
@login_not_required
@require_POST
def telnyx_webhook(request, account_id: int) -> HttpResponse:
    account = get_object_or_404(TelnyxAccount, pk=account_id)
    try:
        outcome = services.webhook_receive(account=account, headers=request.headers, body=request.body)
    except services.WebhookRejected as exc:
        logger.warning("webhook for account %s refused: %s", account_id, exc)
        return JsonResponse({"error": "rejected"}, status=400)
    return JsonResponse({"status": outcome})
