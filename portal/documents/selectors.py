"""Reads of the team's uploaded documents."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.accounts.models import Team
from portal.documents.models import Document, DocumentType


def document_list(*, team: Team, loa: bool | None = None, limit: int | None = 20) -> QuerySet[Document]:
    """The team's documents, newest first: only LOAs (`loa=True`), all but LOAs (False), or all."""
    documents = Document.objects.filter(team=team)
    if loa is not None:
        is_loa = Q(kind=DocumentType.LETTER_OF_AUTHORIZATION)
        documents = documents.filter(is_loa if loa else ~is_loa)
    return documents[:limit] if limit is not None else documents


def documents_by_pk(*, team: Team, pks) -> dict[int, Document]:
    """The team's documents among `pks` (others' ids are silently ignored)."""
    clean = [int(pk) for pk in pks if str(pk).isdigit()]
    return {d.pk: d for d in Document.objects.filter(team=team, pk__in=clean)}
