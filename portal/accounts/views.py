"""Sign-in, teams, members, invitations, Telnyx credentials and the activity log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh

from portal.accounts import selectors, services
from portal.accounts.forms import (
    AuditFilterForm,
    InvitationForm,
    InvitationSignUpForm,
    MembershipRoleForm,
    SignInForm,
    TeamCreateForm,
    TelnyxAccountForm,
)
from portal.accounts.models import Role
from portal.accounts.permissions import SESSION_TEAM_KEY, team_view
from portal.core.exceptions import ServiceError
from portal.core.forms import form_add_service_error
from portal.core.htmx import HtmxHttpRequest, wants_fragment
from portal.core.services import client_ip

MEMBERS = "accounts/member_list.html"


def _safe_next(request, fallback: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(fallback)


@login_not_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_in(request: HtmxHttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = SignInForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            login(request, form.get_user())
            return redirect(_safe_next(request))
        if getattr(request, "login_throttled", False):
            wait = services.login_lockout_remaining(
                email=request.POST.get("username", ""), ip=client_ip(request)
            )
            form.errors.clear()
            form.add_error(
                None,
                ngettext(
                    "Too many failed sign-ins. For your security, try again in %(minutes)d minute or reset your password.",
                    "Too many failed sign-ins. For your security, try again in %(minutes)d minutes or reset your password.",
                    max(1, (wait + 59) // 60),
                )
                % {"minutes": max(1, (wait + 59) // 60)},
            )
            status = 429
    return render(
        request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


@require_POST
def sign_out(request: HtmxHttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:sign_in")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request: HtmxHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.password_changed(user=user, request=request)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """Send people to the team they used last, else their first team, else the team list."""
    teams = selectors.team_list(user=request.user)
    last = request.session.get(SESSION_TEAM_KEY)
    team = (teams.filter(slug=last).first() if last else None) or (
        None if request.user.is_support else teams.first()
    )
    if team is not None:
        return redirect("dashboard:dashboard", team_slug=team.slug)
    return redirect("accounts:team_list")


@require_GET
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.team_list(user=request.user, query=query), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/team_list.html", {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
def team_create(request: HtmxHttpRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = services.team_create(name=form.cleaned_data["name"], creator=request.user, request=request)
        messages.success(request, _("Team %(team)s created. You are its admin.") % {"team": team.name})
        return redirect("dashboard:dashboard", team_slug=team.slug)
    return render(request, "accounts/team_create.html", {"form": form})


@login_not_required
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationInvalid as exc:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"error": exc},
            status=410 if exc.code != "invalid" else 404,
        )
    user = request.user
    form = None
    error = None
    if user.is_authenticated and request.method == "POST":
        try:
            membership = services.invitation_accept(invitation=invitation, user=user, request=request)
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, _("Welcome to %(team)s.") % {"team": membership.team.name})
            return redirect("dashboard:dashboard", team_slug=membership.team.slug)
    has_account = selectors.user_exists(email=invitation.email)
    if not user.is_authenticated and not has_account:
        form = InvitationSignUpForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            try:
                new_user = services.invitation_sign_up(
                    invitation=invitation,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                    request=request,
                )
            except ServiceError as exc:
                form_add_service_error(form, exc)
            else:
                login(request, new_user, backend="portal.accounts.backends.ThrottledModelBackend")
                messages.success(request, _("Welcome to %(team)s.") % {"team": invitation.team.name})
                return redirect("dashboard:dashboard", team_slug=invitation.team.slug)
    context = {
        "invitation": invitation,
        "form": form,
        "error": error,
        "token": token,
        "has_account": has_account,
    }
    return render(request, "accounts/invitation_accept.html", context)


@require_GET
@team_view
def member_list(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, MEMBERS, _members_context(request, invite_form=InvitationForm()))


def _members_context(request, **extra) -> dict:
    return {
        "memberships": selectors.membership_list(team=request.team),
        "invitations": selectors.invitation_list_pending(team=request.team),
        "roles": Role.choices,
        **extra,
    }


@require_POST
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def invitation_create(request: HtmxHttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                team=request.team, invited_by=request.user, request=request, **form.cleaned_data
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            if request.htmx:
                return HttpResponseClientRefresh()
            return redirect("accounts:member_list", team_slug=request.team.slug)
    template = f"{MEMBERS}#invite-form" if request.htmx else MEMBERS
    return render(request, template, _members_context(request, invite_form=form))


@require_POST
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def invitation_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get(team=request.team, pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation for %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("accounts:member_list", team_slug=request.team.slug)


@require_POST
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def member_role(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(team=request.team, pk=pk)
    form = MembershipRoleForm(request.POST)
    error = None
    if form.is_valid():
        try:
            membership = services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user, request=request
            )
        except ServiceError as exc:
            error = exc.message
    else:
        error = _("Choose a valid role.")
    if request.htmx and error is None and membership.user_id == request.user.pk:
        return HttpResponseClientRefresh()  # your own role changed: every control on the page may differ
    if request.htmx:
        context = {
            **_members_context(request),
            "membership": membership,
            "row_error": error,
            "saved": error is None,
        }
        return render(request, f"{MEMBERS}#member-row", context)
    if error:
        messages.error(request, error)
    return redirect("accounts:member_list", team_slug=request.team.slug)


@require_POST
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def member_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(team=request.team, pk=pk)
    try:
        services.membership_remove(membership=membership, actor=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(email)s no longer has access to this team.") % {"email": membership.user.email}
        )
        if membership.user_id == request.user.pk:
            return redirect("home")
    return redirect("accounts:member_list", team_slug=request.team.slug)


@sensitive_post_parameters("api_key")
@require_http_methods(["GET", "POST"])
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def telnyx_account(request: HtmxHttpRequest) -> HttpResponse:
    account = selectors.telnyx_account_get(team=request.team)
    form = TelnyxAccountForm(request.POST or None, has_key=account is not None)
    if request.method == "POST" and form.is_valid():
        try:
            services.telnyx_account_save(
                team=request.team, actor=request.user, request=request, **form.cleaned_data
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Telnyx credentials saved."))
            return redirect("accounts:telnyx_account", team_slug=request.team.slug)
    if account is not None and not form.is_bound:
        form.initial["webhook_public_key"] = account.webhook_public_key
    return render(request, "accounts/telnyx_account.html", {"account": account, "form": form})


@require_POST
@team_view(role=Role.ADMIN, write_role=Role.ADMIN)
def telnyx_account_delete(request: HtmxHttpRequest) -> HttpResponse:
    services.telnyx_account_delete(team=request.team, actor=request.user, request=request)
    messages.success(request, _("Telnyx credentials removed."))
    return redirect("accounts:telnyx_account", team_slug=request.team.slug)


# --- Activity log


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
    template = "accounts/audit_list.html#audit-results" if fragment else "accounts/audit_list.html"
    return render(request, template, {"form": form, "page": page})
