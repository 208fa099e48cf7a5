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


def send_receipt(ceremony_id: int) -> str:
    """E-mail the signer their copy of a completed signature."""
    ceremony = Ceremony.objects.select_related("dir", "team").filter(pk=ceremony_id).first()
    if ceremony is None or not ceremony.certificate_sha256:
        return "nothing to send"
    services.receipt_send(ceremony=ceremony)
    return f"sent to {ceremony.signer_email}"


def settle_ceremonies() -> str:
    """Complete the signed adds that ended and render again for chunks stuck waiting (a schedule runs this)."""
    counts = services.ceremonies_settle()
    return f"{counts['completed']} completed, {counts['requeued']} queued again"
