"""State changes of the simulated Telnyx account: vetting transitions, autopilot, webhooks, expiry."""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import Mod, RowNumber

from portal.simulator import rejections
from portal.simulator.api import now, ts
from portal.simulator.models import (
    Account,
    Batch,
    Comment,
    Dir,
    DirNumberIndex,
    DirPhoneNumber,
    Document,
    DocumentLink,
    LoaRender,
    NumberBlock,
    WebhookDelivery,
)
from portal.simulator.router import ALIAS

logger = logging.getLogger("portal.simulator")

DIR_OUTCOMES = ("verified", "rejected", "unsuccessful", "permanently_rejected")
# CONTRACT.md §7.3: a mixed batch takes the first status present in this order.
BATCH_PRECEDENCE = (
    "in_review",
    "submitted",
    "suspended",
    "unsuccessful",
    "permanently_rejected",
    "expired",
    "verified",
)
NUMBER_STATUSES = BATCH_PRECEDENCE


def atomic():
    return transaction.atomic(using=ALIAS)


# --- accounts ---------------------------------------------------------------------------------


def account_create(*, name: str = "", api_key: str | None = None, **fields) -> Account:
    """A new simulated account with its own API key and webhook signing key."""
    private = Ed25519PrivateKey.generate().private_bytes_raw()
    return Account.objects.create(
        name=name,
        api_key=api_key or "KEYSIM" + secrets.token_hex(24).upper(),
        webhook_private_key=base64.b64encode(private).decode(),
        created_at=now(),
        **fields,
    )


def account_public_key(account: Account) -> str:
    """The base64 Ed25519 public key the portal uses to verify this account's webhooks."""
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(account.webhook_private_key))
    return base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


# --- documents --------------------------------------------------------------------------------


def documents_link(
    *, account: Account, document_ids: Iterable, record_type: str, resource_id, at: datetime
) -> None:
    """Link documents to a record; a linked document no longer expires and cannot be deleted."""
    ids = list(dict.fromkeys(document_ids))
    Document.objects.filter(account=account, id__in=ids).update(linked=True, updated_at=at)
    DocumentLink.objects.bulk_create(
        DocumentLink(
            account=account,
            document_id=doc_id,
            linked_record_type=record_type,
            linked_resource_id=resource_id,
            created_at=at,
            updated_at=at,
        )
        for doc_id in ids
    )


def documents_expire(at: datetime) -> int:
    """Delete uploads nobody linked within the TTL (30 minutes by default)."""
    cutoff = at - timedelta(seconds=settings.SIMULATOR_DOCUMENT_TTL)
    return Document.objects.filter(linked=False, deleted_at=None, created_at__lt=cutoff).update(deleted_at=at)


def usable_document(account: Account, document_id, at: datetime) -> tuple[Document | None, str]:
    """The document if a record may reference it, else the reason it may not."""
    try:
        key = uuid.UUID(str(document_id))
    except ValueError:
        return None, f"Document {document_id} not found"
    document = Document.objects.filter(account=account, id=key, deleted_at=None).first()
    expired = (
        document is not None
        and not document.linked
        and document.created_at < at - timedelta(seconds=settings.SIMULATOR_DOCUMENT_TTL)
    )
    if document is None or expired:
        return None, f"Document {document_id} not found"
    if document.status == "denied" or document.av_scan_status == "infected":
        return None, f"Document {document_id} was rejected by the antivirus scan"
    return document, ""


# --- DIR vetting ------------------------------------------------------------------------------


def dir_reasons(codes: list[str] | None, outcome: str) -> list[dict] | None:
    """Wire rejection reasons for the given codes (first one keeps its message)."""
    if outcome not in ("rejected", "unsuccessful", "permanently_rejected"):
        return None
    if not codes:
        codes = [next(r.code for r in rejections.DIR_REASONS if r.outcome == outcome)]
    reasons = []
    for i, code in enumerate(codes):
        reason = rejections.DIR_BY_CODE.get(code) or rejections.NUMBER_BY_CODE.get(code)
        if reason is None:
            reason = rejections.Reason(code, code.replace("_", " ").capitalize(), "", "", outcome)
        reasons.append(reason.wire(with_message=i == 0))
    return reasons


