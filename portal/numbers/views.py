"""The Telnyx webhook receiver, the "Sync now" control and the status timeline."""

from __future__ import annotations

import csv
import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from portal.accounts import selectors as account_selectors
from portal.accounts.models import TelnyxAccount
from portal.accounts.permissions import team_view
from portal.core.exceptions import ServiceError
from portal.core.htmx import HtmxHttpRequest
from portal.dirs import guidance
from portal.dirs import selectors as dir_selectors
from portal.numbers import selectors, services
from portal.numbers.forms import NumberFilterForm, NumberRemoveForm
from portal.numbers.models import IN_FLIGHT, NumberStatus

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


SYNC_CARD = "core/dashboard.html#sync-card"


def _sync_context(request) -> dict:
    account = account_selectors.telnyx_account_get(team=request.team)
    return {"telnyx_account": account, "sync": selectors.sync_latest(account=account)}


@require_POST
@team_view
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a full sync of the team's Telnyx account and show its progress."""
    account = account_selectors.telnyx_account_get(team=request.team)
    if account is None:
        messages.error(request, _("Connect a Telnyx account first."))
        return redirect("accounts:telnyx_account", team_slug=request.team.slug)
    services.sync_request(account=account, user=request.user, request=request)
    if request.htmx:
        return render(request, SYNC_CARD, _sync_context(request))
    return redirect("core:dashboard", team_slug=request.team.slug)


@require_GET
@team_view
def sync_status(request: HtmxHttpRequest) -> HttpResponse:
    """The sync card alone; it polls itself while a sync is queued or running."""
    return render(request, SYNC_CARD, _sync_context(request))


# --- Numbers and batches pages, removal

NUMBER_LIST = "numbers/number_list.html"
BATCH_LIST = "numbers/batch_list.html"
BATCH_DETAIL = "numbers/batch_detail.html"
NUMBERS_CHANGED = "numbers-changed"  # the numbers table re-reads itself on this event


def _fragment(request: HtmxHttpRequest) -> bool:
    # A history restore asks for the whole page even though it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _filters(form) -> dict:
    form.is_valid()  # a bad value is shown and ignored; the valid ones still filter
    data = getattr(form, "cleaned_data", {})
    return {"status": data.get("status") or "", "q": data.get("q") or "", "sort": data.get("sort") or ""}


def _explained(numbers) -> list:
    for number in numbers:
        number.reason = guidance.explain(number.rejection_reason) if number.rejection_reason else None
        number.reasons = [number.reason] if number.reason else []
    return numbers


def _number_list_context(request: HtmxHttpRequest, dir_, data) -> dict:
    form = NumberFilterForm(data or None)
    filters = _filters(form)
    per_page = getattr(form, "cleaned_data", {}).get("per_page") or 25
    counts = selectors.dir_number_status_counts(dir=dir_)
    total = sum(counts.values())
    numbers = selectors.dir_number_list(dir=dir_, **filters)
    # The pills' GROUP BY already knows the total of an unsearched list: no COUNT(*) then.
    known = counts.get(filters["status"], 0) if filters["status"] else total
    if selectors.search_digits(filters["q"]):
        known = None
    page = selectors.IndexPaginator(numbers, per_page, count=known).get_page(data.get("page"))
    _explained(page.object_list)
    return {
        "dir": dir_, "form": form, "page": page, "total": total, **filters,
        "counts": [(value, label, counts[value]) for value, label in NumberStatus.choices if value in counts],
        "can_remove": request.team_access.can_write,
        "removal": selectors.removal_active(dir=dir_),
    }  # fmt: skip


@require_GET
@vary_on_headers("HX-Request")
@team_view
def number_list(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Every number attached to a DIR: status pills with counts, digit search, sort, pages of 25/50/100."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    context = _number_list_context(request, dir_, request.GET)
    return render(request, f"{NUMBER_LIST}#number-results" if _fragment(request) else NUMBER_LIST, context)


EXPORT_HEADER = ["phone_number", "status", "batch_id", "batch_submitted_at", "verified_at",
                 "rejection_code", "rejection_title", "rejection_detail", "telnyx_id"]  # fmt: skip


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_HEADER)
    for number, status, batch, submitted, verified, reason, remote_id in rows:
        if isinstance(reason, str):  # a JSON value read through values_list on some backends
            reason = json.loads(reason)
        reason = reason or {}
        yield writer.writerow([
            number, status, batch or "", submitted.isoformat() if submitted else "",
            verified.isoformat() if verified else "", reason.get("code", ""), reason.get("title", ""),
            reason.get("detail", ""), remote_id,
        ])  # fmt: skip


