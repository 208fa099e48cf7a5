"""Abstract bases, the audit log, the status timeline and leases: nothing here knows a domain model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who did what to which team, and when. Written only by core.services.audit_record()."""

    class Verb(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
        SIGN_IN_THROTTLED = "sign_in_throttled", _("Sign-in throttled")
        SIGN_OUT = "sign_out", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        TEAM_CREATED = "team_created", _("Team created")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        CREDENTIALS_CHANGED = "credentials_changed", _("Telnyx credentials changed")
        SUPPORT_VIEW = "support_view", _("Support agent viewed team")
        ENTERPRISE_CREATED = "enterprise_created", _("Enterprise registered")
        ENTERPRISE_UPDATED = "enterprise_updated", _("Enterprise updated")
        ENTERPRISE_DELETED = "enterprise_deleted", _("Enterprise deleted")
        TOS_AGREED = "tos_agreed", _("Branded Calling terms accepted")
        BRANDED_CALLING_ACTIVATED = "branded_calling_activated", _("Branded Calling activated")
        DIR_CREATED = "dir_created", _("DIR created")
        DIR_UPDATED = "dir_updated", _("DIR updated")
        DIR_SUBMITTED = "dir_submitted", _("DIR submitted for vetting")
        DIR_DELETE_REQUESTED = "dir_delete_requested", _("DIR deletion requested")
        DIR_DOCUMENT_ATTACHED = "dir_document_attached", _("Document attached to a DIR")
        DIR_COMMENT_POSTED = "dir_comment_posted", _("Reply sent to the vetting team")
        DIR_CLAIM_CONTESTED = "dir_claim_contested", _("Infringement claim contested")
        DOCUMENT_UPLOADED = "document_uploaded", _("Document uploaded")
        NUMBERS_ADD_REQUESTED = "numbers_add_requested", _("Numbers add requested")
        NUMBERS_ADD_RESUBMITTED = "numbers_add_resubmitted", _("Numbers resubmitted")
        NUMBERS_ADD_STOPPED = "numbers_add_stopped", _("Numbers add stopped")
        NUMBERS_ADDED = "numbers_added", _("Numbers added")
        LOA_SIGNED = "loa_signed", _("Letters of authorization signed")
        NUMBERS_REMOVE_REQUESTED = "numbers_remove_requested", _("Numbers removal requested")
        NUMBERS_REMOVED = "numbers_removed", _("Numbers removed")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField(blank=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    verb = models.CharField(max_length=32, choices=Verb.choices, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["team", "-at"], name="audit_team_at_idx")]

    def __str__(self) -> str:
        return f"{self.actor_email or 'system'} {self.verb} {self.target_repr}".strip()


class StatusChange(models.Model):
    """One observed change of a DIR's, batch's or number's status: the timeline.

    Keyed by entity type and id, not by a foreign key, so that every domain can record changes
    here without core knowing its models. Written only by core.timeline.
    """

    class Source(models.TextChoices):
        USER = "user", _("Portal user")
        SYNC = "sync", _("Sync")
        WEBHOOK = "webhook", _("Webhook")

    class Entity(models.TextChoices):
        DIR = "dir", _("DIR")
        BATCH = "batch", _("Batch")
        NUMBER = "number", _("Number")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    entity_type = models.CharField(max_length=8, choices=Entity.choices)
    entity_id = models.BigIntegerField()
    # The DIR whose timeline shows the change: the DIR itself, or the DIR of the batch or number.
    dir_id = models.BigIntegerField(null=True)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    reason = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "numbers_statuschange"  # where it was born; kept so upgrades move no rows
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id", "-at"], name="statuschange_entity_idx"),
            models.Index(fields=["dir_id", "-at"], name="statuschange_dir_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_id}: {self.from_status or '—'} → {self.to_status}"


class Lease(models.Model):
    """A database lease on a key (an account's sync, a DIR's adds): one holder at a time, on any database."""

    key = models.CharField(max_length=80, unique=True)
    holder = models.CharField(max_length=80)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "numbers_synclease"  # where it was born; kept so upgrades move no rows

    def __str__(self) -> str:
        return f"{self.key} held by {self.holder}"
