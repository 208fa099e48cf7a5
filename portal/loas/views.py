"""LOA pages and actions: signing an add's letters in the portal, previews, certificates."""

from __future__ import annotations

import base64
import binascii
import csv
import tempfile
import zipfile

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.permissions import team_view
from portal.core.exceptions import ServiceError
from portal.core.htmx import HtmxHttpRequest, wants_fragment
from portal.core.services import client_ip
from portal.core.spreadsheet import cell_text_safe
from portal.dirs import selectors as dir_selectors
from portal.loas import selectors, services
from portal.loas.models import Ceremony
from portal.numbers import checks
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
    given = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            given = number_services.numbers_read(
                text=data["numbers"], csv_file=data["csv"], picked=data["picked"]
            )
        except ServiceError as exc:
            errors["form"] = exc.message
    else:
        errors["form"] = _("Check the numbers first.")
    if given is not None:
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
                shown_numbers=request.POST.get("checked", ""),
            )  # fmt: skip
        except number_services.PreflightFailed:
            errors["form"] = _(
                "Some numbers no longer pass the check (something changed since): check them again."
            )
        except ServiceError as exc:
            for field, message in exc.errors:
                # The panel shows its own fields; anything else (the numbers, the form) at its top.
                errors[field if field in ("consent", "signer_name", "signature") else "form"] = message
        else:
            page = reverse("numbers:number_add", args=[request.team.slug, dir_.pk])
            return HttpResponse(status=204, headers={"HX-Redirect": f"{page}?group={group}"})
    # The panel again, for the same checked numbers: what the page showed still decides what is signed.
    shown = [n for n in (checks.normalize(v) for v in (given.values if given else [])[:15]) if n]
    context = services.sign_panel_context(
        dir_, request.user, count=_count(request.POST.get("count")), numbers=shown
    )
    context.update({
        "errors": errors, "signer_name": request.POST.get("signer_name", ""), "current_team": request.team,
        "numbers_sha256": request.POST.get("checked", "")[:64],
    })  # fmt: skip
    return render(request, SIGN_PANEL, context)


def _count(value) -> int:
    try:
        return max(0, min(int(str(value or "0")[:6]), 1_000_000))
    except ValueError:
        return 0


@require_GET
@team_view
def letter_preview(request: HtmxHttpRequest, dir_pk: int) -> HttpResponse:
    """An unsigned letter for up to 15 numbers (`n`, the add's first batch), rendered by Telnyx now, to read."""
    dir_ = dir_selectors.dir_get(team=request.team, pk=dir_pk)
    numbers = [checks.normalize(n) for n in request.GET.getlist("n")[:15]]
    numbers = [n for n in numbers if n]
    if not numbers:
        return HttpResponse(_("No number to put on a letter: check the numbers first."), status=400,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    try:
        pdf = services.letter_preview(dir=dir_, numbers=numbers)
    except ServiceError as exc:
        return HttpResponse(exc.message, status=502, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="loa-{dir_.pk}-batch-1-unsigned.pdf"'
    return response


# --- The LOA register --------------------------------------------------------------------------

PER_PAGE = 25


@require_GET
@team_view
def ceremony_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every signature of the team and its letters; search by phone number, signer or DIR."""
    q = (request.GET.get("q") or "")[:100]
    state = request.GET.get("state") or ""
    if state not in Ceremony.State.values:
        state = ""
    ceremonies = selectors.ceremony_list(team=request.team, q=q, state=state)
    page = Paginator(ceremonies, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "state": state, "states": Ceremony.State.choices}
    template = (
        "loas/ceremony_list.html#ceremony-results" if wants_fragment(request) else "loas/ceremony_list.html"
    )
    return render(request, template, context)


@require_GET
@team_view
def ceremony_export(request: HtmxHttpRequest) -> HttpResponse:
    """The register as CSV: one row per letter (a signature not yet rendered: one row without a letter)."""
    ceremonies = selectors.ceremony_export_list(team=request.team, q=(request.GET.get("q") or "")[:100])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="loas-{request.team.slug}.csv"'
    out = csv.writer(response)
    out.writerow(["signature_id", "dir", "state", "signer_name", "signer_email", "signed_at_utc", "letter",
                  "numbers", "letter_sha256", "telnyx_document_id", "letter_state"])  # fmt: skip
    for ceremony in ceremonies:
        base = [ceremony.pk, cell_text_safe(ceremony.dir.display_name), ceremony.state,
                cell_text_safe(ceremony.signer_name), cell_text_safe(ceremony.signer_email),
                ceremony.signed_at.isoformat() if ceremony.signed_at else ""]  # fmt: skip
        letters = list(ceremony.letters.all())
        if not letters:
            out.writerow([*base, "", " ".join(ceremony.numbers), "", "", ""])
        for letter in letters:
            document = letter.document.remote_id if letter.document_id else ""
            out.writerow(
                [*base, letter.position + 1, " ".join(letter.numbers), letter.sha256, document, letter.state]
            )
    return response


@require_GET
@team_view
def ceremony_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ceremony = selectors.ceremony_get(team=request.team, pk=pk)
    if request.team_access.can_write:
        services.ceremony_complete(ceremony)  # an add that just ended gets its certificate now
    context = {"ceremony": ceremony, "letters": selectors.letters_of(ceremony)}
    return render(request, "loas/ceremony_detail.html", context)


@require_GET
@team_view
def letter_download(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    letter = selectors.letter_get(team=request.team, pk=pk)
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    return response


@require_GET
@team_view
def letters_zip(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every letter of one signature in a ZIP (PDFs are compressed already: stored, not deflated)."""
    ceremony = selectors.ceremony_get(team=request.team, pk=pk)
    # A big add's letters go to disk; FileResponse closes the file once it is sent.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as archive:
        for letter in ceremony.letters.order_by("position").iterator(chunk_size=20):
            archive.writestr(letter.filename, bytes(letter.pdf))
        if ceremony.certificate_sha256:
            archive.writestr(f"certificate-{ceremony.pk}.pdf", bytes(ceremony.certificate_pdf))
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"loas-{ceremony.pk}.zip", content_type="application/zip"
    )


@require_GET
@team_view
def certificate_download(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ceremony = selectors.ceremony_get(team=request.team, pk=pk)
    if not ceremony.certificate_pdf:
        return HttpResponse(
            _("The certificate is made when the add has ended."), status=404, content_type="text/plain"
        )
    response = HttpResponse(bytes(ceremony.certificate_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{ceremony.pk}.pdf"'
    return response


@require_POST
@team_view
def certificate_verify(request: HtmxHttpRequest) -> HttpResponse:
    """Check an uploaded certificate against the portal's seal."""
    upload = request.FILES.get("certificate")
    if upload is None:
        verdict = services.Verification(False, _("Choose the certificate's PDF first."))
    elif upload.size > services.CERTIFICATE_MAX_BYTES:
        verdict = services.Verification(
            False, _("That file is larger than any certificate the portal makes.")
        )
    else:
        verdict = services.pdf_verify(upload.read())
    return render(request, "loas/_verify_result.html", {"verdict": verdict})
