"""Pages of the dirs app."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh, trigger_client_event

from portal.accounts import selectors as account_selectors
from portal.accounts.permissions import team_view
from portal.core.exceptions import ServiceError
from portal.core.forms import form_add_service_error
from portal.core.htmx import HtmxHttpRequest, wants_fragment
from portal.core.status import status_label, status_order
from portal.dirs import checks, guidance, selectors, services
from portal.dirs.forms import (
    CallReasonsField,
    ClaimContestForm,
    CommentForm,
    DirFilterForm,
    DirForm,
    DocumentForm,
    LogoForm,
)
from portal.dirs.models import Dir

# --- List and compose: create, edit, logo, documents, submit, delete

DIR_LIST = "dirs/dir_list.html"


@require_GET
@vary_on_headers("HX-Request")
@team_view
def dir_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every DIR of the team's enterprises: status pills, search, sort, pages of 25/50/100."""
    form = DirFilterForm(request.GET or None)
    form.is_valid()  # a bad value is shown and ignored; the valid ones still filter
    filters = getattr(form, "cleaned_data", {})
    dirs = selectors.dir_list(
        team=request.team, status=filters.get("status"), q=filters.get("q"), sort=filters.get("sort")
    )
    page = Paginator(dirs, filters.get("per_page") or 25).get_page(request.GET.get("page"))
    counts = selectors.dir_status_counts(team=request.team)
    context = {
        "form": form,
        "page": page,
        "status": filters.get("status") or "",
        "counts": [(value, label, counts[value]) for value, label in Dir.Status.choices if value in counts],
        "total": sum(counts.values()),
    }
    fragment = wants_fragment(request)
    return render(request, f"{DIR_LIST}#dir-results" if fragment else DIR_LIST, context)


DIR_FORM = "dirs/dir_form.html"
DIR_SUBMIT = "dirs/dir_submit.html"


def _compose_save(request: HtmxHttpRequest, form: DirForm, dir_: Dir | None) -> Dir | None:
    """Store an uploaded logo, then save through the service; None while warnings await confirming."""
    upload = form.cleaned_data.get("logo_file")
    if upload:
        logo = services.logo_create(
            team=request.team, data=upload.read(), filename=upload.name, user=request.user
        )
        form.cleaned_data["logo_url"] = services.logo_public_url(logo=logo)
        form.data = form.data.copy()  # the form shows the new URL if it comes back
        form.data["logo_url"] = form.cleaned_data["logo_url"]
    values = form.api_values()
    result = services.dir_compose_save(
        enterprise=dir_.enterprise if dir_ else form.cleaned_data["enterprise"],
        dir=dir_,
        values=values,
        changes=form.api_changes() if dir_ else values,
        confirm_draft=bool(form.cleaned_data.get("confirm_draft")),
        confirm_warnings=bool(form.cleaned_data.get("confirm_warnings")),
        user=request.user,
        request=request,
    )
    form.warnings = result.warnings
    form.general_warnings = [f for f in result.warnings if f.field not in form.fields]
    return result.dir


def _compose(request: HtmxHttpRequest, dir_: Dir | None) -> HttpResponse:
    """The create/edit page: GET shows it; POST validates, checks, saves and goes to the DIR."""
    account = account_selectors.telnyx_account_get(team=request.team)
    kwargs = {
        "enterprises": selectors.enterprise_choices(team=request.team),
        "catalogue": services.call_reason_catalogue(team=request.team),
        "dir": dir_,
    }
    if request.method == "POST":
        form = DirForm(request.POST, request.FILES, **kwargs)
        if form.is_valid() and (dir_ is None or dir_.can_edit):
            try:
                saved = _compose_save(request, form, dir_)
            except ServiceError as exc:
                form_add_service_error(form, exc)
            else:
                if saved is not None:
                    messages.success(request, _("“%(name)s” saved.") % {"name": saved.display_name})
                    url = reverse("dirs:dir_detail", args=[request.team.slug, saved.pk])
                    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        elif dir_ is not None and not dir_.can_edit:
            form.add_error(None, services.edit_refusal(dir_.status))
    else:
        initial = (
            DirForm.initial_for(dir_)
            if dir_
            else {
                "webhook_url": services.webhook_url_for(account=account) if account else "",
                # "Create DIR" on an enterprise's page comes with ?enterprise=<pk>.
                "enterprise": selectors.enterprise_choice_get(
                    team=request.team, pk=request.GET.get("enterprise", "")
                ),
            }
        )
        form = DirForm(initial=initial, **kwargs)
    context = {"form": form, "dir": dir_, "account": account, "enterprises": kwargs["enterprises"]}
    if dir_ is not None:
        context.update(document_form=DocumentForm(dir=dir_), not_editable=services.edit_refusal(dir_.status))
    fragment = request.htmx and request.method == "POST"
    return render(request, f"{DIR_FORM}#dir-form" if fragment else DIR_FORM, context)


