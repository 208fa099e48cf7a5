"""Reads of the team's uploaded documents."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.models import Team
from portal.documents.models import Document


def document_list(*, team: Team, kind: str | None = None, limit: int = 20) -> QuerySet[Document]:
    """The team's documents, newest first (optionally one kind)."""
    documents = Document.objects.filter(team=team)
    if kind:
        documents = documents.filter(kind=kind)
    return documents[:limit]


def documents_by_pk(*, team: Team, pks) -> dict[int, Document]:
    """The team's documents among `pks` (others' ids are silently ignored)."""
    clean = [int(pk) for pk in pks if str(pk).isdigit()]
    return {d.pk: d for d in Document.objects.filter(team=team, pk__in=clean)}
