"""Writes for DIRs: every change goes to Telnyx first and is mirrored only once Telnyx accepted it."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterable
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from portal import telnyx
from portal.accounts.selectors import telnyx_account_get, telnyx_account_require
from portal.accounts.services import telnyx_account_client
from portal.core.exceptions import ServiceError
from portal.core.mirror import apply_page, changes_record, plain
from portal.core.models import StatusChange
from portal.core.services import audit_record
from portal.dirs import checks
from portal.dirs.models import Dir, DirLogo
from portal.dirs.signals import dir_refresh_wanted
from portal.documents.services import document_discard, document_upload

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest

    from portal.accounts.models import Team, TelnyxAccount, User
    from portal.enterprises.models import Enterprise

# --- Mirror: what sync, webhooks and the portal's own writes apply


def _dir_values(remote: telnyx.schemas.Dir, enterprise: Enterprise) -> dict:
    return {
        "enterprise_id": enterprise.pk,
        "display_name": remote.display_name,
        "status": remote.status,
        "call_reasons": list(remote.call_reasons),
        "logo_url": remote.logo_url or "",
        "rejection_reasons": [dataclasses.asdict(r) for r in remote.rejection_reasons],
        "submitted_at": remote.submitted_at,
        "verified_at": remote.verified_at,
        "expiring_at": remote.expiring_at,
        "remote_updated_at": remote.updated_at,
        "data": plain(remote),
    }


def dirs_apply_remote(
    *,
    team: Team,
    remotes: Iterable[telnyx.schemas.Dir],
    enterprises: dict[str, Enterprise],
    source: str,
    at: datetime,
) -> dict[str, Dir]:
    """Upsert a page of DIRs and record their status changes; DIRs of unknown enterprises are skipped."""
    remotes = [r for r in remotes if r.enterprise_id in enterprises]
    wanted = {r.id: _dir_values(r, enterprises[r.enterprise_id]) for r in remotes}
    rows, before = apply_page(
        Dir, wanted, at=at, build=lambda rid, v: Dir(team=team, remote_id=rid, synced_at=at, **v)
    )
    changes_record(
        rows,
        before,
        team_id=team.pk,
        entity=StatusChange.Entity.DIR,
        source=source,
        dir_id_of=lambda row: row.pk,
        reason_of=lambda row: row.rejection_reasons or None,
    )
    return rows


# --- List and compose: create, edit, logo, documents, submit, delete

LOGO_SIZE = (256, 256)
LOGO_MAX_INPUT = 5 * 1024 * 1024  # what we accept from the browser
LOGO_MAX_OUTPUT = 1024 * 1024  # what Telnyx accepts (CONTRACT.md §5.3)
# Refused from the header, before decoding: a 52 KB PNG can hold 6300×6300 pixels (~310 MB decoded).
# 4096×4096 is far more than a 256×256 logo needs, and decodes in ~64 MB.
LOGO_MAX_SIDE = 4096
LOGO_MAX_PIXELS = LOGO_MAX_SIDE * LOGO_MAX_SIDE
LOGO_FORMATS = {"PNG", "JPEG", "BMP"}

DOCUMENTS_PER_DIR = 20
CATALOGUE_TTL = 3600
CATALOGUE_RETRY_AFTER = 60

# A change to only these fields leaves a verified DIR verified.
KEEPS_VERIFIED = frozenset({"webhook_url", "bpo_authorizations"})
DIR_GONE = gettext_lazy("Telnyx no longer knows this DIR; it may have been deleted. Sync and try again.")


def _telnyx(dir: Dir, *, not_found: Any = DIR_GONE, **options: Any):
    """The team's Telnyx client for a call about this DIR (a 404 means, by default, that the DIR is gone)."""
    return telnyx_account_client(team=dir.team_id, not_found=not_found, **options)


def _mirror(*, team: Team, remote: telnyx.schemas.Dir, enterprise: Enterprise) -> Dir:
    """Write the DIR Telnyx returned into the mirror (and its status change into the timeline)."""
    with transaction.atomic():
        rows = dirs_apply_remote(
            team=team,
            remotes=[remote],
            enterprises={remote.enterprise_id: enterprise},
            source=StatusChange.Source.USER,
            at=timezone.now(),
        )
    return rows[remote.id]


def webhook_url_for(*, account: TelnyxAccount) -> str:
    """The portal's own receiver for this account's webhooks."""
    return settings.PORTAL_PUBLIC_URL + reverse("webhooks:telnyx", args=[account.pk])