def dir_transition(
    dir_: Dir, to: str, *, rejection_reasons: list[dict] | None = None, at: datetime | None = None
):
    """Move a DIR to a new status as Telnyx vetting would, with everything that follows from it."""
    at = at or now()
    previous = dir_.status
    dir_.status = to
    dir_.status_changed_at = at
    dir_.updated_at = at
    if to == "verified":
        dir_.verified_at = at
        dir_.expiring_at = at + timedelta(days=365)
        dir_.rejection_reasons = None
        dir_.rejected_at = None
    elif to in ("rejected", "unsuccessful", "permanently_rejected") or (
        to == "suspended" and rejection_reasons
    ):
        dir_.rejection_reasons = rejection_reasons
        dir_.rejected_at = at
        if rejection_reasons:
            first = rejection_reasons[0]
            Comment.objects.create(
                dir=dir_,
                content=first.get("message") or first.get("detail") or first.get("title", ""),
                author_role="admin",
                author_name="Telnyx vetting",
                comment_type="rejection_reason",
                created_at=at,
            )
    elif to in ("submitted", "in_review") and previous not in ("submitted", "in_review"):
        dir_.submitted_at = at
    dir_.save()
    # What happens to the attached numbers (CONTRACT.md §7.2, Inferred rules).
    attached = DirPhoneNumber.objects.filter(dir=dir_, removed_at=None)
    if to == "permanently_rejected":
        numbers_set_status(attached.exclude(status="permanently_rejected"), "suspended", at=at)
    elif to == "suspended":
        numbers_set_status(attached.filter(status="verified"), "suspended", at=at)
    elif to == "expired":
        numbers_set_status(attached.filter(status="verified"), "expired", at=at)
    elif to == "verified" and previous == "suspended":
        numbers_set_status(attached.filter(status="suspended"), "verified", at=at)
    if to in DIR_OUTCOMES and dir_.webhook_url:
        webhook_queue(dir_, previous_status=previous, at=at)
    return dir_


def dir_restore(dir_: Dir, status: str, *, at: datetime) -> Dir:
    """Undo a suspension (claim dismissed): the earlier status and dates come back as they were."""
    dir_.status = status
    dir_.status_changed_at = at
    dir_.updated_at = at
    dir_.save()
    if status == "verified":
        numbers_set_status(
            DirPhoneNumber.objects.filter(dir=dir_, removed_at=None, status="suspended"), "verified", at=at
        )
    return dir_


def dir_submit(dir_: Dir, *, at: datetime) -> Dir:
    """Customer submit: reasons cleared; from suspended or expired the numbers go back to submitted."""
    previous = dir_.status
    dir_.status = "submitted"
    dir_.submitted_at = at
    dir_.status_changed_at = at
    dir_.updated_at = at
    dir_.rejection_reasons = None
    dir_.rejected_at = None
    dir_.save()
    if previous in ("suspended", "expired"):
        numbers_set_status(DirPhoneNumber.objects.filter(dir=dir_, removed_at=None), "submitted", at=at)
    return dir_


# --- numbers and batches ----------------------------------------------------------------------


def batch_aggregate(statuses: Iterable[str]) -> str | None:
    present = set(statuses)
    if not present:
        return None
    if len(present) == 1:
        return present.pop()
    return next(s for s in BATCH_PRECEDENCE if s in present)


def batches_recompute(batch_ids: Iterable, *, at: datetime) -> None:
    """Keep each batch's stored aggregate status in step with its current numbers."""
    for batch in Batch.objects.filter(id__in=set(batch_ids)):
        statuses = DirPhoneNumber.objects.filter(batch=batch, removed_at=None).values_list(
            "status", flat=True
        )
        aggregate = batch_aggregate(statuses.distinct())
        if aggregate and aggregate != batch.status:
            Batch.objects.filter(pk=batch.pk).update(status=aggregate, status_changed_at=at)


