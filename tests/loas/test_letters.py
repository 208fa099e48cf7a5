"""LOAs: the signature as Telnyx takes it, one letter per batch rendered by Telnyx, the sealed certificate."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image, ImageDraw

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.loas import seal as seal_module
from portal.loas import services
from portal.loas.consent import CONSENT
from portal.loas.models import Ceremony, Letter
from tests.numbers.addflow import numbers, verified  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


def drawn(width=600, height=200, *, strokes=12) -> bytes:
    """A PNG as the signature pad sends it: transparent, with dark strokes."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    for i in range(strokes):
        pen.line([(20 + i * 40, 150), (60 + i * 40, 40), (90 + i * 40, 160)], fill=(20, 20, 60, 255), width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def noisy(width=700, height=300) -> bytes:
    """A signature image whose PNG is far over the 60,000-character limit (random ink everywhere)."""
    image = Image.frombytes("RGBA", (width, height), os.urandom(width * height * 4))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def signed_by(**overrides) -> services.SignedBy:
    values = {"name": "Ada Park", "method": Ceremony.Method.DRAWN, "png": drawn(), "consented": True,
              "consent_version": CONSENT.version, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (tests)"}  # fmt: skip
    return services.SignedBy(**{**values, **overrides})


# --- The signature ----------------------------------------------------------------------------


def test_a_drawn_signature_is_cropped_to_its_ink_and_kept_as_a_png():
    png = services.signature_prepare(drawn())
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width < 600 and image.height < 200  # the empty margins are gone
        assert image.getchannel("A").getbbox() == (0, 0, image.width, image.height)


def test_a_signature_too_detailed_for_telnyx_is_scaled_until_its_base64_fits():
    raw = noisy()
    assert len(base64.b64encode(raw)) > services.SIGNATURE_MAX_BASE64
    png = services.signature_prepare(raw)
    assert 0 < len(base64.b64encode(png)) <= services.SIGNATURE_MAX_BASE64


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\0" * 100, "must be a PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"not really", "not a readable PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024), "too large"),
    ],
)
def test_a_signature_that_is_not_a_usable_png_is_refused_with_a_reason(raw, message):
    with pytest.raises(ServiceError, match=message) as refused:
        services.signature_prepare(raw)
    assert refused.value.field == "signature"


def test_a_blank_pad_or_a_stray_click_is_no_signature():
    blank = drawn(strokes=0)
    dot = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    dot.putpixel((10, 10), (0, 0, 0, 255))
    out = io.BytesIO()
    dot.save(out, format="PNG")
    for raw in (blank, out.getvalue()):
        with pytest.raises(ServiceError, match="empty"):
            services.signature_prepare(raw)


def test_a_huge_canvas_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("LA", (4000, 1200), (0, 0)).save(out, format="PNG")  # 4.8 megapixels, a small file
    with pytest.raises(ServiceError, match="megapixels"):
        services.signature_prepare(out.getvalue())


# --- The ceremony and its letters -------------------------------------------------------------


@pytest.fixture
def ceremony(verified, member_a):  # noqa: F811
    # (none ending in 13 or 66, which the simulator rejects by rule: every outcome is the letter's)
    return services.ceremony_start(
        dir=verified.dir, group=uuid.uuid4(), numbers=numbers(2020, 20), user=member_a
    )


def test_a_ceremony_shows_the_authorizer_and_the_identity_printed_on_the_letters(ceremony, verified):  # noqa: F811
    assert (ceremony.signer_name, ceremony.signer_email) == ("Ada Park", "ada.park@northwind.example")
    assert ceremony.identity["dir_name"] == verified.dir.display_name
    assert ceremony.identity["legal_name"] == verified.dir.enterprise.legal_name
    assert ceremony.identity_sha256 == services.identity_digest(ceremony.identity)
    assert ceremony.state == Ceremony.State.AWAITING


def test_signing_records_who_when_how_and_from_where(ceremony):
    signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by(name="  Ada   Park "))
    signed.refresh_from_db()
    assert signed.state == Ceremony.State.SIGNED
    assert (signed.signer_name, signed.method, signed.consent_version) == (
        "Ada Park",
        "drawn",
        CONSENT.version,
    )
    assert (signed.ip, signed.user_agent) == ("203.0.113.7", "Mozilla/5.0 (tests)")
    assert signed.signed_at is not None
    assert bytes(signed.signature_png).startswith(services.PNG_MAGIC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consented": False}, "consent"),
        ({"consent_version": "1999-01-01"}, "consent"),
        ({"name": "  "}, "signer_name"),
    ],
)
def test_no_signature_without_consent_to_the_current_text_and_a_name(ceremony, overrides, field):
    with pytest.raises(ServiceError) as refused:
        services.ceremony_sign(ceremony=ceremony, signed=signed_by(**overrides))
    assert refused.value.field == field
    ceremony.refresh_from_db()
    assert ceremony.state == Ceremony.State.AWAITING and ceremony.signed_at is None


