"""Invitations: an admin invites by e-mail; the link works once, before it expires, for that address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import Invitation, Membership, Role
from portal.core.models import AuditEvent
from tests.conftest import PASSWORD, make_user


def _invite(client, team, email="new@acme.test", role=Role.VIEWER, **headers):
    url = reverse("accounts:invitation_create", args=[team.slug])
    return client.post(url, {"email": email, "role": role}, headers=headers or None)


def _link_path(message) -> str:
    match = re.search(r"http://testserver(/invitations/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_admin_invites_and_newcomer_signs_up_through_the_link(
    client, client_as, admin_a, team_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client_as(admin_a), team_a)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@acme.test"]
    assert "Acme Health" in message.subject
    link = _link_path(message)

    page = client.get(link)
    assert page.status_code == 200
    assert "Create my account and join" in page.text

    response = client.post(
        link, {"full_name": "Nina New", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    )
    assert response["Location"] == reverse("dashboard:dashboard", args=[team_a.slug])
    membership = Membership.objects.get(user__email="new@acme.test", team=team_a)
    assert membership.role == Role.VIEWER
    verbs = list(AuditEvent.objects.filter(team=team_a).values_list("verb", flat=True))
    assert AuditEvent.Verb.INVITATION_SENT in verbs
    assert AuditEvent.Verb.INVITATION_ACCEPTED in verbs
    # Signed in straight away.
    assert client.get(reverse("dashboard:dashboard", args=[team_a.slug])).status_code == 200


def test_existing_user_accepts_while_signed_in(client_as, admin_a, team_a):
    invitee = make_user("bob@other.test")
    invitation = services.invitation_create(
        team=team_a, email="Bob@Other.test", role=Role.MEMBER, invited_by=admin_a
    )
    link = reverse("accounts:invitation_accept", args=[services.invitation_token(invitation)])
    response = client_as(invitee).post(link)
    assert response.status_code == 302
    assert Membership.objects.get(user=invitee, team=team_a).role == Role.MEMBER


def test_link_for_another_address_is_refused(client_as, admin_a, team_a):
    intruder = make_user("eve@evil.test")
    invitation = services.invitation_create(
        team=team_a, email="bob@other.test", role=Role.ADMIN, invited_by=admin_a
    )
    link = reverse("accounts:invitation_accept", args=[services.invitation_token(invitation)])
    response = client_as(intruder).post(link)
    assert response.status_code == 200
    assert "This invitation is for bob@other.test" in response.text
    assert not Membership.objects.filter(user=intruder).exists()


@pytest.mark.parametrize(
    ("spoil", "message", "status"),
    [
        (lambda inv: Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(seconds=1)),
         "This invitation expired on", 410),
        (lambda inv: Invitation.objects.filter(pk=inv.pk).update(accepted_at=timezone.now()),
         "already been used", 410),
        (lambda inv: Invitation.objects.filter(pk=inv.pk).update(revoked_at=timezone.now()),
         "withdrawn by an admin", 410),
    ],
    ids=["expired", "reused", "revoked"],
)  # fmt: skip
def test_unusable_links_explain_why_and_create_nothing(client, admin_a, team_a, spoil, message, status):
    invitation = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    spoil(invitation)
    link = reverse("accounts:invitation_accept", args=[services.invitation_token(invitation)])
    for response in (
        client.get(link),
        client.post(link, {"full_name": "X", "password1": PASSWORD, "password2": PASSWORD}),
    ):
        assert response.status_code == status
        assert message in response.text
    assert not Membership.objects.filter(user__email="new@acme.test").exists()


def test_tampered_link_is_refused(client, admin_a, team_a):
    invitation = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    token = services.invitation_token(invitation)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.post(
        reverse("accounts:invitation_accept", args=[tampered]),
        {"full_name": "X", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.text
    assert not Membership.objects.filter(user__email="new@acme.test").exists()


def test_second_use_of_a_link_is_refused(client, admin_a, team_a):
    invitation = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    link = reverse("accounts:invitation_accept", args=[services.invitation_token(invitation)])
    data = {"full_name": "Nina", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    assert client.post(link, data).status_code == 302
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.text
    assert Membership.objects.filter(team=team_a, user__email="new@acme.test").count() == 1


def test_weak_password_keeps_what_was_typed_and_explains(client, admin_a, team_a):
    invitation = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    link = reverse("accounts:invitation_accept", args=[services.invitation_token(invitation)])
    response = client.post(link, {"full_name": "Nina New", "password1": "12345", "password2": "12345"})
    assert response.status_code == 200
    assert 'value="Nina New"' in response.text
    assert "too short" in response.text
    assert not Membership.objects.filter(user__email="new@acme.test").exists()


def test_inviting_a_member_again_is_an_inline_error(
    client_as, admin_a, member_a, team_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # so a wrongly queued e-mail would be sent
        response = _invite(client_as(admin_a), team_a, email=member_a.email, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="invite-form"' in response.text
    assert "already a member" in response.text
    assert not mail.outbox


def test_htmx_invite_success_refreshes_the_page(client_as, admin_a, team_a):
    response = _invite(client_as(admin_a), team_a, **{"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert Invitation.objects.filter(team=team_a, email="new@acme.test").count() == 1


def test_reinviting_replaces_the_pending_invitation(admin_a, team_a):
    first = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    services.invitation_create(team=team_a, email="new@acme.test", role=Role.ADMIN, invited_by=admin_a)
    first.refresh_from_db()
    assert first.revoked_at is not None
    with pytest.raises(services.InvitationInvalid):
        services.invitation_from_token(services.invitation_token(first))


def test_admin_withdraws_an_invitation(client_as, admin_a, team_a):
    invitation = services.invitation_create(
        team=team_a, email="new@acme.test", role=Role.MEMBER, invited_by=admin_a
    )
    url = reverse("accounts:invitation_revoke", args=[team_a.slug, invitation.pk])
    client_as(admin_a).post(url)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.INVITATION_REVOKED, team=team_a).count() == 1


def test_overlong_address_is_an_inline_error(client_as, admin_a, team_a):
    response = _invite(client_as(admin_a), team_a, email="a" * 300 + "@acme.test")
    assert response.status_code == 200
    assert "at most 254 characters" in response.text
    assert not Invitation.objects.exists()


def test_daily_invitation_limit(client_as, admin_a, team_a, settings):
    settings.INVITATION_DAILY_LIMIT = 2
    client = client_as(admin_a)
    _invite(client, team_a, email="one@x.test")
    _invite(client, team_a, email="two@x.test")
    response = _invite(client, team_a, email="three@x.test")
    assert "the most allowed" in response.text
    assert Invitation.objects.count() == 2
