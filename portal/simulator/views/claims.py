"""Infringement claims: read and contest (CONTRACT.md §5.11)."""

from __future__ import annotations

from portal.simulator import services
from portal.simulator.api import (
    ApiError,
    bad_request,
    data,
    entry,
    json_body,
    not_found,
    now,
    paginate,
    parse_uuid,
    ts,
)
from portal.simulator.models import InfringementClaim
from portal.simulator.serializers import claim_json
from portal.simulator.views.dirs import get_dir, valid_document_type


def list_for_dir(request, dir_id: str):
    dir_ = get_dir(request, dir_id)
    claims = InfringementClaim.objects.filter(dir=dir_).select_related("dir").order_by("-created_at", "id")
    return paginate(request, claims, claim_json)


def _get(request, claim_id: str) -> InfringementClaim:
    claim = (
        InfringementClaim.objects.filter(
            account=request.account,
            dir__deleted_at=None,
            id=parse_uuid(claim_id, "Infringement claim not found."),
        )
        .select_related("dir")
        .first()
    )
    if claim is None:
        raise not_found("Infringement claim not found.")
    return claim


def retrieve(request, claim_id: str):
    return data(claim_json(_get(request, claim_id)))


def contest(request, claim_id: str):
    claim = _get(request, claim_id)
    body = json_body(request)
    notes = body.get("contest_notes")
    if not isinstance(notes, str) or not 10 <= len(notes) <= 2000:
        raise ApiError(
            422,
            [entry("10005", "contest_notes must be 10 to 2000 characters.", pointer="/body/contest_notes")],
        )
    documents = body.get("documents") or []
    if not isinstance(documents, list) or len(documents) > 20:
        raise ApiError(
            422, [entry("10005", "documents must be a list of at most 20.", pointer="/body/documents")]
        )
    ids = [
        d.get("document_id")
        for d in documents
        if isinstance(d, dict) and isinstance(d.get("document_id"), str)
    ]
    if len(ids) != len(documents) or len(set(ids)) != len(ids):
        raise ApiError(422, [entry("10005", "Each document_id may appear once.", pointer="/body/documents")])
    if claim.status == "resolved":
        raise bad_request("Infringement claim is resolved and cannot be contested.")
    at = now()
    errors = []
    for i, item in enumerate(documents):
        if not valid_document_type(item.get("document_type")):
            errors.append(
                entry("10005", "Unknown document_type.", pointer=f"/body/documents/{i}/document_type")
            )
            continue
        document, problem = services.usable_document(request.account, item["document_id"], at)
        if document is None:
            errors.append(entry("10015", problem, pointer=f"/body/documents/{i}/document_id"))
    if errors:
        raise ApiError(400 if all(e["code"] == "10015" for e in errors) else 422, errors)
    with services.atomic():
        refs = [
            {
                "document_id": d["document_id"].lower(),
                "document_type": d["document_type"],
                "description": d.get("description"),
            }
            for d in documents
        ]
        claim.contest_documents = claim.contest_documents + refs
        claim.contest_history = claim.contest_history + [
            {"notes": notes, "submitted_at": ts(at), "document_count": len(refs)}
        ]
        claim.status = "contested"
        claim.updated_at = at
        claim.save()
        services.documents_link(
            account=request.account,
            document_ids=[r["document_id"] for r in refs],
            record_type="infringement_claim",
            resource_id=claim.id,
            at=at,
        )
    return data(claim_json(claim))