def batch_position_assign(batch: Batch) -> None:
    """Give a new batch its place in the DIR's listing order: after the newest one, as a rule."""
    others = Batch.objects.filter(dir_id=batch.dir_id).exclude(pk=batch.pk)
    newest = others.exclude(position=None).order_by("-position").first()
    in_order = newest is None or (newest.submitted_at, newest.id) < (batch.submitted_at, batch.id)
    if not in_order or others.filter(position=None).exists():
        # An earlier timestamp (the simulated clock went back) or batches from before positions
        # existed: number the whole DIR again.
        batch_positions_refresh(batch.dir_id)
        batch.refresh_from_db(fields=["position"])
        return
    batch.position = 0 if newest is None else newest.position + 1
    Batch.objects.filter(pk=batch.pk).update(position=batch.position)


def batch_positions_refresh(dir_id) -> None:
    """Number all batches of a DIR 0, 1, 2… in (submitted_at, id) order (one window query)."""
    ranked = Batch.objects.filter(dir_id=dir_id).annotate(
        rank=Window(RowNumber(), order_by=[F("submitted_at").asc(), F("id").asc()])
    )
    rows = [Batch(id=pk, position=rank - 1) for pk, rank in ranked.values_list("id", "rank")]
    Batch.objects.bulk_update(rows, ["position"], batch_size=500)


def numbers_set_status(numbers, to: str, *, at: datetime, rejection_reason: dict | None = None) -> int:
    """Set the status of many attached numbers at once and refresh their batches."""
    rows = list(numbers.values_list("id", "batch_id", "account_id", "phone_number"))
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    update = {"status": to, "updated_at": at}
    if to == "verified":
        update["verified_at"] = at
        update["rejection_reason"] = None
    elif to in ("unsuccessful", "permanently_rejected"):
        update["rejection_reason"] = rejection_reason
    elif to == "submitted":
        update["rejection_reason"] = None
    DirPhoneNumber.objects.filter(id__in=ids).update(**update)
    if to == "permanently_rejected":
        NumberBlock.objects.bulk_create(
            [
                NumberBlock(
                    account_id=r[2], phone_number=r[3], rejection_reason=rejection_reason, created_at=at
                )
                for r in rows
            ],
            ignore_conflicts=True,
        )
    batches_recompute({r[1] for r in rows}, at=at)
    return len(rows)


BLOCK = 250


def number_index_refresh(dir_id, *, from_seq: int | None = None) -> DirNumberIndex:
    """Recompute the paging index of a DIR from the block holding `from_seq` (None: all of it).

    Appends touch only the last block; a removal rewrites the blocks after it (one window query).
    """
    index = DirNumberIndex.objects.select_for_update().filter(dir_id=dir_id).first()
    live = DirPhoneNumber.objects.filter(dir_id=dir_id, removed_at=None)
    keep, start_rank, lower = [], 0, None
    if index is not None and from_seq is not None and index.anchors and from_seq >= index.anchors[0]:
        # Blocks wholly before the change keep their anchors; everything from its block on is recounted.
        block = bisect.bisect_right(index.anchors, from_seq) - 1
        keep, start_rank, lower = index.anchors[:block], block * BLOCK, index.anchors[block]
    tail = live if lower is None else live.filter(seq__gte=lower)
    ranked = tail.annotate(rank=Window(RowNumber(), order_by=F("seq").asc())).annotate(
        slot=Mod(F("rank") - 1, BLOCK)
    )
    anchors = keep + list(ranked.filter(slot=0).order_by("seq").values_list("seq", flat=True))
    total = start_rank + tail.count()
    index, _ = DirNumberIndex.objects.update_or_create(
        dir_id=dir_id, defaults={"total": total, "anchors": anchors}
    )
    return index


def number_seq(at: datetime, position: int) -> int:
    """A sortable sequence for attached-number rows: creation time, then position in the request."""
    return int(at.timestamp() * 1_000_000) * 16 + position


