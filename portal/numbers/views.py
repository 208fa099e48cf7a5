"""Numbers and batches pages, removal, and the add flow of a DIR."""

from __future__ import annotations

import csv
import json
import logging
import re
import uuid

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, trigger_client_event

from portal.accounts.permissions import team_view
from portal.core.exceptions import ServiceError
from portal.core.forms import form_add_service_error
from portal.core.htmx import HtmxHttpRequest, wants_fragment
from portal.core.spreadsheet import cell_text_safe
from portal.dirs import guidance
from portal.dirs import selectors as dir_selectors
from portal.dirs import services as dir_services
from portal.documents import selectors as document_selectors
from portal.documents import services as document_services
from portal.documents.models import DocumentType
from portal.numbers import checks, selectors, services
from portal.numbers.forms import AddNumbersForm, NumberFilterForm, NumberRemoveForm
from portal.numbers.models import IN_FLIGHT, NumberStatus

logger = logging.getLogger("portal.webhooks")


# --- Numbers and batches pages, removal

NUMBER_LIST = "numbers/number_list.html"
BATCH_LIST = "numbers/batch_list.html"
BATCH_DETAIL = "numbers/batch_detail.html"
NUMBERS_CHANGED = "numbers-changed"  # the numbers table re-reads itself on this event


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
    counts = dir_selectors.dir_number_status_counts(dir=dir_)
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
    return render(
        request, f"{NUMBER_LIST}#number-results" if wants_fragment(request) else NUMBER_LIST, context
    )


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
        # The number and our own dates stay as they are; text that came from Telnyx is made formula-safe.
        yield writer.writerow([
            number, cell_text_safe(status), cell_text_safe(batch), submitted.isoformat() if submitted else "",
            verified.isoformat() if verified else "", cell_text_safe(reason.get("code")),
            cell_text_safe(reason.get("title")), cell_text_safe(reason.get("detail")), cell_text_safe(remote_id),
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


def _filter_refusal(form) -> str:
    problems = " ".join(
        f"{form.fields[name].label or name}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
        for name, errors in form.errors.items()
    )
    return _(
        "The filter is not valid, so nothing was removed. %(problems)s Reload the page and try again."
    ) % {"problems": problems}


@require_POST
@team_view
def number_remove(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Step 1 (no `confirm`): the confirmation with the exact count; step 2: remove and show the outcome."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    form = NumberRemoveForm(request.POST)
    if not form.is_valid():
        # Unlike the list, never ignore a bad value here: without it "all matching" is the whole DIR.
        context = {"dir": dir_, "form": form, "numbers": [], "error": _filter_refusal(form)}
        return render(request, f"{NUMBER_LIST}#number-remove-form", context)
    filters = _filters(form)
    data = form.cleaned_data
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
        dir_services.dir_refresh_request(dir=dir_)
    context = {"dir": dir_, "page": page, "polling": polling}
    return render(request, f"{BATCH_LIST}#batch-results" if wants_fragment(request) else BATCH_LIST, context)


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
        dir_services.dir_refresh_request(dir=dir_)
    context = {"dir": dir_, "batch": batch, "numbers": numbers, "polling": polling}
    return render(
        request, f"{BATCH_DETAIL}#batch-status" if wants_fragment(request) else BATCH_DETAIL, context
    )


# --- Add flow: one page; every step swaps a partial of numbers/number_add.html

NUMBER_ADD = "numbers/number_add.html"


def _add_dir(request: HtmxHttpRequest, dir_pk: int):
    return dir_selectors.dir_get(team=request.team, pk=dir_pk)


def _add_documents(request: HtmxHttpRequest) -> dict:
    return {
        "loas": selectors.add_loa_choices(team=request.team),
        "others": document_selectors.document_list(team=request.team, loa=False, limit=10),
    }


def _add_context(
    request: HtmxHttpRequest, dir_, *, form=None, preflight=None, check=None, group=None
) -> dict:
    """Everything the page's partials need, read fresh from the database."""
    form = form or AddNumbersForm(team=request.team)
    return {
        "dir": dir_,
        "form": form,
        "preflight": preflight,
        "check": check,
        "max_numbers": checks.MAX_NUMBERS,
        "ready": preflight is not None and bool(preflight.ok) and not preflight.problems,
        "refusal": services.add_refusal(dir=dir_),
        "can_act": request.team_access.can_write,
        "chosen_loa": str(form["loa"].value() or ""),
        "chosen_documents": [str(v) for v in form["documents"].value() or []],
        **_add_documents(request),
        **_add_progress(dir_, group),
    }


def _seconds_left(chunks, succeeded, open_) -> int | None:
    """A rough time left for the open chunks, from how long the settled ones took (None before any did)."""
    finished = [c.finished_at for c in succeeded if c.finished_at]
    if not open_ or not finished:
        return None
    elapsed = (max(finished) - min(c.created_at for c in chunks)).total_seconds()
    return max(1, round(elapsed / len(finished) * len(open_)))


# A 10,000-number add has 667 batches: the card lists the first ones and links to the full lists.
PROGRESS_BATCHES_SHOWN = 20
PROGRESS_REJECTED_SHOWN = 50


def _add_progress(dir_, group) -> dict:
    """The progress of one submission: chunks by state, refusals by category, vetting outcomes."""
    chunks = selectors.add_group_list(dir=dir_, group=group) if group else []
    if not chunks:
        return {"group": None}
    succeeded = [c for c in chunks if c.succeeded]
    open_ = [c for c in chunks if c.is_unsettled]
    refusals: dict[str, dict] = {}
    for chunk in chunks:
        for error in chunk.outcome.get("errors") or []:
            key = error.get("category") or error.get("code") or "other"
            entry = refusals.setdefault(
                key, {"label": checks.REMOTE_CATEGORIES.get(key) or error.get("detail"), "numbers": []}
            )
            entry["numbers"] += error.get("phone_numbers") or []
    for entry in refusals.values():
        entry["shown"], entry["more"] = (
            entry["numbers"][: checks.GROUP_SHOWN],
            max(0, len(entry["numbers"]) - checks.GROUP_SHOWN),
        )
    batches = list({c.batch_id: c.batch for c in chunks if c.batch is not None}.values())
    outcomes = selectors.add_group_numbers(batches=batches)
    stopped = [c for c in chunks if c.state == c.State.CANCELLED]
    stopped_ids = {c.pk for c in stopped}
    failures: dict[str, dict] = {}  # one line per reason, however many batches of a big add failed for it
    for c in chunks:
        if not c.is_unsettled and not c.succeeded and not c.outcome.get("errors") and c.pk not in stopped_ids:
            entry = failures.setdefault(
                c.outcome.get("message") or c.get_state_display(), {"batches": 0, "numbers": 0}
            )
            entry["batches"] += 1
            entry["numbers"] += len(c.numbers)
    rejected = [n for n in outcomes if n.rejection_reason]
    return {
        "group": group,
        "chunks": chunks,
        "done": len(succeeded),
        "failed": len(chunks) - len(succeeded) - len(open_) - len(stopped),
        "stopped": len(stopped),
        "stopped_numbers": sum(len(c.numbers) for c in stopped),
        "seconds_left": _seconds_left(chunks, succeeded, open_),
        "pending": len(open_),
        "numbers_added": sum(len(c.numbers) for c in succeeded),
        "refusals": list(refusals.values()),
        "failures": [{"message": m, **f} for m, f in failures.items()],
        "rest": sum(len(c.rest_numbers) for c in chunks if not c.outcome.get("resubmitted")),
        "batches": batches[:PROGRESS_BATCHES_SHOWN],
        "batches_more": max(0, len(batches) - PROGRESS_BATCHES_SHOWN),
        "vetting": any(b.status in IN_FLIGHT for b in batches),
        "rejected": rejected[:PROGRESS_REJECTED_SHOWN],
        "rejected_more": max(0, len(rejected) - PROGRESS_REJECTED_SHOWN),
        "outcome_counts": _counts(outcomes),
    }


def _counts(numbers) -> list[tuple[str, int]]:
    found: dict[str, int] = {}
    for number in numbers:
        found[number.status] = found.get(number.status, 0) + 1
    return [(s, found[s]) for s, _label in NumberStatus.choices if s in found]


@require_GET
@vary_on_headers("HX-Request")
@team_view
def number_add(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """The add page: numbers, pre-flight, LOA, submit, and the latest add's progress."""
    dir_ = _add_dir(request, dir_pk)
    group = _group(request.GET.get("group")) or selectors.add_group_latest(dir=dir_)
    return render(request, NUMBER_ADD, _add_context(request, dir_, group=group))


def _group(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _add_input(request: HtmxHttpRequest, form: AddNumbersForm) -> checks.Given:
    data = form.cleaned_data
    return services.numbers_read(text=data["numbers"], csv_file=data["csv"], picked=data["picked"])


@require_POST
@team_view
def number_add_check(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Pre-flight the numbers (optionally dropping some reasons) and show what would be refused, inline."""
    dir_ = _add_dir(request, dir_pk)
    form = AddNumbersForm(request.POST, request.FILES, team=request.team)
    preflight = check = None
    if form.is_valid() and not services.add_refusal(dir=dir_):
        try:
            given = _add_input(request, form)
            preflight = services.numbers_preflight(dir=dir_, raw=given.values, origins=given.origins)
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            drop = request.POST.getlist("drop")
            preflight = preflight.dropping(checks.REASONS if "all" in drop else drop)
            check = services.add_check_record(dir=dir_, user=request.user, preflight=preflight)
            data = {**request.POST.dict(), "numbers": "\n".join(preflight.without([]))}
            data["documents"] = request.POST.getlist("documents")
            form = AddNumbersForm(data, team=request.team)  # the checked list replaces CSV and picks
    context = _add_context(request, dir_, form=form, preflight=preflight, check=check)
    return render(request, f"{NUMBER_ADD}#add-form", context)


FLAGGED_HEADER = ["where", "as_given", "number", "reason", "explanation"]
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def _flagged_lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(FLAGGED_HEADER)
    for row in rows:
        given = row.get("given") or ""
        # What the user typed is made formula-safe, unless it is a plain E.164 number (+1… stays a number).
        yield writer.writerow([
            row.get("origin") or "", given if _E164.fullmatch(given) else cell_text_safe(given),
            row.get("number") or "", row.get("reason") or "", row.get("explanation") or "",
        ])  # fmt: skip


@require_GET
@team_view
def number_add_flagged(request: HtmxHttpRequest, dir_pk: int, check_pk: uuid.UUID) -> StreamingHttpResponse:
    """Every row a pre-flight flagged, with where it was and why, as CSV (kept a day)."""
    dir_ = _add_dir(request, dir_pk)
    check = selectors.add_check_get(dir=dir_, pk=check_pk)
    response = StreamingHttpResponse(_flagged_lines(check.rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dir-{dir_.pk}-flagged-numbers.csv"'
    return response


SAMPLE_CSV = (
    "phone_number,label\r\n"
    "+13125550100,Main line\r\n"
    "(312) 555-0101,Support\r\n"
    "312.555.0102,Sales\r\n"
    "3125550103,Billing\r\n"
)


@require_GET
@team_view
def number_add_sample(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """A CSV to start from: a header naming the phone column, and the formats that are understood."""
    _add_dir(request, dir_pk)
    response = HttpResponse(SAMPLE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="numbers-sample.csv"'
    return response


@require_POST
@team_view
def number_add_document(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Upload the signed LOA (or a supporting document) to the Documents API and select it."""
    dir_ = _add_dir(request, dir_pk)
    kind = DocumentType.OTHER if request.POST.get("kind") == "other" else DocumentType.LETTER_OF_AUTHORIZATION
    upload = request.FILES.get("other_file" if kind == DocumentType.OTHER else "loa_file")
    data = {"loa": request.POST.get("loa", ""), "documents": request.POST.getlist("documents")}
    error = "" if upload else _("Choose a file first.")
    if upload:
        try:
            document = document_services.document_upload(
                team=request.team, user=request.user, file=upload, kind=kind, request=request
            )
        except ServiceError as exc:
            error = exc.message
        else:
            if kind == DocumentType.LETTER_OF_AUTHORIZATION:
                data["loa"] = str(document.pk)
            else:
                data["documents"] = [*data["documents"], str(document.pk)]
    form = AddNumbersForm(data, team=request.team)
    context = {**_add_context(request, dir_, form=form), "document_error": error, "document_kind": kind}
    return render(request, f"{NUMBER_ADD}#add-loa", context)


@require_POST
@team_view
def number_add_submit(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Save the add as chunks of ≤15 and queue them; then show the progress bar."""
    dir_ = _add_dir(request, dir_pk)
    form = AddNumbersForm(request.POST, request.FILES, team=request.team)
    preflight = group = check = None
    if form.is_valid():
        try:
            group = services.add_submit(
                dir=dir_, user=request.user, raw=_add_input(request, form).values, loa=form.cleaned_data["loa"],
                documents=form.cleaned_data["documents"], request=request,
            )  # fmt: skip
        except services.PreflightFailed as exc:
            preflight = exc.preflight
            check = services.add_check_record(dir=dir_, user=request.user, preflight=preflight)
        except ServiceError as exc:
            form_add_service_error(form, exc)
    if group is None:
        context = _add_context(request, dir_, form=form, preflight=preflight, check=check)
        return render(request, f"{NUMBER_ADD}#add-flow", context)
    response = render(request, f"{NUMBER_ADD}#add-flow", _add_context(request, dir_, group=group))
    page = reverse("numbers:number_add", args=[request.team.slug, dir_.pk])
    response = push_url(response, f"{page}?group={group}")
    return trigger_client_event(response, "numbers-add-submitted", {"group": str(group)})


@require_GET
@team_view
def number_add_progress(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """The progress card alone; it polls itself every 2 s while a chunk is still open."""
    dir_ = _add_dir(request, dir_pk)
    progress = _add_progress(dir_, _group(request.GET.get("group")))
    if progress["group"] is None:  # no such add of this DIR (a stale or hand-made address): nothing polls
        return render(request, f"{NUMBER_ADD}#add-progress-none", {"dir": dir_})
    context = {"dir": dir_, "can_act": request.team_access.can_write, **progress}
    return render(request, f"{NUMBER_ADD}#add-progress", context)


@require_POST
@team_view
def number_add_resubmit(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Send the numbers of refused chunks that Telnyx did not object to, in new chunks of the same add."""
    dir_ = _add_dir(request, dir_pk)
    group = _group(request.POST.get("group"))
    error = ""
    try:
        if group:
            services.add_resubmit(dir=dir_, group=group, user=request.user, request=request)
    except ServiceError as exc:
        error = exc.message
    context = {
        "dir": dir_,
        "can_act": request.team_access.can_write,
        "resubmit_error": error,
        **_add_progress(dir_, group),
    }
    return render(request, f"{NUMBER_ADD}#add-progress", context)


@require_POST
@team_view
def number_add_stop(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Stop the rest of a running add: the chunks not yet sent are cancelled, the one being sent finishes."""
    dir_ = _add_dir(request, dir_pk)
    group = _group(request.POST.get("group"))
    if group:
        services.add_stop(dir=dir_, group=group, user=request.user, request=request)
    progress = _add_progress(dir_, group)
    if progress["group"] is None:
        return render(request, f"{NUMBER_ADD}#add-progress-none", {"dir": dir_})
    context = {"dir": dir_, "can_act": request.team_access.can_write, **progress}
    return render(request, f"{NUMBER_ADD}#add-progress", context)


@require_GET
@team_view
def number_add_inventory(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Search the team's Telnyx inventory by digits (at least 3) for the picker."""
    dir_ = _add_dir(request, dir_pk)
    query = request.GET.get("q", "").strip()
    context = {"dir": dir_, "query": query, "results": [], "inventory_error": ""}
    try:
        context["results"] = services.inventory_search(team=request.team, digits=query)
    except ServiceError as exc:
        context["inventory_error"] = exc.message
    return render(request, f"{NUMBER_ADD}#add-inventory", context)
