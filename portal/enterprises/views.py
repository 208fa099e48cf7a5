"""Pages of the enterprises app: list, detail, create, edit, delete, terms of service, activation.

Every write needs the team's admin role (write_role=ADMIN): an enterprise is the team's legal
identity towards Telnyx, and activation accepts terms on the team's behalf.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from portal.accounts import selectors as account_selectors
from portal.accounts.models import Role
from portal.accounts.permissions import team_view
from portal.core.exceptions import ServiceError
from portal.core.forms import form_add_service_error
from portal.core.htmx import HtmxHttpRequest, wants_fragment
from portal.enterprises import selectors, services
from portal.enterprises.forms import EnterpriseFilterForm, EnterpriseForm
from portal.enterprises.models import Enterprise

LIST = "enterprises/enterprise_list.html"
DETAIL = "enterprises/enterprise_detail.html"
FORM = "enterprises/enterprise_form.html"
ACTIVATION_ATTEMPTS = 10  # × 3 s between attempts: about half a minute of waiting on the page


@require_GET
@vary_on_headers("HX-Request")
@team_view
def enterprise_list(request: HtmxHttpRequest) -> HttpResponse:
    form = EnterpriseFilterForm(request.GET or None)
    form.is_valid()  # a bad value is ignored; the valid ones still apply
    filters = getattr(form, "cleaned_data", {})
    enterprises = selectors.enterprise_list(
        team=request.team, query=filters.get("q") or "", sort=filters.get("sort") or "legal_name"
    )
    page = Paginator(enterprises, filters.get("per_page") or 25).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "searching": bool(filters.get("q")),
        "telnyx_account": account_selectors.telnyx_account_get(team=request.team),
    }
    fragment = wants_fragment(request)
    return render(request, f"{LIST}#enterprise-results" if fragment else LIST, context)


@require_GET
@team_view
def enterprise_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(team=request.team, pk=pk)
    context = {"enterprise": enterprise, "dirs": selectors.enterprise_dir_list(enterprise=enterprise)}
    return render(request, DETAIL, context)


@require_http_methods(["GET", "POST"])
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def enterprise_create(request: HtmxHttpRequest) -> HttpResponse:
    account = account_selectors.telnyx_account_get(team=request.team)
    form = EnterpriseForm(request.POST or None, initial={"billing_same": True, "country_code": "US"})
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(
                team=request.team, user=request.user, data=form.to_body(), request=request
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s is registered with Telnyx.") % {"name": enterprise})
            return _go(
                request, reverse("enterprises:enterprise_detail", args=[request.team.slug, enterprise.pk])
            )
    return _render_form(request, {"form": form, "enterprise": None, "telnyx_account": account})


@require_http_methods(["GET", "POST"])
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def enterprise_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(team=request.team, pk=pk)
    initial = EnterpriseForm.initial_from(enterprise.data)
    form = EnterpriseForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_update(
                team=request.team,
                user=request.user,
                enterprise=enterprise,
                data=form.to_body(),
                request=request,
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Changes to %(name)s saved in Telnyx.") % {"name": enterprise})
            return _go(
                request, reverse("enterprises:enterprise_detail", args=[request.team.slug, enterprise.pk])
            )
    account = account_selectors.telnyx_account_get(team=request.team)
    return _render_form(request, {"form": form, "enterprise": enterprise, "telnyx_account": account})


@require_POST
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def enterprise_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(team=request.team, pk=pk)
    try:
        services.enterprise_delete(
            team=request.team, user=request.user, enterprise=enterprise, request=request
        )
    except ServiceError as exc:
        messages.error(
            request, _("%(name)s was not deleted. %(reason)s") % {"name": enterprise, "reason": exc.message}
        )
        return redirect("enterprises:enterprise_detail", team_slug=request.team.slug, pk=enterprise.pk)
    messages.success(request, _("%(name)s was deleted from Telnyx.") % {"name": enterprise})
    return redirect("enterprises:enterprise_list", team_slug=request.team.slug)


# --- Branded Calling card (terms of service, activation) -------------------------------------


@require_GET
@team_view
def enterprise_activation(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The Branded Calling card, loaded after the page so a slow Telnyx never delays it."""
    enterprise = selectors.enterprise_get(team=request.team, pk=pk)
    context: dict = {"tos": None}
    if not enterprise.branded_calling_enabled:
        try:
            context["tos"] = services.tos_status_get(team=request.team)
        except ServiceError as exc:
            context["tos_error"] = exc.message
    return _render_card(request, enterprise, context)


@require_POST
@team_view(write_role=Role.ADMIN)
def enterprise_tos_agree(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(team=request.team, pk=pk)
    if request.POST.get("accept") != "yes":
        return _render_card(request, enterprise, {"tos_error": _("Tick the box to accept the terms.")})
    try:
        agreement = services.tos_agree(team=request.team, user=request.user, request=request)
    except ServiceError as exc:
        return _render_card(request, enterprise, {"tos_error": exc.message})
    version = agreement.get("terms_version") or agreement.get("version")
    tos = {"has_agreed": True, "current_terms_version": version, "agreed_version": version}
    return _render_card(request, enterprise, {"tos": tos | {"agreed_at": agreement.get("agreed_at")}})


@require_POST
@team_view(write_role=Role.ADMIN)
def enterprise_activate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Activate; while Telnyx is still registering, the card asks again every 3 s (bounded)."""
    enterprise = selectors.enterprise_get(team=request.team, pk=pk)
    attempt = _int(request.POST.get("attempt"), default=1)
    context: dict = {"tos": {"has_agreed": True}}
    try:
        enterprise = services.enterprise_activate(
            team=request.team, user=request.user, enterprise=enterprise, request=request
        )
    except services.ActivationPending:
        context |= {"pending": True, "attempt": attempt, "attempts": ACTIVATION_ATTEMPTS}
        context["next_attempt"] = attempt + 1 if attempt < ACTIVATION_ATTEMPTS else None
    except ServiceError as exc:
        context["activation_error"] = exc.message
        if exc.code == "tos_required":
            context["tos"] = {"has_agreed": False}
    else:
        context |= {"just_activated": True, "dirs": selectors.enterprise_dir_list(enterprise=enterprise)}
    return _render_card(request, enterprise, context)


# --- helpers ---------------------------------------------------------------------------------


def _render_card(request: HtmxHttpRequest, enterprise: Enterprise, context: dict) -> HttpResponse:
    context = {"enterprise": enterprise, "loaded": True, **context}
    return render(request, f"{DETAIL}#branded-calling", context)


def _render_form(request: HtmxHttpRequest, context: dict) -> HttpResponse:
    fragment = request.htmx and request.method == "POST"
    return render(request, f"{FORM}#enterprise-form" if fragment else FORM, context)


def _go(request: HtmxHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _int(value: str | None, *, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default