def dir_create(
    *,
    enterprise: Enterprise,
    values: dict[str, Any],
    user: User,
    request: HttpRequest | None = None,
) -> Dir:
    """Create a draft DIR under an enterprise and mirror it."""
    with telnyx_account_client(team=enterprise.team_id) as api:
        remote = api.dir_create(enterprise.remote_id, values)
    dir_ = _mirror(team=enterprise.team, remote=remote, enterprise=enterprise)
    audit_record(
        verb="dir_created",
        actor=user,
        team=enterprise.team,
        target=dir_,
        details={"enterprise": enterprise.legal_name},
        request=request,
    )
    return dir_


def dir_findings(*, values: dict, enterprise_data: dict, stage: str) -> list[checks.Finding]:
    """The local pre-submit checks (our own logo on a local http portal passes the HTTPS rule)."""
    return checks.dir_checks(
        values=values,
        enterprise=enterprise_data,
        stage=stage,
        http_logo_ok=logo_is_local_http(values.get("logo_url") or ""),
    )


@dataclasses.dataclass(frozen=True)
class ComposeResult:
    """What saving the compose form came to: the DIR, or None while `warnings` await confirmation."""

    dir: Dir | None
    warnings: list[checks.Finding]


def dir_compose_save(
    *,
    enterprise: Enterprise,
    dir: Dir | None,
    values: dict[str, Any],
    changes: dict[str, Any],
    confirm_draft: bool,
    confirm_warnings: bool,
    user: User,
    request: HttpRequest | None = None,
) -> ComposeResult:
    """Create (dir None) or update a DIR from the compose form, after the local rules.

    A real change to a verified DIR needs `confirm_draft` (it goes back to draft); blocking check
    findings refuse the save; warnings need `confirm_warnings`. Raises ServiceError with field errors.
    """
    if (
        dir is not None
        and dir.status == Dir.Status.VERIFIED
        and set(changes) - KEEPS_VERIFIED
        and not confirm_draft
    ):
        raise ServiceError(_("Confirm that this verified DIR goes back to draft."), field="confirm_draft")
    findings = dir_findings(
        values={**values, "documents": dir.documents if dir else []},
        enterprise_data=enterprise.data,
        stage=checks.SAVE,
    )
    if blocking := checks.blocking(findings):
        raise ServiceError(blocking[0].message, errors=[(f.field, f.message) for f in blocking])
    warnings = [f for f in findings if f.level == checks.WARN]
    if warnings and not confirm_warnings:
        return ComposeResult(dir=None, warnings=warnings)
    if dir is None:
        saved = dir_create(enterprise=enterprise, values=values, user=user, request=request)
    else:
        saved = dir_update(dir=dir, values=changes, user=user, request=request)
    return ComposeResult(dir=saved, warnings=warnings)


def dir_update(
    *,
    dir: Dir,
    values: dict[str, Any],
    user: User,
    request: HttpRequest | None = None,
) -> Dir:
    """Send the changed fields of a DIR (a real change to a verified DIR returns it to draft)."""
    if not dir.can_edit:
        raise ServiceError(edit_refusal(dir.status))
    if not values:
        return dir
    with _telnyx(dir) as api:
        remote = api.dir_update(dir.remote_id, values)
    before = dir.status
    dir_ = _mirror(team=dir.team, remote=remote, enterprise=dir.enterprise)
    audit_record(
        verb="dir_updated",
        actor=user,
        team=dir.team,
        target=dir_,
        details={"fields": ", ".join(sorted(values)), "status": f"{before} → {dir_.status}"},
        request=request,
    )
    return dir_


def dir_submit(*, dir: Dir, user: User, request: HttpRequest | None = None) -> Dir:
    """Submit a DIR for vetting and mirror it as submitted."""
    if not dir.can_submit:
        raise ServiceError(submit_refusal(dir.status))
    with _telnyx(dir) as api:
        remote = api.dir_submit(dir.remote_id)
    dir_ = _mirror(team=dir.team, remote=remote, enterprise=dir.enterprise)
    audit_record(verb="dir_submitted", actor=user, team=dir.team, target=dir_, request=request)
    return dir_


def dir_submit_findings(*, dir: Dir) -> list[checks.Finding]:
    """The pre-submit checks on the mirrored DIR, as Telnyx's vetting would see it."""
    return dir_findings(
        values={**dir.data, "call_reasons": list(dir.call_reasons)},
        enterprise_data=dir.enterprise.data,
        stage=checks.SUBMIT,
    )


