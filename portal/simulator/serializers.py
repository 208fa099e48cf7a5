"""Wire shapes of the simulator's objects (CONTRACT.md §5)."""

from __future__ import annotations

from portal.simulator.api import ts, ts_ms
from portal.simulator.models import (
    Batch,
    Comment,
    Dir,
    DirPhoneNumber,
    Document,
    Enterprise,
    InfringementClaim,
)

ENTERPRISE_OPTIONAL = (
    "corporate_registration_number",
    "customer_reference",
    "dun_bradstreet_number",
    "primary_business_domain_sic_code",
    "professional_license_number",
)


def enterprise_json(enterprise: Enterprise) -> dict:
    body = {"id": str(enterprise.id), "record_type": "enterprise"}
    body.update(dict.fromkeys(ENTERPRISE_OPTIONAL))
    body.update(enterprise.data)
    body.update(
        {
            "legal_name": enterprise.legal_name,
            "fein": enterprise.fein,
            "role_type": enterprise.role_type,
            "country_code": enterprise.country_code,
            "branded_calling_enabled": enterprise.branded_calling_enabled,
            "number_reputation_enabled": enterprise.number_reputation_enabled,
            "bpo_verification_status": enterprise.bpo_verification_status,
            "bpo_verification_rejection_reason": None,
            "created_at": ts(enterprise.created_at),
            "updated_at": ts(enterprise.updated_at),
        }
    )
    return body


def dir_json(dir_: Dir) -> dict:
    return {
        "id": str(dir_.id),
        "record_type": "dir",
        "enterprise_id": str(dir_.enterprise_id),
        "display_name": dir_.display_name,
        "reselling": dir_.reselling,
        "certify_brand_is_accurate": dir_.certify_brand_is_accurate,
        "certify_no_shaft_content": dir_.certify_no_shaft_content,
        "certify_ip_ownership": dir_.certify_ip_ownership,
        "authorizer_name": dir_.authorizer_name,
        "authorizer_email": dir_.authorizer_email,
        "logo_url": dir_.logo_url,
        "call_reasons": dir_.call_reasons,
        "documents": dir_.documents,
        "bpo_authorizations": [],
        "status": dir_.status,
        "rejection_reasons": dir_.rejection_reasons,
        "rejected_at": ts(dir_.rejected_at),
        "submitted_at": ts(dir_.submitted_at),
        "verified_at": ts(dir_.verified_at),
        "expiring_at": ts(dir_.expiring_at),
        "delete_requested_at": ts(dir_.delete_requested_at),
        "webhook_url": dir_.webhook_url,
        "created_at": ts(dir_.created_at),
        "updated_at": ts(dir_.updated_at),
    }


def number_json(number: DirPhoneNumber, *, enterprise_id: str | None = None) -> dict:
    return {
        "id": str(number.id),
        "record_type": "dir_phone_number",
        "dir_id": str(number.dir_id),
        "enterprise_id": enterprise_id or str(number.dir.enterprise_id),
        "phone_number": number.phone_number,
        "batch_id": str(number.batch_id),
        "status": number.status,
        "loa_document_id": str(number.loa_document_id) if number.loa_document_id else None,
        "rejection_reason": number.rejection_reason,
        "created_at": ts(number.created_at),
        "updated_at": ts(number.updated_at),
        "verified_at": ts(number.verified_at),
    }


def batch_json(batch: Batch, numbers: list[DirPhoneNumber], dir_: Dir) -> dict:
    enterprise_id = str(dir_.enterprise_id)
    return {
        "batch_id": str(batch.id),
        "record_type": "dir_phone_number_batch",
        "dir_id": str(batch.dir_id),
        "dir_display_name": dir_.display_name,
        "enterprise_id": enterprise_id,
        "status": batch.status,
        "total_count": len(numbers),
        "submitted_at": ts(batch.submitted_at),
        "documents": batch.documents,
        "phone_numbers": [number_json(n, enterprise_id=enterprise_id) for n in numbers],
    }


def document_json(document: Document) -> dict:
    return {
        "id": str(document.id),
        "record_type": "document",
        "created_at": ts_ms(document.created_at),
        "updated_at": ts_ms(document.updated_at),
        "filename": document.filename,
        "content_type": document.content_type,
        "size": {"amount": document.size, "unit": "bytes"},
        "sha256": document.sha256,
        "customer_reference": document.customer_reference,
        "status": document.status,
        "av_scan_status": document.av_scan_status,
    }


def comment_json(comment: Comment) -> dict:
    return {
        "id": str(comment.id),
        "record_type": "comment",
        "entity_type": "dir",
        "entity_id": str(comment.dir_id),
        "parent_comment_id": str(comment.parent_id) if comment.parent_id else None,
        "content": comment.content,
        "visibility": "customer",
        "author_role": comment.author_role,
        "author_name": comment.author_name,
        "comment_type": comment.comment_type,
        "created_at": ts(comment.created_at),
    }


def claim_json(claim: InfringementClaim) -> dict:
    dir_ = claim.dir
    return {
        "id": str(claim.id),
        "record_type": "infringement_claim",
        "dir_id": str(dir_.id),
        "enterprise_id": str(dir_.enterprise_id),
        "dir": {
            "id": str(dir_.id),
            "display_name": dir_.display_name,
            "enterprise_id": str(dir_.enterprise_id),
            "status": dir_.status,
        },
        "claim_type": claim.claim_type,
        "claimant_name": claim.claimant_name,
        "claimant_contact": claim.claimant_contact,
        "claim_description": claim.claim_description,
        "claim_date": ts(claim.claim_date),
        "status": claim.status,
        "resolution": claim.resolution,
        "resolution_date": ts(claim.resolution_date),
        "resolution_notes": claim.resolution_notes,
        "contest_documents": claim.contest_documents,
        "contest_history": claim.contest_history,
        "created_at": ts(claim.created_at),
        "updated_at": ts(claim.updated_at),
    }