def number_outcome(phone_number: str) -> tuple[str, dict | None]:
    """The autopilot's documented rule for a number: …13 unsuccessful, …66 permanently rejected."""
    if phone_number.endswith("13"):
        return "unsuccessful", rejections.NUMBER_BY_CODE["number_not_in_service"].wire()
    if phone_number.endswith("66"):
        return "permanently_rejected", rejections.NUMBER_BY_CODE["number_type_ineligible"].wire()
    return "verified", None


def loa_identity_digest(dir_: Dir) -> str:
    """The identity a rendered letter prints (enterprise legal name, DBA, address, FEIN, contact, DIR name)."""
    enterprise = dir_.enterprise
    data = enterprise.data or {}
    identity = {
        "legal_name": enterprise.legal_name,
        "dba": data.get("doing_business_as"),
        "address": data.get("organization_physical_address"),
        "fein": enterprise.fein,
        "contact": data.get("organization_contact"),
        "dir_name": dir_.display_name,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def loa_render_record(dir_: Dir, *, numbers: list[str], signed: bool, pdf: bytes, at: datetime) -> LoaRender:
    """Remember a rendered letter, so that vetting can recognise it when it comes back as an upload."""
    return LoaRender.objects.create(
        account_id=dir_.account_id,
        dir=dir_,
        numbers=list(numbers),
        signed=signed,
        identity_sha256=loa_identity_digest(dir_),
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_at=at,
    )


def batch_letters(batch: Batch) -> list[LoaRender]:
    """The letters of a batch that the simulator rendered itself (found by the uploaded bytes' SHA-256)."""
    ids = [
        d.get("document_id")
        for d in batch.documents or []
        if isinstance(d, dict) and d.get("document_type") == "letter_of_authorization"
    ]
    digests = set(
        Document.objects.filter(account_id=batch.account_id, id__in=_uuids(ids)).values_list(
            "sha256", flat=True
        )
    )
    if not digests:
        return []
    return list(
        LoaRender.objects.filter(account_id=batch.account_id, sha256__in=digests).order_by("-created_at")
    )


def _uuids(values) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def batch_letter_texts(batch: Batch) -> list[set[str] | None]:
    """The numbers each LOA of a batch that the simulator did not render lists (10 digits each), read
    with a maintained PDF text extractor; None for a file with no text (no PDF, or not a letter)."""
    import io
    import re

    from pypdf import PdfReader

    ids = [
        d.get("document_id")
        for d in batch.documents or []
        if isinstance(d, dict) and d.get("document_type") == "letter_of_authorization"
    ]
    texts = []
    for content in Document.objects.filter(account_id=batch.account_id, id__in=_uuids(ids)).values_list(
        "content", flat=True
    ):
        try:
            reader = PdfReader(io.BytesIO(bytes(content)))
            text = " ".join(page.extract_text() or "" for page in reader.pages)
        except Exception:  # an uploaded file: whatever pypdf trips over, it is no letter
            text = ""
        if not text.strip():
            texts.append(None)  # no text at all: not a letter
            continue
        # Every North American number written on it, as its 10 digits (+1 (312) 555-0101, 312.555.0101…).
        found = re.findall(
            r"(?<![\d+])(?:\+?1[\s.\-]*)?\(?(\d{3})\)?[\s.\-]*(\d{3})[\s.\-]*(\d{4})(?!\d)", text
        )
        texts.append({"".join(parts) for parts in found})
    return texts


def text_outcome(phone_number: str, texts: list[set[str] | None]) -> tuple[str, dict | None]:
    """REJECTIONS.md N1 and N3 for an uploaded letter: it must be one (a PDF with text) and list the
    number (+1…, 1… or its 10 digits)."""
    letters = [listed for listed in texts if listed is not None]
    if not letters:
        return "unsuccessful", rejections.NUMBER_BY_CODE["loa_missing"].wire()
    national = phone_number.removeprefix("+1")
    if not any(national in listed for listed in letters):
        return "unsuccessful", rejections.NUMBER_BY_CODE["loa_numbers_mismatch"].wire()
    return number_outcome(phone_number)


def letter_outcome(phone_number: str, letters: list[LoaRender], dir_: Dir) -> tuple[str | None, dict | None]:
    """REJECTIONS.md N1–N4 for a batch whose LOA is one of the simulator's renders (None: no such letter).

    The number passes only if a render lists it, was signed, and the identity printed on it is
    still the DIR's and enterprise's; the first broken rule decides.
    """
    if not letters:
        return None, None
    covering = [letter for letter in letters if phone_number in letter.numbers]
    if not covering:
        return "unsuccessful", rejections.NUMBER_BY_CODE["loa_numbers_mismatch"].wire()
    if not any(letter.signed for letter in covering):
        return "unsuccessful", rejections.NUMBER_BY_CODE["loa_unsigned"].wire()
    current = loa_identity_digest(dir_)
    if not any(letter.signed and letter.identity_sha256 == current for letter in covering):
        return "unsuccessful", rejections.NUMBER_BY_CODE["loa_entity_mismatch"].wire()
    return None, None


def dir_outcome(display_name: str) -> tuple[str, list[dict] | None]:
    """The autopilot's documented rule for a DIR, driven by words in its display name."""
    name = display_name.lower()
    if "permanent" in name:
        return "permanently_rejected", dir_reasons(["ineligible_business_category"], "permanently_rejected")
    if "unsuccessful" in name:
        return "unsuccessful", dir_reasons(["vetting_system_error"], "unsuccessful")
    if "reject" in name:
        return "rejected", dir_reasons(
            ["display_name_not_associated", "documentation_incomplete"], "rejected"
        )
    return "verified", None


# --- autopilot --------------------------------------------------------------------------------


def autopilot_tick(*, at: datetime | None = None) -> dict[str, int]:
    """One step of simulated Telnyx: vetting moves on, verified DIRs expire, uploads and deletions finish."""
    at = at or now()
    review = timedelta(seconds=settings.SIMULATOR_REVIEW_DELAY)
    decide = timedelta(seconds=settings.SIMULATOR_DECISION_DELAY)
    counts = dict.fromkeys(("dirs", "batches", "expired", "documents", "deleted"), 0)
    with atomic():
        for dir_ in Dir.objects.filter(
            status="submitted", status_changed_at__lte=at - review, deleted_at=None
        ):
            dir_transition(dir_, "in_review", at=at)
            counts["dirs"] += 1
        for dir_ in Dir.objects.filter(
            status="in_review", status_changed_at__lte=at - decide, deleted_at=None
        ):
            outcome, reasons = dir_outcome(dir_.display_name)
            if outcome != "verified" and open_claim_ids(dir_):
                outcome = "suspended"  # a failed infringement re-vet goes back to suspended
            dir_transition(dir_, outcome, rejection_reasons=reasons, at=at)
            counts["dirs"] += 1
        for batch in Batch.objects.filter(status="submitted", status_changed_at__lte=at - review):
            numbers_set_status(
                DirPhoneNumber.objects.filter(batch=batch, removed_at=None, status="submitted"),
                "in_review",
                at=at,
            )
            counts["batches"] += 1
        for batch in Batch.objects.filter(
            status="in_review", status_changed_at__lte=at - decide
        ).select_related("dir"):
            batch_decide(batch, at=at)
            counts["batches"] += 1
        for dir_ in Dir.objects.filter(status="verified", expiring_at__lte=at, deleted_at=None):
            dir_transition(dir_, "expired", at=at)
            counts["expired"] += 1
        counts["documents"] = documents_expire(at)
        counts["deleted"] = Dir.objects.filter(status="delete_requested", deleted_at=None).update(
            deleted_at=at
        )
    webhooks_deliver_due(at=at)
    return counts


def batch_decide(batch: Batch, *, at: datetime) -> None:
    """Decide every number under review in a batch by the documented rules."""
    numbers = list(DirPhoneNumber.objects.filter(batch=batch, removed_at=None, status="in_review"))
    if batch.dir.status != "verified":
        reason = rejections.NUMBER_BY_CODE["dir_not_verified"].wire()
        numbers_set_status(
            DirPhoneNumber.objects.filter(id__in=[n.id for n in numbers]),
            "unsuccessful",
            at=at,
            rejection_reason=reason,
        )
        return
    letters = batch_letters(batch)
    texts = None if letters else batch_letter_texts(batch)
    groups: dict[tuple[str, str], list] = {}
    for number in numbers:
        if letters:
            outcome, reason = letter_outcome(number.phone_number, letters, batch.dir)
        else:
            outcome, reason = text_outcome(number.phone_number, texts)
        if outcome is None:
            outcome, reason = number_outcome(number.phone_number)
        groups.setdefault((outcome, json.dumps(reason)), []).append(number.id)
    for (outcome, reason), ids in groups.items():
        numbers_set_status(
            DirPhoneNumber.objects.filter(id__in=ids), outcome, at=at, rejection_reason=json.loads(reason)
        )


# --- webhooks ---------------------------------------------------------------------------------


def webhook_queue(dir_: Dir, *, previous_status: str, at: datetime) -> WebhookDelivery:
    """Record a DIR outcome event for delivery (CONTRACT.md §8)."""
    delivery = WebhookDelivery(
        account_id=dir_.account_id, dir_id=dir_.id, url=dir_.webhook_url, created_at=at
    )
    delivery.payload = {
        "data": {
            "record_type": "event",
            "id": str(delivery.event_id),
            "event_type": "branded_calling.dir.status_updated",
            "occurred_at": ts(at),
            "payload": {
                "record_type": "dir",
                "dir_id": str(dir_.id),
                "enterprise_id": str(dir_.enterprise_id),
                "display_name": dir_.display_name,
                "status": dir_.status,
                "previous_status": previous_status,
                "rejection_reasons": dir_.rejection_reasons,
                "verified_at": ts(dir_.verified_at),
                "expiring_at": ts(dir_.expiring_at),
                "updated_at": ts(dir_.updated_at),
            },
        },
        "meta": {"attempt": 1, "delivered_to": dir_.webhook_url},
    }
    delivery.next_attempt_at = at
    delivery.save()
    return delivery


def webhook_sign(account: Account, body: bytes, timestamp: int) -> str:
    """base64(Ed25519(timestamp|body)) with the account's key."""
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(account.webhook_private_key))
    return base64.b64encode(private.sign(f"{timestamp}|".encode() + body)).decode()


