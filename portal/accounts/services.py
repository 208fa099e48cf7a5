"""Writes for accounts: teams, memberships, invitations, Telnyx credentials, sign-in throttling."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django_q.tasks import async_task

from portal import telnyx
from portal.accounts.models import (
    Invitation,
    LoginFailure,
    Membership,
    Role,
    Team,
    TelnyxAccount,
    User,
    normalize_email,
)
from portal.accounts.selectors import telnyx_account_require
from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent
from portal.core.services import audit_record, client_ip
from portal.core.telnyx_errors import telnyx_read_error, telnyx_write_error

INVITATION_SALT = "portal.accounts.invitation"

# ---------------------------------------------------------------------------------------------
# Sign-in throttling


def login_lockout_remaining(*, email: str, ip: str | None) -> int:
    """Seconds until this address (or IP) may try again; 0 when it is not locked out."""
    limit = settings.LOGIN_THROTTLE_LIMIT
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    since = timezone.now() - window
    remaining = 0
    # Per address (stops guessing one account's password) and per IP, with a looser limit
    # (stops spraying many accounts from one place).
    for filters, allowed in (({"email": normalize_email(email)}, limit), ({"ip_address": ip}, limit * 4)):
        if not next(iter(filters.values())):
            continue
        recent = list(
            LoginFailure.objects.filter(at__gte=since, **filters)
            .order_by("-at")
            .values_list("at", flat=True)[:allowed]
        )
        if len(recent) >= allowed:
            unlock = recent[-1] + window
            remaining = max(remaining, int((unlock - timezone.now()).total_seconds()) + 1)
    return remaining


def password_reset_allowed(*, email: str, request) -> bool:
    """Whether a reset mail may go to this address now (per address, and per IP with a looser limit)."""
    limit = settings.PASSWORD_RESET_LIMIT
    since = timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_WINDOW)
    recent = AuditEvent.objects.filter(verb=AuditEvent.Verb.PASSWORD_RESET_REQUESTED, at__gte=since)
    if recent.filter(actor_email=normalize_email(email)).count() >= limit:
        return False
    ip = client_ip(request)
    return not (ip and recent.filter(ip_address=ip).count() >= limit * 5)


def password_reset_requested(*, email: str, request) -> None:
    """Record a reset request (whether or not the address has an account): the throttle counts these."""
    audit_record(
        verb=AuditEvent.Verb.PASSWORD_RESET_REQUESTED, actor_email=normalize_email(email), request=request
    )


def login_failed(*, email: str, request) -> None:
    """Record a failed sign-in (unless it was refused by the throttle itself) and audit it."""
    email = normalize_email(email)[:254]
    if request is not None and getattr(request, "login_throttled", False):
        audit_record(
            verb=AuditEvent.Verb.SIGN_IN_THROTTLED,
            actor=User.objects.filter(email=email).first(),
            actor_email=email,
            request=request,
        )
        return
    LoginFailure.objects.create(email=email, ip_address=client_ip(request))
    audit_record(
        verb=AuditEvent.Verb.SIGN_IN_FAILED,
        actor=User.objects.filter(email=email).first(),
        actor_email=email,
        request=request,
    )


def login_succeeded(*, user: User, request) -> None:
    """Clear the address's failures and audit the sign-in."""
    LoginFailure.objects.filter(email=user.email).delete()
    audit_record(verb=AuditEvent.Verb.SIGN_IN, actor=user, request=request)


def logout_recorded(*, user: User, request) -> None:
    audit_record(verb=AuditEvent.Verb.SIGN_OUT, actor=user, request=request)


def password_changed(*, user: User, request) -> None:
    audit_record(verb=AuditEvent.Verb.PASSWORD_CHANGED, actor=user, request=request)


def password_reset_completed(*, user: User) -> None:
    """A reset proves control of the mailbox: lift the address's lock-out and audit it."""
    LoginFailure.objects.filter(email=user.email).delete()
    audit_record(verb=AuditEvent.Verb.PASSWORD_RESET, actor=user)


# ---------------------------------------------------------------------------------------------
# Teams and memberships


