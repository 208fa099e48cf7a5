"""Reads for the team's home page: what every other app has, counted."""

from __future__ import annotations

from portal.accounts.models import Team
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.numbers.models import DirNumber


def mirror_counts(*, team: Team) -> dict[str, int]:
    return {
        "enterprises": Enterprise.objects.filter(team=team, removed_at=None).count(),
        "dirs": Dir.objects.filter(team=team, removed_at=None).count(),
        "numbers": DirNumber.objects.filter(dir__team=team, dir__removed_at=None, removed_at=None).count(),
    }
