"""Files the team uploaded to the Telnyx Documents API: signed LOAs and supporting documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    """The `document_type` of a document reference on DIRs and batches (CONTRACT.md §5.3), Telnyx's spelling.

    Listed in the order the upload form offers them: proofs of the business first, "other" last.
    """

    BUSINESS_REGISTRATION = "business_registration", _("Business registration")
    ARTICLES_OF_INCORPORATION = "articles_of_incorporation", _("Articles of incorporation")
    CERTIFICATE_OF_GOOD_STANDING = "certificate_of_good_standing", _("Certificate of good standing")
    EIN_LETTER = "ein_letter", _("EIN letter (IRS CP 575 / 147C)")
    TAX_DOCUMENT = "tax_document", _("Tax document")
    TRADEMARK_REGISTRATION = "trademark_registration", _("Trademark registration")
    WEBSITE_OWNERSHIP = "website_ownership", _("Website ownership")
    BUSINESS_LICENSE = "business_license", _("Business license")
    PROFESSIONAL_LICENSE = "professional_license", _("Professional license")
    GOVERNMENT_ID = "government_id", _("Government ID")
    UTILITY_BILL = "utility_bill", _("Utility bill")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    BUSINESS_CREDIT_REPORT = "business_credit_report", _("Business credit report")
    BANK_REFERENCE_LETTER = "bank_reference_letter", _("Bank reference letter")
    LETTER_OF_AUTHORIZATION = "letter_of_authorization", _("Letter of authorization")
    OTHER = "other", _("Other (reviewed by a person)")

    @classmethod
    def label_of(cls, value: str | None) -> str:
        """The label of a type Telnyx sent; one this list does not know yet is shown as it is."""
        return cls(value).label if value in cls.values else str(value or "")


class Document(models.Model):
    """One upload to the Documents API; `remote_id` is the `document_id` batches and DIRs reference."""

    remote_id = models.CharField(max_length=64, unique=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(
        max_length=32, choices=DocumentType.choices, default=DocumentType.LETTER_OF_AUTHORIZATION
    )
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    # Offered again by the add page? Not a letter rendered for one batch: it lists that batch's numbers only.
    reusable = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "kind", "-created_at"], name="document_team_kind_idx")]

    def __str__(self) -> str:
        return self.filename
