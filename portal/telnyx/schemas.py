"""Frozen dataclasses for Telnyx responses; unknown fields are ignored, missing ones default."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any


def parse_datetime(value: Any) -> datetime | None:
    """ISO-8601 with Z (micro- or milliseconds) → aware datetime; None and junk → None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)  # Python ≥3.11 reads "Z" itself
    except ValueError:
        return None


_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _field_names(cls) -> tuple[tuple[str, bool], ...]:
    """(name, is a timestamp) for each declared field; cached, as syncs build objects by the million."""
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple((f.name, f.name.endswith(("_at", "_date"))) for f in fields(cls))
    return _FIELDS[cls]


def build[T](cls: type[T], raw: dict | None, **extra) -> T:
    """Construct `cls` from a response dict, keeping only the fields it declares (`extra` wins)."""
    raw = raw or {}
    values = {}
    for name, is_time in _field_names(cls):
        if name in extra:
            values[name] = extra[name]
        elif name in raw:
            values[name] = parse_datetime(raw[name]) if is_time else raw[name]
    return cls(**values)


@dataclass(frozen=True)
class RejectionReason:
    code: str = ""
    title: str = ""
    detail: str = ""
    message: str | None = None


def reasons(raw: list | None) -> tuple[RejectionReason, ...]:
    return tuple(build(RejectionReason, r) for r in raw or [] if isinstance(r, dict))


@dataclass(frozen=True)
class Enterprise:
    id: str
    legal_name: str = ""
    doing_business_as: str = ""
    organization_type: str = ""
    organization_legal_type: str = ""
    country_code: str = ""
    role_type: str = "enterprise"
    jurisdiction_of_incorporation: str = ""
    website: str = ""
    fein: str = ""
    industry: str = ""
    number_of_employees: str = ""
    organization_contact: dict = field(default_factory=dict)
    billing_contact: dict = field(default_factory=dict)
    organization_physical_address: dict = field(default_factory=dict)
    billing_address: dict = field(default_factory=dict)
    corporate_registration_number: str | None = None
    customer_reference: str | None = None
    dun_bradstreet_number: str | None = None
    primary_business_domain_sic_code: str | None = None
    professional_license_number: str | None = None
    branded_calling_enabled: bool = False
    number_reputation_enabled: bool = False
    bpo_verification_status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Dir:
    id: str
    enterprise_id: str = ""
    display_name: str = ""
    status: str = ""
    reselling: bool = False
    certify_brand_is_accurate: bool = False
    certify_no_shaft_content: bool = False
    certify_ip_ownership: bool = False
    authorizer_name: str | None = None
    authorizer_email: str | None = None
    logo_url: str | None = None
    call_reasons: tuple[str, ...] = ()
    documents: tuple[dict, ...] = ()
    rejection_reasons: tuple[RejectionReason, ...] = ()
    webhook_url: str | None = None
    rejected_at: datetime | None = None
    submitted_at: datetime | None = None
    verified_at: datetime | None = None
    expiring_at: datetime | None = None
    delete_requested_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_dict(cls, raw: dict) -> Dir:
        base = build(
            cls, {k: v for k, v in raw.items() if k not in ("call_reasons", "documents", "rejection_reasons")}
        )
        # Call reasons are objects in responses and strings in requests; accept both.
        call_reasons = tuple(
            r.get("reason", "") if isinstance(r, dict) else str(r) for r in raw.get("call_reasons") or []
        )
        return _replace(
            base,
            call_reasons=call_reasons,
            documents=tuple(raw.get("documents") or []),
            rejection_reasons=reasons(raw.get("rejection_reasons")),
        )


@dataclass(frozen=True)
class DirPhoneNumber:
    id: str
    phone_number: str = ""
    dir_id: str = ""
    enterprise_id: str = ""
    batch_id: str = ""
    status: str = ""
    loa_document_id: str | None = None
    rejection_reason: RejectionReason | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    verified_at: datetime | None = None

    @classmethod
    def from_dict(cls, raw: dict) -> DirPhoneNumber:
        # Spelled out rather than through build(): a sync parses these by the hundred thousand.
        get = raw.get
        reason = get("rejection_reason")
        return cls(
            id=get("id") or "",
            phone_number=get("phone_number") or "",
            dir_id=get("dir_id") or "",
            enterprise_id=get("enterprise_id") or "",
            batch_id=get("batch_id") or "",
            status=get("status") or "",
            loa_document_id=get("loa_document_id"),
            rejection_reason=build(RejectionReason, reason) if isinstance(reason, dict) else None,
            created_at=parse_datetime(get("created_at")),
            updated_at=parse_datetime(get("updated_at")),
            verified_at=parse_datetime(get("verified_at")),
        )


@dataclass(frozen=True)
class Batch:
    batch_id: str
    dir_id: str = ""
    dir_display_name: str = ""
    enterprise_id: str = ""
    status: str = ""
    total_count: int = 0
    submitted_at: datetime | None = None
    documents: tuple[dict, ...] = ()
    phone_numbers: tuple[DirPhoneNumber, ...] = ()

    @classmethod
    def summary_from_dict(cls, raw: dict) -> Batch:
        """A batch without parsing its embedded numbers (a full sync reads those from the number list)."""
        return build(cls, raw, documents=tuple(raw.get("documents") or ()), phone_numbers=())

    @classmethod
    def from_dict(cls, raw: dict) -> Batch:
        base = build(cls, {k: v for k, v in raw.items() if k not in ("documents", "phone_numbers")})
        return _replace(
            base,
            documents=tuple(raw.get("documents") or []),
            phone_numbers=tuple(DirPhoneNumber.from_dict(n) for n in raw.get("phone_numbers") or []),
        )


@dataclass(frozen=True)
class Document:
    id: str
    filename: str = ""
    content_type: str = ""
    size: dict = field(default_factory=dict)
    sha256: str = ""
    customer_reference: str | None = None
    status: str = ""
    av_scan_status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def size_bytes(self) -> int:
        return int(self.size.get("amount", 0)) if isinstance(self.size, dict) else 0


@dataclass(frozen=True)
class Comment:
    id: str
    content: str = ""
    comment_type: str = ""
    author_role: str = ""
    author_name: str | None = None
    parent_comment_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class InfringementClaim:
    id: str
    dir_id: str = ""
    claim_type: str = ""
    claimant_name: str = ""
    claimant_contact: str = ""
    claim_description: str = ""
    status: str = ""
    resolution: str | None = None
    resolution_notes: str | None = None
    contest_history: tuple[dict, ...] = ()
    claim_date: datetime | None = None
    resolution_date: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    OPEN = frozenset({"pending", "contested"})

    @property
    def is_open(self) -> bool:
        """Pending or contested: the DIR stays suspended and the claim can still be contested."""
        return self.status in self.OPEN

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @property
    def is_contested(self) -> bool:
        return self.status == "contested"


@dataclass(frozen=True)
class CallReasonCheck:
    all_pre_approved: bool = False
    requires_manual_vetting: bool = False
    non_approved_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoveResult:
    """Partial success of a removal: what went, and why the rest did not."""

    removed: tuple[str, ...] = ()
    not_removed: tuple[dict, ...] = ()


@dataclass(frozen=True)
class PageMeta:
    page_number: int = 1
    page_size: int = 0
    total_pages: int | None = None
    total_results: int | None = None


def _replace[T](obj: T, **changes) -> T:
    return replace(obj, **changes)  # type: ignore[type-var]
