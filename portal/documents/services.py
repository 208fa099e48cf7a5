"""Uploading LOAs and supporting documents to the Telnyx Documents API (CONTRACT.md §5.9)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.core.services import audit_record
from portal.documents.models import Document

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest

    from portal.accounts.models import Team, User

MAX_BYTES = 20 * 1024 * 1024  # the Documents API's limit
PDF_MAGIC = b"%PDF-"
# Extensions the Documents API accepts for supporting documents, with the type we record.
OTHER_TYPES = {
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
    """The local checks before an upload (size, and a real PDF for an LOA); returns the content type."""
    if size == 0:
        raise ServiceError(_("The file is empty."), field="file")
    if size > MAX_BYTES:
        raise ServiceError(_("The file is larger than 20 MB, the Documents API's limit."), field="file")
    if kind == Document.Kind.LOA:
        if not head.startswith(PDF_MAGIC):
            raise ServiceError(
                _("A signed LOA must be a PDF file (it does not start with %PDF-)."), field="file"
            )
        return "application/pdf"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in OTHER_TYPES:
        raise ServiceError(
            _("Telnyx accepts PDF, PNG, JPEG, CSV, TXT, JSON, DOC(X) and XLS(X) files."), field="file"
        )
    if extension == "pdf" and not head.startswith(PDF_MAGIC):
        raise ServiceError(_("The file ends in .pdf but is not a PDF."), field="file")
    return OTHER_TYPES[extension]


def document_upload(
    *, team: Team, user: User | None, file: UploadedFile, kind: str, request: HttpRequest | None = None
) -> Document:
    """Check a file, upload it to the Documents API and keep a record of it for the team."""
    account = getattr(team, "telnyx_account", None)
    if account is None:
        raise ServiceError(_("Connect a Telnyx account first."))
    file.seek(0)
    head = file.read(len(PDF_MAGIC))
    filename = (file.name or "document").rsplit("/", 1)[-1][:255]
    content_type = document_check(filename=filename, size=file.size or 0, head=head, kind=kind)
    file.seek(0)
    content = file.read()  # at most 20 MB, checked above
    digest = hashlib.sha256(content).hexdigest()
    try:
        with telnyx.get_client(api_key=account.api_key) as api:
            remote = api.document_upload(content, filename, customer_reference=f"team:{team.pk}")
    except telnyx.ApiValidationError as exc:
        raise ServiceError(exc.message, field="file") from exc
    except telnyx.TelnyxError as exc:
        raise ServiceError(_("The Documents API is unavailable; try again in a moment.")) from exc
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
