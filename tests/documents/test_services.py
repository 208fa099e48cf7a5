"""Documents: local checks before an upload, the upload to the Documents API, the record and the audit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent
from portal.documents import selectors, services
from portal.documents.models import Document
from portal.simulator import models as sim_models

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])

PDF = b"%PDF-1.7\nsigned\n%%EOF\n"


def upload(team, content=PDF, name="loa.pdf", kind=Document.Kind.LOA, user=None):
    return services.document_upload(team=team, user=user, file=SimpleUploadedFile(name, content), kind=kind)


@pytest.mark.parametrize(
    ("filename", "size", "head", "kind", "message"),
    [
        ("loa.pdf", 0, b"", "loa", "empty"),
        ("loa.pdf", 20 * 1024 * 1024 + 1, b"%PDF-", "loa", "20 MB"),
        ("loa.pdf", 10, b"GIF89", "loa", "PDF"),
        ("loa.exe", 10, b"MZ\x90\x00\x03", "other", "Telnyx accepts"),
        ("fake.pdf", 10, b"hello", "other", "not a PDF"),
    ],
)
def test_document_check_refuses(filename, size, head, kind, message):
    with pytest.raises(ServiceError, match=message):
        services.document_check(filename=filename, size=size, head=head, kind=kind)


def test_document_check_accepts():
    assert services.document_check(filename="x", size=10, head=b"%PDF-", kind="loa") == "application/pdf"
    assert (
        services.document_check(filename="permit.PNG", size=10, head=b"\x89PNG\r", kind="other")
        == "image/png"
    )


def test_upload_sends_to_telnyx_and_keeps_a_record(connected, team_a, member_a):
    document = upload(team_a, user=member_a)
    remote = sim_models.Document.objects.get(id=document.remote_id)
    assert remote.filename == "loa.pdf"
    assert document.sha256 == remote.sha256
    assert (document.size, document.content_type, document.kind) == (len(PDF), "application/pdf", "loa")
    assert document.uploaded_by == member_a
    event = AuditEvent.objects.get(verb="document_uploaded")
    assert event.team == team_a
    assert event.details["sha256"] == document.sha256
    assert list(selectors.document_list(team=team_a, kind="loa")) == [document]


def test_an_infected_file_is_refused_and_not_kept(connected, team_a):
    eicar = b"%PDF-1.4 X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    with pytest.raises(ServiceError, match="antivirus"):
        upload(team_a, content=eicar)
    assert Document.objects.count() == 0


def test_telnyx_down_is_a_clear_message(connected, team_a, sim):
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/documents"})
    with pytest.raises(ServiceError, match="unavailable"):
        upload(team_a)


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
