"""Signing in and out, throttling of repeated failures, password change."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import LoginFailure
from portal.core.models import AuditEvent
from tests.conftest import PASSWORD

SIGN_IN = "/sign-in/"


def _sign_in(client, email, password, **extra):
    return client.post(SIGN_IN, {"username": email, "password": password}, **extra)


def test_sign_in_with_email_lands_on_the_team_dashboard(client, admin_a, team_a):
    response = _sign_in(client, "ADA@acme.test", PASSWORD, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard:dashboard", args=[team_a.slug])
    assert AuditEvent.objects.filter(actor=admin_a, verb=AuditEvent.Verb.SIGN_IN).count() == 1


def test_sign_in_follows_a_safe_next_and_ignores_an_offsite_one(client, admin_a, team_a):
    members = reverse("accounts:member_list", args=[team_a.slug])
    response = client.post(
        f"{SIGN_IN}?next={members}", {"username": admin_a.email, "password": PASSWORD, "next": members}
    )
    assert response["Location"] == members
    client.logout()
    response = client.post(
        SIGN_IN, {"username": admin_a.email, "password": PASSWORD, "next": "https://evil.test/"}
    )
    assert response["Location"] == "/"


def test_wrong_password_is_explained_and_keeps_the_address(client, admin_a):
    response = _sign_in(client, admin_a.email, "nope")
    assert response.status_code == 200
    assert "do not match an account" in response.text
    assert f'value="{admin_a.email}"' in response.text
    assert LoginFailure.objects.filter(email=admin_a.email).count() == 1
    assert AuditEvent.objects.filter(actor=admin_a, verb=AuditEvent.Verb.SIGN_IN_FAILED).count() == 1


@override_settings(LOGIN_THROTTLE_LIMIT=3, LOGIN_THROTTLE_WINDOW=600)
def test_repeated_failures_lock_the_address_even_for_the_right_password(client, admin_a):
    for _ in range(3):
        assert _sign_in(client, admin_a.email, "wrong").status_code == 200
    response = _sign_in(client, admin_a.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "10 minutes" in response.text
    assert "_auth_user_id" not in client.session
    # Attempts while locked out do not extend the lock.
    assert LoginFailure.objects.filter(email=admin_a.email).count() == 3
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.SIGN_IN_THROTTLED).count() == 1


@override_settings(LOGIN_THROTTLE_LIMIT=3, LOGIN_THROTTLE_WINDOW=600)
def test_lock_lifts_after_the_window_and_success_clears_failures(client, admin_a):
    for _ in range(3):
        _sign_in(client, admin_a.email, "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=601))
    response = _sign_in(client, admin_a.email, PASSWORD)
    assert response.status_code == 302
    assert not LoginFailure.objects.filter(email=admin_a.email).exists()


@override_settings(LOGIN_THROTTLE_LIMIT=2, LOGIN_THROTTLE_WINDOW=600)
def test_one_ip_spraying_many_addresses_is_locked_out(client, admin_a):
    for n in range(8):  # 4 x the per-address limit, each address only once
        _sign_in(client, f"guess{n}@acme.test", "wrong")
    response = _sign_in(client, admin_a.email, PASSWORD)
    assert response.status_code == 429


def test_sign_out_needs_post(client_as, admin_a):
    client = client_as(admin_a)
    assert client.get("/sign-out/").status_code == 405
    response = client.post("/sign-out/")
    assert response["Location"] == reverse("accounts:sign_in")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(actor=admin_a, verb=AuditEvent.Verb.SIGN_OUT).count() == 1


def test_password_change(client_as, admin_a):
    client = client_as(admin_a)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase",
            "new_password2": "another-long-phrase",
        },
    )
    assert response.status_code == 302
    admin_a.refresh_from_db()
    assert admin_a.check_password("another-long-phrase") is True
    assert AuditEvent.objects.filter(actor=admin_a, verb=AuditEvent.Verb.PASSWORD_CHANGED).count() == 1
    # Still signed in after the change.
    assert client.get(reverse("accounts:password_change")).status_code == 200


def test_password_reset_mails_a_working_link(client, admin_a, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": admin_a.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.text
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-phrase-1", "new_password2": "brand-new-phrase-1"},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    admin_a.refresh_from_db()
    assert admin_a.check_password("brand-new-phrase-1") is True


def test_password_reset_for_unknown_address_reveals_nothing(client, db, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@x.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def test_password_reset_link_is_built_from_the_public_url_not_the_host_header(
    client, admin_a, mailoutbox, settings
):
    """A sender who sets Host (or X-Forwarded-Host) must not get a link to their own site mailed out."""
    settings.PORTAL_PUBLIC_URL = "https://portal.example"
    client.post(reverse("accounts:password_reset"), {"email": admin_a.email}, HTTP_HOST="localhost")
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line)
    assert link.startswith("https://portal.example/password-reset/")
    assert "localhost" not in mailoutbox[0].body


@override_settings(PASSWORD_RESET_LIMIT=2)
def test_password_reset_mails_are_throttled_per_address_and_the_page_says_the_same(
    client, admin_a, mailoutbox
):
    """Past the limit no mail goes (the inbox is not flooded); the answer is the same, so nothing leaks."""
    for _ in range(4):
        response = client.post(reverse("accounts:password_reset"), {"email": admin_a.email.upper()})
        assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 2
    assert AuditEvent.objects.filter(verb="password_reset_requested", actor_email=admin_a.email).count() == 2


@override_settings(PASSWORD_RESET_LIMIT=1)
def test_password_reset_requests_are_throttled_per_ip_across_addresses(client, db, mailoutbox):
    """One IP asking for many addresses (known or not) is stopped after 5× the per-address limit."""
    from tests.conftest import make_user

    users = [make_user(f"user{i}@acme.test") for i in range(7)]
    for user in users:
        client.post(reverse("accounts:password_reset"), {"email": user.email}, REMOTE_ADDR="198.51.100.7")
    assert len(mailoutbox) == 5


@override_settings(LOGIN_THROTTLE_LIMIT=3)
def test_look_alike_letters_share_the_lock_or_miss_the_account(client, admin_a):
    """A case-insensitive database lookup would let ſ or ı reach the account under a fresh throttle key.

    Addresses are NFKC-normalised and matched exactly: ſ folds to s (same account, same lock), ı does
    not fold to i (no account at all).
    """
    from tests.conftest import make_user

    for _ in range(3):
        _sign_in(client, admin_a.email, "wrong")
    assert _sign_in(client, "ada@acme.teſt", PASSWORD).status_code == 429
    make_user("tim@acme.test")
    response = _sign_in(client, "tım@acme.test", PASSWORD)
    assert response.status_code == 200
    assert "do not match an account" in response.text
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_THROTTLE_LIMIT=3)
def test_password_reset_lifts_the_lock_and_is_audited(client, admin_a, mailoutbox):
    for _ in range(3):
        _sign_in(client, admin_a.email, "wrong")
    assert _sign_in(client, admin_a.email, PASSWORD).status_code == 429
    client.post(reverse("accounts:password_reset"), {"email": admin_a.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line)
    form_page = client.get(link.split("testserver", 1)[1], follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-phrase-77", "new_password2": "fresh-phrase-77"},
    )
    assert AuditEvent.objects.filter(actor=admin_a, verb=AuditEvent.Verb.PASSWORD_RESET).count() == 1
    assert _sign_in(client, admin_a.email, "fresh-phrase-77").status_code == 302


def test_overlong_address_is_a_form_error(client, db):
    response = _sign_in(client, "a" * 300 + "@x.test", "whatever")
    assert response.status_code == 200
    assert "at most 254 characters" in response.text


@override_settings(TRUSTED_PROXY_COUNT=1, LOGIN_THROTTLE_LIMIT=1)
def test_behind_a_proxy_the_throttle_uses_the_forwarded_client_address(client, admin_a):
    """Behind one proxy every request has the proxy's REMOTE_ADDR; one client's failures must not lock out others."""
    for n in range(4):
        _sign_in(client, f"guess{n}@x.test", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")
    blocked = _sign_in(client, admin_a.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert blocked.status_code == 429
    other = _sign_in(client, admin_a.email, PASSWORD, HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.7")
    assert other.status_code == 302
    assert LoginFailure.objects.filter(ip_address="203.0.113.9").count() == 4
