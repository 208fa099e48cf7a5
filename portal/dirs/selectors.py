"""Reads for DIRs, always scoped to one team (the mirror is the source; Telnyx is read by services)."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet
from django.shortcuts import get_object_or_404

from portal.accounts.models import Team
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
