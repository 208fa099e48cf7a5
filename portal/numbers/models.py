"""Mirror of vetting batches and attached numbers, and the removal and add requests made from the portal."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core.mirror import RemoteMirrorModel


class NumberStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    VERIFIED = "verified", _("Verified")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    PERMANENTLY_REJECTED = "permanently_rejected", _("Permanently rejected")


IN_FLIGHT = (NumberStatus.SUBMITTED, NumberStatus.IN_REVIEW)
# A number attached in one of these may be added again (retry / renew; CONTRACT.md §5.10.1).
READDABLE = (NumberStatus.UNSUCCESSFUL, NumberStatus.EXPIRED)


class Batch(RemoteMirrorModel):
    # No index of its own: batch_dir_list_idx starts with the DIR.
    dir = models.ForeignKey("dirs.Dir", on_delete=models.CASCADE, related_name="batches", db_index=False)
    status = models.CharField(max_length=24, choices=NumberStatus.choices, db_index=True)
    total_count = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    documents = models.JSONField(default=list)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            # The batch list of a DIR, newest first (the sync's removal check reads it too).
            models.Index(fields=["dir", "removed_at", "-submitted_at", "-id"], name="batch_dir_list_idx"),
        ]

    def __str__(self) -> str:
        return f"batch {self.remote_id}"

    @property
    def is_in_flight(self) -> bool:
        """Submitted or in review: its pages keep polling."""
        return self.status in IN_FLIGHT


class DirNumber(RemoteMirrorModel):
    # Neither key gets an index of its own: the composite indexes below start with them, and every
    # extra index is paid for on each of the sync's inserts. Nor a foreign-key constraint in the
    # database: its check, one query per inserted number at commit on PostgreSQL, was a third of a
    # big sync's local time (12k → 17k numbers/s). Every row is written by this app's services with
    # a DIR and batch of the same transaction, rows are never deleted by hand, and Django still
    # cascades (on_delete) as before.
    dir = models.ForeignKey(
        "dirs.Dir", on_delete=models.CASCADE, related_name="numbers", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(
        Batch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="numbers",
        db_index=False,
        db_constraint=False,
    )
    # Unique through a constraint, not unique=True: on PostgreSQL the field option also builds a
    # `varchar_pattern_ops` index for LIKE queries nobody makes, paid for on every inserted number.
    remote_id = models.CharField(max_length=64)
    phone_number = models.CharField(max_length=16)
    # No index of its own: every status query is per DIR or per batch, and the composite indexes
    # below serve those (a lone status index cost each sync insert two index updates on PostgreSQL).
    status = models.CharField(max_length=24, choices=NumberStatus.choices)
    rejection_reason = models.JSONField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["phone_number"]
        constraints = [
            models.UniqueConstraint(fields=["remote_id"], name="dirnumber_remote_id_unique"),
            models.UniqueConstraint(
                fields=["dir", "phone_number"], condition=Q(removed_at=None), name="dirnumber_attached_unique"
            ),
        ]
        indexes = [
            # --- Numbers and batches pages, removal: each serves one sort of the numbers page
            # (ORDER BY … LIMIT/OFFSET walks the index alone), the status pills' GROUP BY and the
            # batch pages' per-batch counts. The sort by number is served by the partial unique
            # constraint above (dir, phone_number WHERE removed_at IS NULL): SQLite and PostgreSQL
            # both pick it for the list, so a (dir, removed_at, phone_number) index only cost inserts.
            models.Index(
                fields=["dir", "removed_at", "status", "phone_number"], name="dirnumber_dir_status_num_idx"
            ),
            models.Index(fields=["dir", "removed_at", "created_at"], name="dirnumber_dir_added_idx"),
            models.Index(fields=["batch", "removed_at", "status"], name="dirnumber_batch_status_idx"),
        ]

    def __str__(self) -> str:
        return self.phone_number

    @property
    def status_is_transitional(self) -> bool:
        return self.status in IN_FLIGHT


# --- Numbers and batches pages, removal


class NumberRemoval(models.Model):
    """One request to detach numbers from a DIR, sent in chunks of 100; its outcome per number."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")

    dir = models.ForeignKey("dirs.Dir", on_delete=models.CASCADE, related_name="number_removals")
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_numbers = models.JSONField(default=list)  # fixed when confirmed: what "all matching" meant then
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    removed = models.JSONField(default=list)  # E.164 numbers Telnyx detached
    not_removed = models.JSONField(default=list)  # [{phone_number, code, title, detail}]
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved on every claim, chunk and hand-off: a RUNNING removal whose clock stops had its worker die.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["dir", "state"], name="numberremoval_dir_state_idx")]

    def __str__(self) -> str:
        return f"removal of {len(self.phone_numbers)} numbers from DIR {self.dir_id}: {self.state}"

    @property
    def in_progress(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @property
    def refusals_by_reason(self) -> list[dict]:
        """The numbers Telnyx refused, grouped by reason (DESIGN.md: "3 not attached: +1…, +1…")."""
        groups: dict[tuple, dict] = {}
        for entry in self.not_removed:
            key = (entry.get("code") or "", entry.get("title") or "")
            group = groups.setdefault(key, {"code": key[0], "title": key[1], "numbers": []})
            group["numbers"].append(entry.get("phone_number") or "")
        return list(groups.values())

    @property
    def not_done(self) -> list[str]:
        """Numbers neither removed nor refused: a failure stopped the run before their chunk."""
        settled = set(self.removed) | {e.get("phone_number") for e in self.not_removed}
        return [n for n in self.phone_numbers if n not in settled]


# --- Add flow


class AddRequest(models.Model):
    """One chunk (≤15 numbers) of an add, saved before it is sent: the exactly-once record (§6.2)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")
        UNCERTAIN = "uncertain", _("Uncertain")
        RECONCILED = "reconciled", _("Reconciled")
        CANCELLED = "cancelled", _("Stopped before it was sent")
        AWAITING = "awaiting", _("Waiting for its signed letter")

    # To be sent or settled by the senders and the sweep.
    OPEN = (State.PENDING, State.SENDING, State.UNCERTAIN)
    # Not done yet, as the progress bar sees it: a chunk waiting for its letter (the loas app
    # renders it, then makes the chunk pending) is neither sent nor swept meanwhile.
    UNSETTLED = (*OPEN, State.AWAITING)
    SUCCEEDED = (State.DONE, State.RECONCILED)

    dir = models.ForeignKey("dirs.Dir", on_delete=models.CASCADE, related_name="add_requests")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    group = models.UUIDField(db_index=True)  # one submission of the add page: its chunks share it
    position = models.PositiveIntegerField(default=0)
    numbers = models.JSONField(default=list)
    loa = models.ForeignKey(
        "documents.Document", null=True, on_delete=models.SET_NULL, related_name="add_requests"
    )
    documents = models.JSONField(default=list)  # the `documents` array sent with the add
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING, db_index=True)
    idempotency_key = models.UUIDField(unique=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    batch_remote_id = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.JSONField(default=dict, blank=True)  # errors by category, message, how it settled
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "position", "pk"]
        indexes = [models.Index(fields=["dir", "-created_at"], name="addrequest_dir_idx")]

    def __str__(self) -> str:
        return f"add of {len(self.numbers)} number(s) to DIR {self.dir_id}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    @property
    def is_unsettled(self) -> bool:
        return self.state in self.UNSETTLED

    @property
    def succeeded(self) -> bool:
        return self.state in self.SUCCEEDED

    @property
    def rest_numbers(self) -> list[str]:
        """The numbers of a refused or failed chunk that no error named (what "resubmit the rest" sends)."""
        if self.state not in (self.State.REFUSED, self.State.FAILED):
            return []
        errors = self.outcome.get("errors") or []
        if self.state == self.State.REFUSED and not any(e.get("phone_numbers") for e in errors):
            return []  # refused as a whole (DIR status, documents): sending again would be refused again
        named = {n for e in errors for n in e.get("phone_numbers") or []}
        return [n for n in self.numbers if n not in named]


class AddCheck(models.Model):
    """The flagged rows of one pre-flight, kept a day for the "Download the flagged rows" CSV."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dir = models.ForeignKey("dirs.Dir", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    checked = models.PositiveIntegerField()  # numbers checked in all
    rows = models.JSONField(default=list)  # Preflight.flagged_rows()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"check of {self.checked} number(s) for DIR {self.dir_id}: {len(self.rows)} flagged"
