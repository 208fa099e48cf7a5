"""The simulator's control plane under /_sim (CONTRACT.md §10): what Telnyx staff and time would do."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

from django.views.decorators.csrf import csrf_exempt

from portal.simulator import rejections, services
from portal.simulator.api import (
    ApiError,
    bad_request,
    data,
    get_owned,
    json_body,
    not_found,
    now,
    parse_uuid,
    ts,
)
from portal.simulator.models import (
    Account,
    Batch,
    Clock,
    Dir,
    DirPhoneNumber,
    Fault,
    InfringementClaim,
    InventoryNumber,
    WebhookDelivery,
)
from portal.simulator.serializers import claim_json, dir_json, number_json
from portal.simulator.validation import normalize_number

DIR_TARGETS = (
    "in_review",
    "verified",
    "rejected",
    "unsuccessful",
    "permanently_rejected",
    "expired",
    "suspended",
)
NUMBER_TARGETS = (
    "submitted",
    "in_review",
    "verified",
    "unsuccessful",
    "permanently_rejected",
    "suspended",
    "expired",
)
FAULT_KINDS = ("rate_limit", "error", "latency", "drop_after_commit")


def account_json(account: Account) -> dict:
    return {
        "id": str(account.id),
        "api_key": account.api_key,
        "name": account.name,
        "credit_available": account.credit_available,
        "account_level": account.account_level,
        "activation_delay_seconds": account.activation_delay_seconds,
        "webhook_public_key": services.account_public_key(account),
    }


ACCOUNT_FIELDS = ("name", "credit_available", "account_level", "activation_delay_seconds",
                  "branded_calling_terms_version", "number_reputation_terms_version")  # fmt: skip


@csrf_exempt
def accounts(request):
    """Create an account (no auth: this is how a sandbox gets its first key)."""
    try:
        return _account_create(request)
    except ApiError as exc:
        return exc.response()


def _account_create(request):
    if request.method != "POST":
        raise ApiError.one(405, "10015", "Use POST.", title="Method not allowed")
    body = json_body(request, allow_empty=True)
    fields = {k: body[k] for k in ACCOUNT_FIELDS if k in body}
    if body.get("api_key") and Account.objects.filter(api_key=body["api_key"]).exists():
        raise ApiError.one(409, "10012", "An account with this api_key already exists.")
    account = services.account_create(api_key=body.get("api_key"), **fields)
    return data(account_json(account), status=201)


def account_update(request, api_key: str):
    if request.account.api_key != api_key:
        raise not_found("Account not found.")
    body = json_body(request)
    for key in ACCOUNT_FIELDS:
        if key in body:
            setattr(request.account, key, body[key])
    request.account.save()
    return data(account_json(request.account))


def inventory(request):
    """Add (or with "remove": true, delete) inventory numbers for the caller's account."""
    body = json_body(request)
    numbers = [normalize_number(n) for n in body.get("phone_numbers") or []]
    if not numbers or None in numbers:
        raise bad_request(
            "phone_numbers must be a non-empty list of E.164 numbers.", pointer="/body/phone_numbers"
        )
    if body.get("remove"):
        deleted, _ = InventoryNumber.objects.filter(
            account=request.account, phone_number__in=numbers
        ).delete()
        return data({"removed": deleted})
    at = now()
    status = body.get("status", "active")
    existing = set(
        InventoryNumber.objects.filter(account=request.account, phone_number__in=numbers).values_list(
            "phone_number", flat=True
        )
    )
    InventoryNumber.objects.filter(account=request.account, phone_number__in=existing).update(status=status)
    InventoryNumber.objects.bulk_create(
        [
            InventoryNumber(
                id=str(uuid.uuid4()),
                account=request.account,
                phone_number=n,
                status=status,
                phone_number_type=body.get("phone_number_type", "local"),
                created_at=at,
            )
            for n in dict.fromkeys(numbers)
            if n not in existing
        ]
    )
    return data({"added": len(set(numbers) - existing), "updated": len(existing)}, status=201)


def _dir(request, dir_id: str) -> Dir:
    dir_ = Dir.objects.filter(
        account=request.account, deleted_at=None, id=parse_uuid(dir_id, "DIR not found.")
    ).first()
    if dir_ is None:
        raise not_found("DIR not found.")
    return dir_


def _reasons_from(body, outcome: str):
    reasons = body.get("rejection_reasons")
    if reasons and all(isinstance(r, dict) for r in reasons):
        return [{**r, "message": r.get("message") if i == 0 else None} for i, r in enumerate(reasons)]
    return services.dir_reasons([str(r) for r in reasons] if reasons else None, outcome)


