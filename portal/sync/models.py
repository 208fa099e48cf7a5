"""Sync runs and accepted webhooks: the sync engine's own records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncRun(models.Model):
    """One sync of a Telnyx account: progress for the dashboard, figures for the benchmark."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Incremental")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey("accounts.TelnyxAccount", on_delete=models.CASCADE, related_name="sync_runs")
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    api_calls = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    dirs_total = models.PositiveIntegerField(null=True, blank=True)  # known once the DIR list is read
    dirs_done = models.PositiveIntegerField(default=0)
    changes = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "numbers_syncrun"  # born in the numbers app; kept so upgrades move no rows
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} sync of {self.account_id}: {self.state}"

    @property
    def is_queued(self) -> bool:
        return self.state == self.State.QUEUED


class WebhookEvent(models.Model):
    """A Telnyx webhook already accepted; its event id makes redeliveries no-ops."""

    account = models.ForeignKey("accounts.TelnyxAccount", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=100, blank=True)
    dir_remote_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "numbers_webhookevent"  # born in the numbers app; kept so upgrades move no rows
        constraints = [models.UniqueConstraint(fields=["account", "event_id"], name="webhookevent_unique")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