def dir_submit_checked(
    *,
    dir: Dir,
    confirm_warnings: bool,
    user: User,
    request: HttpRequest | None = None,
) -> Dir:
    """The submit page's rules, then submit: blocking findings stop it, warnings need confirming."""
    if not dir.can_submit:
        raise ServiceError(submit_refusal(dir.status))
    findings = dir_submit_findings(dir=dir)
    if checks.blocking(findings):
        raise ServiceError(_("Fix the problems below before submitting."))
    telnyx_account_require(team=dir.team_id)
    if any(f.level == checks.WARN for f in findings) and not confirm_warnings:
        raise ServiceError(_("Tick the box to confirm you have read the warnings."))
    return dir_submit(dir=dir, user=user, request=request)


def dir_delete(*, dir: Dir, user: User, request: HttpRequest | None = None) -> Dir:
    """Ask Telnyx to delete a DIR; it is mirrored as delete_requested until Telnyx finishes."""
    if not dir.can_delete:
        raise ServiceError(delete_refusal(dir.status))
    with _telnyx(dir) as api:
        api.dir_delete(dir.remote_id)
    # The 202 body is only {id, status}; apply it to the last known DIR (the next sync re-reads it).
    known = telnyx.schemas.Dir.from_dict({**dir.data, "id": dir.remote_id})
    now = timezone.now()
    remote = dataclasses.replace(known, status=Dir.Status.DELETE_REQUESTED, delete_requested_at=now)
    dir_ = _mirror(team=dir.team, remote=remote, enterprise=dir.enterprise)
    audit_record(verb="dir_delete_requested", actor=user, team=dir.team, target=dir_, request=request)
    return dir_


def dir_document_add(
    *,
    dir: Dir,
    file: UploadedFile,
    document_type: str,
    description: str = "",
    user: User,
    request: HttpRequest | None = None,
) -> Dir:
    """Upload a supporting document (recorded like every upload) and attach it to the DIR (append-only)."""
    if not dir.can_edit:
        raise ServiceError(edit_refusal(dir.status))
    if len(dir.documents) >= DOCUMENTS_PER_DIR:
        raise ServiceError(_("A DIR holds at most %(n)d documents.") % {"n": DOCUMENTS_PER_DIR}, field="file")
    try:
        document = document_upload(
            team=dir.team, user=user, file=file, kind=document_type,
            customer_reference=f"dir:{dir.remote_id}", request=request,
        )  # fmt: skip
    except ServiceError as exc:
        raise _on_file(exc) from exc
    reference = {"document_id": document.remote_id, "document_type": document_type}
    if description:
        reference["description"] = description
    try:
        with _telnyx(dir) as api:
            remote = api.dir_update(dir.remote_id, {"documents": [reference]})
    except ServiceError as exc:
        if exc.code != "unavailable":  # refused for sure: nothing will link the upload, Telnyx drops it
            document_discard(document=document)
        raise _on_file(exc) from exc
    dir_ = _mirror(team=dir.team, remote=remote, enterprise=dir.enterprise)
    audit_record(
        verb="dir_document_attached",
        actor=user,
        team=dir.team,
        target=dir_,
        details={"document": document.filename, "type": document_type},
        request=request,
    )
    return dir_


def _on_file(exc: ServiceError) -> ServiceError:
    """Documents errors point at the file, DIR errors at documents/<i>/…: both belong to the upload."""
    if exc.code not in ("refused", "conflict"):
        return exc
    errors = [
        ("file" if (f or "file").split("__")[0] in ("file", "documents") else f, m) for f, m in exc.errors
    ]
    return ServiceError(exc.message, errors=errors, code=exc.code)


def edit_refusal(status: str) -> str:
    """Why a DIR in this status cannot be edited, in the user's words."""
    reasons = {
        Dir.Status.SUBMITTED: _("It is waiting for Telnyx's review; edit it once the review is decided."),
        Dir.Status.IN_REVIEW: _("Telnyx is reviewing it; edit it once the review is decided."),
        Dir.Status.EXPIRED: _(
            "Its verification expired. Resubmit it to renew; edits are refused until then."
        ),
        Dir.Status.INFRINGEMENT_CLAIMED: _("An infringement claim is on it; resolve the claim first."),
        Dir.Status.PERMANENTLY_REJECTED: _("It was permanently rejected; create a new DIR instead."),
        Dir.Status.DELETE_REQUESTED: _("Its deletion has been requested."),
    }
    return _("This DIR cannot be edited: %(why)s (Telnyx: “Cannot update DIR in '%(status)s' status”)") % {
        "why": reasons.get(status, status),
        "status": status,
    }


