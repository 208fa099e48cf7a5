"""Wire shapes of the simulator's objects (CONTRACT.md §5)."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

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
    return _number(
        str(number.id),
        str(number.dir_id),
        enterprise_id or str(number.dir.enterprise_id),
        number.phone_number,
        str(number.batch_id),
        number.status,
        str(number.loa_document_id) if number.loa_document_id else None,
        number.rejection_reason,
        ts(number.created_at),
        ts(number.updated_at),
        ts(number.verified_at),
    )


def _number(
    id_, dir_id, enterprise_id, phone_number, batch_id, status, loa, reason, created, updated, verified
):
    """The one place the DirPhoneNumber wire shape (and its key order) is written down."""
    return {
        "id": id_,
        "record_type": "dir_phone_number",
        "dir_id": dir_id,
        "enterprise_id": enterprise_id,
        "phone_number": phone_number,
        "batch_id": batch_id,
        "status": status,
        "loa_document_id": loa,
        "rejection_reason": reason,
        "created_at": created,
        "updated_at": updated,
        "verified_at": verified,
    }


def numbers_json(numbers: QuerySet[DirPhoneNumber], *, enterprise_id: str) -> list[dict]:
    """`number_json` of every row of `numbers`, without building a model instance per row.

    A page of 250 batches embeds 3,750 numbers; instances and per-value conversions (UUIDs,
    timestamps, JSON) were most of its time. Here each distinct raw value is converted once, through
    the same converters Django would apply: a batch's numbers share their timestamps, batch and LOA.
    """
    connection = connections[numbers.db]
    names = ("id", "dir", "phone_number", "batch", "status", "loa_document_id", "rejection_reason")
    names += ("created_at", "updated_at", "verified_at")
    fields = [DirPhoneNumber._meta.get_field(name) for name in names]
    query = numbers.values_list(*(f.attname for f in fields)).query
    try:
        sql, params = query.get_compiler(using=numbers.db).as_sql()
    except EmptyResultSet:  # e.g. batch_id__in=[] for an empty page
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    uid = [_memo(f, connection, str) for f in fields[:2]]
    batch_id = _memo(fields[3], connection, str)
    loa = _memo(fields[5], connection, lambda v: str(v) if v else None)
    reason = _memo(fields[6], connection, lambda v: v)
    created, updated, verified = (_memo(f, connection, ts) for f in fields[7:])
    return [
        _number(
            uid[0](r[0]),
            uid[1](r[1]),
            enterprise_id,
            r[2],
            batch_id(r[3]),
            r[4],
            loa(r[5]),
            reason(r[6]),
            created(r[7]),
            updated(r[8]),
            verified(r[9]),
        )
        for r in rows
    ]


def _memo(field, connection, finish):
    """Raw database value -> wire value: Django's converters for `field`, then `finish`, once per value."""
    col = field.get_col(field.model._meta.db_table)
    steps = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
    seen: dict = {}

    def convert(raw):
        try:
            return seen[raw]
        except KeyError:
            value = raw
            for step in steps:
                value = step(value, col, connection)
            seen[raw] = wire = finish(value)
            return wire

    return convert


def batch_json(batch: Batch, numbers: list[dict], dir_: Dir) -> dict:
    """A batch with its numbers, already in wire form (`numbers_json`)."""
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
        "phone_numbers": numbers,
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