def dir_transition(request, dir_id: str):
    dir_ = _dir(request, dir_id)
    body = json_body(request)
    to = body.get("to")
    if to not in DIR_TARGETS:
        raise bad_request(f"to must be one of: {', '.join(DIR_TARGETS)}.", pointer="/body/to")
    with services.atomic():
        services.dir_transition(dir_, to, rejection_reasons=_reasons_from(body, to), at=now())
    return data(dir_json(dir_))


def _number_reason(body, to: str):
    reason = body.get("rejection_reason")
    if isinstance(reason, dict):
        return reason
    if to not in ("unsuccessful", "permanently_rejected"):
        return None
    code = reason or ("carrier_registration_failed" if to == "unsuccessful" else "number_abuse_confirmed")
    known = rejections.NUMBER_BY_CODE.get(code) or rejections.DIR_BY_CODE.get(code)
    return known.wire() if known else {"code": code, "title": code, "detail": "", "message": None}


def batch_transition(request, batch_id: str):
    batch = get_owned(
        Batch.objects.filter(account=request.account), batch_id, "Phone number batch not found."
    )
    body = json_body(request)
    to = body.get("to")
    if to not in NUMBER_TARGETS:
        raise bad_request(f"to must be one of: {', '.join(NUMBER_TARGETS)}.", pointer="/body/to")
    with services.atomic():
        services.numbers_set_status(
            DirPhoneNumber.objects.filter(batch=batch, removed_at=None),
            to,
            at=now(),
            rejection_reason=_number_reason(body, to),
        )
    batch.refresh_from_db()
    return data({"batch_id": str(batch.id), "status": batch.status})


def number_transition(request, number_id: str):
    numbers = DirPhoneNumber.objects.filter(account=request.account, removed_at=None).select_related("dir")
    number = get_owned(numbers, number_id, "Phone number not found.")
    body = json_body(request)
    to = body.get("to")
    if to not in NUMBER_TARGETS:
        raise bad_request(f"to must be one of: {', '.join(NUMBER_TARGETS)}.", pointer="/body/to")
    with services.atomic():
        services.numbers_set_status(
            DirPhoneNumber.objects.filter(pk=number.pk),
            to,
            at=now(),
            rejection_reason=_number_reason(body, to),
        )
    number.refresh_from_db()
    return data(number_json(number))


def claim_file(request, dir_id: str):
    """File an infringement claim: the DIR is suspended (and its verified numbers with it)."""
    dir_ = _dir(request, dir_id)
    body = json_body(request, allow_empty=True)
    at = now()
    with services.atomic():
        claim = InfringementClaim.objects.create(
            account=request.account,
            dir=dir_,
            claim_type=body.get("claim_type", "trademark"),
            claimant_name=body.get("claimant_name", "Contoso Ltd."),
            claimant_contact=body.get("claimant_contact", "legal@contoso.example"),
            claim_description=body.get(
                "claim_description", "The display name uses our registered trademark."
            ),
            claim_date=at,
            created_at=at,
            updated_at=at,
            dir_status_before=dir_.status,
        )
        if dir_.status not in ("suspended", "delete_requested", "permanently_rejected"):
            services.dir_transition(dir_, "suspended", at=at)
    return data(claim_json(claim), status=201)


def claim_resolve(request, claim_id: str):
    claim = (
        InfringementClaim.objects.filter(
            account=request.account, id=parse_uuid(claim_id, "Infringement claim not found.")
        )
        .select_related("dir")
        .first()
    )
    if claim is None:
        raise not_found("Infringement claim not found.")
    body = json_body(request)
    resolution = body.get("resolution")
    if resolution not in ("upheld", "rejected", "modified"):
        raise bad_request("resolution must be upheld, rejected or modified.", pointer="/body/resolution")
    if claim.status == "resolved":
        raise bad_request("Infringement claim is already resolved.")
    at = now()
    with services.atomic():
        claim.status, claim.resolution = "resolved", resolution
        claim.resolution_date, claim.resolution_notes = at, body.get("notes")
        claim.updated_at = at
        claim.save()
        dir_ = claim.dir
        if resolution == "upheld":
            reasons = services.dir_reasons(["infringement_claim_upheld"], "permanently_rejected")
            services.dir_transition(dir_, "permanently_rejected", rejection_reasons=reasons, at=at)
        elif resolution == "rejected" and dir_.status == "suspended" and not services.open_claim_ids(dir_):
            # Dismissed: back to where the DIR was before the claim, without a new approval.
            services.dir_restore(dir_, claim.dir_status_before or "verified", at=at)
    return data(claim_json(claim))


def complete_deletion(request, dir_id: str):
    dir_ = _dir(request, dir_id)
    if dir_.status != "delete_requested":
        raise bad_request("Only a DIR in delete_requested can have its deletion completed.")
    dir_.deleted_at = now()
    dir_.save(update_fields=["deleted_at"])
    return data({"id": str(dir_.id), "deleted": True})


