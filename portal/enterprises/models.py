"""Mirror of the team's Telnyx enterprises."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.mirror import RemoteMirrorModel


class OrganizationType(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial")
    GOVERNMENT = "government", _("Government")
    NON_PROFIT = "non_profit", _("Non-profit")


class LegalType(models.TextChoices):
    CORPORATION = "corporation", _("Corporation (Inc., Corp.)")
    LLC = "llc", _("Limited liability company (LLC)")
    PARTNERSHIP = "partnership", _("Partnership (LP, LLP)")
    NONPROFIT = "nonprofit", _("Nonprofit")
    OTHER = "other", _("Other")


class Country(models.TextChoices):
    US = "US", _("United States")
    CA = "CA", _("Canada")


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

    def _label(self, choices, key: str) -> str:
        value = self.data.get(key) or ""
        return str(dict(choices.choices).get(value, value)) or "—"

    @property
    def organization_type_label(self) -> str:
        return self._label(OrganizationType, "organization_type")

    @property
    def legal_type_label(self) -> str:
        return self._label(LegalType, "organization_legal_type")

    @property
    def country_label(self) -> str:
        return self._label(Country, "country_code")

    @property
    def is_bpo(self) -> bool:
        return self.data.get("role_type") == "bpo"

    @property
    def can_activate(self) -> bool:
        """Branded Calling activation is for US enterprises only (CONTRACT.md §5.2)."""
        return self.country_code == "US"
