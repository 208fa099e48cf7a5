"""Members page: role changes over htmx, removal, and the last-admin guard."""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.models import Membership, Role
from portal.core.models import AuditEvent

HX = {"HX-Request": "true"}


def test_role_change_returns_the_row_partial_and_is_audited(client_as, admin_a, member_a, team_a):
    membership = Membership.objects.get(user=member_a, team=team_a)
    url = reverse("accounts:member_role", args=[team_a.slug, membership.pk])
    response = client_as(admin_a).post(url, {"role": Role.VIEWER}, headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="member-{membership.pk}"' in response.text
    assert "Saved" in response.text
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.ROLE_CHANGED)
    assert event.details == {"from": "member", "to": "viewer"}
    assert event.target_repr == member_a.email


def test_last_admin_cannot_step_down(client_as, admin_a, team_a):
    membership = Membership.objects.get(user=admin_a, team=team_a)
    url = reverse("accounts:member_role", args=[team_a.slug, membership.pk])
    response = client_as(admin_a).post(url, {"role": Role.MEMBER}, headers=HX)
    assert response.status_code == 200
    assert "needs at least one admin" in response.text
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert not AuditEvent.objects.filter(verb=AuditEvent.Verb.ROLE_CHANGED).exists()


def test_invalid_role_is_refused_inline(client_as, admin_a, member_a, team_a):
    membership = Membership.objects.get(user=member_a, team=team_a)
    url = reverse("accounts:member_role", args=[team_a.slug, membership.pk])
    response = client_as(admin_a).post(url, {"role": "owner"}, headers=HX)
    assert "Choose a valid role" in response.text
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_remove_member_and_last_admin_guard(client_as, admin_a, member_a, team_a):
    client = client_as(admin_a)
    membership = Membership.objects.get(user=member_a, team=team_a)
    client.post(reverse("accounts:member_remove", args=[team_a.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.MEMBER_REMOVED, team=team_a).count() == 1
    own = Membership.objects.get(user=admin_a, team=team_a)
    response = client.post(reverse("accounts:member_remove", args=[team_a.slug, own.pk]), follow=True)
    assert "last admin of a team cannot be removed" in response.text
    assert Membership.objects.filter(pk=own.pk).exists()


def test_member_of_another_team_cannot_be_targeted(client_as, admin_a, admin_b, team_a, team_b):
    """A membership id from team B under team A's URL is a 404."""
    other = Membership.objects.get(user=admin_b, team=team_b)
    url = reverse("accounts:member_role", args=[team_a.slug, other.pk])
    assert client_as(admin_a).post(url, {"role": Role.VIEWER}).status_code == 404
    other.refresh_from_db()
    assert other.role == Role.ADMIN


def test_members_page_shows_confirmation_modal_for_removal(client_as, admin_a, member_a, team_a):
    membership = Membership.objects.get(user=member_a, team=team_a)
    page = client_as(admin_a).get(reverse("accounts:member_list", args=[team_a.slug]))
    assert f'data-bs-target="#remove-member-{membership.pk}"' in page.text
    assert f"{member_a.email} will lose access to Acme Health at once" in page.text


def test_admin_stepping_down_reloads_the_page(client_as, admin_a, member_a, team_a):
    Membership.objects.filter(user=member_a).update(role=Role.ADMIN)
    own = Membership.objects.get(user=admin_a, team=team_a)
    url = reverse("accounts:member_role", args=[team_a.slug, own.pk])
    response = client_as(admin_a).post(url, {"role": Role.MEMBER}, headers=HX)
    assert response["HX-Refresh"] == "true"
    own.refresh_from_db()
    assert own.role == Role.MEMBER
