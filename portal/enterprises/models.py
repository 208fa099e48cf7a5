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

    @property
    def country_code(self) -> str:
        return self.data.get("country_code") or ""

    @property
    def is_bpo(self) -> bool:
        return self.data.get("role_type") == "bpo"

    @property
    def can_activate(self) -> bool:
        """Branded Calling activation is for US enterprises only (CONTRACT.md §5.2)."""
        return self.country_code == "US"
