"""The simulator's own state: what a Telnyx account holds (CONTRACT.md §5), plus control-plane data."""

from __future__ import annotations

import uuid

from django.db import models


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


class Account(models.Model):
    """A Telnyx account, identified by its API key."""

    id = models.UUIDField(primary_key=True, default=_uuid)
    api_key = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=120, blank=True)
    credit_available = models.BooleanField(default=True)
    account_level = models.CharField(max_length=16, default="verified")  # verified | enterprise | standard
    branded_calling_terms_version = models.CharField(max_length=20, default="v1.0.0")
    number_reputation_terms_version = models.CharField(max_length=20, default="v1.0.0")
    activation_delay_seconds = models.FloatField(default=0)
    autopilot = models.BooleanField(default=False)
    # Ed25519 private key (raw 32 bytes, base64) used to sign this account's webhooks.
    webhook_private_key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name or str(self.id)


class TosAgreement(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tos_agreements")
    product_type = models.CharField(max_length=32)
    terms_version = models.CharField(max_length=20)
    agreed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "product_type", "terms_version"], name="sim_tos_unique"
            )
        ]


class Enterprise(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="enterprises")
    data = models.JSONField(default=dict)  # every client-supplied field, as validated
    legal_name = models.CharField(max_length=64)
    fein = models.CharField(max_length=20)
    role_type = models.CharField(max_length=16, default="enterprise")
    country_code = models.CharField(max_length=2)
    branded_calling_enabled = models.BooleanField(default=False)
    activation_ready_at = models.DateTimeField(null=True, blank=True)
    number_reputation_enabled = models.BooleanField(default=False)
    bpo_verification_status = models.CharField(max_length=16, null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "deleted_at", "-created_at"], name="sim_ent_list_idx")]


class Dir(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="dirs")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="dirs")
    display_name = models.CharField(max_length=35)
    reselling = models.BooleanField(default=False)
    certify_brand_is_accurate = models.BooleanField(default=False)
    certify_no_shaft_content = models.BooleanField(default=False)
    certify_ip_ownership = models.BooleanField(default=False)
    authorizer_name = models.CharField(max_length=255, null=True, blank=True)
    authorizer_email = models.CharField(max_length=254, null=True, blank=True)
    logo_url = models.CharField(max_length=128, null=True, blank=True)
    call_reasons = models.JSONField(default=list)  # [{"reason", "created_at"}]
    documents = models.JSONField(default=list)  # [{"document_id", "document_type", "description"}]
    status = models.CharField(max_length=24, default="draft", db_index=True)
    rejection_reasons = models.JSONField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    expiring_at = models.DateTimeField(null=True, blank=True)
    delete_requested_at = models.DateTimeField(null=True, blank=True)
    webhook_url = models.CharField(max_length=2048, null=True, blank=True)
    status_changed_at = models.DateTimeField()  # drives the autopilot's delays
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)  # set when deletion completes

    class Meta:
        indexes = [
            models.Index(fields=["account", "deleted_at", "-created_at"], name="sim_dir_list_idx"),
            models.Index(fields=["status", "status_changed_at"], name="sim_dir_autopilot_idx"),
        ]


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="documents")
    filename = models.CharField(max_length=512)
    content_type = models.CharField(max_length=128)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    customer_reference = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(max_length=16, default="pending")
    av_scan_status = models.CharField(max_length=16, default="scanned")
    content = models.BinaryField()
    linked = models.BooleanField(default=False)  # a link stops the 30-minute expiry
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "deleted_at", "-created_at"], name="sim_doc_list_idx")]


class DocumentLink(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="links")
    linked_record_type = models.CharField(max_length=40)
    linked_resource_id = models.UUIDField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class InventoryNumber(models.Model):
    """A number in the account's Telnyx inventory (`GET /v2/phone_numbers`)."""

    id = models.CharField(primary_key=True, max_length=40)
    # No index of its own: the unique (account, phone_number) constraint below leads with it.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="inventory", db_index=False)
    phone_number = models.CharField(max_length=16)
    status = models.CharField(max_length=24, default="active")
    phone_number_type = models.CharField(max_length=24, default="local")
    country_iso_alpha2 = models.CharField(max_length=2, default="US")
    tags = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "phone_number"], name="sim_inventory_unique")
        ]


