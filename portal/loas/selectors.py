"""Reads of the team's LOAs: signatures (ceremonies) and their letters."""

from __future__ import annotations

import re

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from portal.accounts.models import Team
from portal.loas.models import Ceremony, Letter


def ceremony_list(*, team: Team, q: str = "", state: str = "") -> QuerySet[Ceremony]:
    """The team's signatures, newest first; `q` finds a phone number ("which letter covers +1…?") or a signer."""
    ceremonies = (
        Ceremony.objects.filter(team=team)
        .select_related("dir", "requested_by")
        .annotate(letter_count=Count("letters"))
        .defer("signature_png", "certificate_pdf")
    )
    if state:
        ceremonies = ceremonies.filter(state=state)
    q = q.strip()
    if q:
        digits = re.sub(r"\D", "", q)
        match = Q(signer_email__icontains=q) | Q(signer_name__icontains=q) | Q(dir__display_name__icontains=q)
        if len(digits) >= 4:
            # Stored as "+1…" strings in a JSON list: its text contains the digits of a number it covers.
            match |= Q(numbers__icontains=digits)
        ceremonies = ceremonies.filter(match)
    return ceremonies.order_by("-created_at", "-pk")


def ceremony_export_list(*, team: Team, q: str = "") -> QuerySet[Ceremony]:
    """The register's rows for the CSV: each signature with its letters (their PDFs left in the database)."""
    letters = Prefetch(
        "letters", queryset=Letter.objects.select_related("document").defer("pdf").order_by("position")
    )
    return ceremony_list(team=team, q=q).prefetch_related(letters)


def ceremony_get(*, team: Team, pk: int) -> Ceremony:
    return get_object_or_404(Ceremony.objects.select_related("dir", "requested_by", "team"), team=team, pk=pk)


def letter_get(*, team: Team, pk: int) -> Letter:
    return get_object_or_404(
        Letter.objects.select_related("ceremony", "document"), ceremony__team=team, pk=pk
    )


def letters_of(ceremony: Ceremony) -> QuerySet[Letter]:
    return ceremony.letters.select_related("document", "add_request__batch").defer("pdf").order_by("position")


def letter_of_batch(*, batch) -> Letter | None:
    """The letter a batch went with (the portal's own record: Telnyx's loa_document_id may be null)."""
    return Letter.objects.filter(add_request__batch=batch).select_related("ceremony").defer("pdf").first()
