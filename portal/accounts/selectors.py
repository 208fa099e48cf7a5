"""Reads for accounts. Every team-scoped query starts from the user's memberships or the support role."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Invitation, Membership, Role, Team, TelnyxAccount, User, normalize_email
from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent

ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class TeamAccess:
    """What the current user may do in one team."""

    team: Team
    role: str | None  # the membership role; None for a support agent who is not a member
    is_support: bool

    @property
    def is_support_only(self) -> bool:
        return self.role is None

    @property
    def can_write(self) -> bool:
        return self.role in (Role.MEMBER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else "Support (read-only)"

    def has_role(self, role: str) -> bool:
        """At least this role; a support agent reads like an admin but never writes."""
        if self.role is None:
            return self.is_support
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


def team_access(*, user: User, slug: str) -> TeamAccess:
    """The user's access to the team with this slug; 404 when they have none (never 403: no leak)."""
    membership = Membership.objects.select_related("team").filter(user=user, team__slug=slug).first()
    if membership is not None:
        return TeamAccess(team=membership.team, role=membership.role, is_support=user.is_support)
    if user.is_support:
        team = Team.objects.filter(slug=slug).first()
        if team is not None:
            return TeamAccess(team=team, role=None, is_support=True)
    raise Http404("No such team.")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def team_list(*, user: User, query: str = "") -> QuerySet[Team]:
    """Teams the user can open: their own, or every team for a support agent."""
    teams = Team.objects.all() if user.is_support else Team.objects.filter(memberships__user=user)
    if query:
        teams = teams.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return teams.annotate(member_count=Count("memberships", distinct=True)).order_by("name")


def membership_list(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__email")


def membership_get(*, team: Team, pk: int) -> Membership:
    membership = Membership.objects.select_related("user", "team").filter(team=team, pk=pk).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def invitation_list_pending(*, team: Team) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        team=team, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def invitation_get(*, team: Team, pk: int) -> Invitation:
    invitation = Invitation.objects.filter(team=team, pk=pk).select_related("team").first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def telnyx_account_get(*, team: Team) -> TelnyxAccount | None:
    return TelnyxAccount.objects.filter(team=team).select_related("updated_by").first()


def telnyx_account_require(*, team: Team | int) -> TelnyxAccount:
    """The team's (or team id's) Telnyx account, for a call that needs its key; else a ServiceError saying how to add one."""
    account = TelnyxAccount.objects.filter(team=team).first()
    if account is None:
        raise ServiceError(
            _(
                "Connect a Telnyx account first. An admin can add the API key under Team settings › Telnyx account."
            ),
            code="no_account",
        )
    return account


def telnyx_account_for_webhook(*, account_id: int) -> TelnyxAccount | None:
    """The account a Telnyx webhook names in its URL (no user: the signature is the credential)."""
    return TelnyxAccount.objects.filter(pk=account_id).select_related("team").first()


def user_exists(*, email: str) -> bool:
    return User.objects.filter(email=normalize_email(email)).exists()


# --- Activity log


def audit_event_list(*, team, verb: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """A team's audit events plus its members' own account events (sign-ins), newest first."""
    # Account events (sign-ins) of people while they are members of this team; a subquery, not a
    # join, so an event is not repeated once per team of its actor.
    member_then = Membership.objects.filter(
        team=team, user_id=OuterRef("actor_id"), created_at__lte=OuterRef("at")
    )
    events = AuditEvent.objects.filter(
        Q(team=team) | Q(Exists(member_then), team__isnull=True)
    ).select_related("actor", "team")
    if verb:
        events = events.filter(verb=verb)
    if actor:
        events = events.filter(Q(actor_email__icontains=actor) | Q(actor__full_name__icontains=actor))
    return events
