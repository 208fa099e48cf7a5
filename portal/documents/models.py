"""Files the team uploaded to the Telnyx Documents API: signed LOAs and supporting documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    """One upload to the Documents API; `remote_id` is the `document_id` batches and DIRs reference."""

    class Kind(models.TextChoices):
        LOA = "loa", _("Letter of authorization")
        OTHER = "other", _("Supporting document")

    remote_id = models.CharField(max_length=64, unique=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.LOA)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "kind", "-created_at"], name="document_team_kind_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def document_type(self) -> str:
        """The `document_type` a batch gives this file (CONTRACT.md §5.10.1)."""
        return "letter_of_authorization" if self.kind == self.Kind.LOA else "other"
