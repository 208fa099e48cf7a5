"""Letters of Authorization: the signature, one letter per batch, and the sealed certificate of completion."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.core.services import audit_record
from portal.core.telnyx_errors import telnyx_write_error
from portal.dirs.models import Dir
from portal.documents.models import DocumentType
from portal.documents.services import document_upload_bytes
from portal.loas.consent import CONSENT
from portal.loas.models import Ceremony, Letter
from portal.loas.seal import seal

logger = logging.getLogger("portal.loas")

SIGNATURE_MAX_BASE64 = 60_000  # CONTRACT.md §5.8: signature.image_base64, 1–60,000 characters
SIGNATURE_MAX_UPLOAD = 2 * 1024 * 1024  # what a browser may send for one drawn or typed signature
SIGNATURE_MAX_PIXELS = 4_000_000  # decoded before it is scaled: no decompression bombs
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- The signature ----------------------------------------------------------------------------


def signature_prepare(raw: bytes) -> bytes:
    """A drawn or typed signature as Telnyx takes it: a PNG whose base64 is at most 60,000 characters.

    Checked (a PNG, not empty, not huge), cropped to the ink, scaled down and compressed as far as
    the limit needs; the ink stays black on transparent. Raises ServiceError (field "signature").
    """
    from PIL import Image

    if not raw:
        raise ServiceError(_("Sign in the box first: the signature is empty."), field="signature")
    if len(raw) > SIGNATURE_MAX_UPLOAD:
        raise ServiceError(_("The signature image is too large (over 2 MB)."), field="signature")
    if not raw.startswith(PNG_MAGIC):
        raise ServiceError(_("The signature must be a PNG image."), field="signature")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            width, height = probe.size
            if width * height > SIGNATURE_MAX_PIXELS:
                raise ServiceError(
                    _("The signature image is too large (over 4 megapixels)."), field="signature"
                )
            image = probe.convert("RGBA")
    except ServiceError:
        raise
    except Exception as exc:  # an untrusted file: Pillow raises many kinds (SyntaxError for a broken chunk)
        raise ServiceError(_("The signature is not a readable PNG image."), field="signature") from exc
    alpha = image.getchannel("A")
    box = alpha.getbbox()
    if box is None or _ink(alpha) < 30:
        raise ServiceError(_("Sign in the box first: the signature is empty."), field="signature")
    image = image.crop(box)
    # Only the ink's shape matters: black, with its alpha (a small palette PNG compresses well).
    ink = Image.new("LA", image.size, 0)
    ink.putalpha(image.getchannel("A"))
    width = min(image.width, 900)
    while True:
        height = max(1, round(image.height * width / image.width))
        scaled = ink.resize((width, height), Image.Resampling.LANCZOS) if width != image.width else ink
        out = io.BytesIO()
        scaled.save(out, format="PNG", optimize=True)
        png = out.getvalue()
        if len(base64.b64encode(png)) <= SIGNATURE_MAX_BASE64 or width <= 120:
            break
        width = int(width * 0.8)
    if len(base64.b64encode(png)) > SIGNATURE_MAX_BASE64:
        raise ServiceError(
            _("The signature is too detailed to send; clear it and sign again."), field="signature"
        )
    return png


def _ink(alpha) -> int:
    """How many pixels carry ink (a stray click is not a signature)."""
    return sum(count for value, count in enumerate(alpha.histogram()) if value >= 64)


# --- What the letter says ---------------------------------------------------------------------


def identity_of(dir: Dir, *, agent: dict | None = None) -> dict:
    """The identity Telnyx prints on the DIR's letters (CONTRACT.md §5.8), as the mirror has it now."""
    data = dir.enterprise.data or {}
    contact = data.get("organization_contact") or {}
    return {
        "legal_name": dir.enterprise.legal_name,
        "doing_business_as": dir.enterprise.doing_business_as or data.get("doing_business_as") or "",
        "fein": data.get("fein") or "",
        "address": data.get("organization_physical_address") or {},
        "contact": {k: contact.get(k) or "" for k in ("first_name", "last_name", "email", "phone_number")},
        "website": data.get("website") or "",
        "dir_name": dir.display_name,
        "agent": agent or None,
    }


