"""Tenancy and roles: who may see and change which team's pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Membership, Role, TelnyxAccount
from portal.core.models import AuditEvent

TEAM_PAGES = ["dashboard:dashboard", "accounts:member_list", "accounts:telnyx_account", "accounts:audit_list"]


@pytest.mark.parametrize("name", TEAM_PAGES)
def test_member_of_team_a_gets_404_for_team_b_pages(client_as, admin_a, team_b, name):
    """Another team's pages do not exist for you (404, not 403, so team slugs cannot be probed)."""
    response = client_as(admin_a).get(reverse(name, args=[team_b.slug]))
    assert response.status_code == 404


def test_member_of_team_a_cannot_post_to_team_b(client_as, admin_a, admin_b, team_b):
    """A write aimed at another team is a 404 and changes nothing."""
    url = reverse("accounts:invitation_create", args=[team_b.slug])
    response = client_as(admin_a).post(url, {"email": "x@y.test", "role": Role.ADMIN})
    assert response.status_code == 404
    assert not team_b.invitations.exists()


@pytest.mark.parametrize("name", TEAM_PAGES)
def test_anonymous_is_sent_to_sign_in(client, team_a, name):
    """Every team page needs a session; the redirect remembers where the user was going."""
    url = reverse(name, args=[team_a.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))
    assert "next=" in response["Location"]


def test_anonymous_htmx_request_gets_hx_redirect_not_a_login_page(client, team_a):
    """An expired session on an htmx request reloads the whole page instead of swapping a form into a fragment."""
    url = reverse("accounts:audit_list", args=[team_a.slug])
    response = client.get(url, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"})
    assert response.status_code == 200
    assert (
        response["HX-Redirect"] == f"{reverse('accounts:sign_in')}?next=%2Ft%2Facme%2Fsettings%2Factivity%2F"
    )
    assert b"<form" not in response.content


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("accounts:invitation_create", {"email": "new@acme.test", "role": "member"}),
        ("accounts:telnyx_account", {"api_key": "KEY0123456789ABCDEFGHIJKLMNOP", "webhook_public_key": ""}),
        ("accounts:telnyx_account_delete", {}),
    ],
)
def test_viewer_posts_are_refused(client_as, viewer_a, team_a, name, data):
    """Viewers never write: 403 and nothing stored."""
    response = client_as(viewer_a).post(reverse(name, args=[team_a.slug]), data)
    assert response.status_code == 403
    assert not team_a.invitations.exists()
    assert not TelnyxAccount.objects.filter(team=team_a).exists()


def test_viewer_cannot_change_roles(client_as, viewer_a, member_a, team_a):
    membership = Membership.objects.get(user=member_a, team=team_a)
    url = reverse("accounts:member_role", args=[team_a.slug, membership.pk])
    response = client_as(viewer_a).post(url, {"role": Role.ADMIN})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_member_cannot_open_admin_pages(client_as, member_a, team_a):
    """Team settings that hold secrets and the audit log are for admins."""
    client = client_as(member_a)
    assert client.get(reverse("accounts:telnyx_account", args=[team_a.slug])).status_code == 403
    assert client.get(reverse("accounts:audit_list", args=[team_a.slug])).status_code == 403
    assert client.get(reverse("dashboard:dashboard", args=[team_a.slug])).status_code == 200


def test_support_agent_reads_any_team_and_each_view_is_audited(client_as, support_agent, admin_b, team_b):
    client = client_as(support_agent)
    for name in TEAM_PAGES:
        assert client.get(reverse(name, args=[team_b.slug])).status_code == 200
    views = AuditEvent.objects.filter(team=team_b, verb=AuditEvent.Verb.SUPPORT_VIEW, actor=support_agent)
    assert views.count() == len(TEAM_PAGES)
    assert {e.details["path"] for e in views} == {reverse(n, args=[team_b.slug]) for n in TEAM_PAGES}


def test_support_agent_is_read_only(client_as, support_agent, admin_b, team_b):
    client = client_as(support_agent)
    url = reverse("accounts:invitation_create", args=[team_b.slug])
    assert client.post(url, {"email": "spy@x.test", "role": Role.ADMIN}).status_code == 403
    membership = Membership.objects.get(user=admin_b)
    url = reverse("accounts:member_role", args=[team_b.slug, membership.pk])
    assert client.post(url, {"role": Role.VIEWER}).status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert not team_b.invitations.exists()


def test_support_badge_is_shown_and_no_write_controls(client_as, support_agent, admin_b, team_b):
    response = client_as(support_agent).get(reverse("accounts:member_list", args=[team_b.slug]))
    assert "Support view ·" in response.text
    assert "read-only" in response.text
    assert 'id="invite-form"' not in response.text
    assert "hx-post" not in response.text