def team_create(*, name: str, creator: User, request=None) -> Team:
    """Create a team with the creator as its first admin."""
    base = slugify(name)[:50] or "team"
    for attempt in range(5):
        slug, n = base, 1
        while Team.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        try:
            with transaction.atomic():
                team = Team.objects.create(name=name.strip(), slug=slug)
                Membership.objects.create(team=team, user=creator, role=Role.ADMIN)
                audit_record(
                    verb=AuditEvent.Verb.TEAM_CREATED, actor=creator, team=team, target=team, request=request
                )
            return team
        except IntegrityError:
            if attempt == 4:
                raise  # pragma: no cover - five lost races in a row
    raise AssertionError("unreachable")


def _other_admins_exist(membership: Membership) -> bool:
    return Membership.objects.filter(team=membership.team, role=Role.ADMIN).exclude(pk=membership.pk).exists()


def membership_change_role(*, membership: Membership, role: str, actor: User, request=None) -> Membership:
    """Give a member another role; a team always keeps at least one admin."""
    if role not in Role.values:
        raise ServiceError(_("Choose a valid role."), field="role")
    with transaction.atomic():
        # Every change to a team's admins is serialised on the team row.
        Team.objects.select_for_update().filter(pk=membership.team_id).first()
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user", "team")
            .get(pk=membership.pk)
        )
        old = membership.role
        if old == role:
            return membership
        if old == Role.ADMIN and not _other_admins_exist(membership):
            raise ServiceError(
                _("%(team)s needs at least one admin. Make someone else an admin first.")
                % {"team": membership.team.name},
                field="role",
            )
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        audit_record(
            verb=AuditEvent.Verb.ROLE_CHANGED,
            actor=actor,
            team=membership.team,
            target=membership.user,
            details={"from": old, "to": role},
            request=request,
        )
    return membership


def membership_remove(*, membership: Membership, actor: User, request=None) -> None:
    """Remove someone from a team; the last admin cannot be removed."""
    with transaction.atomic():
        # Every change to a team's admins is serialised on the team row.
        Team.objects.select_for_update().filter(pk=membership.team_id).first()
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user", "team")
            .get(pk=membership.pk)
        )
        if membership.role == Role.ADMIN and not _other_admins_exist(membership):
            raise ServiceError(_("The last admin of a team cannot be removed."))
        audit_record(
            verb=AuditEvent.Verb.MEMBER_REMOVED,
            actor=actor,
            team=membership.team,
            target=membership.user,
            details={"role": membership.role},
            request=request,
        )
        membership.delete()


# ---------------------------------------------------------------------------------------------
# Invitations


class InvitationInvalid(ServiceError):
    """An invitation link that cannot be used (tampered, expired, used or revoked)."""


def invitation_token(invitation: Invitation) -> str:
    """The signed token in an invitation link (deterministic, so a worker can rebuild the link)."""
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT, compress=True)


def invitation_url(invitation: Invitation) -> str:
    return settings.PORTAL_PUBLIC_URL + reverse(
        "accounts:invitation_accept", args=[invitation_token(invitation)]
    )


