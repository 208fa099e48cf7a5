"""Real browser: acting on a DIR from its detail page (reply, contest, delete), and read-only roles.

State is set up on the in-process simulator's control plane and mirrored with a full sync, so
every test starts on the page it is about.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.dirs.models import Dir
from portal.sync import services as sync_services
from tests.conftest import make_member, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]


@pytest.fixture
def make_dir(acme_sim):
    """A DIR on the simulator moved to a status (optionally with a claim), mirrored by a full sync."""
    sim, account = acme_sim

    def _make(to: str | None = None, *, reasons=None, claim: dict | None = None, **overrides):
        remote = sim.dir(**overrides)
        if to:
            body = {"to": to} | ({"rejection_reasons": reasons} if reasons is not None else {})
            sim.ok("POST", f"/_sim/dir/{remote['id']}/transition", json=body)
        filed = None
        if claim is not None:
            filed = sim.ok("POST", f"/_sim/dir/{remote['id']}/claims", 201, json=claim)["data"]
        sync_services.account_sync(account=account, full=True)
        return Dir.objects.get(remote_id=remote["id"]), remote, filed

    return _make


def detail_url(live_server, dir_: Dir) -> str:
    return f"{live_server.url}/t/acme/dirs/{dir_.pk}/"


# --- 1. reply to the vetting team


def test_reply_to_the_vetting_team_appears_in_the_thread(
    page, live_server, make_dir, acme_sim, sign_in, console_errors
):
    sim, _account = acme_sim
    dir_, remote, _ = make_dir("rejected", reasons=["documentation_incomplete"])
    sign_in("max@acme.test")
    page.goto(detail_url(live_server, dir_))

    thread = page.locator("#dir-comments")
    expect(thread).to_contain_text("Rejection reason")  # the lazily loaded vetting comment
    expect(thread).not_to_have_attribute("aria-busy", "true")

    # A blank reply (spaces only: an empty one is stopped by the browser's required check) is
    # refused inline by the portal, and nothing reaches Telnyx.
    page.locator("#dir-comment-form textarea").fill("   ")
    page.locator("#dir-comment-form").get_by_role("button", name="Send reply").click()
    expect(page.locator("#dir-comment-form textarea.is-invalid")).to_be_visible()
    expect(page.locator("#id_content_error")).to_contain_text("required")

    reply = "We uploaded the articles of incorporation just now."
    page.locator("#dir-comment-form textarea").fill(reply)
    page.locator("#dir-comment-form").get_by_role("button", name="Send reply").click()
    expect(page.locator("#dir-comment-form")).to_contain_text("Sent to the vetting team")
    expect(page.locator("#dir-comment-form textarea")).to_have_value("")
    # The thread reloads itself (dir-comments-changed) and shows the reply as the team's.
    expect(thread.locator("li", has_text=reply)).to_contain_text("Your team")
    expect(thread).to_contain_text("Rejection reason")
    customer = [c["content"] for c in sim.ok("GET", f"/v2/dir/{remote['id']}/comments")["data"]]
    assert reply in customer
    assert console_errors == []


# --- 2. contest an infringement claim


def test_contest_an_infringement_claim(page, live_server, make_dir, acme_sim, sign_in, console_errors):
    sim, _account = acme_sim
    dir_, _remote, claim = make_dir("verified", claim={"claimant_name": "Contoso Ltd."})
    sign_in("max@acme.test")
    page.goto(detail_url(live_server, dir_))

    card = page.locator(f"#claim-{claim['id']}")
    expect(card).to_contain_text("Contoso Ltd.")
    expect(card.locator(".badge")).to_have_text("Open")
    contest = page.locator(f"#dir-claim-contest-{claim['id']}")

    notes = "We have used this name since 2009; US trademark 1234567."
    contest.locator("textarea").fill(notes)
    contest.get_by_role("button", name="Contest the claim").click()
    # The card reloads from Telnyx (dir-claims-changed): contested, with our notes in its history.
    expect(card.locator(".badge")).to_have_text("Contested")
    expect(card).to_contain_text(notes)
    assert sim.ok("GET", f"/v2/infringement_claims/{claim['id']}")["data"]["status"] == "contested"
    assert console_errors == []


# --- 3. delete from the modal


def test_delete_from_the_modal_requests_deletion(page, live_server, make_dir, sign_in, console_errors):
    dir_, _remote, _ = make_dir("rejected", reasons=["documentation_incomplete"])
    sign_in("max@acme.test")
    page.goto(detail_url(live_server, dir_))
    page.wait_for_load_state()  # Bootstrap binds data-bs-toggle once the page has loaded

    page.get_by_role("button", name="Delete…").click()
    modal = page.locator("#dir-delete-modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_contain_text("Northwind Clinic")
    expect(modal).to_contain_text("“Deletion requested” at once")
    expect(modal).to_contain_text("it cannot be undone")
    modal.get_by_role("button", name="Request deletion").click()

    # HX-Redirect reloads the detail page: the new status, and no more actions on it.
    expect(page.locator("#dir-status")).to_contain_text("Deletion requested")
    expect(page.get_by_text("Deletion of “Northwind Clinic” requested")).to_be_visible()
    expect(page.get_by_role("button", name="Delete…")).to_have_count(0)
    assert Dir.objects.get(pk=dir_.pk).status == Dir.Status.DELETE_REQUESTED
    assert console_errors == []


def test_delete_refused_while_numbers_are_attached_shows_in_the_modal(
    page, live_server, make_dir, acme_sim, sign_in, console_errors
):
    sim, account = acme_sim
    dir_, remote, _ = make_dir("verified")
    sim.inventory("+13125550111")
    body = {"phone_numbers": ["+13125550111"], "documents": sim.loa()}
    sim.ok("POST", f"/v2/dir/{remote['id']}/phone_numbers", 201, json=body)
    sync_services.account_sync(account=account, full=True)

    sign_in("max@acme.test")
    page.goto(detail_url(live_server, dir_))
    page.wait_for_load_state()
    page.get_by_role("button", name="Delete…").click()
    modal = page.locator("#dir-delete-modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("1 phone number is still attached")
    modal.get_by_role("button", name="Request deletion").click()

    errors = modal.locator("#dir-delete-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("still attached")
    expect(modal).to_be_visible()  # the refusal stays inside the open modal
    expect(page.locator("#dir-status")).to_contain_text("Verified")
    assert Dir.objects.get(pk=dir_.pk).status == Dir.Status.VERIFIED
    assert console_errors == []


# --- 5. read-only roles


@pytest.mark.parametrize("who", ["viewer", "support"])
def test_read_only_roles_see_everything_but_no_actions(
    page, live_server, demo, make_dir, sign_in, console_errors, who
):
    if who == "viewer":
        email = make_member(demo["acme"], "vera@acme.test", Role.VIEWER, "Vera Viewer").email
    else:
        email = make_user("sam@dirportal.test", name="Sam Support", support=True).email
    dir_, _remote, claim = make_dir(
        "rejected", reasons=["documentation_incomplete"], claim={"claimant_name": "Contoso Ltd."}
    )
    sign_in(email)

    page.goto(f"{live_server.url}/t/acme/dirs/")
    expect(page.get_by_role("link", name="Northwind Clinic")).to_be_visible()
    expect(page.get_by_role("link", name="Create a DIR")).to_have_count(0)

    page.get_by_role("link", name="Northwind Clinic").click()
    expect(page.locator("#dir-status")).to_contain_text("Suspended")  # by the open claim
    expect(page.locator("#dir-comments")).to_contain_text("Rejection reason")
    expect(page.locator(f"#claim-{claim['id']}")).to_contain_text("Contoso Ltd.")
    expect(page.locator("#dir-numbers-link")).to_be_visible()
    for name in (re.compile(r"^Edit$"), re.compile("Submit for vetting"), re.compile("Delete")):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.locator(".dir-actions, #dir-delete-modal")).to_have_count(0)
    expect(page.locator("#dir-comment-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)
    expect(page.locator("[id^=dir-claim-contest]")).to_have_count(0)
    expect(page.get_by_role("button", name="Contest the claim")).to_have_count(0)
    expect(page.locator("#dir-add-numbers")).to_have_count(0)

    page.get_by_role("link", name=dir_.enterprise.legal_name).first.click()
    expect(page.get_by_role("heading", name=dir_.enterprise.legal_name)).to_be_visible()
    expect(page.locator("#enterprise-dirs")).to_contain_text("Northwind Clinic")
    expect(page.get_by_test_id("bc-enabled")).to_be_visible()
    expect(page.locator("#enterprise-edit, #delete-enterprise")).to_have_count(0)
    for name in (re.compile(r"^Edit$"), re.compile("Delete"), re.compile("Create DIR")):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    assert console_errors == []