def test_post_without_csrf_token_is_refused(admin_a, team_a):
    """CSRF protection is on for every POST, including htmx ones (which send the token in a header)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a)
    url = reverse("accounts:invitation_create", args=[team_a.slug])
    response = client.post(url, {"email": "x@acme.test", "role": "member"})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert not team_a.invitations.exists()
    # The same request with the token from the page (as htmx sends it, in X-CSRFToken) goes through.
    page = client.get(reverse("accounts:member_list", args=[team_a.slug]))
    token = page.cookies["csrftoken"].value
    response = client.post(url, {"email": "x@acme.test", "role": "member"}, headers={"X-CSRFToken": token})
    assert response.status_code == 302
    assert team_a.invitations.count() == 1


def test_home_redirects_to_last_used_team(client_as, admin_a, team_a, team_b):
    Membership.objects.create(user=admin_a, team=team_b, role=Role.VIEWER)
    client = client_as(admin_a)
    assert client.get("/")["Location"] == reverse("dashboard:dashboard", args=[team_a.slug])
    client.get(reverse("dashboard:dashboard", args=[team_b.slug]))
    assert client.get("/")["Location"] == reverse("dashboard:dashboard", args=[team_b.slug])


def test_user_without_team_sees_team_list_with_next_step(client_as, db):
    from tests.conftest import make_user

    response = client_as(make_user("lonely@x.test")).get("/", follow=True)
    assert "You are not in a team yet" in response.text
    assert reverse("accounts:team_create") in response.text


def test_team_switcher_lists_every_team_of_the_user(client_as, admin_a, team_a, team_b):
    Membership.objects.create(user=admin_a, team=team_b, role=Role.VIEWER)
    response = client_as(admin_a).get(reverse("dashboard:dashboard", args=[team_a.slug]))
    assert 'id="team-switcher"' in response.text
    assert reverse("dashboard:dashboard", args=[team_b.slug]) in response.text
    assert "Globex Logistics" in response.text


def test_create_team_makes_creator_admin(client_as, db):
    from tests.conftest import make_user

    user = make_user("founder@new.test")
    response = client_as(user).post(reverse("accounts:team_create"), {"name": "New Co"})
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.ADMIN
    assert response["Location"] == reverse("dashboard:dashboard", args=[membership.team.slug])
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.TEAM_CREATED, team=membership.team).count() == 1


def test_support_fragment_requests_are_audited_too(client_as, support_agent, admin_b, team_b):
    """The HX-Request header is the client's to set, so it must not switch the audit off."""
    url = reverse("accounts:member_list", args=[team_b.slug])
    response = client_as(support_agent).get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(team=team_b, verb=AuditEvent.Verb.SUPPORT_VIEW).count() == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("accounts:invitation_create", {"email": "x@acme.test", "role": "admin"}),
        ("accounts:telnyx_account", {"api_key": "KEY0123456789ABCDEFGHIJKLMNOP"}),
        ("accounts:telnyx_account_delete", {}),
    ],
)
def test_members_cannot_post_to_admin_endpoints(client_as, member_a, admin_a, team_a, name, data):
    TelnyxAccount.objects.create(team=team_a, api_key="KEY-existing-secret-1234567", api_key_last4="4567")
    response = client_as(member_a).post(reverse(name, args=[team_a.slug]), data)
    assert response.status_code == 403
    account = TelnyxAccount.objects.get(team=team_a)
    assert account.api_key == "KEY-existing-secret-1234567"
    assert not team_a.invitations.exists()


def test_viewer_cannot_delete_existing_credentials(client_as, viewer_a, team_a):
    TelnyxAccount.objects.create(team=team_a, api_key="KEY-existing-secret-1234567", api_key_last4="4567")
    url = reverse("accounts:telnyx_account_delete", args=[team_a.slug])
    assert client_as(viewer_a).post(url).status_code == 403
    assert TelnyxAccount.objects.filter(team=team_a).exists()


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("accounts:sign_in", {"password"}),
        ("accounts:password_change", {"old_password", "new_password1", "new_password2"}),
    ],
)
def test_password_fields_are_hidden_from_error_reports(client, admin_a, url_name, fields):
    if url_name != "accounts:sign_in":
        client.force_login(admin_a)
    response = client.post(reverse(url_name), dict.fromkeys(fields, "secret-value-123"))
    assert set(response.wsgi_request.sensitive_post_parameters) == fields


def test_api_key_is_hidden_from_error_reports(client_as, admin_a, team_a):
    from django.views.debug import SafeExceptionReporterFilter

    url = reverse("accounts:telnyx_account", args=[team_a.slug])
    response = client_as(admin_a).post(url, {"api_key": "KEY-super-secret-value-0001"})
    params = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert params["api_key"] != "KEY-super-secret-value-0001"
    assert "*" in params["api_key"]


def test_a_page_polling_itself_is_audited_once_per_window(client_as, support_agent, admin_b, team_b):
    """A support agent's status poll (every few seconds) is one look, not hundreds of log rows."""
    from datetime import timedelta

    from django.utils import timezone

    client = client_as(support_agent)
    members = reverse("accounts:member_list", args=[team_b.slug])
    for _ in range(5):
        assert client.get(members, headers={"HX-Request": "true"}).status_code == 200
    client.get(reverse("dashboard:dashboard", args=[team_b.slug]))
    views = AuditEvent.objects.filter(team=team_b, verb=AuditEvent.Verb.SUPPORT_VIEW, actor=support_agent)
    assert sorted(e.details["path"] for e in views) == sorted(
        [members, reverse("dashboard:dashboard", args=[team_b.slug])]
    )
    views.update(at=timezone.now() - timedelta(minutes=6))  # the window has passed: a new look
    client.get(members)
    assert views.filter(details__path=members).count() == 2
