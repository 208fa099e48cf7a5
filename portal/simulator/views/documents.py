"""The Documents API: uploads every `document_id` refers to (CONTRACT.md §5.9)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
from urllib.parse import urlparse

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError

from portal.simulator.api import (
    ApiError,
    bad_request,
    data,
    entry,
    invalid,
    json_body,
    not_found,
    now,
    paginate,
)
from portal.simulator.models import Document, DocumentLink
from portal.simulator.serializers import document_json
from portal.simulator.services import usable_document
from portal.simulator.views.dirs import parse_datetime_or_400

MAX_SIZE = 20 * 1024 * 1024
ACCEPTED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/plain": ".txt",
    "application/json": ".json",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
}
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PLACEHOLDER_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _sniff(content: bytes, filename: str) -> str:
    """The MIME type from the content's magic bytes, else from the file name."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        guess = mimetypes.guess_type(filename)[0]
        return guess or "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return mimetypes.guess_type(filename)[0] or "application/msword"
    guess = mimetypes.guess_type(filename)[0]
    if guess in ACCEPTED:
        return guess
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def _clean_filename(filename: str, content_type: str) -> str:
    filename = "".join(filename.split())  # spaces are stripped, as Telnyx does
    extension = ACCEPTED.get(content_type, "")
    if (
        extension
        and not filename.lower().endswith(extension)
        and mimetypes.guess_type(filename)[0] != content_type
    ):
        filename += extension
    return filename


def _store(request, *, content: bytes, filename: str, customer_reference):
    problems = []
    if len(content) > MAX_SIZE:
        problems.append(entry("10005", "The file is larger than 20 MB.", pointer="/file"))
    if len(filename) > 512 or not filename.isprintable():
        problems.append(
            entry("10005", "filename must be at most 512 printable characters.", pointer="/filename")
        )
    if customer_reference is not None and (
        not isinstance(customer_reference, str) or len(customer_reference) > 255
    ):
        problems.append(
            entry(
                "10005",
                "customer_reference must be a string of at most 255 characters.",
                pointer="/customer_reference",
            )
        )
    content_type = _sniff(content, filename)
    if content_type not in ACCEPTED:
        problems.append(
            entry(
                "10005",
                "Unsupported file type. Upload PDF, PNG, JPEG, CSV, TXT, JSON, DOC(X) or XLS(X).",
                pointer="/file",
            )
        )
    if problems:
        raise ApiError(422, problems)
    infected = EICAR in content
    at = now()
    document = Document.objects.create(
        account=request.account,
        filename=_clean_filename(filename or "document", content_type),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        customer_reference=customer_reference,
        status="denied" if infected else "pending",
        av_scan_status="infected" if infected else "scanned",
        content=content,
        created_at=at,
        updated_at=at,
    )
    return data(document_json(document))