def test_a_ceremony_is_signed_once(ceremony):
    services.ceremony_sign(ceremony=ceremony, signed=signed_by())
    with pytest.raises(ServiceError, match="no longer waiting"):
        services.ceremony_sign(ceremony=ceremony, signed=signed_by(name="Somebody Else"))
    ceremony.refresh_from_db()
    assert ceremony.signer_name == "Ada Park"


def test_an_identity_edited_after_the_letters_were_shown_must_be_reviewed_before_signing(ceremony, verified):  # noqa: F811
    enterprise = verified.dir.enterprise
    enterprise.legal_name = "Northwind Holdings LLC"
    enterprise.save(update_fields=["legal_name"])
    with pytest.raises(ServiceError, match="changed since they were shown"):
        services.ceremony_sign(ceremony=ceremony, signed=signed_by())


def test_each_batch_gets_its_own_letter_rendered_by_telnyx_with_the_signature(ceremony, connected, sim):
    signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by())
    with telnyx.get_client(api_key=connected.api_key) as api:
        first = services.letter_render(api, ceremony=signed, position=0, numbers=signed.numbers[:15])
        second = services.letter_render(api, ceremony=signed, position=1, numbers=signed.numbers[15:])
        again = services.letter_render(api, ceremony=signed, position=0, numbers=signed.numbers[:15])
    assert again.pk == first.pk and again.sha256 == first.sha256  # kept, not rendered twice
    assert [letter.numbers for letter in signed.letters.all()] == [signed.numbers[:15], signed.numbers[15:]]
    for letter in (first, second):
        pdf = bytes(letter.pdf)
        assert pdf.startswith(b"%PDF-")
        assert letter.sha256 == hashlib.sha256(pdf).hexdigest()
        assert letter.state == Letter.State.RENDERED
    # What Telnyx rendered lists exactly that batch's numbers, signed by the signer.
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(second.pdf))).pages)
    assert all(n in text for n in signed.numbers[15:])
    assert not any(n in text for n in signed.numbers[:15])
    assert "Ada Park" in text


def test_no_letter_for_numbers_outside_the_signed_set_or_an_unsigned_ceremony(ceremony, connected):
    with telnyx.get_client(api_key=connected.api_key) as api:
        with pytest.raises(ServiceError, match="not signed yet"):
            services.letter_render(api, ceremony=ceremony, position=0, numbers=ceremony.numbers[:15])
        signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by())
        with pytest.raises(ServiceError, match="new signature"):
            services.letter_render(api, ceremony=signed, position=0, numbers=["+13125559999"])
    assert not Letter.objects.exists()


def test_no_letter_once_the_identity_signed_for_has_changed(ceremony, connected, verified):  # noqa: F811
    signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by())
    verified.dir.display_name = "Northwind Renamed"
    verified.dir.save(update_fields=["display_name"])
    with (
        telnyx.get_client(api_key=connected.api_key) as api,
        pytest.raises(ServiceError, match="signed again"),
    ):
        services.letter_render(api, ceremony=signed, position=0, numbers=signed.numbers[:15])


# --- The certificate of completion -------------------------------------------------------------


def test_the_certificate_is_sealed_and_verifies_and_one_changed_byte_breaks_it(ceremony, connected):
    signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by())
    with telnyx.get_client(api_key=connected.api_key) as api:
        services.letter_render(api, ceremony=signed, position=0, numbers=signed.numbers[:15])
    pdf = services.certificate_render(signed)
    signed.refresh_from_db()
    assert bytes(signed.certificate_pdf) == pdf
    assert signed.certificate_sha256 == hashlib.sha256(pdf).hexdigest()
    verdict = services.pdf_verify(pdf)
    assert verdict.ok, verdict.message
    assert verdict.signed_at is not None

    # One byte of the sealed content changed: the seal no longer matches.
    changed = bytearray(pdf)
    changed[len(changed) // 4] ^= 0x01
    assert not services.pdf_verify(bytes(changed)).ok


def test_a_pdf_sealed_by_another_key_or_not_sealed_or_not_a_pdf_does_not_verify(ceremony, tmp_path, settings):
    from weasyprint import HTML

    plain = HTML(string="<p>Certificate of completion</p>").write_pdf()
    assert services.pdf_verify(plain).message == "This PDF carries no seal."
    assert not services.pdf_verify(b"hello").ok

    ours = settings.LOA_SEAL_FILE
    try:
        settings.LOA_SEAL_FILE = str(seal_module.seal_key_make(tmp_path / "other.pem", name="Someone else"))
        seal_module.seal.cache_clear()
        foreign = services.pdf_seal(plain)
    finally:
        settings.LOA_SEAL_FILE = ours
        seal_module.seal.cache_clear()
    verdict = services.pdf_verify(foreign)
    assert not verdict.ok and "not this portal's" in verdict.message


def test_a_missing_seal_is_made_only_where_allowed(tmp_path, settings):
    settings.LOA_SEAL_FILE = str(tmp_path / "missing.pem")
    settings.LOA_SEAL_GENERATE = False
    seal_module.seal.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="loa_seal_key"):
            seal_module.seal()
        settings.LOA_SEAL_GENERATE = True
        assert "development seal" in seal_module.seal().subject
        assert (tmp_path / "missing.pem").stat().st_mode & 0o777 == 0o600
    finally:
        seal_module.seal.cache_clear()


