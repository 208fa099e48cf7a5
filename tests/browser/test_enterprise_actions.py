"""Real browser: an admin edits an enterprise (read-only fields stay read-only) and deletes one.

The enterprise is registered on the in-process simulator and mirrored with a full sync.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.sync import services as sync_services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]


def test_edit_an_enterprise_website(page, live_server, acme_sim, sign_in, console_errors):
    sim, account = acme_sim
    remote = sim.activated_enterprise(legal_name="Northwind Clinic LLC")
    sync_services.account_sync(account=account, full=True)
    enterprise = Enterprise.objects.get(remote_id=remote["id"])

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/enterprises/{enterprise.pk}/")
    expect(page.get_by_role("heading", name="Northwind Clinic LLC")).to_be_visible()
    page.locator("#enterprise-edit").click()
    expect(page.get_by_role("heading", name="Edit Northwind Clinic LLC")).to_be_visible()

    # Telnyx fixes the organization type, country and role at registration: shown, not editable.
    readonly = page.get_by_test_id("readonly-organization_type")
    expect(readonly).to_have_text("Commercial")
    expect(readonly.locator("input, select, textarea")).to_have_count(0)
    for name in ("organization_type", "country_code", "role_type"):
        expect(page.locator(f"#enterprise-form [name={name}]")).to_have_count(0)
    expect(page.locator("#id_legal_name")).to_be_editable()
    expect(page.locator("#id_website")).to_have_value("https://northwind.example")

    page.locator("#id_website").fill("https://www.northwind-clinic.example")
    page.locator("#enterprise-save").click()
    expect(page.get_by_text("Changes to Northwind Clinic LLC saved in Telnyx.")).to_be_visible()
    expect(page.get_by_role("heading", name="Northwind Clinic LLC")).to_be_visible()
    website = page.locator("dt", has_text="Website").locator("xpath=following-sibling::dd[1]")
    expect(website).to_have_text("https://www.northwind-clinic.example")
    assert sim.ok("GET", f"/v2/enterprises/{remote['id']}")["data"]["website"] == (
        "https://www.northwind-clinic.example"
    )
    assert console_errors == []


def test_delete_an_enterprise_from_its_modal(page, live_server, acme_sim, sign_in, console_errors):
    sim, account = acme_sim
    remote = sim.activated_enterprise(legal_name="Northwind Clinic LLC")
    sim.dir(enterprise_id=remote["id"], display_name="Northwind Draft")
    sync_services.account_sync(account=account, full=True)
    enterprise = Enterprise.objects.get(remote_id=remote["id"])

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/enterprises/{enterprise.pk}/")
    page.wait_for_load_state()  # Bootstrap binds data-bs-toggle once the page has loaded
    page.get_by_role("button", name="Delete").click()
    modal = page.locator("#delete-enterprise")
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_have_text("Delete Northwind Clinic LLC?")
    expect(modal).to_contain_text("together with its 1 DIR. This cannot be undone.")
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden()

    page.get_by_role("button", name="Delete").click()
    expect(modal).to_be_visible()
    page.locator("#delete-confirm").click()
    expect(page.get_by_text("Northwind Clinic LLC was deleted from Telnyx.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/t/acme/enterprises/")
    expect(page.locator("#enterprise-table")).to_have_count(0)
    assert sim.get(f"/v2/enterprises/{remote['id']}").status_code == 404
    assert Enterprise.objects.get(pk=enterprise.pk).removed_at is not None
    assert Dir.objects.get(display_name="Northwind Draft").removed_at is not None

    page.goto(f"{live_server.url}/t/acme/dirs/")
    expect(page.get_by_role("link", name="Northwind Draft")).to_have_count(0)
    assert console_errors == []