@require_http_methods(["GET", "POST"])
@team_view
def dir_create(request: HtmxHttpRequest) -> HttpResponse:
    """Compose a new DIR under one of the team's Branded-Calling enterprises."""
    return _compose(request, None)


@require_http_methods(["GET", "POST"])
@team_view
def dir_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Edit a DIR; a verified one goes back to draft only after an explicit confirmation."""
    return _compose(request, selectors.dir_get(team=request.team, pk=pk))


@require_POST
@team_view
def logo_upload(request: HtmxHttpRequest) -> HttpResponse:
    """Convert an uploaded logo and answer with the preview and its new public address."""
    # The form checks the upload's size before anything reads it.
    form = LogoForm(data={"logo_url": request.POST.get("logo_url", "")}, files=request.FILES)
    if form.is_valid() and not form.cleaned_data["logo_file"]:
        form.add_error("logo_file", _("Choose an image to upload."))
    elif form.is_valid():
        upload = form.cleaned_data["logo_file"]
        try:
            logo = services.logo_create(
                team=request.team, data=upload.read(), filename=upload.name, user=request.user
            )
        except ServiceError as exc:
            form.add_error("logo_file", exc.message)
        else:
            form = LogoForm(initial={"logo_url": services.logo_public_url(logo=logo)})
            return render(request, f"{DIR_FORM}#logo-field", {"form": form, "logo": logo})
    return render(request, f"{DIR_FORM}#logo-field", {"form": form})


@login_not_required
@require_GET
def logo_serve(request, token) -> HttpResponse:
    """A converted logo, public (Telnyx fetches it); its bytes never change, so cache it for a year."""
    logo = selectors.logo_get(token=token)
    if request.headers.get("If-None-Match") == f'"{logo.sha256}"':
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(bytes(logo.bmp), content_type="image/bmp")
    response["ETag"] = f'"{logo.sha256}"'
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Disposition"] = f'inline; filename="{token}.bmp"'
    return response


@require_POST
@team_view
def call_reasons_check(request: HtmxHttpRequest) -> HttpResponse:
    """Live check of the chosen reasons: which are pre-approved, which need manual vetting."""
    field = CallReasonsField(required=False)
    context: dict = {"result": None, "error": ""}
    try:
        reasons = field.clean(request.POST.getlist("call_reasons"))
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        reasons = []
    if reasons:
        try:
            context["result"] = services.call_reasons_check(team=request.team, reasons=reasons)
        except ServiceError as exc:
            context["error"] = exc.message
    return render(request, f"{DIR_FORM}#call-reasons-check", context)


@require_POST
@team_view
def dir_document_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Upload a supporting document to Telnyx and attach it to the DIR; answers the documents card."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    form = DocumentForm(request.POST, request.FILES, dir=dir_)
    if form.is_valid():
        try:
            dir_ = services.dir_document_add(
                dir=dir_, file=form.cleaned_data["file"], document_type=form.cleaned_data["document_type"],
                description=form.cleaned_data["description"], user=request.user, request=request,
            )  # fmt: skip
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            context = {"dir": dir_, "document_form": DocumentForm(dir=dir_), "attached": True}
            return render(request, f"{DIR_FORM}#dir-documents", context)
    return render(request, f"{DIR_FORM}#dir-documents", {"dir": dir_, "document_form": form})


def _submit_context(dir_: Dir) -> dict:
    findings = services.dir_submit_findings(dir=dir_)
    return {
        "dir": dir_,
        "refusal": services.submit_refusal(dir_.status),
        "blocking": checks.blocking(findings),
        "warnings": [f for f in findings if f.level == checks.WARN],
    }


@require_http_methods(["GET", "POST"])
@team_view
def dir_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Pre-submit checks (blocking ones stop it, warnings need a tick), then submit for vetting."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    context = {**_submit_context(dir_), "errors": []}
    if request.method == "POST":
        try:
            dir_ = services.dir_submit_checked(
                dir=dir_,
                confirm_warnings=request.POST.get("confirm_warnings") == "on",
                user=request.user,
                request=request,
            )
        except ServiceError as exc:
            context["errors"] = [m for _f, m in exc.errors]
        else:
            messages.success(
                request, _("“%(name)s” was submitted for vetting.") % {"name": dir_.display_name}
            )
            return redirect("dirs:dir_detail", request.team.slug, dir_.pk)
    return render(request, DIR_SUBMIT, context)


@require_POST
@team_view
def dir_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Request deletion (from the confirmation modal); refusals are shown inside the modal."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    errors: list[str] = []
    try:
        dir_ = services.dir_delete(dir=dir_, user=request.user, request=request)
    except ServiceError as exc:
        errors = [m for _f, m in exc.errors]
    if not errors:
        messages.success(
            request,
            _("Deletion of “%(name)s” requested. Telnyx removes it shortly.") % {"name": dir_.display_name},
        )
        url = reverse("dirs:dir_detail", args=[request.team.slug, dir_.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        number_total = sum(selectors.dir_number_status_counts(dir=dir_).values())
        context = {"dir": dir_, "errors": errors, "number_total": number_total}
        return render(request, "dirs/_dir_actions.html#dir-delete-form", context)
    for message in errors:
        messages.error(request, message)
    return redirect("dirs:dir_detail", request.team.slug, dir_.pk)


# --- Detail page: status, comments, claims

DIR_DETAIL = "dirs/dir_detail.html"


def _dates(dir_: Dir) -> list[tuple[str, object]]:
    raw = dir_.data or {}
    return [
        (_("Created"), parse_datetime(raw.get("created_at") or "")),
        (_("Submitted"), dir_.submitted_at),
        (_("Rejected"), parse_datetime(raw.get("rejected_at") or "")),
        (_("Verified"), dir_.verified_at),
        (_("Expires"), dir_.expiring_at),
        (_("Updated on Telnyx"), dir_.remote_updated_at),
        (_("Last synced"), dir_.synced_at),
    ]


@require_GET
@team_view
def dir_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One DIR from the mirror; comments and claims load as their own fragments."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    counts = selectors.dir_number_status_counts(dir=dir_)
    failed = dir_.is_failed
    context = {
        "dir": dir_,
        "can_act": request.team_access.can_write,
        "changes": selectors.timeline(team=request.team, dir=dir_, limit=20),
        "reasons": [guidance.explain(r) for r in dir_.rejection_reasons or []] if failed else [],
        "documents": dir_.documents,
        "dates": [(label, value) for label, value in _dates(dir_) if value],
        "number_counts": [(s, status_label(s), counts[s]) for s in status_order(counts)],
        "number_total": sum(counts.values()),
        "comment_form": CommentForm(),
    }
    return render(request, DIR_DETAIL, context)


@require_GET
@team_view
def dir_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The status badge, from the mirror; while in flight it also nudges a throttled refresh."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    shown = request.GET.get("shown", "")
    if shown and shown != dir_.status and dir_.status not in Dir.IN_FLIGHT:
        # Decided: reload the page so reasons, timeline and actions match the new status.
        return HttpResponseClientRefresh()
    services.dir_status_refresh(dir=dir_)
    return render(request, f"{DIR_DETAIL}#dir-status", {"dir": dir_})


def _remote_card(request: HtmxHttpRequest, dir_: Dir, read) -> dict:
    """Context for a card read from Telnyx: its items, or why they couldn't be loaded."""
    context = {"dir": dir_, "can_act": request.team_access.can_write, "items": [], "error": ""}
    try:
        context["items"] = read(dir=dir_)
    except ServiceError as exc:
        context["error"] = exc.message
    return context


