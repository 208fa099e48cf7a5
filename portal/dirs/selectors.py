"""Reads for DIRs, always scoped to one team (the mirror is the source; Telnyx is read by services)."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, F, QuerySet
from django.shortcuts import get_object_or_404

from portal.accounts.models import Team
from portal.core.selectors import status_change_list
from portal.dirs.models import Dir, DirLogo
from portal.enterprises.models import Enterprise

# --- List and compose: create, edit, logo, documents, submit, delete

# The list's sort choices → ORDER BY; every order ends on pk so pages never overlap.
DIR_SORTS: dict[str, tuple] = {
    "name": ("display_name", "pk"),
    "-name": ("-display_name", "-pk"),
    "status": ("status", "display_name", "pk"),
    "-updated": (F("remote_updated_at").desc(nulls_last=True), "-pk"),
    "expiring": (F("expiring_at").asc(nulls_last=True), "pk"),
    "enterprise": ("enterprise__legal_name", "display_name", "pk"),
}
DEFAULT_SORT = "name"


def _team_dirs(*, team: Team) -> QuerySet[Dir]:
    return Dir.objects.filter(team=team, removed_at=None)


def dir_list(
    *, team: Team, status: str | None = None, q: str | None = None, sort: str | None = None
) -> QuerySet[Dir]:
    """The team's DIRs (not removed), with their enterprise, filtered by status and display name."""
    dirs = _team_dirs(team=team).select_related("enterprise")
    if status:
        dirs = dirs.filter(status=status)
    if q:
        dirs = dirs.filter(display_name__icontains=q.strip())
    return dirs.order_by(*DIR_SORTS.get(sort or DEFAULT_SORT, DIR_SORTS[DEFAULT_SORT]))


def dir_get(*, team: Team, pk: int) -> Dir:
    """One DIR of the team with its enterprise, or 404."""
    return get_object_or_404(_team_dirs(team=team).select_related("enterprise"), pk=pk)


def dir_status_counts(*, team: Team) -> dict[str, int]:
    """How many of the team's DIRs are in each status (statuses with none are left out)."""
    rows = _team_dirs(team=team).order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def enterprise_choices(*, team: Team) -> QuerySet[Enterprise]:
    """The team's enterprises a DIR may be created under (Branded Calling activated)."""
    return Enterprise.objects.filter(team=team, removed_at=None, branded_calling_enabled=True).order_by(
        "legal_name"
    )


def enterprise_choice_get(*, team: Team, pk: str) -> Enterprise | None:
    """The enterprise a ?enterprise=<pk> link names, if a DIR may be created under it."""
    if not (pk.isascii() and pk.isdigit()):  # "²".isdigit() is true, but int() refuses it
        return None
    return enterprise_choices(team=team).filter(pk=int(pk)).first()


def logo_get(*, token) -> DirLogo:
    """A stored logo by its public token, or 404 (logos are public: anyone with the URL may fetch)."""
    return get_object_or_404(DirLogo.objects.only("bmp", "sha256", "created_at"), token=token)


# --- Detail page: number counts, the timeline

COUNTS_TTL = 24 * 3600


def dir_number_status_counts(*, dir: Dir) -> dict[str, int]:
    """How many attached numbers of the DIR are in each status.

    One GROUP BY over an index, but that still reads every row (30 ms at 100,000 numbers), so the
    result is cached under the DIR's numbers_version, which every mirror write of its numbers
    raises: a page never shows counts older than the DIR row it was given.
    """
    key = f"dir-number-counts:{dir.pk}:{dir.numbers_version}"
    counts = cache.get(key)
    if counts is None:
        # Through the reverse relation: the numbers app sits above this one and is not imported.
        rows = dir.numbers.filter(removed_at=None).order_by().values("status").annotate(n=Count("pk"))
        counts = {row["status"]: row["n"] for row in rows}
        cache.set(key, counts, COUNTS_TTL)
    return counts


def timeline(*, team: Team, dir: Dir | None = None, limit: int = 50) -> list:
    """The newest status changes of a team (or of one DIR and everything under it), each with its DIR's name."""
    changes = list(status_change_list(team=team, dir_id=dir.pk if dir is not None else None, limit=limit))
    names = dict(
        Dir.objects.filter(team=team, pk__in={c.dir_id for c in changes if c.dir_id}).values_list(
            "pk", "display_name"
        )
    )
    for change in changes:
        change.dir_display_name = names.get(change.dir_id, "")
    return changes