def upload(request):
    """JSON (base64 `file` or `url`) or multipart; dispatch on Content-Type, not on the query string."""
    if request.content_type == "multipart/form-data":
        try:
            upload_file = request.FILES.get("file")
            reference = request.POST.get("customer_reference")
        except (MultiPartParserError, TooManyFilesSent, RequestDataTooBig) as exc:
            raise invalid(
                f"The multipart body cannot be read: {exc.__class__.__name__}.", pointer="/file"
            ) from exc
        if upload_file is None:
            raise invalid("A multipart upload needs a 'file' part.", pointer="/file")
        return _store(
            request,
            content=upload_file.read(),
            filename=upload_file.name or "document",
            customer_reference=reference,
        )
    body = json_body(request)
    has_file, has_url = body.get("file") is not None, body.get("url") is not None
    if has_file == has_url:
        raise invalid("Send exactly one of 'file' (base64) or 'url'.", pointer="/file")
    if has_url:
        url = body["url"]
        if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
            raise invalid("url must be an http(s) URL.", pointer="/url")
        # Offline: the file is not fetched; a placeholder PDF stands in for it.
        name = urlparse(url).path.rsplit("/", 1)[-1] or "document.pdf"
        return _store(
            request, content=PLACEHOLDER_PDF, filename=name, customer_reference=body.get("customer_reference")
        )
    if not isinstance(body["file"], str):
        raise invalid("file must be a base64 string.", pointer="/file")
    try:
        content = base64.b64decode(body["file"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid("file is not valid base64.", pointer="/file") from exc
    filename = body.get("filename") or "document"
    if not isinstance(filename, str):
        raise invalid("filename must be a string.", pointer="/filename")
    return _store(
        request, content=content, filename=filename, customer_reference=body.get("customer_reference")
    )


def _get(request, document_id: str) -> Document:
    document, _problem = usable_document(request.account, document_id, now())
    if document is None:
        # Denied documents can still be read; only unknown, deleted or expired ones are gone.
        document = Document.objects.filter(
            account=request.account, id=_uuid_or_none(document_id), deleted_at=None, status="denied"
        ).first()
    if document is None:
        raise not_found("Document not found.")
    return document


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def list_(request):
    documents = Document.objects.filter(account=request.account, deleted_at=None)
    get = request.GET.get
    if get("filter[filename][contains]"):
        documents = documents.filter(filename__icontains=get("filter[filename][contains]"))
    if get("filter[customer_reference][eq]"):
        documents = documents.filter(customer_reference=get("filter[customer_reference][eq]"))
    refs = request.GET.getlist("filter[customer_reference][in][]") or [
        r for r in (get("filter[customer_reference][in]") or "").split(",") if r
    ]
    if refs:
        documents = documents.filter(customer_reference__in=refs)
    for key, lookup in (("gt", "gt"), ("lt", "lt")):
        raw = get(f"filter[created_at][{key}]")
        if raw:
            documents = documents.filter(
                **{f"created_at__{lookup}": parse_datetime_or_400(raw, f"filter[created_at][{key}]")}
            )
    order = []
    for part in (get("sort") or "-created_at").split(","):
        if part.removeprefix("-") not in ("filename", "created_at", "updated_at"):
            raise bad_request("sort must use filename, created_at or updated_at.", parameter="sort")
        order.append(part)
    return paginate(request, documents.order_by(*order, "id"), document_json)


def retrieve(request, document_id: str):
    return data(document_json(_get(request, document_id)))


def update(request, document_id: str):
    document = _get(request, document_id)
    body = json_body(request)
    if "filename" in body:
        if not isinstance(body["filename"], str) or not body["filename"] or len(body["filename"]) > 512:
            raise invalid("filename must be 1 to 512 printable characters.", pointer="/filename")
        document.filename = _clean_filename(body["filename"], document.content_type)
    if "customer_reference" in body:
        reference = body["customer_reference"]
        if reference is not None and (not isinstance(reference, str) or len(reference) > 255):
            raise invalid(
                "customer_reference must be a string of at most 255 characters.",
                pointer="/customer_reference",
            )
        document.customer_reference = reference
    document.updated_at = now()
    document.save()
    return data(document_json(document))


def delete(request, document_id: str):
    document = _get(request, document_id)
    if document.linked:
        raise ApiError.one(422, "10015", "Document is linked to a service and cannot be deleted.")
    document.deleted_at = now()
    document.save(update_fields=["deleted_at"])
    return data(document_json(document))


def download(request, document_id: str):
    document = _get(request, document_id)
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


def download_link(request, document_id: str):
    document = _get(request, document_id)
    # The raw Host header: the simulator is reached under whatever name the client used.
    host = (
        request.META.get("HTTP_HOST")
        or f"{request.META.get('SERVER_NAME')}:{request.META.get('SERVER_PORT')}"
    )
    url = f"{request.scheme}://{host}/v2/documents/{document.id}/download"
    return data({"url": url})


def link_list(request):
    links = DocumentLink.objects.filter(account=request.account).order_by("-created_at", "id")
    if request.GET.get("filter[linked_record_type]"):
        links = links.filter(linked_record_type=request.GET["filter[linked_record_type]"])
    if request.GET.get("filter[linked_resource_id]"):
        links = links.filter(linked_resource_id=_uuid_or_none(request.GET["filter[linked_resource_id]"]))
    from portal.simulator.api import ts_ms

    return paginate(
        request,
        links,
        lambda link: {
            "id": str(link.id),
            "record_type": "document_link",
            "document_id": str(link.document_id),
            "linked_record_type": link.linked_record_type,
            "linked_resource_id": str(link.linked_resource_id),
            "created_at": ts_ms(link.created_at),
            "updated_at": ts_ms(link.updated_at),
        },
    )
