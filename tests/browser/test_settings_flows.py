"""Real browser: joining by invitation, saving Telnyx credentials, filtering the activity log, resetting a password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from portal.accounts import services
from portal.accounts.models import Membership, Role, TelnyxAccount

pytestmark = pytest.mark.browser


def test_invitee_creates_an_account_from_the_link(page, live_server, demo, console_errors):
    invitation = services.invitation_create(
        team=demo["acme"], email="nina@acme.test", role=Role.VIEWER, invited_by=demo["ada"]
    )
    page.goto(live_server.url + f"/invitations/{services.invitation_token(invitation)}/")
    expect(page.get_by_role("heading", name="Join Acme Health")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_value("nina@acme.test")
    page.get_by_label("Your name").fill("Nina New")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create my account and join").click()
    expect(page.get_by_text("too short")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Nina New")
    page.get_by_label("Password", exact=True).fill("a-much-longer-phrase")
    page.get_by_label("Repeat the password").fill("a-much-longer-phrase")
    page.get_by_role("button", name="Create my account and join").click()
    expect(page).to_have_url(re.compile(r"/t/acme/$"))
    expect(page.get_by_text("Welcome to Acme Health.")).to_be_visible()
    expect(page.get_by_test_id("my-role")).to_have_text("Viewer")
    assert Membership.objects.get(user__email="nina@acme.test").role == Role.VIEWER
    assert console_errors == []


def test_admin_saves_credentials_and_only_the_last_four_show(
    page, live_server, demo, sign_in, console_errors
):
    sign_in("ada@acme.test")
    page.goto(live_server.url + "/t/acme/settings/telnyx/")
    page.get_by_label("API key").fill("KEY0123456789ABCDEF_topsecret_WXYZ")
    page.get_by_label("Webhook public key").fill("not a key")
    page.get_by_role("button", name="Save credentials").click()
    expect(page.get_by_text("This is not an ed25519 public key")).to_be_visible()
    expect(page.get_by_label("API key")).to_have_value("")  # a key is never sent back to the page
    page.get_by_label("API key").fill("KEY0123456789ABCDEF_topsecret_WXYZ")
    page.get_by_label("Webhook public key").fill("")
    page.get_by_role("button", name="Save credentials").click()
    expect(page.get_by_text("Telnyx credentials saved.")).to_be_visible()
    expect(page.get_by_test_id("masked-key")).to_have_text("••••••••WXYZ")
    assert "topsecret" not in page.content()
    assert TelnyxAccount.objects.get(team=demo["acme"]).api_key.endswith("WXYZ")
    assert console_errors == []


def test_activity_filters_swap_the_results_in_place(page, live_server, demo, sign_in, console_errors):
    services.invitation_create(
        team=demo["acme"], email="x@acme.test", role=Role.MEMBER, invited_by=demo["ada"]
    )
    sign_in("ada@acme.test")
    page.goto(live_server.url + "/t/acme/settings/activity/")
    results = page.locator("#audit-results")
    expect(results).to_contain_text("Invitation sent")
    expect(results).to_contain_text("Signed in")
    page.get_by_label("Event").select_option("invitation_sent")
    expect(results).not_to_contain_text("Signed in")
    expect(page).to_have_url(re.compile(r"verb=invitation_sent"))
    assert console_errors == []


def test_forgotten_password_reset_end_to_end(page, live_server, demo, sign_in, settings):
    settings.PORTAL_PUBLIC_URL = live_server.url  # the mailed link is built from it, as in production
    page.goto(live_server.url + "/sign-in/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill("ada@acme.test")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/password-reset/" in line)
    assert link.startswith(live_server.url + "/password-reset/")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a-brand-new-phrase")
    page.get_by_label("New password confirmation").fill("a-brand-new-phrase")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Your password has been changed")).to_be_visible()
    sign_in("ada@acme.test", "a-brand-new-phrase")
    expect(page).to_have_url(re.compile(r"/t/acme/$"))
