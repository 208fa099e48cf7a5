"""Uploading LOAs and supporting documents to the Telnyx Documents API (CONTRACT.md §5.9)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from portal.accounts.services import telnyx_account_client
from portal.core.exceptions import ServiceError
from portal.core.services import audit_record
from portal.documents.models import Document, DocumentType

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest

    from portal.accounts.models import Team, User
    from portal.telnyx import TelnyxClient

MAX_BYTES = 20 * 1024 * 1024  # the Documents API's limit
PDF_MAGIC = b"%PDF-"
# Extensions the Documents API accepts, with the type we record.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "csv": "text/csv",
    "txt": "text/plain",
    "json": "application/json",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def document_check(*, filename: str, size: int, head: bytes, kind: str) -> str:
    """The local checks before an upload (size, type, and a real PDF for an LOA); returns the content type."""
    if size == 0:
        raise ServiceError(_("The file is empty."), field="file")
    if size > MAX_BYTES:
        raise ServiceError(_("The file is larger than 20 MB, the Documents API's limit."), field="file")
    if kind == DocumentType.LETTER_OF_AUTHORIZATION:
        if not head.startswith(PDF_MAGIC):
            raise ServiceError(
                _("A signed LOA must be a PDF file (it does not start with %PDF-)."), field="file"
            )
        return "application/pdf"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in CONTENT_TYPES:
        raise ServiceError(
            _("Telnyx accepts PDF, PNG, JPEG, CSV, TXT, JSON, DOC(X) and XLS(X) files."), field="file"
        )
    if extension == "pdf" and not head.startswith(PDF_MAGIC):
        raise ServiceError(_("The file ends in .pdf but is not a PDF."), field="file")
    return CONTENT_TYPES[extension]


def document_upload(
    *,
    team: Team,
    user: User | None,
    file: UploadedFile,
    kind: str,
    customer_reference: str = "",
    request: HttpRequest | None = None,
) -> Document:
    """Check a file, upload it to the Documents API and keep a record of it (with its sha256) for the team."""
    file.seek(0)
    head = file.read(len(PDF_MAGIC))
    filename = (file.name or "document").rsplit("/", 1)[-1][:255]
    content_type = document_check(filename=filename, size=file.size or 0, head=head, kind=kind)
    file.seek(0)
    content = file.read()  # at most 20 MB, checked above
    return document_upload_bytes(
        team=team, user=user, content=content, filename=filename, kind=kind, content_type=content_type,
        customer_reference=customer_reference, request=request,
    )  # fmt: skip


def document_upload_bytes(
    *,
    team: Team,
    user: User | None,
    content: bytes,
    filename: str,
    kind: str,
    content_type: str = "application/pdf",
    customer_reference: str = "",
    request: HttpRequest | None = None,
    api: TelnyxClient | None = None,
    reusable: bool = True,
) -> Document:
    """Upload checked bytes (a letter the portal holds, or a checked file); `api`: the caller's client."""
    digest = hashlib.sha256(content).hexdigest()
    reference = customer_reference or f"team:{team.pk}"
    if api is not None:
        remote = api.document_upload(content, filename, customer_reference=reference)
    else:
        # After a lost answer, a copy Telnyx may have kept is deleted after 30 minutes unless linked.
        with telnyx_account_client(team=team, uncertain=_("Upload the file again.")) as client:
            remote = client.document_upload(content, filename, customer_reference=reference)
    if remote.av_scan_status == "infected" or remote.status == "denied":
        raise ServiceError(_("Telnyx's antivirus scan rejected the file."), field="file")
    document = Document.objects.create(
        remote_id=remote.id,
        team=team,
        kind=kind,
        filename=remote.filename or filename,
        sha256=digest,
        size=len(content),
        content_type=remote.content_type or content_type,
        uploaded_by=user,
        reusable=reusable,
    )
    audit_record(
        verb="document_uploaded",
        actor=user,
        team=team,
        target=document,
        details={"kind": kind, "filename": document.filename, "sha256": digest},
        request=request,
    )
    return document


def document_discard(*, document: Document) -> None:
    """Forget an upload nothing will link to (Telnyx deletes an unlinked document after 30 minutes)."""
    Document.objects.filter(pk=document.pk).delete()
