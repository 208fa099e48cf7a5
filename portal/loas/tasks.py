"""Queue tasks for LOAs: they take ids and call services."""

from __future__ import annotations

from portal.loas import services
from portal.loas.models import Ceremony


def add_letters_prepare(ceremony_id: int) -> str:
    """Render the letters of a signed add, then let its chunks go (see services.add_letters_prepare)."""
    ceremony = Ceremony.objects.select_related("dir", "team").filter(pk=ceremony_id).first()
    if ceremony is None:
        return "ceremony gone"
    released = services.add_letters_prepare(ceremony=ceremony)
    return f"{released} chunk(s) sent on with their letters"
