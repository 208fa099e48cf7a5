"""Queue tasks for accounts: load by id, call a service."""

from __future__ import annotations

from portal.accounts import services
from portal.accounts.models import Invitation


def send_invitation(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("team", "invited_by").filter(pk=invitation_id).first()
    if invitation is not None and invitation.is_pending:
        services.invitation_send_email(invitation=invitation)