def public_key(request):
    return data({"public_key": services.account_public_key(request.account)})


def deliveries(request):
    rows = WebhookDelivery.objects.filter(account=request.account).order_by("-id")[:200]
    return data(
        [
            {
                "id": d.id,
                "event_id": str(d.event_id),
                "dir_id": str(d.dir_id),
                "url": d.url,
                "event_type": d.payload["data"]["event_type"],
                "status": d.payload["data"]["payload"]["status"],
                "attempts": d.attempts,
                "last_status": d.last_status,
                "last_error": d.last_error,
                "delivered": d.delivered,
                "next_attempt_at": ts(d.next_attempt_at),
                "created_at": ts(d.created_at),
            }
            for d in rows
        ]
    )


def webhook_send(request):
    """Send one signed test webhook to a URL, optionally stale (>300 s) or badly signed."""
    import httpx

    body = json_body(request)
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request("url must be an http(s) URL.", pointer="/body/url")
    try:
        at = now() - timedelta(seconds=int(body.get("age_seconds", 0)))
    except (TypeError, ValueError) as exc:
        raise bad_request("age_seconds must be an integer.", pointer="/body/age_seconds") from exc
    event = {
        "data": {
            "record_type": "event",
            "id": body.get("event_id") or str(uuid.uuid4()),
            "event_type": "branded_calling.dir.status_updated",
            "occurred_at": ts(at),
            "payload": body.get("payload") or {"record_type": "dir", "dir_id": body.get("dir_id")},
        },
        "meta": {"attempt": 1, "delivered_to": url},
    }
    raw = json.dumps(event).encode()
    timestamp = int(at.timestamp())
    signature = services.webhook_sign(
        request.account, raw if not body.get("bad_signature") else raw + b" ", timestamp
    )
    try:
        with httpx.Client(timeout=5) as client:
            response = client.post(
                url,
                content=raw,
                headers={
                    "content-type": "application/json",
                    "telnyx-timestamp": str(timestamp),
                    "telnyx-signature-ed25519": signature,
                },
            )
    except httpx.HTTPError as exc:
        return data({"delivered": False, "error": str(exc)})
    return data({"delivered": 200 <= response.status_code < 300, "status": response.status_code})


def faults(request):
    """Inject failures into this account's own requests (other accounts are not affected)."""
    own = Fault.objects.filter(account=request.account)
    if request.method == "DELETE":
        deleted, _ = own.delete()
        return data({"deleted": deleted})
    if request.method == "GET":
        return data(
            list(own.values("id", "pattern", "method", "kind", "status", "remaining", "every", "seen"))
        )
    body = json_body(request)
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise bad_request(f"kind must be one of: {', '.join(FAULT_KINDS)}.", pointer="/body/kind")
    pattern = body.get("pattern", ".")
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise bad_request(
            f"pattern is not a valid regular expression: {exc}.", pointer="/body/pattern"
        ) from exc
    try:
        numbers = {k: int(body.get(k, d)) for k, d in (("retry_after", 1), ("latency_ms", 0), ("every", 1))}
        status = int(
            body.get("status", 429 if kind == "rate_limit" else 502 if kind == "drop_after_commit" else 503)
        )
        count = None if body.get("count") is None else int(body["count"])
    except (TypeError, ValueError) as exc:
        raise bad_request(
            "status, retry_after, latency_ms, every and count must be integers.", pointer="/body"
        ) from exc
    fault = Fault.objects.create(
        account=request.account,
        pattern=pattern,
        method=str(body.get("method", "*")).upper()[:8],
        kind=kind,
        status=status,
        retry_after=max(0, numbers["retry_after"]),
        latency_ms=max(0, min(numbers["latency_ms"], 60_000)),
        remaining=count,
        every=max(1, numbers["every"]),
        created_at=now(),
    )
    return data({"id": fault.id}, status=201)


def clock(request):
    current, _ = Clock.objects.get_or_create(pk=1)
    if request.method == "POST":
        body = json_body(request)
        try:
            advance = float(body.get("advance_seconds", 0))
        except (TypeError, ValueError) as exc:
            raise bad_request("advance_seconds must be a number.", pointer="/body/advance_seconds") from exc
        if not 0 <= advance <= 100 * 365 * 86400:
            raise bad_request(
                "advance_seconds must be between 0 and 100 years.", pointer="/body/advance_seconds"
            )
        current.offset_seconds += advance
        current.save()
    return data({"now": ts(now()), "offset_seconds": current.offset_seconds})


def tick(request):
    return data(services.autopilot_tick())