def identity_digest(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def authorizer_of(dir: Dir) -> tuple[str, str]:
    """(name, e-mail) of the DIR's authorizer, who signs its letters."""
    data = dir.data or {}
    return (data.get("authorizer_name") or "").strip(), (data.get("authorizer_email") or "").strip()


def is_authorizer(dir: Dir, user) -> bool:
    """Is the signed-in member the DIR's authorizer (e-mail compared case-insensitively)?"""
    _name, email = authorizer_of(dir)
    return bool(email) and email.casefold() == (getattr(user, "email", "") or "").strip().casefold()


# --- The ceremony -----------------------------------------------------------------------------


def ceremony_start(*, dir: Dir, group, numbers: list[str], user, agent: dict | None = None) -> Ceremony:
    """Record an add's letters awaiting their signature: the numbers and the identity as shown now."""
    name, email = authorizer_of(dir)
    if not email:
        raise ServiceError(
            _("This DIR has no authorizer e-mail, so nobody can sign its letters. Edit the DIR first.")
        )
    identity = identity_of(dir, agent=agent)
    return Ceremony.objects.create(
        team_id=dir.team_id,
        dir=dir,
        group=group,
        requested_by=user,
        numbers=list(numbers),
        identity=identity,
        identity_sha256=identity_digest(identity),
        signer_name=name or email,
        signer_email=email,
    )


@dataclass(frozen=True)
class SignedBy:
    """The act of signing, as the request showed it."""

    name: str
    method: str  # Ceremony.Method
    png: bytes  # as drawn or typed; signature_prepare() makes it fit
    consented: bool
    consent_version: str
    ip: str | None
    user_agent: str


def ceremony_sign(*, ceremony: Ceremony, signed: SignedBy, at: datetime | None = None) -> Ceremony:
    """Record the signature (once): consent to the current text, the image, who, when and from where.

    Refused when the identity on the letters changed since they were shown (the signer must see
    what they sign) or when the consent is missing or of another version.
    """
    if not signed.consented:
        raise ServiceError(
            _("Tick the box to agree to sign electronically (or ask for paper letters)."), field="consent"
        )
    if signed.consent_version != CONSENT.version:
        raise ServiceError(
            _("The consent text changed while this page was open; read it again and sign."), field="consent"
        )
    name = " ".join(signed.name.split())
    if not name:
        raise ServiceError(_("Type your full name as you sign."), field="signer_name")
    if len(name) > 200:
        raise ServiceError(_("The name is longer than 200 characters."), field="signer_name")
    png = signature_prepare(signed.png)
    current = identity_digest(identity_of(ceremony.dir, agent=ceremony.identity.get("agent")))
    with transaction.atomic():
        locked = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
        if locked.state != Ceremony.State.AWAITING:
            raise ServiceError(
                _("These letters are no longer waiting for a signature (%(state)s).")
                % {"state": locked.get_state_display()}
            )
        if current != locked.identity_sha256:
            raise ServiceError(
                _(
                    "The enterprise or DIR details printed on the letters changed since they were shown. "
                    "Review the letters again, then sign."
                )
            )
        fields = {
            "state": Ceremony.State.SIGNED,
            "signer_name": name,
            "method": signed.method,
            "consent_version": signed.consent_version,
            "signature_png": png,
            "signed_at": at or timezone.now(),
            "ip": signed.ip,
            "user_agent": (signed.user_agent or "")[:500],
        }
        for field, value in fields.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


def signature_payload(ceremony: Ceremony) -> dict | None:
    """The `signature` of a render (CONTRACT.md §5.8), None for an unsigned one."""
    if ceremony.state != Ceremony.State.SIGNED or not ceremony.signature_png:
        return None
    return {
        "image_base64": base64.b64encode(bytes(ceremony.signature_png)).decode(),
        "signer_name": ceremony.signer_name[:200],
    }


# --- The letters ------------------------------------------------------------------------------


def letter_render(
    api: telnyx.TelnyxClient, *, ceremony: Ceremony, position: int, numbers: list[str]
) -> Letter:
    """Ask Telnyx for the signed letter of one batch and keep it (repeatable: a letter kept is returned).

    Only numbers of the signed set, and only while the identity is the one signed: a signature is
    never rendered onto content its signer did not see.
    """
    existing = Letter.objects.filter(ceremony=ceremony, position=position).first()
    if existing is not None and existing.numbers == list(numbers):
        return existing
    if ceremony.state != Ceremony.State.SIGNED:
        raise ServiceError(_("The letters are not signed yet."))
    if not set(numbers) <= set(ceremony.numbers):
        raise ServiceError(
            _("Some of these numbers were not in the signed letters; they need a new signature.")
        )
    agent = ceremony.identity.get("agent")
    if identity_digest(identity_of(ceremony.dir, agent=agent)) != ceremony.identity_sha256:
        raise ServiceError(
            _(
                "The enterprise or DIR details printed on the letters changed after they were signed: "
                "the letters must be signed again."
            )
        )
    pdf = api.loa_render(
        ceremony.dir.remote_id, list(numbers), agent=agent, signature=signature_payload(ceremony)
    )
    if not pdf.startswith(b"%PDF-"):
        raise ServiceError(_("Telnyx answered the letter with something that is not a PDF; try again."))
    digest = hashlib.sha256(pdf).hexdigest()
    if existing is not None:  # kept for other numbers and not sent yet: the new render replaces it
        Letter.objects.filter(pk=existing.pk, document=None).update(
            numbers=list(numbers), pdf=pdf, sha256=digest
        )
        return Letter.objects.get(pk=existing.pk)
    try:
        with transaction.atomic():
            return Letter.objects.create(
                ceremony=ceremony,
                position=position,
                numbers=list(numbers),
                signed=True,
                pdf=pdf,
                sha256=digest,
            )
    except IntegrityError:
        # Another task kept this batch's letter first: that one is the letter (it may be on its way).
        return Letter.objects.get(ceremony=ceremony, position=position)


def letter_preview(*, dir: Dir, numbers: list[str], agent: dict | None = None) -> bytes:
    """An unsigned letter to read before signing (rendered on demand, never kept); ServiceError if Telnyx fails."""
    from portal.accounts.services import telnyx_account_client

    with telnyx_account_client(team=dir.team_id, read=True) as api:
        return api.loa_render(dir.remote_id, list(numbers), agent=agent)


# --- The certificate of completion -------------------------------------------------------------


def certificate_render(ceremony: Ceremony, *, at: datetime | None = None) -> bytes:
    """The certificate of completion as a PDF sealed by the portal (PAdES), kept on the ceremony."""
    sealed = certificate_make(ceremony, at=at)
    digest = hashlib.sha256(sealed).hexdigest()
    Ceremony.objects.filter(pk=ceremony.pk).update(certificate_pdf=sealed, certificate_sha256=digest)
    ceremony.certificate_pdf, ceremony.certificate_sha256 = sealed, digest
    return sealed


def certificate_make(ceremony: Ceremony, *, at: datetime | None = None) -> bytes:
    """The certificate of completion, sealed, not yet kept."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    letters = list(ceremony.letters.select_related("document").defer("pdf").order_by("position"))
    context = {
        "ceremony": ceremony,
        "letters": letters,
        "consent": CONSENT,
        "signature_uri": "data:image/png;base64,"
        + base64.b64encode(bytes(ceremony.signature_png or b"")).decode(),
        "made_at": at or timezone.now(),
        "seal_subject": seal().subject,
    }
    html = render_to_string("loas/certificate.pdf.html", context)
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    return pdf_seal(pdf)


def pdf_seal(pdf: bytes) -> bytes:
    """Sign a PDF with the portal's seal: a PAdES baseline signature over the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="PortalSeal",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Certificate of completion of an electronic signature",
        location="DIR Portal",
    )
    return signers.sign_pdf(writer, meta, signer=seal().signer).getvalue()


