"""Mirror of the team's Telnyx enterprises."""

from __future__ import annotations

from django.db import models

from portal.core.mirror import RemoteMirrorModel


class Enterprise(RemoteMirrorModel):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="enterprises")
    legal_name = models.CharField(max_length=128)
    doing_business_as = models.CharField(max_length=255, blank=True)
    branded_calling_enabled = models.BooleanField(default=False)
    data = models.JSONField(default=dict)  # the full remote object, for detail pages and edits

    class Meta:
        ordering = ["legal_name"]
        indexes = [models.Index(fields=["team", "removed_at"], name="enterprise_team_idx")]

    def __str__(self) -> str:
        return self.legal_name