def webhook_attempt(delivery: WebhookDelivery, *, at: datetime, client: httpx.Client | None = None) -> bool:
    """POST one signed delivery; on failure schedule the next attempt (1, 2, 4, 8 s by default)."""
    delivery.attempts += 1
    payload = {**delivery.payload, "meta": {**delivery.payload["meta"], "attempt": delivery.attempts}}
    body = json.dumps(payload).encode()
    timestamp = int(at.timestamp())
    headers = {
        "content-type": "application/json",
        "telnyx-timestamp": str(timestamp),
        "telnyx-signature-ed25519": webhook_sign(delivery.account, body, timestamp),
    }
    try:
        with client or httpx.Client(timeout=2.0) as http:
            response = http.post(delivery.url, content=body, headers=headers)
        delivery.last_status = response.status_code
        delivery.last_error = ""
        delivery.delivered = 200 <= response.status_code < 300
    except httpx.HTTPError as exc:
        delivery.last_status = None
        delivery.last_error = str(exc)[:255]
        delivery.delivered = False
    delays = settings.SIMULATOR_WEBHOOK_DELAYS
    if delivery.delivered or delivery.attempts > len(delays):
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = at + timedelta(seconds=delays[delivery.attempts - 1])
    delivery.save()
    return delivery.delivered


def webhooks_deliver_due(*, at: datetime) -> int:
    due = WebhookDelivery.objects.filter(next_attempt_at__lte=at).select_related("account")
    return sum(1 for delivery in due if webhook_attempt(delivery, at=at))


def open_claim_ids(dir_: Dir) -> list[str]:
    return [
        str(i)
        for i in dir_.claims.filter(Q(status="pending") | Q(status="contested")).values_list("id", flat=True)
    ]