CERTIFICATE_MAX_BYTES = 5 * 1024 * 1024  # far above any certificate the portal makes


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    signed_at: datetime | None = None


def pdf_verify(data: bytes) -> Verification:
    """Is this PDF sealed by this portal and unchanged since? (Never raises for a bad file.)"""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # PdfReadError and whatever else a hostile file makes the parser raise
        return Verification(False, _("This is not a PDF the portal can read."))
    if not signatures:
        return Verification(False, _("This PDF carries no seal."))
    if len(signatures) > 1:
        return Verification(
            False, _("This PDF carries more than one signature: it is not as the portal sealed it.")
        )
    try:
        status = validate_pdf_signature(signatures[0], ValidationContext(trust_roots=[seal().certificate]))
    except SignatureValidationError as exc:
        return Verification(False, _("The seal could not be checked: %(error)s") % {"error": exc})
    except Exception:  # an untrusted file: whatever the validator trips over, it is not our intact seal
        return Verification(False, _("The seal could not be checked: the PDF is damaged or not as sealed."))
    if not status.intact or not status.valid:
        return Verification(False, _("The PDF was changed after it was sealed."))
    if not status.trusted:
        return Verification(False, _("The seal is not this portal's."))
    if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        return Verification(False, _("Something was added to the PDF after it was sealed."))
    return Verification(
        True, _("Sealed by this portal and unchanged since."), signed_at=status.signer_reported_dt
    )