@require_GET
@team_view
def dir_comments(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The vetting thread, read from Telnyx (one call)."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    context = _remote_card(request, dir_, services.dir_comment_list)
    return render(request, f"{DIR_DETAIL}#dir-comments", context)


@require_POST
@team_view
def dir_comment_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Post a reply; on success a fresh form, and the thread reloads itself (dir-comments-changed)."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.dir_comment_create(dir=dir_, user=request.user, request=request, **form.cleaned_data)
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            context = {"dir": dir_, "comment_form": CommentForm(), "sent": True}
            response = render(request, f"{DIR_DETAIL}#dir-comment-form", context)
            return trigger_client_event(response, "dir-comments-changed", after="settle")
    return render(request, f"{DIR_DETAIL}#dir-comment-form", {"dir": dir_, "comment_form": form})


@require_GET
@team_view
def dir_claims(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Infringement claims on the DIR, read from Telnyx (one call), each open one with a contest form."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    context = {**_remote_card(request, dir_, services.dir_claim_list), "contest_form": ClaimContestForm()}
    return render(request, f"{DIR_DETAIL}#dir-claims", context)


@require_POST
@team_view
def dir_claim_contest(request: HtmxHttpRequest, pk: int, claim_id: UUID) -> HttpResponse:
    """Contest a claim; on success the claims card reloads itself (dir-claims-changed)."""
    dir_ = selectors.dir_get(team=request.team, pk=pk)
    claim_id = str(claim_id)
    form = ClaimContestForm(request.POST)
    context = {"dir": dir_, "claim_id": claim_id, "contest_form": form}
    if form.is_valid():
        notes = form.cleaned_data["contest_notes"]
        try:
            services.dir_claim_contest(
                dir=dir_, claim_id=claim_id, notes=notes, user=request.user, request=request
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            context.update(contest_form=ClaimContestForm(), sent=True)
            response = render(request, f"{DIR_DETAIL}#dir-claim-contest", context)
            return trigger_client_event(response, "dir-claims-changed", after="settle")
    return render(request, f"{DIR_DETAIL}#dir-claim-contest", context)
