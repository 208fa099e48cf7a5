"""Mirror of the team's Display Identity Records."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.mirror import RemoteMirrorModel


class Dir(RemoteMirrorModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")
        INFRINGEMENT_CLAIMED = "infringement_claimed", _("Infringement claimed")
        PERMANENTLY_REJECTED = "permanently_rejected", _("Permanently rejected")
        DELETE_REQUESTED = "delete_requested", _("Deletion requested")

    IN_FLIGHT = (Status.SUBMITTED, Status.IN_REVIEW)
    # Statuses in which Telnyx refuses each write (CONTRACT.md §7.1).
    NOT_EDITABLE = frozenset(
        {
            Status.SUBMITTED,
            Status.IN_REVIEW,
            Status.EXPIRED,
            Status.INFRINGEMENT_CLAIMED,
            Status.PERMANENTLY_REJECTED,
            Status.DELETE_REQUESTED,
        }
    )
    NOT_SUBMITTABLE = frozenset(
        {
            Status.SUBMITTED,
            Status.IN_REVIEW,
            Status.PERMANENTLY_REJECTED,
            Status.INFRINGEMENT_CLAIMED,
            Status.DELETE_REQUESTED,
        }
    )
    NOT_DELETABLE = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.DELETE_REQUESTED})
    # Vetting ended without a verification; the reasons card explains why.
    FAILED = frozenset({Status.REJECTED, Status.UNSUCCESSFUL, Status.PERMANENTLY_REJECTED})
    # Vetting ended with reasons that can be fixed and resubmitted.
    FIXABLE = frozenset({Status.REJECTED, Status.UNSUCCESSFUL})
    # Disabled by (or waiting on) an infringement claim.
    CLAIMED = frozenset({Status.SUSPENDED, Status.INFRINGEMENT_CLAIMED})
    # Each status's badge, (colour class, meaning on hover), shared by batches and numbers (DESIGN.md).
    BADGES = {
        Status.DRAFT: ("bg-secondary-lt", _("Not submitted yet")),
        Status.SUBMITTED: ("bg-blue-lt", _("Waiting for review")),
        Status.IN_REVIEW: ("bg-cyan-lt", _("Telnyx is reviewing it")),
        Status.VERIFIED: ("bg-green-lt", _("Approved")),
        Status.REJECTED: ("bg-orange-lt", _("Fix the reasons and resubmit")),
        Status.UNSUCCESSFUL: ("bg-orange-lt", _("Review failed; it can be retried")),
        Status.SUSPENDED: ("bg-yellow-lt", _("Disabled, usually by an infringement claim")),
        Status.INFRINGEMENT_CLAIMED: ("bg-yellow-lt", _("An infringement claim is open")),
        Status.EXPIRED: ("bg-dark-lt", _("Resubmit to renew")),
        Status.PERMANENTLY_REJECTED: ("bg-red-lt", _("Final — cannot be re-added")),
        Status.DELETE_REQUESTED: ("bg-secondary-lt text-decoration-line-through", _("Deletion requested")),
    }

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="dirs")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="dirs")
    display_name = models.CharField(max_length=64)
    status = models.CharField(max_length=24, choices=Status.choices, db_index=True)
    call_reasons = models.JSONField(default=list)
    logo_url = models.CharField(max_length=255, blank=True)
    rejection_reasons = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    expiring_at = models.DateTimeField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    # When a page last asked for a re-read from Telnyx (the pollers' throttle; not a sync).
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    # Goes up (never down) whenever the mirror writes one of the DIR's numbers: the key of its
    # cached status counts (dirs.selectors.dir_number_status_counts).
    numbers_version = models.PositiveBigIntegerField(default=0, editable=False)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["team", "removed_at", "status"], name="dir_team_status_idx")]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        # A full save of an instance read earlier must not put an older numbers_version back
        # (counts cached under it would be served again); only the mirror's F() update moves it.
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "numbers_version"
            ]
        super().save(*args, **kwargs)

    # --- Status vocabulary: templates ask these instead of comparing status strings.

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_in_flight(self) -> bool:
        """Submitted or in review: the status badge keeps polling."""
        return self.status in self.IN_FLIGHT

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_in_review(self) -> bool:
        return self.status == self.Status.IN_REVIEW

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED

    @property
    def is_unsuccessful(self) -> bool:
        return self.status == self.Status.UNSUCCESSFUL

    @property
    def is_failed(self) -> bool:
        return self.status in self.FAILED

    @property
    def is_fixable(self) -> bool:
        return self.status in self.FIXABLE

    @property
    def is_claimed(self) -> bool:
        return self.status in self.CLAIMED

    @property
    def is_permanently_rejected(self) -> bool:
        return self.status == self.Status.PERMANENTLY_REJECTED

    @property
    def can_edit(self) -> bool:
        return self.status not in self.NOT_EDITABLE

    @property
    def can_submit(self) -> bool:
        return self.status not in self.NOT_SUBMITTABLE

    @property
    def can_delete(self) -> bool:
        return self.status not in self.NOT_DELETABLE

    @property
    def documents(self) -> list[dict]:
        """The supporting documents attached on Telnyx (append-only)."""
        return [d for d in self.data.get("documents") or [] if isinstance(d, dict)]


class DirLogo(models.Model):
    """A logo converted to Telnyx's format (256×256 BMP), served publicly at /logos/<token>.bmp.

    Every upload is a new row with a new token: a published URL never changes its bytes, which is
    what Telnyx expects (CONTRACT.md §5.3, REJECTIONS.md P9).
    """

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="dir_logos")
    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    bmp = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.token}.bmp"

    @property
    def size(self) -> int:
        return len(self.bmp)