# --- The letters go with their batches ----------------------------------------------------------

LETTER_FRESH_FOR = 25 * 60  # seconds an upload is trusted to be alive (Telnyx deletes it unlinked at 30 min)


def add_letters_render(api: telnyx.TelnyxClient, *, ceremony: Ceremony, requests) -> list[Letter]:
    """Render the letter of each chunk of a signed add (exactly its numbers) and tie it to the chunk."""
    letters = []
    for request in requests:
        letter = letter_render(
            api, ceremony=ceremony, position=request.position, numbers=list(request.numbers)
        )
        if letter.add_request_id != request.pk:
            Letter.objects.filter(pk=letter.pk).update(add_request=request)
            letter.add_request_id = request.pk
        letters.append(letter)
    return letters


def add_letter_documents(api: telnyx.TelnyxClient, request, *, fresh: bool = False) -> list[dict] | None:
    """The `documents` of a chunk's add with its own letter uploaded (again when `fresh` or old); None if it has none.

    Called by the add sender under the DIR's lease right before the add (numbers.services.add_send).
    """
    letter = Letter.objects.select_related("document").filter(add_request_id=request.pk).first()
    if letter is None:
        return None
    now = timezone.now()
    stale = letter.uploaded_at is None or (now - letter.uploaded_at).total_seconds() > LETTER_FRESH_FOR
    if letter.document is None or fresh or stale:
        document = document_upload_bytes(
            team=request.team,
            user=None,
            content=bytes(letter.pdf),
            filename=letter.filename,
            kind=DocumentType.LETTER_OF_AUTHORIZATION,
            customer_reference=f"team:{request.team_id}:letter:{letter.pk}",
            api=api,
            reusable=False,
        )
        Letter.objects.filter(pk=letter.pk).update(
            document=document, state=Letter.State.UPLOADED, uploaded_at=now
        )
        letter.document = document
    others = [d for d in request.documents if d.get("document_type") != DocumentType.LETTER_OF_AUTHORIZATION]
    return [{"document_id": letter.document.remote_id, "document_type": "letter_of_authorization"}, *others][
        :20
    ]


# --- Sign here: an add whose letters its authorizer signs in the portal ---------------------------


def numbers_digest(numbers: list[str]) -> str:
    """The digest of the numbers a page showed as ready (the signer signs for those, not others)."""
    return hashlib.sha256("\n".join(numbers).encode()).hexdigest()


def add_sign_submit(
    *,
    dir: Dir,
    user,
    raw: list[str],
    signed: SignedBy,
    shown_identity: str,
    request=None,
    enqueue=None,
    shown_numbers: str | None = None,
):
    """Pre-flight and save the add (its chunks awaiting their letters), and record its signature; returns the group.

    Only the DIR's authorizer signs here, over the identity the page showed (`shown_identity`, its
    digest). After commit one task renders every letter and lets the chunks go (tasks.add_letters_prepare);
    `enqueue(ceremony_id)` replaces that task (the benchmark runs the steps itself).
    """
    from portal.numbers import services as number_services
    from portal.numbers.models import AddRequest

    if not is_authorizer(dir, user):
        raise ServiceError(
            _("Only the DIR's authorizer can sign its letters here; upload a signed letter instead.")
        )
    if shown_identity != identity_digest(identity_of(dir)):
        raise ServiceError(
            _("The enterprise or DIR details printed on the letters changed since this page was opened. "
              "Review the letters again, then sign."), field="signature",
        )  # fmt: skip
    # Everything the signer must fix, at once, before anything is saved.
    problems: list[tuple[str, str]] = []
    try:
        png = signature_prepare(signed.png)
    except ServiceError as exc:
        problems += exc.errors
    if not signed.consented:
        problems.append(
            ("consent", _("Tick the box to agree to sign electronically (or ask for paper letters)."))
        )
    if not " ".join(signed.name.split()):
        problems.append(("signer_name", _("Type your full name as you sign.")))
    if problems:
        raise ServiceError(problems[0][1], errors=problems)
    ceremonies: list[Ceremony] = []
    with transaction.atomic():
        group = number_services.add_submit(
            dir=dir, user=user, raw=raw, loa=None, letters=True, request=request,
            enqueue=lambda ids: (enqueue or _letters_enqueue)(ceremonies[0].pk),
        )  # fmt: skip
        numbers = [
            n for chunk in AddRequest.objects.filter(group=group).order_by("position") for n in chunk.numbers
        ]
        if shown_numbers is not None and shown_numbers != numbers_digest(numbers):
            raise ServiceError(
                _("The numbers changed since they were checked (edited, or a file or pick added): check them "
                  "again, then sign for what is shown."), field="numbers",
            )  # fmt: skip
        ceremony = ceremony_start(dir=dir, group=group, numbers=numbers, user=user)
        if ceremony.identity_sha256 != shown_identity:  # changed by a sync while the add was being saved
            raise ServiceError(
                _("The enterprise or DIR details printed on the letters changed since this page was opened. "
                  "Review the letters again, then sign."), field="signature",
            )  # fmt: skip
        ceremony = ceremony_sign(ceremony=ceremony, signed=SignedBy(**{**signed.__dict__, "png": png}))
        ceremonies.append(ceremony)
        audit_record(
            verb="loa_signed", actor=user, team=dir.team, target=dir, request=request,
            details={"group": str(group), "numbers": len(numbers), "method": ceremony.method,
                     "consent_version": ceremony.consent_version},
        )  # fmt: skip
    return group