def submit_refusal(status: str) -> str:
    reasons = {
        Dir.Status.SUBMITTED: _("It has already been submitted and is waiting for review."),
        Dir.Status.IN_REVIEW: _("Telnyx is already reviewing it."),
        Dir.Status.PERMANENTLY_REJECTED: _("It was permanently rejected; create a new DIR instead."),
        Dir.Status.INFRINGEMENT_CLAIMED: _("An infringement claim is on it; resolve the claim first."),
        Dir.Status.DELETE_REQUESTED: _("Its deletion has been requested."),
    }
    return _("This DIR cannot be submitted: %(why)s") % {"why": reasons.get(status, status)}


def delete_refusal(status: str) -> str:
    if status == Dir.Status.DELETE_REQUESTED:
        return _("Deletion of this DIR was already requested; Telnyx is finishing it.")
    return _(
        "This DIR cannot be deleted while Telnyx is reviewing it (%(status)s). Wait for the decision."
    ) % {"status": Dir.Status(status).label}


# --- logos


def logo_convert(data: bytes) -> bytes:
    """A PNG, JPEG or BMP as a 256×256 24-bit BMP: scaled to fit, centred on white, never stretched."""
    if len(data) > LOGO_MAX_INPUT:
        raise ServiceError(_("The image is larger than 5 MB; export a smaller one."), field="logo_file")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in LOGO_FORMATS:
                raise ServiceError(_("Upload a PNG, JPEG or BMP image."), field="logo_file")
            if max(image.size) > LOGO_MAX_SIDE or image.width * image.height > LOGO_MAX_PIXELS:
                raise ServiceError(
                    _(
                        "The image is %(width)s×%(height)s pixels; export one of at most %(max)s pixels a side "
                        "(256×256 is what callers see)."
                    )
                    % {"width": image.width, "height": image.height, "max": LOGO_MAX_SIDE},
                    field="logo_file",
                )
            image.load()
            image = ImageOps.exif_transpose(image)
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ServiceError(
            _("That file is not an image the portal can read. Upload a PNG, JPEG or BMP."), field="logo_file"
        ) from exc
    fitted = ImageOps.contain(rgba, LOGO_SIZE, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", LOGO_SIZE, "white")
    offset = ((LOGO_SIZE[0] - fitted.width) // 2, (LOGO_SIZE[1] - fitted.height) // 2)
    canvas.paste(fitted, offset, fitted)  # the alpha channel as the mask: transparency becomes white
    out = io.BytesIO()
    canvas.save(out, format="BMP")
    bmp = out.getvalue()
    assert len(bmp) <= LOGO_MAX_OUTPUT  # 256×256×3 + header, always ~192 KB
    return bmp


def logo_create(*, team: Team, data: bytes, filename: str, user: User) -> DirLogo:
    """Convert an uploaded image and store it under a new public token (never overwrites one)."""
    bmp = logo_convert(data)
    return DirLogo.objects.create(
        team=team,
        bmp=bmp,
        sha256=hashlib.sha256(bmp).hexdigest(),
        original_name=filename[:255],
        created_by=user,
    )


def logo_public_url(*, logo: DirLogo) -> str:
    """Where Telnyx fetches the logo: PORTAL_PUBLIC_URL/logos/<token>.bmp."""
    return settings.PORTAL_PUBLIC_URL + reverse("logos:logo_serve", args=[logo.token])


def logo_is_local_http(url: str) -> bool:
    """One of our own logos on a developer's http portal, which the simulator accepts (loopback rule)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    return (
        parts.scheme == "http"
        and url.startswith(settings.PORTAL_PUBLIC_URL + "/logos/")
        and parts.hostname in ("127.0.0.1", "localhost", "::1")
        and getattr(settings, "SIMULATOR_ALLOW_HTTP_LOOPBACK", False)
        and "api.telnyx.com" not in settings.TELNYX_API_BASE_URL  # real Telnyx never takes http
    )


# --- call reasons


def call_reason_catalogue(*, team: Team) -> list[str]:
    """Telnyx's pre-vetted call reasons (cached for an hour; an empty list without an account or Telnyx)."""
    account = telnyx_account_get(team=team)
    if account is None:
        return []
    key = f"dirs:call-reasons:{account.pk}"
    reasons = cache.get(key)
    if reasons is None:
        try:
            with telnyx.get_client(api_key=account.api_key) as api:
                reasons = sorted({r.get("reason", "") for r in api.call_reason_iter()} - {""})
        except telnyx.TelnyxError:
            # Typed reasons still work; the catalogue is a convenience. Remember the failure for a
            # minute, so each compose page does not wait on Telnyx's retries again while it is down.
            cache.set(key, [], CATALOGUE_RETRY_AFTER)
            return []
        cache.set(key, reasons, CATALOGUE_TTL)
    return reasons


def call_reasons_check(*, team: Team, reasons: list[str]) -> telnyx.schemas.CallReasonCheck:
    """Ask Telnyx which reasons are pre-approved and which need manual vetting."""
    with telnyx_account_client(team=team) as api:
        return api.call_reasons_validate(reasons)


# --- Detail page: status, comments, claims

COMMENTS_SHOWN = 100
CLAIMS_SHOWN = 20


def dir_refresh_request(*, dir: Dir) -> bool:
    """Ask for one re-read of the DIR from Telnyx (the sync app queues it, throttled); True if queued."""
    return any(answer is True for _receiver, answer in dir_refresh_wanted.send(sender=Dir, dir=dir))


def dir_status_refresh(*, dir: Dir) -> bool:
    """Queue one refresh of an in-flight DIR; throttled per DIR (True if queued)."""
    return dir.status in Dir.IN_FLIGHT and dir_refresh_request(dir=dir)


def dir_comment_list(*, dir: Dir) -> list[telnyx.schemas.Comment]:
    """The DIR's vetting thread (one remote call, no retries: the card offers its own retry)."""
    with _telnyx(dir, read=True, max_retries=0) as api:
        # The first page holds 250; islice stops before a second page is ever requested.
        return list(islice(api.comment_iter(dir.remote_id), COMMENTS_SHOWN))


def dir_comment_create(
    *,
    dir: Dir,
    content: str,
    parent_comment_id: str | None = None,
    user: User,
    request: HttpRequest | None = None,
) -> telnyx.schemas.Comment:
    """Reply in the DIR's vetting thread and record it in the activity log."""
    try:
        with _telnyx(dir) as api:
            comment = api.comment_create(dir.remote_id, content, parent_comment_id or None)
    except ServiceError as exc:
        if exc.code != "refused":
            raise
        # Errors about the text belong under it; one about the thread (the hidden parent) above the form.
        errors = [("content" if f in (None, "content") else None, m) for f, m in exc.errors]
        raise ServiceError(exc.message, errors=errors, code=exc.code) from exc
    audit_record(
        verb="dir_comment_posted",
        actor=user,
        team=dir.team,
        target=dir,
        details={"comment": comment.id, "reply_to": parent_comment_id or ""},
        request=request,
    )
    return comment


def dir_claim_list(*, dir: Dir) -> list[telnyx.schemas.InfringementClaim]:
    """Infringement claims against the DIR, open ones first (one remote call, no retries)."""
    with _telnyx(dir, read=True, max_retries=0) as api:
        claims = list(islice(api.claim_iter(dir.remote_id), CLAIMS_SHOWN))
    return sorted(claims, key=lambda c: not c.is_open)


def dir_claim_contest(
    *,
    dir: Dir,
    claim_id: str,
    notes: str,
    user: User,
    request: HttpRequest | None = None,
) -> telnyx.schemas.InfringementClaim:
    """Contest an open infringement claim with notes, and record it in the activity log."""
    not_this_dir = _("This claim is not against this DIR.")
    with _telnyx(dir, not_found=not_this_dir) as api:
        # The claim id comes from the browser: it must be a claim against this DIR, not merely
        # one of the account's (the activity log names the DIR).
        if api.claim_get(claim_id).dir_id != dir.remote_id:
            raise ServiceError(not_this_dir)
        claim = api.claim_contest(claim_id, notes)
    audit_record(
        verb="dir_claim_contested",
        actor=user,
        team=dir.team,
        target=dir,
        details={"claim": claim.id, "claimant": claim.claimant_name, "status": claim.status},
        request=request,
    )
    return claim
