"""Display Identity Records, reference data and comments (CONTRACT.md §5.3–5.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import F
from django.http import JsonResponse

from portal.simulator import services
from portal.simulator.api import (
    ApiError,
    bad_request,
    data,
    get_owned,
    invalid,
    json_body,
    now,
    paginate,
    paginate_list,
    parse_uuid,
    ts,
)
from portal.simulator.models import Comment, Dir
from portal.simulator.serializers import comment_json, dir_json
from portal.simulator.validation import Checker, display_name_problem
from portal.simulator.views.enterprises import get_enterprise

DOCUMENT_TYPES = {
    "letter_of_authorization": "Letter of Authorization for the phone numbers",
    "business_registration": "Business registration certificate",
    "articles_of_incorporation": "Articles of incorporation or organization",
    "certificate_of_good_standing": "Certificate of good standing",
    "tax_document": "Tax document",
    "ein_letter": "IRS EIN confirmation letter",
    "trademark_registration": "Trademark registration",
    "website_ownership": "Proof of website ownership",
    "business_license": "Business license",
    "professional_license": "Professional license",
    "government_id": "Government-issued ID",
    "utility_bill": "Utility bill",
    "bank_statement": "Bank statement",
    "business_credit_report": "Business credit report",
    "bank_reference_letter": "Bank reference letter",
    "other": "Other document (manual review)",
}
CALL_REASONS = [
    ("Appointment Reminder", "Reminders of upcoming appointments"),
    ("Appointment reminders", "Reminders of upcoming appointments"),
    ("Billing inquiries", "Questions about a bill or invoice"),
    ("Billing Inquiry", "A question about a bill or invoice"),
    ("Customer Service", "Follow-up from customer service"),
    ("Delivery Update", "Status of a delivery"),
    ("Follow-Up Calls", "Following up on an earlier conversation"),
    ("Order Confirmation", "Confirming an order"),
    ("Payment Reminder", "Reminder that a payment is due"),
    ("Prescription Ready", "A prescription is ready for pickup"),
    ("Fraud Alert", "Confirming suspicious account activity"),
    ("Service Outage", "Information about a service interruption"),
]
APPROVED = {reason.strip().lower() for reason, _ in CALL_REASONS}


def valid_document_type(value) -> bool:
    return isinstance(value, str) and value in DOCUMENT_TYPES


EDITABLE = ("draft", "rejected", "unsuccessful", "suspended", "verified")
SUBMITTABLE = ("draft", "rejected", "unsuccessful", "verified", "expired", "suspended")
DELETABLE_BLOCKED = ("submitted", "in_review")
SORT_GLOBAL = ("created_at", "updated_at", "display_name", "status")
SORT_SCOPED = SORT_GLOBAL + ("submitted_at", "verified_at", "expiring_at")
DIR_STATUSES = (
    "draft",
    "submitted",
    "in_review",
    "verified",
    "rejected",
    "unsuccessful",
    "suspended",
    "expired",
    "infringement_claimed",
    "permanently_rejected",
    "delete_requested",
)
CERTS = ("certify_brand_is_accurate", "certify_no_shaft_content", "certify_ip_ownership")


def get_dir(request, dir_id: str) -> Dir:
    """The caller's DIR; another account's, a deleted one or a non-UUID id is a 404."""
    dirs = Dir.objects.filter(account=request.account, deleted_at=None).select_related("enterprise")
    dir_ = get_owned(dirs, dir_id, "DIR not found.")
    if dir_.status == "verified" and dir_.expiring_at and dir_.expiring_at <= now():
        # Expiry follows the clock even when no autopilot step has run since.
        with services.atomic():
            services.dir_transition(dir_, "expired", at=dir_.expiring_at)
    return dir_


def _check_fields(body: dict, *, creating: bool) -> Checker:
    """Field rules shared by create and PATCH (400 / 10015 with a pointer per field)."""
    check = Checker(body)
    if creating or "display_name" in body:
        problem = display_name_problem(body.get("display_name"))
        if problem:
            check.fail("display_name", problem)
    if creating or "authorizer_name" in body:
        check.string("authorizer_name", required=creating, min_len=1, max_len=255)
    if creating or "authorizer_email" in body:
        check.email("authorizer_email", required=creating)
    if creating or "call_reasons" in body:
        reasons = body.get("call_reasons")
        if not isinstance(reasons, list) or not (1 <= len(reasons) <= 10):
            check.fail("call_reasons", "call_reasons must be a list of 1 to 10 reasons.")
        else:
            for i, reason in enumerate(reasons):
                if not isinstance(reason, str) or not (1 <= len(reason.strip()) <= 64):
                    check.fail(f"call_reasons/{i}", "Each call reason must be 1 to 64 characters.")
    for cert in CERTS:
        check.boolean(cert, required=creating, must_be_true=creating)
    if "logo_url" in body and body["logo_url"] is not None:
        url = check.https_url("logo_url", max_len=128)
        if url and not url.lower().split("?", 1)[0].endswith(".bmp"):
            check.fail("logo_url", "logo_url must be a 256x256 BMP image no larger than 1 MB")
    if "webhook_url" in body:
        check.https_url("webhook_url", max_len=2048)
    if "reselling" in body:
        check.boolean("reselling")
    return check


def _check_documents(request, dir_: Dir | None, documents, check: Checker, at: datetime) -> list[dict]:
    """Validate `documents` (append-only, ≤20 on a DIR, each id once, must be usable uploads)."""
    if documents is None:
        return []
    if not isinstance(documents, list):
        check.fail("documents", "documents must be a list.")
        return []
    existing = {d["document_id"] for d in (dir_.documents if dir_ else [])}
    cleaned, seen = [], set()
    for i, item in enumerate(documents):
        pointer = f"documents/{i}/document_id"
        if not isinstance(item, dict) or not isinstance(item.get("document_id"), str):
            check.fail(pointer, "Each document needs a document_id.")
            continue
        doc_id = item["document_id"].lower()
        if not valid_document_type(item.get("document_type")):
            check.fail(
                f"documents/{i}/document_type", f"document_type must be one of: {', '.join(DOCUMENT_TYPES)}."
            )
            continue
        description = item.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 255):
            check.fail(f"documents/{i}/description", "description must be at most 255 characters.")
            continue
        if doc_id in existing or doc_id in seen:
            check.fail(pointer, f"Document {doc_id} is already attached to this DIR.")
            continue
        document, problem = services.usable_document(request.account, doc_id, at)
        if document is None:
            check.fail(pointer, problem)
            continue
        seen.add(doc_id)
        cleaned.append(
            {"document_id": doc_id, "document_type": item["document_type"], "description": description}
        )
    if len(existing) + len(cleaned) > 20:
        check.fail("documents", "A DIR can have at most 20 documents.")
    return cleaned


def _reasons(values: list[str], at: datetime) -> list[dict]:
    return [{"reason": value.strip(), "created_at": ts(at)} for value in values]


def create(request, enterprise_id: str):
    enterprise = get_enterprise(request, enterprise_id)
    body = json_body(request, status=400)
    at = now()
    if enterprise.role_type == "bpo":
        raise bad_request("A BPO enterprise cannot own a DIR.")
    if not enterprise.branded_calling_enabled:
        raise bad_request(
            "Branded Calling is not activated for this enterprise. "
            f"Activate it with POST /v2/enterprises/{enterprise.id}/branded_calling."
        )
    if enterprise.activation_ready_at and enterprise.activation_ready_at > at:
        raise bad_request("Branded calling registration has not completed. Retry in a few seconds.")
    check = _check_fields(body, creating=True)
    documents = _check_documents(request, None, body.get("documents"), check, at)
    check.raise_if_any()
    with services.atomic():
        dir_ = Dir.objects.create(
            account=request.account,
            enterprise=enterprise,
            display_name=body["display_name"],
            reselling=bool(body.get("reselling", False)),
            authorizer_name=body["authorizer_name"],
            authorizer_email=body["authorizer_email"],
            logo_url=body.get("logo_url"),
            call_reasons=_reasons(body["call_reasons"], at),
            documents=documents,
            webhook_url=body.get("webhook_url"),
            status_changed_at=at,
            created_at=at,
            updated_at=at,
            **dict.fromkeys(CERTS, True),
        )
        services.documents_link(
            account=request.account,
            document_ids=[d["document_id"] for d in documents],
            record_type="dir",
            resource_id=dir_.id,
            at=at,
        )
    return data(dir_json(dir_), status=201)


def _list(request, dirs, *, scoped: bool):
    get = request.GET.get
    if not scoped and get("filter[enterprise_id]"):
        dirs = dirs.filter(
            enterprise_id=parse_uuid_or_400(get("filter[enterprise_id]"), "filter[enterprise_id]")
        )
    if get("filter[status]"):
        if get("filter[status]") not in DIR_STATUSES:
            raise bad_request(
                f"filter[status] must be one of: {', '.join(DIR_STATUSES)}.", parameter="filter[status]"
            )
        dirs = dirs.filter(status=get("filter[status]"))
    if get("filter[display_name][contains]"):
        dirs = dirs.filter(display_name__icontains=get("filter[display_name][contains]"))
    bounds = {}
    for key in ("gte", "lte"):
        raw = get(f"filter[expiring_at][{key}]")
        if raw:
            bounds[key] = parse_datetime_or_400(raw, f"filter[expiring_at][{key}]")
    if scoped and get("filter[expiring_within_days]"):
        if bounds:
            raise bad_request(
                "filter[expiring_within_days] cannot be combined with filter[expiring_at].",
                parameter="filter[expiring_within_days]",
            )
        try:
            days = int(get("filter[expiring_within_days]"))
        except ValueError:
            days = 0
        if not 1 <= days <= 365:
            raise bad_request(
                "filter[expiring_within_days] must be 1 to 365.", parameter="filter[expiring_within_days]"
            )
        at = now()
        bounds = {"gte": at, "lte": at + timedelta(days=days)}
    for key, value in bounds.items():
        dirs = dirs.filter(**{f"expiring_at__{key}": value})
    sort = get("sort") or "-created_at"
    allowed = SORT_SCOPED if scoped else SORT_GLOBAL
    if sort.lstrip("-") not in allowed:
        raise bad_request(
            f"sort must be one of: {', '.join(allowed)} (prefix - for descending).", parameter="sort"
        )
    field = sort.lstrip("-")
    # Missing dates sort last in both directions, the same on SQLite and PostgreSQL.
    key = F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    dirs = dirs.order_by(key, "-id" if sort.startswith("-") else "id")
    reason = get("filter[call_reason][contains]")
    if reason:
        # JSON substring matching differs per database; the list per account is small enough to filter here.
        matches = [d for d in dirs if any(reason.lower() in r["reason"].lower() for r in d.call_reasons)]
        return paginate_list(request, [dir_json(d) for d in matches])
    return paginate(request, dirs, dir_json)


def parse_uuid_or_400(value: str, parameter: str):
    try:
        return parse_uuid(value, "")
    except ApiError as exc:
        raise bad_request(f"{parameter} must be a UUID.", parameter=parameter) from exc


def parse_datetime_or_400(value: str, parameter: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)  # raises for dates that overflow in UTC
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"{parameter} must be an ISO-8601 date-time.", parameter=parameter) from exc


def list_all(request):
    return _list(request, Dir.objects.filter(account=request.account, deleted_at=None), scoped=False)


def list_for_enterprise(request, enterprise_id: str):
    enterprise = get_enterprise(request, enterprise_id)
    return _list(request, Dir.objects.filter(enterprise=enterprise, deleted_at=None), scoped=True)


def retrieve(request, dir_id: str):
    return data(dir_json(get_dir(request, dir_id)))


def update(request, dir_id: str):
    dir_ = get_dir(request, dir_id)
    body = json_body(request, allow_empty=True, status=400)
    if dir_.status not in EDITABLE:
        raise bad_request(f"Cannot update DIR in '{dir_.status}' status")
    at = now()
    check = _check_fields(body, creating=False)
    documents = _check_documents(request, dir_, body.get("documents"), check, at)
    check.raise_if_any()
    changes = {}
    for field in ("display_name", "authorizer_name", "authorizer_email", "logo_url", "reselling", *CERTS):
        if field in body and body[field] != getattr(dir_, field):
            changes[field] = body[field]
    if "call_reasons" in body and [r.strip() for r in body["call_reasons"]] != [
        r["reason"] for r in dir_.call_reasons
    ]:
        changes["call_reasons"] = _reasons(body["call_reasons"], at)
    if documents:
        changes["documents"] = dir_.documents + documents
    webhook_changed = "webhook_url" in body and body["webhook_url"] != dir_.webhook_url
    if not changes and not webhook_changed:
        return data(dir_json(dir_))
    with services.atomic():
        for field, value in changes.items():
            setattr(dir_, field, value)
        if webhook_changed:
            dir_.webhook_url = body["webhook_url"]
        if dir_.status == "verified" and changes:
            # A real change to a verified DIR sends it back to draft; webhook-only edits do not.
            dir_.status = "draft"
            dir_.status_changed_at = at
        dir_.updated_at = at
        dir_.save()
        services.documents_link(
            account=request.account,
            document_ids=[d["document_id"] for d in documents],
            record_type="dir",
            resource_id=dir_.id,
            at=at,
        )
    return data(dir_json(dir_))


def delete(request, dir_id: str):
    dir_ = get_dir(request, dir_id)
    body = {"data": {"id": str(dir_.id), "status": "delete_requested"}}
    if dir_.status == "delete_requested":
        return JsonResponse(body, status=202)
    claims = services.open_claim_ids(dir_)
    if claims:
        raise ApiError.one(
            409,
            "10021",
            f"DIR has {len(claims)} active infringement claim(s). Resolve the claim before making this change.",
        )
    if dir_.status in DELETABLE_BLOCKED:
        raise bad_request(f"Cannot delete DIR in '{dir_.status}' status; wait for review to finish.")
    attached = dir_.numbers.filter(removed_at=None).count()
    if attached:
        raise bad_request(
            f"DIR has {attached} phone number(s) still attached. Delete every phone first, then delete the DIR."
        )
    at = now()
    dir_.status = "delete_requested"
    dir_.delete_requested_at = at
    dir_.status_changed_at = at
    dir_.updated_at = at
    dir_.save()
    return JsonResponse(body, status=202)


def submit(request, dir_id: str):
    dir_ = get_dir(request, dir_id)
    json_body(request, allow_empty=True, status=400)
    if dir_.status not in SUBMITTABLE:
        raise bad_request(f"Cannot submit DIR in '{dir_.status}' status")
    claims = services.open_claim_ids(dir_)
    if claims:
        raise bad_request(
            f"DIR has open infringement claim(s): {', '.join(claims)}. Use PUT /v2/dir/{dir_.id}/infringement_update."
        )
    for cert in CERTS:
        if not getattr(dir_, cert):
            raise bad_request(f"{cert} must be true before submitting.", pointer=f"/body/{cert}")
    with services.atomic():
        services.dir_submit(dir_, at=now())
    return data(dir_json(dir_))


# --- reference data ---------------------------------------------------------------------------


def document_types(request):
    items = [{"short_name": key, "description": text} for key, text in DOCUMENT_TYPES.items()]
    meta = {"page_number": 1, "page_size": len(items), "total_pages": 1, "total_results": len(items)}
    return JsonResponse({"data": items, "meta": meta})


def call_reasons(request):
    import uuid

    items = [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"call-reason:{reason}")),
            "reason": reason,
            "description": text,
        }
        for reason, text in CALL_REASONS
    ]
    return paginate_list(request, items, default_size=100)


def call_reasons_validate(request):
    reasons = json_body(request, expect=list)
    if not 1 <= len(reasons) <= 10:
        raise invalid("Send 1 to 10 call reasons.", pointer="/body")
    for i, reason in enumerate(reasons):
        if not isinstance(reason, str) or not 1 <= len(reason) <= 64:
            raise invalid("Each call reason must be a string of 1 to 64 characters.", pointer=f"/body/{i}")
    non_approved = [r for r in reasons if r.strip().lower() not in APPROVED]
    return data(
        {
            "all_pre_approved": not non_approved,
            "requires_manual_vetting": bool(non_approved),
            "non_approved_reasons": non_approved,
        }
    )


# --- comments ---------------------------------------------------------------------------------

COMMENT_TYPES = (
    "vetting_comment",
    "rejection_reason",
    "internal_note",
    "notification",
    "status_update",
    "customer_inquiry",
    "admin_response",
)


def comment_list(request, dir_id: str):
    dir_ = get_dir(request, dir_id)
    comments = (
        Comment.objects.filter(dir=dir_).exclude(comment_type="internal_note").order_by("created_at", "id")
    )
    kind = request.GET.get("comment_type")
    if kind:
        if kind not in COMMENT_TYPES:
            raise bad_request(
                f"comment_type must be one of: {', '.join(COMMENT_TYPES)}.", parameter="comment_type"
            )
        comments = comments.filter(comment_type=kind)
    return paginate(request, comments, comment_json)


def comment_create(request, dir_id: str):
    dir_ = get_dir(request, dir_id)
    body = json_body(request, status=400)
    check = Checker(body)
    content = check.string("content", required=True, min_len=1, max_len=5000)
    check.raise_if_any()
    parent = None
    if body.get("parent_comment_id") is not None:
        try:
            parent = Comment.objects.filter(dir=dir_, id=parse_uuid(body["parent_comment_id"], "")).first()
        except ApiError:
            parent = None
        if parent is None:
            raise bad_request(
                "parent_comment_id is not a comment on this DIR.", pointer="/body/parent_comment_id"
            )
    comment = Comment.objects.create(dir=dir_, parent=parent, content=content, created_at=now())
    return data(comment_json(comment), status=201)


INFRINGEMENT_CERTS = (
    "certify_brand_is_accurate",
    "certify_ip_ownership",
    "certify_no_infringement",
    "certify_no_shaft_content",
)


def infringement_update(request, dir_id: str):
    """Fix and resubmit a DIR suspended by an open claim (the claim stays open)."""
    dir_ = get_dir(request, dir_id)
    body = json_body(request)
    check = Checker(body, status=422)
    for cert in INFRINGEMENT_CERTS:
        check.boolean(cert, required=True, must_be_true=True)
    check.string("infringement_resolution_notes", required=True, min_len=10, max_len=500)
    if body.get("display_name") is not None:
        problem = display_name_problem(body["display_name"])
        if problem:
            check.fail("display_name", problem)
    if body.get("call_reasons") is not None:
        reasons = body["call_reasons"]
        if (
            not isinstance(reasons, list)
            or not 1 <= len(reasons) <= 10
            or not all(isinstance(r, str) and 1 <= len(r.strip()) <= 64 for r in reasons)
        ):
            check.fail("call_reasons", "call_reasons must be 1 to 10 reasons of 1 to 64 characters.")
    if body.get("logo_url") is not None:
        check.https_url("logo_url", max_len=128)
    check.raise_if_any()
    if dir_.status != "suspended" or not services.open_claim_ids(dir_):
        raise bad_request("infringement_update is only for a suspended DIR with an open infringement claim.")
    at = now()
    documents_check = Checker(body)
    documents = _check_documents(request, dir_, body.get("documents"), documents_check, at)
    documents_check.raise_if_any()
    with services.atomic():
        if body.get("display_name") is not None:
            dir_.display_name = body["display_name"]
        if body.get("logo_url") is not None:
            dir_.logo_url = body["logo_url"]
        if body.get("call_reasons") is not None:
            dir_.call_reasons = _reasons(body["call_reasons"], at)
        if documents:
            dir_.documents = dir_.documents + documents
        services.dir_submit(dir_, at=at)
        services.documents_link(
            account=request.account,
            document_ids=[d["document_id"] for d in documents],
            record_type="dir",
            resource_id=dir_.id,
            at=at,
        )
    return data(dir_json(dir_))
