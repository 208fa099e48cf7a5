"""Enterprises and Branded Calling activation (CONTRACT.md §5.2)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.http import HttpResponse

from portal.simulator import services
from portal.simulator.api import ApiError, bad_request, data, get_owned, json_body, now, paginate
from portal.simulator.models import Dir, Enterprise, TosAgreement
from portal.simulator.serializers import enterprise_json
from portal.simulator.validation import Checker

ORGANIZATION_TYPES = ("commercial", "government", "non_profit")
LEGAL_TYPES = ("corporation", "llc", "partnership", "nonprofit", "other")
INDUSTRIES = [
    "accounting",
    "finance",
    "billing",
    "collections",
    "business",
    "charity",
    "nonprofit",
    "communications",
    "telecom",
    "customer service",
    "support",
    "delivery",
    "shipping",
    "logistics",
    "education",
    "financial",
    "banking",
    "government",
    "public",
    "healthcare",
    "health",
    "pharmacy",
    "medical",
    "insurance",
    "legal",
    "law",
    "notifications",
    "scheduling",
    "real estate",
    "property",
    "retail",
    "ecommerce",
    "sales",
    "marketing",
    "software",
    "technology",
    "tech",
    "media",
    "surveys",
    "market research",
    "travel",
    "hospitality",
    "hotel",
]
EMPLOYEES = ("1-10", "11-50", "51-200", "201-500", "501-2000", "2001-10000", "10001+")
FEIN = re.compile(r"^(\d{2}-\d{7}|\d{9})$")
MUTABLE = {
    "billing_address",
    "billing_contact",
    "corporate_registration_number",
    "customer_reference",
    "doing_business_as",
    "dun_bradstreet_number",
    "fein",
    "industry",
    "jurisdiction_of_incorporation",
    "legal_name",
    "number_of_employees",
    "organization_contact",
    "organization_legal_type",
    "organization_physical_address",
    "primary_business_domain_sic_code",
    "professional_license_number",
    "website",
}
REPUTATION_LOCKED = {
    "legal_name",
    "doing_business_as",
    "website",
    "fein",
    "industry",
    "number_of_employees",
    "organization_physical_address",
    "organization_contact",
    "dun_bradstreet_number",
}


def _check_contact(check: Checker, field: str, *, with_title: bool) -> None:
    value = check.body.get(field)
    if value is None:
        check.fail(field, f"{field} is required.")
        return
    if not isinstance(value, dict):
        check.fail(field, f"{field} must be an object.")
        return
    sub = Checker(value, status=check.status, prefix=f"{check.prefix}/{field}")
    for name in ("first_name", "last_name") + (("job_title",) if with_title else ()):
        sub.string(name, required=True, min_len=1)
    sub.email("email", required=True)
    phone = sub.string("phone_number", required=True, min_len=1, max_len=20)
    if phone and not re.match(r"^\+[1-9]\d{6,14}$", phone):
        sub.fail("phone_number", "phone_number must be in +E.164 format.")
    check.errors.extend(sub.errors)


def _check_address(check: Checker, field: str) -> None:
    value = check.body.get(field)
    if value is None:
        check.fail(field, f"{field} is required.")
        return
    if not isinstance(value, dict):
        check.fail(field, f"{field} must be an object.")
        return
    sub = Checker(value, status=check.status, prefix=f"{check.prefix}/{field}")
    sub.string("street_address", required=True, min_len=1)
    sub.string("extended_address")
    sub.string("city", required=True, min_len=1, max_len=100)
    sub.string("administrative_area", required=True, min_len=1, max_len=100)
    sub.string("postal_code", required=True, min_len=1, max_len=20)
    sub.choice("country", ("US", "CA"), required=True)
    check.errors.extend(sub.errors)


def _validate(body: dict, *, partial: bool) -> dict:
    """Check an enterprise body; returns the cleaned values to store."""
    check = Checker(body, status=422)
    present = (lambda f: f in body) if partial else (lambda f: True)
    if present("legal_name"):
        check.string("legal_name", required=True, min_len=3, max_len=64)
    if present("doing_business_as"):
        value = body.get("doing_business_as")
        if value is None and not partial:
            check.fail("doing_business_as", "doing_business_as is required (it may be empty).")
        elif value is not None:
            check.string("doing_business_as", max_len=255)
    if not partial:
        check.choice("organization_type", ORGANIZATION_TYPES, required=True)
        check.choice("country_code", ("US", "CA"), required=True)
        check.choice("role_type", ("enterprise", "bpo"))
    if present("organization_legal_type"):
        check.choice("organization_legal_type", LEGAL_TYPES, required=True)
    if present("jurisdiction_of_incorporation"):
        check.string("jurisdiction_of_incorporation", required=True, min_len=1)
    if present("website"):
        if body.get("website") is None:
            check.fail("website", "website is required (it may be empty).")
        else:
            check.string("website", max_len=255)
    if present("fein"):
        fein = check.string("fein", required=True, min_len=1, max_len=20)
        if fein and not FEIN.match(fein):
            check.fail("fein", "fein must look like NN-NNNNNNN or 9 digits.")
    if present("industry"):
        check.choice("industry", INDUSTRIES, required=True, case_insensitive=True)
    if present("number_of_employees"):
        check.choice("number_of_employees", EMPLOYEES, required=True)
    if present("organization_contact"):
        _check_contact(check, "organization_contact", with_title=True)
    if present("billing_contact"):
        _check_contact(check, "billing_contact", with_title=False)
    for field in ("organization_physical_address", "billing_address"):
        if present(field):
            _check_address(check, field)
    for field, limit in (
        ("corporate_registration_number", 100),
        ("customer_reference", 255),
        ("dun_bradstreet_number", 20),
        ("primary_business_domain_sic_code", 10),
        ("professional_license_number", 100),
    ):
        if field in body:
            check.string(field, max_len=limit)
    check.raise_if_any()
    known = MUTABLE | {"organization_type", "country_code", "role_type"}
    return {key: value for key, value in body.items() if key in known}


def get_enterprise(request, enterprise_id: str) -> Enterprise:
    """The caller's live enterprise, or 404."""
    return get_owned(
        Enterprise.objects.filter(account=request.account, deleted_at=None),
        enterprise_id,
        "Enterprise not found.",
    )


