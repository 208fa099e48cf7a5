"""Real-browser flows for sign-in, the team switcher and the members page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Invitation, Membership, Role

pytestmark = pytest.mark.browser


def test_sign_in_dashboard_switch_team_sign_out(page, live_server, demo, sign_in, console_errors):
    sign_in("ada@acme.test")
    expect(page).to_have_url(re.compile(r"/t/acme/$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Get your calls branded")).to_be_visible()
    expect(page.locator("#team-switcher")).to_contain_text("Acme Health")

    page.locator("#team-switcher").click()
    page.get_by_role("link", name=re.compile("Globex Logistics")).click()
    expect(page).to_have_url(re.compile(r"/t/globex/$"))
    expect(page.locator("#team-switcher")).to_contain_text("Globex Logistics")
    expect(page.get_by_test_id("my-role")).to_have_text("Viewer")

    page.locator("#user-menu").click()
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"{live_server.url}/t/acme/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/t/acme/"))
    assert console_errors == []


def test_wrong_password_shows_error_and_keeps_email(page, demo, sign_in):
    sign_in("ada@acme.test", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("E-mail address")).to_have_value("ada@acme.test")


def test_admin_changes_a_role_in_place(page, live_server, demo, sign_in, console_errors):
    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/settings/members/")
    membership = Membership.objects.get(user=demo["max"], team=demo["acme"])
    row = page.locator(f"#member-{membership.pk}")
    row.get_by_role("combobox").select_option("viewer")
    expect(row.get_by_text("Saved")).to_be_visible()
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    assert console_errors == []


def test_invite_error_inline_then_success(page, live_server, demo, sign_in, console_errors):
    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/settings/members/")
    form = page.locator("#invite-form")
    form.get_by_label("E-mail address").fill("max@acme.test")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite-form")).to_contain_text("already a member")
    expect(page.locator("#invite-form").get_by_label("E-mail address")).to_have_value("max@acme.test")

    page.locator("#invite-form").get_by_label("E-mail address").fill("newbie@acme.test")
    page.locator("#invite-form").get_by_label("Role").select_option("viewer")
    page.locator("#invite-form").get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to newbie@acme.test.")).to_be_visible()
    expect(page.locator("#invitation-table")).to_contain_text("newbie@acme.test")
    assert Invitation.objects.get(email="newbie@acme.test").role == Role.VIEWER
    assert console_errors == []


def test_remove_member_asks_first(page, live_server, demo, sign_in):
    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/settings/members/")
    membership = Membership.objects.get(user=demo["max"], team=demo["acme"])
    page.locator(f"#member-{membership.pk}").get_by_role("button", name="Remove").click()
    dialog = page.locator(f"#remove-member-{membership.pk}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("max@acme.test will lose access")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Membership.objects.filter(pk=membership.pk).exists()

    page.locator(f"#member-{membership.pk}").get_by_role("button", name="Remove").click()
    dialog.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("max@acme.test no longer has access")).to_be_visible()
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_viewer_sees_no_write_controls(page, live_server, demo, sign_in):
    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/globex/settings/members/")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    expect(page.locator("#invite-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