# --- The letters go with their batches ----------------------------------------------------------


def _chunks(verified, ceremony):  # noqa: F811
    from portal.numbers.models import AddRequest

    return [
        AddRequest.objects.create(
            dir=verified.dir,
            team=verified.dir.team,
            group=ceremony.group,
            position=i,
            numbers=chunk,
            documents=[],
            idempotency_key=uuid.uuid4(),
        )  # fmt: skip
        for i, chunk in enumerate([ceremony.numbers[:15], ceremony.numbers[15:]])
    ]


def test_each_batch_goes_out_with_its_own_letter_uploaded_just_before_its_add_and_is_verified(
    ceremony,
    verified,  # noqa: F811
    connected,
    sim,
    settings,  # noqa: F811
):
    from portal.numbers.models import AddRequest
    from portal.numbers.services import add_send
    from portal.simulator.models import Batch as SimBatch
    from portal.simulator.models import Document as SimDocument
    from tests.simulator.test_lifecycle import tick

    signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by())
    chunks = _chunks(verified, signed)
    with telnyx.get_client(api_key=connected.api_key) as api:
        letters = services.add_letters_render(api, ceremony=signed, requests=chunks)
    digests = {letter.sha256 for letter in letters}
    assert not SimDocument.objects.filter(
        sha256__in=digests
    ).exists()  # none uploaded before its chunk is sent
    for chunk in chunks:
        add_send.add_request_send(add_request_id=chunk.pk)
    assert {c.state for c in AddRequest.objects.filter(group=signed.group)} == {AddRequest.State.DONE}

    for letter, chunk in zip(letters, chunks, strict=True):
        letter.refresh_from_db()
        assert letter.state == Letter.State.UPLOADED and letter.add_request_id == chunk.pk
        uploaded = SimDocument.objects.get(id=letter.document.remote_id)
        assert uploaded.sha256 == letter.sha256  # the very bytes rendered and kept
        assert not letter.document.reusable  # never offered to another add
        batch = SimBatch.objects.get(numbers__phone_number=chunk.numbers[0])
        assert batch.documents[0]["document_id"] == letter.document.remote_id
        assert sorted(batch.numbers.values_list("phone_number", flat=True)) == sorted(chunk.numbers)

    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    tick(sim, 2)
    tick(sim, 2)
    from portal.simulator.models import DirPhoneNumber as SimNumber

    decided = dict(SimNumber.objects.filter(dir_id=verified.remote_id).values_list("phone_number", "status"))
    assert {decided[n] for n in signed.numbers} == {"verified"}  # each letter lists exactly its batch


def test_a_letter_upload_telnyx_lost_is_uploaded_again_and_the_add_goes_through(
    ceremony,
    verified,  # noqa: F811
    connected,
    sim,  # noqa: F811
):
    from portal.numbers.models import AddRequest
    from portal.numbers.services import add_send

    signed = services.ceremony_sign(ceremony=ceremony, signed=signed_by())
    first, _second = _chunks(verified, signed)
    with telnyx.get_client(api_key=connected.api_key) as api:
        (letter, _other) = services.add_letters_render(api, ceremony=signed, requests=[first, _second])
        documents = services.add_letter_documents(api, first)  # uploaded earlier, e.g. before a crash
        api.document_delete(documents[0]["document_id"])  # and since deleted by Telnyx
    lost = documents[0]["document_id"]
    add_send.add_request_send(add_request_id=first.pk)
    first.refresh_from_db()
    letter.refresh_from_db()
    assert first.state == AddRequest.State.DONE and first.attempts == 1
    assert letter.document.remote_id != lost
    assert first.batch.documents[0]["document_id"] == letter.document.remote_id
