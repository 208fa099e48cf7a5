"""Reads for the enterprise pages, always scoped to one team and served from the mirror."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from portal.accounts.models import Team
from portal.enterprises.models import Enterprise

if TYPE_CHECKING:
    from portal.dirs.models import Dir  # the DIRs are read through the reverse relation: dirs sits above

SORTS = {
    "legal_name": ("legal_name", "pk"),
    "-legal_name": ("-legal_name", "-pk"),
    "-created_at": ("-created_at", "-pk"),
    "-dir_count": ("-dir_count", "legal_name"),
}


def enterprise_list(*, team: Team, query: str = "", sort: str = "legal_name") -> QuerySet[Enterprise]:
    """The team's live enterprises with their DIR counts, filtered by name and sorted."""
    enterprises = Enterprise.objects.filter(team=team, removed_at=None).annotate(
        dir_count=Count("dirs", filter=Q(dirs__removed_at=None))
    )
    if query:
        enterprises = enterprises.filter(
            Q(legal_name__icontains=query) | Q(doing_business_as__icontains=query)
        )
    return enterprises.order_by(*SORTS.get(sort, SORTS["legal_name"]))


def enterprise_get(*, team: Team, pk: int) -> Enterprise:
    """One live enterprise of the team, or 404 (another team's enterprise is never found)."""
    enterprise = Enterprise.objects.filter(team=team, pk=pk, removed_at=None).first()
    if enterprise is None:
        raise Http404("No such enterprise.")
    return enterprise


def enterprise_dir_list(*, enterprise: Enterprise) -> QuerySet[Dir]:
    """The enterprise's live DIRs, as mirrored."""
    return enterprise.dirs.filter(removed_at=None).order_by("display_name", "pk")
