"""Letters of Authorization: one signature (a ceremony) for the letters of one add, one letter per batch."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Ceremony(models.Model):
    """One signature by the DIR's authorizer, and what it covers: the numbers of one add and their letters.

    What makes the signature hold (ESIGN / UETA) is kept with it: who signed, when, from where, the
    consent they gave (its version), the act itself (the image they drew or typed) and the exact
    identity printed on the letters they saw. A letter is only ever rendered with this signature
    for numbers in `numbers` and while the identity is still `identity`.
    """

    class State(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting signature")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class Method(models.TextChoices):
        DRAWN = "drawn", _("Drawn on the signature pad")
        TYPED = "typed", _("Typed name")
        PAPER = "paper", _("Signed on paper")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    dir = models.ForeignKey("dirs.Dir", on_delete=models.CASCADE, related_name="ceremonies")
    group = models.UUIDField(db_index=True)  # the add (its chunks share this group)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.AWAITING, db_index=True)
    numbers = models.JSONField(default=list)  # every number the signature covers, E.164
    # The identity printed on every letter (enterprise, DIR, agent), as the signer saw it, and its digest.
    identity = models.JSONField(default=dict)
    identity_sha256 = models.CharField(max_length=64)
    signer_name = models.CharField(max_length=200)
    signer_email = models.EmailField()
    method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    consent_version = models.CharField(max_length=16, blank=True)
    signature_png = models.BinaryField(null=True, blank=True)  # as sent to Telnyx (≤ 60,000 base64 chars)
    signed_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    certificate_pdf = models.BinaryField(null=True, blank=True)  # sealed (PAdES) when the add ends
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "-created_at"], name="ceremony_team_idx")]

    def __str__(self) -> str:
        return f"LOA signature by {self.signer_email} for {len(self.numbers)} number(s): {self.state}"


class Letter(models.Model):
    """One LOA as Telnyx rendered it: exactly one batch's numbers, kept byte for byte with its SHA-256."""

    class State(models.TextChoices):
        RENDERED = "rendered", _("Rendered")
        UPLOADED = "uploaded", _("Uploaded")
        ATTACHED = "attached", _("Attached to its batch")
        FAILED = "failed", _("Failed")

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="letters")
    position = models.PositiveIntegerField()  # the batch's place in the add
    numbers = models.JSONField(default=list)
    signed = models.BooleanField(default=True)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RENDERED)
    # The upload to the Documents API that went with the batch (re-uploaded if Telnyx lost it).
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    add_request = models.OneToOneField(
        "numbers.AddRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="letter"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ceremony", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "position"], name="letter_position_unique"),
        ]

    def __str__(self) -> str:
        return f"LOA for {len(self.numbers)} number(s) ({self.sha256[:12]})"

    @property
    def filename(self) -> str:
        return f"loa-{self.ceremony.dir_id}-{self.position + 1:03}.pdf"
