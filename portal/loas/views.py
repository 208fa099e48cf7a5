"""LOA pages and actions: signing an add's letters in the portal, previews, certificates."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import team_view
from portal.accounts.services import telnyx_account_client
from portal.core.exceptions import ServiceError
from portal.core.htmx import HtmxHttpRequest
from portal.core.services import client_ip
from portal.dirs import selectors as dir_selectors
from portal.loas import services
from portal.loas.models import Ceremony
from portal.numbers import services as number_services
from portal.numbers.forms import AddNumbersForm

SIGN_PANEL = "loas/_sign_panel.html"
DATA_URL_PNG = "data:image/png;base64,"


def _png_of(data_url: str) -> bytes:
    """The bytes of the pad's `data:image/png;base64,…` (empty when it is anything else)."""
    if not data_url.startswith(DATA_URL_PNG) or len(data_url) > 3 * 1024 * 1024:
        return b""
    try:
        return base64.b64decode(data_url.removeprefix(DATA_URL_PNG), validate=True)
    except (binascii.Error, ValueError):
        return b""


@require_POST
@team_view
def add_sign(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """Sign the letters of an add here (the DIR's authorizer) and send it: each batch with its own letter."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    form = AddNumbersForm(request.POST, request.FILES, team=request.team)
    errors: dict[str, str] = {}
    if form.is_valid():
        data = form.cleaned_data
        given = number_services.numbers_read(
            text=data["numbers"], csv_file=data["csv"], picked=data["picked"]
        )
        method = request.POST.get("sign_method") or Ceremony.Method.DRAWN
        signed = services.SignedBy(
            name=request.POST.get("signer_name", ""),
            method=method
            if method in (Ceremony.Method.DRAWN, Ceremony.Method.TYPED)
            else Ceremony.Method.DRAWN,
            png=_png_of(request.POST.get("signature", "")),
            consented=request.POST.get("consent") == "yes",
            consent_version=request.POST.get("consent_version", ""),
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        try:
            group = services.add_sign_submit(
                dir=dir_, user=request.user, raw=given.values, signed=signed,
                shown_identity=request.POST.get("identity", ""), request=request,
            )  # fmt: skip
        except number_services.PreflightFailed:
            errors["form"] = _(
                "Some numbers no longer pass the check (something changed since): check them again."
            )
        except ServiceError as exc:
            for field, message in exc.errors:
                errors[field or "form"] = message
        else:
            page = reverse("numbers:number_add", args=[request.team.slug, dir_.pk])
            return HttpResponse(status=204, headers={"HX-Redirect": f"{page}?group={group}"})
    else:
        errors["form"] = _("Check the numbers first.")
    context = services.sign_panel_context(dir_, request.user, count=_count(request.POST.get("count")))
    context.update(
        {"errors": errors, "signer_name": request.POST.get("signer_name", ""), "current_team": request.team}
    )
    return render(request, SIGN_PANEL, context)


def _count(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


@require_POST
@team_view
def letter_preview(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """The unsigned letter of the add's first batch, rendered by Telnyx now, to read before signing."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    form = AddNumbersForm(request.POST, request.FILES, team=request.team)
    if not form.is_valid():
        return HttpResponse("Check the numbers first.", status=400, content_type="text/plain")
    data = form.cleaned_data
    given = number_services.numbers_read(text=data["numbers"], csv_file=data["csv"], picked=data["picked"])
    preflight = number_services.numbers_preflight(dir=dir_, raw=given.values)
    if not preflight.ok:
        return HttpResponse("No number to put on a letter yet.", status=400, content_type="text/plain")
    try:
        with telnyx_account_client(team=request.team, read=True) as api:
            pdf = services.letter_preview(api, dir=dir_, numbers=preflight.ok[:15])
    except ServiceError as exc:
        return HttpResponse(exc.message, status=502, content_type="text/plain")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="loa-{dir_.pk}-batch-1-unsigned.pdf"'
    return response