class NumberBlock(models.Model):
    """A number `permanently_rejected` for the whole account; survives removal from the DIR."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    phone_number = models.CharField(max_length=16)
    rejection_reason = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "phone_number"], name="sim_block_unique")]


class Batch(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    dir = models.ForeignKey(Dir, on_delete=models.CASCADE, related_name="batches")
    documents = models.JSONField(default=list)
    status = models.CharField(max_length=24, default="submitted", db_index=True)  # aggregate, kept current
    status_changed_at = models.DateTimeField()
    submitted_at = models.DateTimeField()
    # 0, 1, 2… within the DIR in (submitted_at, id) order, no gaps (batches are never deleted on
    # their own): a page of the newest-first listing is one indexed range, and the count is the
    # newest batch's position + 1, at any size. Set by services.batch_position_assign.
    position = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["dir", "-submitted_at", "-id"], name="sim_batch_page_idx"),
            models.Index(fields=["dir", "position"], name="sim_batch_position_idx"),
            models.Index(fields=["dir", "status", "position"], name="sim_batch_status_idx"),
        ]


class DirPhoneNumber(models.Model):
    # seq and the three keys have no single-column index: every query (and every cascade) on them
    # is served by a composite index below that leads with the key. Four fewer B-trees to update
    # per row is a fifth of the time of loading a million numbers.
    id = models.UUIDField(primary_key=True, default=_uuid)
    seq = models.BigIntegerField()  # global insertion order; stable, indexed paging (per DIR, per batch)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    dir = models.ForeignKey(Dir, on_delete=models.CASCADE, related_name="numbers", db_index=False)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="numbers", db_index=False)
    phone_number = models.CharField(max_length=16)
    status = models.CharField(max_length=24, default="submitted")
    loa_document_id = models.UUIDField(null=True)
    rejection_reason = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A number is attached to one DIR at a time (the API's check alone races on PostgreSQL).
            models.UniqueConstraint(
                fields=["account", "phone_number"],
                condition=models.Q(removed_at=None),
                name="sim_dpn_attached_once",
            )
        ]
        indexes = [
            models.Index(fields=["dir", "removed_at", "seq"], name="sim_dpn_list_idx"),
            # The listing's own (attached numbers by seq): PostgreSQL cannot take the order from
            # the index above, whose `removed_at IS NULL` is no equality, and sorted the whole DIR.
            models.Index(fields=["dir", "seq"], condition=models.Q(removed_at=None), name="sim_dpn_live_idx"),
            models.Index(fields=["account", "phone_number", "removed_at"], name="sim_dpn_number_idx"),
            models.Index(fields=["batch", "seq"], name="sim_dpn_batch_idx"),
        ]


class DirNumberIndex(models.Model):
    """Paging index of a DIR's attached numbers: the first `seq` of every block of 250 by rank.

    With it, any page starts from an indexed `seq >= anchor` lookup and skips fewer than 250 rows,
    instead of an OFFSET over the whole list; `total` spares a COUNT. Kept current by the services
    that attach and remove numbers (services.number_index_refresh).
    """

    dir = models.OneToOneField(Dir, primary_key=True, on_delete=models.CASCADE, related_name="number_index")
    total = models.PositiveIntegerField(default=0)
    anchors = models.JSONField(default=list)


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    dir = models.ForeignKey(Dir, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    content = models.TextField()
    author_role = models.CharField(max_length=16, default="customer")
    author_name = models.CharField(max_length=120, null=True, blank=True)
    comment_type = models.CharField(max_length=24, default="customer_inquiry")
    created_at = models.DateTimeField()


class InfringementClaim(models.Model):
    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    dir = models.ForeignKey(Dir, on_delete=models.CASCADE, related_name="claims")
    claim_type = models.CharField(max_length=16, default="trademark")
    claimant_name = models.CharField(max_length=200)
    claimant_contact = models.CharField(max_length=200, blank=True)
    claim_description = models.TextField(blank=True)
    claim_date = models.DateTimeField()
    status = models.CharField(max_length=16, default="pending")
    resolution = models.CharField(max_length=16, null=True, blank=True)
    resolution_date = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(null=True, blank=True)
    contest_documents = models.JSONField(default=list)
    contest_history = models.JSONField(default=list)
    dir_status_before = models.CharField(max_length=24, blank=True)  # restored if the claim is rejected
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class WebhookDelivery(models.Model):
    """One signed webhook event and its delivery attempts (the control plane shows the log)."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(default=_uuid)
    dir_id = models.UUIDField()
    url = models.CharField(max_length=2048)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.IntegerField(null=True)
    last_error = models.CharField(max_length=255, blank=True)
    delivered = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, db_index=True)
    created_at = models.DateTimeField()


class Fault(models.Model):
    """An injected failure for requests whose path matches `pattern` (a regular expression)."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    pattern = models.CharField(max_length=255)
    method = models.CharField(max_length=8, default="*")
    kind = models.CharField(max_length=24)  # rate_limit | error | latency | drop_after_commit
    status = models.PositiveIntegerField(default=503)
    retry_after = models.PositiveIntegerField(default=1)
    latency_ms = models.PositiveIntegerField(default=0)
    remaining = models.IntegerField(null=True)  # None = unlimited
    every = models.PositiveIntegerField(default=1)  # fire on every Nth matching request
    seen = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()


class Clock(models.Model):
    """The simulated clock: real time plus an offset the control plane can advance."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    offset_seconds = models.FloatField(default=0)


class LoaRender(models.Model):
    """A letter the simulator rendered (POST /v2/dir/{id}/loa): what it lists, whether it was signed,
    the identity printed on it and the SHA-256 of the bytes returned. Vetting finds an uploaded
    letter here by its digest (CONTRACT.md §5.8, REJECTIONS.md N1–N4)."""

    id = models.UUIDField(primary_key=True, default=_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    dir = models.ForeignKey(Dir, on_delete=models.CASCADE, related_name="+")
    numbers = models.JSONField(default=list)
    signed = models.BooleanField(default=False)
    identity_sha256 = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account", "sha256"], name="sim_loa_render_idx")]