@require_GET
@team_view
def number_export(request: HtmxHttpRequest, dir_pk: int) -> StreamingHttpResponse:
    """The filtered list as CSV, streamed row by row (constant memory on any number of rows)."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    filters = _filters(NumberFilterForm(request.GET or None))
    rows = selectors.dir_number_export_rows(dir=dir_, **filters)
    response = StreamingHttpResponse(_export_lines(rows), content_type="text/csv; charset=utf-8")
    suffix = f"-{filters['status']}" if filters["status"] else ""
    response["Content-Disposition"] = f'attachment; filename="dir-{dir_.pk}-numbers{suffix}.csv"'
    return response


@require_POST
@team_view
def number_remove(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Step 1 (no `confirm`): the confirmation with the exact count; step 2: remove and show the outcome."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    form = NumberRemoveForm(request.POST)
    filters = _filters(form)
    data = getattr(form, "cleaned_data", {})
    pks = None if data.get("all_matching") else data.get("numbers", [])
    numbers = selectors.dir_number_selection(dir=dir_, pks=pks, status=filters["status"], q=filters["q"])
    context = {"dir": dir_, "form": form, "numbers": numbers, "pks": pks, **filters}
    if not data.get("confirm") or not numbers:
        return render(request, f"{NUMBER_LIST}#number-remove-form", context)
    try:
        removal = services.number_removal_request(
            dir=dir_, phone_numbers=numbers, user=request.user, request=request
        )
    except ServiceError as exc:
        return render(request, f"{NUMBER_LIST}#number-remove-form", {**context, "error": exc.message})
    response = render(request, f"{NUMBER_LIST}#removal-result", {"dir": dir_, "removal": removal})
    return response if removal.in_progress else trigger_client_event(response, NUMBERS_CHANGED)


@require_GET
@team_view
def removal_status(request: HtmxHttpRequest, dir_pk: int, pk: int) -> HttpResponse:
    """One removal's progress (N of M chunks); it polls itself until the removal is finished."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    removal = selectors.removal_get(dir=dir_, pk=pk)
    response = render(request, f"{NUMBER_LIST}#removal-status", {"dir": dir_, "removal": removal})
    # The poller saw it still running last time: now it is done, the table should re-read.
    if not removal.in_progress and request.GET.get("shown") == "running":
        return trigger_client_event(response, NUMBERS_CHANGED)
    return response


@require_GET
@vary_on_headers("HX-Request")
@team_view
def batch_list(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """A DIR's vetting batches with their aggregate status and numbers per status; polls while in flight."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    page = Paginator(selectors.batch_list(dir=dir_), 25).get_page(request.GET.get("page"))
    counts = selectors.batch_number_counts(batch_ids=[b.pk for b in page])
    for batch in page:
        batch.counts = [
            (v, label, counts.get(batch.pk, {})[v])
            for v, label in NumberStatus.choices
            if v in counts.get(batch.pk, {})
        ]
    polling = selectors.batches_in_flight(page)
    if polling:
        services.dir_refresh_request(dir=dir_)
    context = {"dir": dir_, "page": page, "polling": polling}
    return render(request, f"{BATCH_LIST}#batch-results" if _fragment(request) else BATCH_LIST, context)


@require_GET
@vary_on_headers("HX-Request")
@team_view
def batch_detail(request: HtmxHttpRequest, dir_pk: int, pk: int) -> HttpResponse:
    """One batch: its documents, and each number's status and reason; polls while in flight."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    batch = selectors.batch_get(dir=dir_, pk=pk)
    numbers = _explained(list(selectors.batch_numbers(batch=batch)))
    polling = batch.status in IN_FLIGHT or any(n.status_is_transitional and not n.removed_at for n in numbers)
    if polling:
        services.dir_refresh_request(dir=dir_)
    context = {"dir": dir_, "batch": batch, "numbers": numbers, "polling": polling}
    return render(request, f"{BATCH_DETAIL}#batch-status" if _fragment(request) else BATCH_DETAIL, context)
