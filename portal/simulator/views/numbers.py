"""Phone numbers on a DIR, batches, and the account's number inventory (CONTRACT.md §5.10, §5.13)."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import JsonResponse

from portal.simulator import services
from portal.simulator.api import (
    ApiError,
    bad_request,
    data,
    entry,
    json_body,
    not_found,
    now,
    page_params,
    page_response,
    paginate,
    parse_uuid,
)
from portal.simulator.models import Batch, Dir, DirNumberIndex, DirPhoneNumber, InventoryNumber, NumberBlock
from portal.simulator.serializers import batch_json, number_json, numbers_json
from portal.simulator.validation import normalize_number
from portal.simulator.views.dirs import DOCUMENT_TYPES, get_dir, valid_document_type

CATEGORIES = [
    ("duplicate_in_request", "appear more than once in the request"),
    ("not_in_inventory", "are not in your Telnyx inventory"),
    ("permanently_rejected", "are permanently rejected and cannot be added to any DIR"),
    ("attached_to_another_dir", "are already attached to another DIR"),
    ("already_attached_to_this_dir", "are already attached to this DIR"),
]
READDABLE = ("unsuccessful", "expired")
NUMBER_STATUSES = services.NUMBER_STATUSES


def _dir_for(request, dir_id: str, enterprise_id: str | None = None):
    dir_ = get_dir(request, dir_id)
    if enterprise_id is not None:
        try:
            same = parse_uuid(enterprise_id, "DIR not found.") == dir_.enterprise_id
        except ApiError:
            same = False
        if not same:
            raise not_found("DIR not found.")
    return dir_


def _category_error(category: str, numbers: list[str], text: str) -> dict:
    if category == "invalid_format":
        return entry(
            "10016",
            f"{len(numbers)} phone number(s) are not valid E.164 numbers: {', '.join(numbers)}",
            pointer="/body/phone_numbers",
            category=category,
            phone_numbers=numbers,
        )
    return entry(
        "10015",
        f"{len(numbers)} phone number(s) {text}: {', '.join(numbers)}",
        pointer="/body/phone_numbers",
        category=category,
        phone_numbers=numbers,
    )


def add(request, dir_id: str, enterprise_id: str | None = None):
    """Attach 1–15 numbers in one new batch, all or nothing."""
    dir_ = _dir_for(request, dir_id, enterprise_id)
    body = json_body(request, status=400)
    raw_numbers = body.get("phone_numbers")
    if not isinstance(raw_numbers, list) or not 1 <= len(raw_numbers) <= 15:
        raise bad_request("phone_numbers must be a list of 1 to 15 numbers.", pointer="/body/phone_numbers")
    documents = body.get("documents")
    if not isinstance(documents, list) or not 1 <= len(documents) <= 20:
        raise bad_request(
            "documents must list 1 to 20 documents, including a letter_of_authorization.",
            pointer="/body/documents",
        )
    for i, item in enumerate(documents):
        if not isinstance(item, dict) or not valid_document_type(item.get("document_type")):
            raise bad_request(
                f"documents[{i}].document_type must be one of: {', '.join(DOCUMENT_TYPES)}.",
                pointer=f"/body/documents/{i}/document_type",
            )
        if not isinstance(item.get("document_id"), str):
            raise bad_request(
                f"documents[{i}].document_id is required.", pointer=f"/body/documents/{i}/document_id"
            )
        description = item.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 255):
            raise bad_request(
                f"documents[{i}].description must be at most 255 characters.",
                pointer=f"/body/documents/{i}/description",
            )
    loas = [d for d in documents if d["document_type"] == "letter_of_authorization"]
    if not loas:
        raise bad_request("documents must include a letter_of_authorization.", pointer="/body/documents")
    claims = services.open_claim_ids(dir_)
    if claims:
        # Whatever the status: a DIR re-verified through infringement_update may still have the claim open.
        raise bad_request(
            f"Cannot add phone numbers: DIR {dir_.status} with open infringement claim(s): {', '.join(claims)}"
        )
    if dir_.status != "verified":
        raise bad_request("Cannot add phone numbers: DIR must be verified")
    at = now()
    doc_errors = []
    for i, item in enumerate(documents):
        document, problem = services.usable_document(request.account, item["document_id"], at)
        if document is None:
            doc_errors.append(entry("10015", problem, pointer=f"/body/documents/{i}/document_id"))
    if doc_errors:
        raise ApiError(400, doc_errors)

    try:
        return _add_locked(request, dir_, raw_numbers, documents, loas)
    except IntegrityError:
        # Another request attached one of these numbers between our check and our insert (the
        # unique constraint caught it): report it the way the check would have.
        errors, _normalized = _check_numbers(request.account, dir_, raw_numbers)
        raise ApiError(
            400, errors or [entry("10015", "Phone numbers changed concurrently; retry.")]
        ) from None


def _add_locked(request, dir_, raw_numbers, documents, loas):
    with services.atomic():
        # One add at a time per DIR, and the time (hence the row order) taken under that lock.
        Dir.objects.select_for_update().filter(pk=dir_.pk).first()
        at = now()
        errors, normalized = _check_numbers(request.account, dir_, raw_numbers)
        if errors:
            raise ApiError(400, errors)
        batch = Batch.objects.create(
            account=request.account,
            dir=dir_,
            documents=[
                {
                    "document_id": d["document_id"].lower(),
                    "document_type": d["document_type"],
                    "description": d.get("description"),
                }
                for d in documents
            ],
            status="submitted",
            status_changed_at=at,
            submitted_at=at,
        )
        services.batch_position_assign(batch)
        loa_id = parse_uuid(loas[0]["document_id"], "")
        readd = {
            n.phone_number: n
            for n in DirPhoneNumber.objects.filter(
                dir=dir_, removed_at=None, phone_number__in=normalized, status__in=READDABLE
            )
        }
        rows, old_batches = [], set()
        moved_from = [r.seq for r in readd.values()]
        for position, number in enumerate(normalized):
            row = readd.get(number)
            if row is not None:
                old_batches.add(row.batch_id)
                row.batch = batch
                row.status = "submitted"
                row.rejection_reason = None
                row.loa_document_id = loa_id
                row.seq = services.number_seq(at, position)
                row.updated_at = at
                row.save()
            else:
                row = DirPhoneNumber.objects.create(
                    account=request.account,
                    dir=dir_,
                    batch=batch,
                    phone_number=number,
                    loa_document_id=loa_id,
                    seq=services.number_seq(at, position),
                    created_at=at,
                    updated_at=at,
                )
            rows.append(row)
        services.batches_recompute(old_batches, at=at)
        services.number_index_refresh(dir_.id, from_seq=min([*moved_from, *(r.seq for r in rows)]))
        services.documents_link(
            account=request.account,
            document_ids=[parse_uuid(d["document_id"], "") for d in documents],
            record_type="dir_phone_number_batch",
            resource_id=batch.id,
            at=at,
        )
    enterprise_id = str(dir_.enterprise_id)
    return data([number_json(r, enterprise_id=enterprise_id) for r in rows], status=201)


def _check_numbers(account, dir_, raw_numbers: list) -> tuple[list[dict], list[str]]:
    """Sort every number into the first failure category it meets (CONTRACT.md §5.10.1)."""
    invalid_raw, normalized = [], []
    for raw in raw_numbers:
        number = normalize_number(raw)
        if number is None:
            invalid_raw.append(raw if isinstance(raw, str) else str(raw))
        else:
            normalized.append(number)
    failed: dict[str, list[str]] = {key: [] for key, _ in CATEGORIES}
    seen, counted = set(), set()
    for number in normalized:
        if number in seen and number not in counted:
            failed["duplicate_in_request"].append(number)
            counted.add(number)
        seen.add(number)
    remaining = [n for n in dict.fromkeys(normalized) if n not in counted]
    inventory = set(
        InventoryNumber.objects.filter(
            account=account, phone_number__in=remaining, status="active"
        ).values_list("phone_number", flat=True)
    )
    blocked = set(
        NumberBlock.objects.filter(account=account, phone_number__in=remaining).values_list(
            "phone_number", flat=True
        )
    )
    attached = {
        n.phone_number: n
        for n in DirPhoneNumber.objects.filter(
            account=account, phone_number__in=remaining, removed_at=None, dir__deleted_at=None
        )
    }
    for number in remaining:
        row = attached.get(number)
        if number not in inventory:
            failed["not_in_inventory"].append(number)
        elif number in blocked:
            failed["permanently_rejected"].append(number)
        elif row is not None and row.dir_id != dir_.id:
            failed["attached_to_another_dir"].append(number)
        elif row is not None and row.status not in READDABLE:
            failed["already_attached_to_this_dir"].append(number)
    errors = [_category_error("invalid_format", invalid_raw, "")] if invalid_raw else []
    errors += [_category_error(key, failed[key], text) for key, text in CATEGORIES if failed[key]]
    return errors, normalized


def list_(request, dir_id: str, enterprise_id: str | None = None):
    dir_ = _dir_for(request, dir_id, enterprise_id)
    numbers = DirPhoneNumber.objects.filter(dir=dir_, removed_at=None).order_by("seq")
    enterprise_id = str(dir_.enterprise_id)
    status = request.GET.get("status")
    if status:
        if status not in NUMBER_STATUSES:
            raise bad_request(f"status must be one of: {', '.join(NUMBER_STATUSES)}.", parameter="status")
        return paginate(
            request, numbers.filter(status=status), lambda n: number_json(n, enterprise_id=enterprise_id)
        )
    number, size = page_params(request)
    index = DirNumberIndex.objects.filter(dir=dir_).first()
    if index is None:
        # Numbers attached before the index existed (or by a bulk loader): build it once, now.
        with services.atomic():
            index = services.number_index_refresh(dir_.id)
    total = index.total
    start = (number - 1) * size
    items = []
    if start < total:
        # Jump to the block's first seq through the index, then skip fewer than 250 rows; the page is
        # read as raw rows (numbers_json), the sync's hot path: 250 model instances cost most of it.
        block, within = divmod(start, services.BLOCK)
        page = numbers.filter(seq__gte=index.anchors[block])[within : within + size]
        items = numbers_json(page, enterprise_id=enterprise_id)
    return page_response(items, number=number, size=size, total=total)


def remove(request, dir_id: str, enterprise_id: str | None = None):
    """Detach up to 100 numbers; partial success lists the ones that were not attached."""
    dir_ = _dir_for(request, dir_id, enterprise_id)
    body = json_body(request, status=400)
    raw_numbers = body.get("phone_numbers")
    if not isinstance(raw_numbers, list) or not 1 <= len(raw_numbers) <= 100:
        raise bad_request("phone_numbers must be a list of 1 to 100 numbers.", pointer="/body/phone_numbers")
    if dir_.status == "delete_requested":
        raise bad_request("Cannot remove phone numbers from a DIR whose deletion was requested.")
    at = now()
    wanted = list(dict.fromkeys(normalize_number(r) or str(r) for r in raw_numbers))
    with services.atomic():
        Dir.objects.select_for_update().filter(pk=dir_.pk).first()
        rows = list(DirPhoneNumber.objects.filter(dir=dir_, removed_at=None, phone_number__in=wanted))
        removed = {r.phone_number for r in rows}
        if rows:
            DirPhoneNumber.objects.filter(id__in=[r.id for r in rows]).update(removed_at=at, updated_at=at)
            services.number_index_refresh(dir_.id, from_seq=min(r.seq for r in rows))
            services.batches_recompute({r.batch_id for r in rows}, at=at)
    failed = [n for n in wanted if n not in removed]
    if not removed:
        raise ApiError(
            400,
            [
                entry(
                    "10015",
                    f"None of the phone numbers could be removed: {', '.join(failed)}",
                    pointer="/body/phone_numbers",
                    category="not_associated",
                    phone_numbers=failed,
                )
            ],
        )
    errors = [
        {
            "phone_number": n,
            "code": "not_associated",
            "title": "Phone number not associated",
            "detail": f"{n} is not attached to this DIR",
        }
        for n in failed
    ]
    return JsonResponse({"data": [n for n in wanted if n in removed], "meta": {"errors": errors}})


def batch_list(request, dir_id: str, enterprise_id: str | None = None):
    """Newest first; a page is one range of batch positions, so its cost does not grow with the DIR."""
    dir_ = _dir_for(request, dir_id, enterprise_id)
    batches = Batch.objects.filter(dir=dir_)
    status = request.GET.get("filter[status]")
    if status and status not in NUMBER_STATUSES:
        raise bad_request(
            f"filter[status] must be one of: {', '.join(NUMBER_STATUSES)}.", parameter="filter[status]"
        )
    number, size = page_params(request)
    start = (number - 1) * size
    if batches.filter(position=None).exists():
        # Batches written before positions existed: number them once, now (under the lock adds take).
        with services.atomic():
            Dir.objects.select_for_update().filter(pk=dir_.pk).first()
            services.batch_positions_refresh(dir_.id)
    if status:
        batches = batches.filter(status=status).order_by("-position")
        total = batches.count()
        page = list(batches[start : start + size]) if start < total else []
    else:
        newest = batches.order_by("-position").values_list("position", flat=True).first()
        total = 0 if newest is None else newest + 1
        top = total - start  # positions below `top`, newest first
        page = list(batches.filter(position__lt=top, position__gte=top - size).order_by("-position"))
    by_batch: dict = {str(b.id): [] for b in page}
    numbers = DirPhoneNumber.objects.filter(batch_id__in=[b.id for b in page], removed_at=None)
    for row in numbers_json(numbers.order_by("seq"), enterprise_id=str(dir_.enterprise_id)):
        by_batch[row["batch_id"]].append(row)
    return page_response(
        [batch_json(b, by_batch[str(b.id)], dir_) for b in page], number=number, size=size, total=total
    )


def batch_retrieve(request, dir_id: str, batch_id: str, enterprise_id: str | None = None):
    dir_ = _dir_for(request, dir_id, enterprise_id)
    try:
        batch = Batch.objects.filter(dir=dir_, id=parse_uuid(batch_id, "")).first()
    except ApiError:
        batch = None
    if batch is None:
        raise not_found("Phone number batch not found.")
    numbers = DirPhoneNumber.objects.filter(batch=batch, removed_at=None).order_by("seq")
    return data(batch_json(batch, numbers_json(numbers, enterprise_id=str(dir_.enterprise_id)), dir_))


# --- inventory --------------------------------------------------------------------------------


def inventory_json(number: InventoryNumber) -> dict:
    from portal.simulator.api import ts

    return {
        "id": number.id,
        "record_type": "phone_number",
        "phone_number": number.phone_number,
        "status": number.status,
        "phone_number_type": number.phone_number_type,
        "country_iso_alpha2": number.country_iso_alpha2,
        "tags": number.tags,
        "created_at": ts(number.created_at),
        "purchased_at": ts(number.created_at),
    }


def inventory_list(request):
    numbers = InventoryNumber.objects.filter(account=request.account).order_by("phone_number")
    digits = request.GET.get("filter[phone_number]")
    if digits:
        digits = "".join(ch for ch in digits if ch.isdigit())
        if len(digits) < 3:
            raise bad_request(
                "filter[phone_number] needs at least 3 digits.", parameter="filter[phone_number]"
            )
        numbers = numbers.filter(phone_number__contains=digits)
    if request.GET.get("filter[status]"):
        numbers = numbers.filter(status=request.GET["filter[status]"])
    return paginate(request, numbers, inventory_json)


def verify_ownership(request):
    body = json_body(request, status=400)
    raw = body.get("phone_numbers")
    if not isinstance(raw, list) or not raw:
        raise bad_request("phone_numbers must be a non-empty list.", pointer="/body/phone_numbers")
    normalized = {r: normalize_number(r) for r in raw if isinstance(r, str)}
    owned = {
        n.phone_number: n
        for n in InventoryNumber.objects.filter(
            account=request.account, status="active", phone_number__in=[v for v in normalized.values() if v]
        )
    }
    found = [{"id": owned[v].id, "number_val_e164": v} for v in normalized.values() if v in owned]
    not_found_ = [r for r in raw if not (isinstance(r, str) and normalized.get(r) in owned)]
    return data({"record_type": "phone_number_ownership", "found": found, "not_found": not_found_})