def _letters_enqueue(ceremony_id: int) -> None:
    from django_q.tasks import async_task

    async_task("portal.loas.tasks.add_letters_prepare", ceremony_id, group="add")


LETTER_TRIES = 3


def add_letters_prepare(*, ceremony: Ceremony, enqueue=None) -> int:
    """Render the letter of each chunk of a signed add that awaits one, and let each chunk go as soon as
    its letter is kept (its send starts while the next letter renders).

    One task at a time per signature (a lease: the sweep may queue another while this one runs), and
    repeatable (a letter kept is not rendered again). A render Telnyx refuses fails the chunks still
    waiting, with the reason; one that keeps failing (429, 5xx, no answer) too, after a few tries.
    Returns how many chunks were let go.
    """
    import time

    from portal.accounts.services import telnyx_account_client
    from portal.core.leases import LeaseBusy, lease
    from portal.numbers import services as number_services
    from portal.numbers.models import AddRequest

    release = enqueue or number_services.add_requests_enqueue
    released = 0
    try:
        with lease(f"loas:letters:{ceremony.pk}", seconds=LETTERS_LEASE_SECONDS) as held:
            waiting = list(
                AddRequest.objects.filter(
                    group=ceremony.group, dir_id=ceremony.dir_id, state=AddRequest.State.AWAITING
                )
                .select_related("dir")
                .order_by("position")
            )
            problem = ""
            with telnyx_account_client(team=ceremony.team) as api:
                for request in waiting:
                    held.renew()
                    for attempt in range(LETTER_TRIES):
                        try:
                            add_letters_render(api, ceremony=ceremony, requests=[request])
                            problem = ""
                            break
                        except (telnyx.RateLimitError, telnyx.ServerError, telnyx.TransportError) as exc:
                            problem = telnyx_write_error(exc).message
                        except telnyx.TelnyxError as exc:
                            problem = telnyx_write_error(exc).message
                            break
                        except ServiceError as exc:
                            problem = exc.message
                            break
                        time.sleep(min(2**attempt, 5))
                    if problem:
                        break
                    # Let this chunk go (it is still waiting: "Stop the rest" may have cancelled it).
                    now = timezone.now()
                    if AddRequest.objects.filter(pk=request.pk, state=AddRequest.State.AWAITING).update(
                        state=AddRequest.State.PENDING, updated_at=now
                    ):
                        release([request.pk])
                        released += 1
            if problem:
                now = timezone.now()
                message = _("The letters could not be prepared: %(problem)s These numbers were not sent.") % {
                    "problem": problem
                }
                AddRequest.objects.filter(
                    group=ceremony.group, dir_id=ceremony.dir_id, state=AddRequest.State.AWAITING
                ).update(
                    state=AddRequest.State.FAILED,
                    outcome={"message": message},
                    finished_at=now,
                    updated_at=now,
                )
    except LeaseBusy:
        return 0  # another task is preparing these letters
    return released


LETTERS_LEASE_SECONDS = 120


# --- When the add ends: the certificate, the signer's copy, and the sweep -----------------------

RECEIPT_ATTACH_MOST = 10  # letters attached to the signer's e-mail; more: a link to the ZIP instead
AWAITING_STUCK_AFTER = 5 * 60  # seconds a chunk may wait for its letter before the sweep renders again