def invitation_from_token(token: str) -> Invitation:
    """Resolve a link's token to a pending invitation, or raise InvitationInvalid saying why."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
        invitation = Invitation.objects.select_related("team", "invited_by").get(
            pk=payload["i"], email=payload["e"]
        )
    except (signing.BadSignature, KeyError, TypeError, Invitation.DoesNotExist) as exc:
        raise InvitationInvalid(
            _("This invitation link is not valid. Check that you copied the whole link from the e-mail."),
            code="invalid",
        ) from exc
    if invitation.accepted_at is not None:
        raise InvitationInvalid(
            _("This invitation has already been used. Sign in to reach %(team)s.")
            % {"team": invitation.team},
            code="used",
        )
    if invitation.revoked_at is not None:
        raise InvitationInvalid(
            _("This invitation was withdrawn by an admin of %(team)s.") % {"team": invitation.team},
            code="revoked",
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(
            _("This invitation expired on %(date)s. Ask an admin of %(team)s to invite you again.")
            % {"date": invitation.expires_at.strftime("%d %b %Y"), "team": invitation.team},
            code="expired",
        )
    return invitation


def invitation_create(*, team: Team, email: str, role: str, invited_by: User, request=None) -> Invitation:
    """Invite an address to a team and e-mail the link; an earlier pending invitation is replaced."""
    email = normalize_email(email)
    if Membership.objects.filter(team=team, user__email=email).exists():
        raise ServiceError(_("%(email)s is already a member of this team.") % {"email": email}, field="email")
    since = timezone.now() - timedelta(days=1)
    if Invitation.objects.filter(team=team, created_at__gte=since).count() >= settings.INVITATION_DAILY_LIMIT:
        raise ServiceError(
            _(
                "This team has sent %(n)d invitations in the last 24 hours, the most allowed. Try again tomorrow."
            )
            % {"n": settings.INVITATION_DAILY_LIMIT}
        )
    with transaction.atomic():
        now = timezone.now()
        Invitation.objects.filter(team=team, email=email, accepted_at=None, revoked_at=None).update(
            revoked_at=now
        )
        invitation = Invitation.objects.create(team=team, email=email, role=role, invited_by=invited_by)
        audit_record(
            verb=AuditEvent.Verb.INVITATION_SENT,
            actor=invited_by,
            team=team,
            target=invitation,
            details={"email": email, "role": role},
            request=request,
        )
        transaction.on_commit(lambda: async_task("portal.accounts.tasks.send_invitation", invitation.pk))
    return invitation


def invitation_send_email(*, invitation: Invitation) -> None:
    """E-mail the invitation link (called by the queue worker)."""
    context = {"invitation": invitation, "url": invitation_url(invitation)}
    subject = _("You are invited to %(team)s on DIR Portal") % {"team": invitation.team.name}
    send_mail(
        subject,
        render_to_string("accounts/email/invitation.txt", context),
        None,
        [invitation.email],
        html_message=render_to_string("accounts/email/invitation.html", context),
    )


def invitation_revoke(*, invitation: Invitation, actor: User, request=None) -> None:
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise ServiceError(_("This invitation is no longer pending."))
        audit_record(
            verb=AuditEvent.Verb.INVITATION_REVOKED,
            actor=actor,
            team=invitation.team,
            target=invitation,
            details={"email": invitation.email},
            request=request,
        )


def invitation_accept(*, invitation: Invitation, user: User, request=None) -> Membership:
    """Join the invitation's team as the signed-in user (whose address must match)."""
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise ServiceError(
            _(
                "This invitation is for %(invited)s, but you are signed in as %(current)s. Sign out and open the link again."
            )
            % {"invited": invitation.email, "current": user.email},
            code="wrong_user",
        )
    with transaction.atomic():
        # Lock the row so two clicks on the same link create one membership.
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if (
            locked.accepted_at is not None
            or locked.revoked_at is not None
            or locked.expires_at <= timezone.now()
        ):
            raise InvitationInvalid(_("This invitation can no longer be used."), code="used")
        membership, created = Membership.objects.get_or_create(
            team=invitation.team, user=user, defaults={"role": invitation.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        audit_record(
            verb=AuditEvent.Verb.INVITATION_ACCEPTED,
            actor=user,
            team=invitation.team,
            target=invitation,
            details={"role": membership.role, "new_member": created},
            request=request,
        )
    return membership


def invitation_sign_up(*, invitation: Invitation, full_name: str, password: str, request=None) -> User:
    """Create the invited person's account and accept the invitation in one step."""
    with transaction.atomic():
        try:
            user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
        except IntegrityError as exc:
            raise ServiceError(
                _("An account for %(email)s already exists. Sign in to accept the invitation.")
                % {"email": invitation.email},
                code="exists",
            ) from exc
        invitation_accept(invitation=invitation, user=user, request=request)
    return user


# ---------------------------------------------------------------------------------------------
# Telnyx credentials


def _validate_public_key(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ServiceError(
            _(
                "This is not an ed25519 public key. Paste the base64 value shown in the Telnyx portal (44 characters)."
            ),
            field="webhook_public_key",
        ) from exc
    return value


@sensitive_variables("api_key")
def telnyx_account_save(
    *, team: Team, api_key: str, webhook_public_key: str, actor: User, request=None
) -> TelnyxAccount:
    """Create or update a team's Telnyx credentials; a blank key keeps the stored one."""
    api_key = api_key.strip()
    webhook_public_key = webhook_public_key.strip()
    if webhook_public_key:
        _validate_public_key(webhook_public_key)
    with transaction.atomic():
        account = TelnyxAccount.objects.select_for_update().filter(team=team).first()
        if account is None and not api_key:
            raise ServiceError(_("Enter the API key of your Telnyx account."), field="api_key")
        if account is None:
            account = TelnyxAccount(team=team)
        changes = {}
        if api_key and api_key != account.api_key:
            if any(ch.isspace() for ch in api_key) or len(api_key) < 20:
                raise ServiceError(
                    _(
                        "That does not look like a Telnyx API key (they start with KEY and are about 60 characters)."
                    ),
                    field="api_key",
                )
            account.api_key = api_key
            account.api_key_last4 = api_key[-4:]
            changes["api_key"] = f"…{account.api_key_last4}"
        if webhook_public_key != account.webhook_public_key:
            account.webhook_public_key = webhook_public_key
            changes["webhook_public_key"] = "set" if webhook_public_key else "cleared"
        if not changes:
            return account
        account.updated_by = actor
        account.save()
        audit_record(
            verb=AuditEvent.Verb.CREDENTIALS_CHANGED,
            actor=actor,
            team=team,
            target=account,
            details=changes,
            request=request,
        )
    return account


@contextmanager
def telnyx_account_client(
    *,
    team: Team | int,
    read: bool = False,
    not_found: str | None = None,
    uncertain: str | None = None,
    **options,
) -> Iterator[telnyx.TelnyxClient]:
    """The team's Telnyx client for one unit of work; a call that fails leaves the block as a ServiceError.

    The error is worded as a failed read (`read=True`) or a refused or unconfirmed write (see
    core.telnyx_errors); `options` go to the client (e.g. max_retries=0 for a card with its own retry).
    """
    account = telnyx_account_require(team=team)
    try:
        with telnyx.get_client(api_key=account.api_key, **options) as api:
            yield api
    except telnyx.TelnyxError as exc:
        if read:
            raise telnyx_read_error(exc, not_found=not_found) from exc
        raise telnyx_write_error(exc, not_found=not_found, uncertain=uncertain) from exc


def telnyx_account_delete(*, team: Team, actor: User, request=None) -> None:
    """Forget a team's Telnyx credentials."""
    with transaction.atomic():
        deleted, _rows = TelnyxAccount.objects.filter(team=team).delete()
        if deleted:
            audit_record(
                verb=AuditEvent.Verb.CREDENTIALS_CHANGED,
                actor=actor,
                team=team,
                details={"api_key": "removed"},
                request=request,
            )


# ---------------------------------------------------------------------------------------------
# Support


SUPPORT_VIEW_WINDOW = timedelta(minutes=5)


def support_view_record(*, user: User, team: Team, request) -> None:
    """Audit a support agent looking at a team's pages (a page polling itself counts once per window)."""
    path = request.get_full_path()[:500]
    # Decided on the server from what was already recorded, so no header the client sends can
    # switch it off; it only stops a status poll (every few seconds) from flooding the log.
    recent = AuditEvent.objects.filter(
        team=team,
        actor=user,
        verb=AuditEvent.Verb.SUPPORT_VIEW,
        at__gte=timezone.now() - SUPPORT_VIEW_WINDOW,
        details__path=path,
    )
    if request.method == "GET" and recent.exists():
        return
    audit_record(
        verb=AuditEvent.Verb.SUPPORT_VIEW,
        actor=user,
        team=team,
        details={"path": path},
        request=request,
    )


def simulator_public_key(*, base_url: str, api_key: str) -> str | None:
    """The bundled simulator's webhook key for an account, fetched from its control plane (demo set-up only)."""
    import httpx

    origin = base_url.rstrip("/").removesuffix("/v2")
    try:
        response = httpx.get(
            f"{origin}/_sim/webhooks/public_key", headers={"Authorization": f"Bearer {api_key}"}, timeout=3.0
        )
        response.raise_for_status()
        return response.json()["data"]["public_key"]
    except (httpx.HTTPError, KeyError, ValueError):
        return None
