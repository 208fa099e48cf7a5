"""Documents: local checks before an upload, the upload to the Documents API, the record and the audit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent
from portal.documents import selectors, services
from portal.documents.models import Document, DocumentType
from portal.simulator import models as sim_models

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])

PDF = b"%PDF-1.7\nsigned\n%%EOF\n"


def upload(team, content=PDF, name="loa.pdf", kind=DocumentType.LETTER_OF_AUTHORIZATION, user=None):
    return services.document_upload(team=team, user=user, file=SimpleUploadedFile(name, content), kind=kind)


@pytest.mark.parametrize(
    ("filename", "size", "head", "kind", "message"),
    [
        ("loa.pdf", 0, b"", "letter_of_authorization", "empty"),
        ("loa.pdf", 20 * 1024 * 1024 + 1, b"%PDF-", "letter_of_authorization", "20 MB"),
        ("loa.pdf", 10, b"GIF89", "letter_of_authorization", "PDF"),
        ("permit.png", 10, b"GIF89", "letter_of_authorization", "PDF"),
        ("licence.exe", 10, b"MZ\x90\x00\x03", "business_license", "Telnyx accepts"),
        ("loa.exe", 10, b"MZ\x90\x00\x03", "other", "Telnyx accepts"),
        ("fake.pdf", 10, b"hello", "other", "not a PDF"),
    ],
)
def test_document_check_refuses(filename, size, head, kind, message):
    with pytest.raises(ServiceError, match=message):
        services.document_check(filename=filename, size=size, head=head, kind=kind)


def test_document_check_accepts():
    assert (
        services.document_check(filename="x", size=10, head=b"%PDF-", kind="letter_of_authorization")
        == "application/pdf"
    )
    assert (
        services.document_check(filename="permit.PNG", size=10, head=b"\x89PNG\r", kind="other")
        == "image/png"
    )


def test_upload_sends_to_telnyx_and_keeps_a_record(connected, team_a, member_a):
    document = upload(team_a, user=member_a)
    remote = sim_models.Document.objects.get(id=document.remote_id)
    assert remote.filename == "loa.pdf"
    assert document.sha256 == remote.sha256
    assert (document.size, document.content_type, document.kind) == (
        len(PDF),
        "application/pdf",
        "letter_of_authorization",
    )
    assert document.uploaded_by == member_a
    event = AuditEvent.objects.get(verb="document_uploaded")
    assert event.team == team_a
    assert event.details["sha256"] == document.sha256
    assert list(selectors.document_list(team=team_a, loa=True)) == [document]
    assert list(selectors.document_list(team=team_a, loa=False)) == []


def test_an_infected_file_is_refused_and_not_kept(connected, team_a):
    eicar = b"%PDF-1.4 X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    with pytest.raises(ServiceError, match="antivirus"):
        upload(team_a, content=eicar)
    assert Document.objects.count() == 0


def test_telnyx_down_is_a_clear_message(connected, team_a, sim):
    """A 5xx says what happened (with the status) and what to do; nothing is recorded."""
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/documents"})
    with pytest.raises(ServiceError) as caught:
        upload(team_a)
    assert caught.value.message == "Telnyx is having trouble right now (HTTP 503). Upload the file again."
    assert caught.value.code == "unavailable"
    assert Document.objects.count() == 0


def test_no_account_no_upload(team_a, monkeypatch):
    monkeypatch.setattr(telnyx.TelnyxClient, "document_upload", lambda *a, **k: pytest.fail("sent"))
    with pytest.raises(ServiceError, match="Connect a Telnyx account"):
        upload(team_a)


def test_documents_by_pk_is_scoped_to_the_team(connected, team_a, team_b):
    mine = upload(team_a)
    theirs = Document.objects.create(
        remote_id="x", team=team_b, filename="x.pdf", sha256="0", size=1, content_type="application/pdf"
    )
    assert selectors.documents_by_pk(team=team_a, pks=[mine.pk, theirs.pk, "junk"]) == {mine.pk: mine}


def test_a_supporting_document_is_recorded_with_its_type(connected, team_a):
    """Any type of the one vocabulary is a `kind`; only LOAs must be PDFs, the others go by extension."""
    permit = upload(team_a, content=b"\x89PNG\r\n", name="permit.png", kind=DocumentType.BUSINESS_LICENSE)
    assert (permit.kind, permit.content_type) == ("business_license", "image/png")
    loa = upload(team_a)
    assert list(selectors.document_list(team=team_a, loa=True)) == [loa]
    assert list(selectors.document_list(team=team_a, loa=False)) == [permit]
    assert list(selectors.document_list(team=team_a)) == [loa, permit]


def test_document_discard_forgets_only_that_upload(connected, team_a):
    kept, dropped = upload(team_a), upload(team_a)
    services.document_discard(document=dropped)
    assert list(Document.objects.all()) == [kept]


def test_the_vocabulary_is_telnyx_document_types(connected, team_a):
    """DocumentType holds exactly the `short_name`s Telnyx lists (GET /v2/dir/document_types)."""
    with telnyx.get_client(api_key=connected.api_key) as api:
        remote = {t["short_name"] for t in api.document_types()}
    assert set(DocumentType.values) == remote
    assert DocumentType.BUSINESS_LICENSE.label == "Business license"  # one spelling: Telnyx's US English
    assert DocumentType.values[-1] == "other"  # the form offers "other" last


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("ein_letter", "EIN letter (IRS CP 575 / 147C)"),
        ("professional_license", "Professional license"),
        ("letter_of_authorization", "Letter of authorization"),
        ("a_type_added_later", "a_type_added_later"),
        (None, ""),
    ],
)
def test_a_document_type_is_shown_by_its_label(value, label):
    """Views and templates (the `document_type_label` filter) show the label; an unknown value as it is."""
    assert DocumentType.label_of(value) == label
    rendered = Template("{% load documents %}{{ t|document_type_label }}").render(Context({"t": value}))
    assert rendered == label