def ceremony_complete(ceremony: Ceremony, *, at: datetime | None = None) -> bool:
    """Once every chunk of a signed add has settled: seal the certificate and send the signer their copy.

    Exactly once, however many sweeps or page views race to it: the certificate is kept by a
    compare-and-set, and only the one that kept it sends the copy. Returns whether it completed now.
    """
    from portal.numbers.models import AddRequest

    if ceremony.state != Ceremony.State.SIGNED or ceremony.certificate_sha256:
        return False
    chunks = list(AddRequest.objects.filter(group=ceremony.group, dir_id=ceremony.dir_id))
    if not chunks or any(c.is_unsettled for c in chunks):
        return False
    done = [c.pk for c in chunks if c.succeeded]
    Letter.objects.filter(ceremony=ceremony, add_request_id__in=done).update(state=Letter.State.ATTACHED)
    sealed = certificate_make(ceremony, at=at)
    digest = hashlib.sha256(sealed).hexdigest()
    kept = Ceremony.objects.filter(pk=ceremony.pk, certificate_sha256="").update(
        certificate_pdf=sealed, certificate_sha256=digest
    )
    if not kept:
        return False  # completed meanwhile by another
    ceremony.certificate_pdf, ceremony.certificate_sha256 = sealed, digest
    transaction.on_commit(lambda: _receipt_queue(ceremony.pk))
    return True


def _receipt_queue(ceremony_id: int) -> None:
    from django_q.tasks import async_task

    async_task("portal.loas.tasks.send_receipt", ceremony_id, group="mail")


def receipt_send(*, ceremony: Ceremony) -> None:
    """E-mail the signer their copy: the certificate, and the letters (or a link to them all when many)."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.urls import reverse

    letters = list(ceremony.letters.defer("pdf").order_by("position"))
    register = settings.PORTAL_PUBLIC_URL + reverse(
        "loas:ceremony_detail", args=[ceremony.team.slug, ceremony.pk]
    )
    context = {"ceremony": ceremony, "letters": letters, "register": register,
               "attached": len(letters) <= RECEIPT_ATTACH_MOST}  # fmt: skip
    subject = _("Your signed Letters of Authorization for %(dir)s") % {"dir": ceremony.dir.display_name}
    message = EmailMultiAlternatives(
        subject, render_to_string("loas/email/receipt.txt", context), None, [ceremony.signer_email]
    )
    message.attach(f"certificate-{ceremony.pk}.pdf", bytes(ceremony.certificate_pdf), "application/pdf")
    if context["attached"]:
        for letter in ceremony.letters.order_by("position"):
            message.attach(letter.filename, bytes(letter.pdf), "application/pdf")
    message.send()


def ceremonies_settle(*, now: datetime | None = None) -> dict[str, int]:
    """The LOA sweep: complete the signed adds that ended; render again for chunks stuck waiting."""
    from django_q.tasks import async_task

    from portal.numbers.models import AddRequest

    now = now or timezone.now()
    counts = {"completed": 0, "requeued": 0}
    for ceremony in Ceremony.objects.filter(
        state=Ceremony.State.SIGNED, certificate_sha256=""
    ).select_related("dir", "team")[:200]:
        stuck = AddRequest.objects.filter(
            group=ceremony.group, state=AddRequest.State.AWAITING,
            updated_at__lt=now - timedelta(seconds=AWAITING_STUCK_AFTER),
        ).exists()  # fmt: skip
        try:
            if stuck:
                async_task("portal.loas.tasks.add_letters_prepare", ceremony.pk, group="add")
                counts["requeued"] += 1
            elif ceremony_complete(ceremony, at=now):
                counts["completed"] += 1
        except Exception:  # one signature's trouble must not starve the others, every minute
            logger.exception("loas: completing signature %s failed", ceremony.pk)
    return counts


def sign_panel_context(dir: Dir, user, *, count: int, numbers: list[str] | None = None) -> dict:
    """What the add page's signing panel shows: who signs, the identity printed, the consent, the numbers."""
    from urllib.parse import urlencode

    name, email = authorizer_of(dir)
    identity = identity_of(dir)
    numbers = numbers or []
    return {
        "dir": dir,
        "can_sign": is_authorizer(dir, user),
        "authorizer_name": name,
        "authorizer_email": email,
        "identity": identity,
        "identity_sha256": identity_digest(identity),
        "consent": CONSENT,
        "count": count,
        "batches": -(-count // 15),
        "numbers_sha256": numbers_digest(numbers) if numbers else "",
        "preview_query": urlencode([("n", n) for n in numbers[:15]]),
    }