def _duplicate(account, legal_name: str, fein: str, exclude=None) -> bool:
    others = Enterprise.objects.filter(
        account=account, deleted_at=None, legal_name__iexact=legal_name, fein=fein
    )
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def create(request):
    body = json_body(request)
    cleaned = _validate(body, partial=False)
    if _duplicate(request.account, cleaned["legal_name"], cleaned["fein"]):
        raise ApiError.one(409, "10012", "An enterprise with the same legal_name and fein already exists.")
    at = now()
    role_type = cleaned.pop("role_type", None) or "enterprise"
    enterprise = Enterprise.objects.create(
        account=request.account,
        legal_name=cleaned.pop("legal_name"),
        fein=cleaned.pop("fein"),
        country_code=cleaned.pop("country_code"),
        role_type=role_type,
        bpo_verification_status="pending" if role_type == "bpo" else None,
        data=cleaned,
        created_at=at,
        updated_at=at,
    )
    return data(enterprise_json(enterprise), status=201)


def list_(request):
    enterprises = Enterprise.objects.filter(account=request.account, deleted_at=None).order_by(
        "-created_at", "-id"
    )
    name = request.GET.get("filter[legal_name][contains]") or request.GET.get("legal_name")
    if name:
        enterprises = enterprises.filter(legal_name__icontains=name)
    role = request.GET.get("filter[role_type]")
    if role:
        if role not in ("enterprise", "bpo"):
            raise bad_request("filter[role_type] must be enterprise or bpo.", parameter="filter[role_type]")
        enterprises = enterprises.filter(role_type=role)
    return paginate(request, enterprises, enterprise_json, default_size=10)


def retrieve(request, enterprise_id: str):
    return data(enterprise_json(get_enterprise(request, enterprise_id)))


def update(request, enterprise_id: str):
    enterprise = get_enterprise(request, enterprise_id)
    body = json_body(request)
    for field in body:
        if field not in MUTABLE:
            raise bad_request(f"Field '{field}' is not allowed in this request", pointer=f"/body/{field}")
    cleaned = _validate(body, partial=True)
    if enterprise.number_reputation_enabled:
        current = enterprise_json(enterprise)
        for field in REPUTATION_LOCKED & cleaned.keys():
            if cleaned[field] != current.get(field):
                raise bad_request(
                    f"Field '{field}' cannot be changed while Number Reputation is enabled.",
                    pointer=f"/body/{field}",
                )
    legal_name = cleaned.pop("legal_name", enterprise.legal_name)
    fein = cleaned.pop("fein", enterprise.fein)
    if _duplicate(request.account, legal_name, fein, exclude=enterprise):
        raise ApiError.one(409, "10012", "An enterprise with the same legal_name and fein already exists.")
    enterprise.legal_name, enterprise.fein = legal_name, fein
    enterprise.data = {**enterprise.data, **cleaned}
    enterprise.updated_at = now()
    enterprise.save()
    return data(enterprise_json(enterprise))


def delete(request, enterprise_id: str):
    enterprise = get_enterprise(request, enterprise_id)
    dirs = Dir.objects.filter(enterprise=enterprise, deleted_at=None)
    claimed = [str(d.id) for d in dirs if services.open_claim_ids(d)]
    if claimed:
        raise ApiError.one(409, "10021", f"DIR(s) with unresolved infringement claims: {', '.join(claimed)}.")
    blocked = [
        str(d.id)
        for d in dirs
        if d.status in ("submitted", "in_review") or d.numbers.filter(removed_at=None).exists()
    ]
    if blocked:
        raise bad_request(
            f"Enterprise has DIR(s) in review or with phone numbers attached: {', '.join(blocked)}. "
            "Remove their numbers and wait for review to finish first."
        )
    at = now()
    with services.atomic():
        dirs.update(deleted_at=at, updated_at=at)
        enterprise.deleted_at = at
        enterprise.save(update_fields=["deleted_at"])
    return HttpResponse(status=204)


def activate(request, enterprise_id: str):
    enterprise = get_enterprise(request, enterprise_id)
    account = request.account
    version = account.branded_calling_terms_version
    if not TosAgreement.objects.filter(
        account=account, product_type="branded_calling", terms_version=version
    ).exists():
        raise ApiError.one(
            403,
            "10010",
            "terms_of_service_not_accepted: agree to the Branded Calling terms of service first "
            "(POST /v2/terms_of_service/branded_calling/agree).",
        )
    if not account.credit_available:
        raise bad_request("The account has no available credit. Add funds and retry.")
    if enterprise.country_code != "US":
        raise bad_request("Branded Calling is only available for enterprises in the United States.")
    if not enterprise.branded_calling_enabled:
        at = now()
        enterprise.branded_calling_enabled = True
        enterprise.activation_ready_at = at + timedelta(seconds=account.activation_delay_seconds)
        enterprise.updated_at = at
        enterprise.save()
    return data(enterprise_json(enterprise))
