"""Real browser: an admin registers an enterprise, accepts the terms, activates it and sees it enabled."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from portal.accounts.models import TelnyxAccount
from tests.browser.conftest import fill_enterprise_form
from tests.enterprises.conftest import ActivationPendingTransport
from tests.sim import simulator_transport

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", "/tmp/shots"))


def shot(page, name: str) -> None:
    """A screenshot of the whole page (a viewport as tall as the page keeps the fixed sidebar in place)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, height)})
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})


def test_register_accept_terms_activate(page, live_server, demo, sign_in, route_through, console_errors):
    with httpx.Client(transport=simulator_transport(), base_url="http://sim.test") as sim:
        key = sim.post("/_sim/accounts", json={"name": "Acme (browser)"}).json()["data"]["api_key"]
    TelnyxAccount.objects.create(team=demo["acme"], api_key=key, api_key_last4=key[-4:])
    # Telnyx answers "registration has not completed" once, so the page has to wait and retry.
    route_through(ActivationPendingTransport(pending=1))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/enterprises/")
    expect(page.get_by_text("No enterprises yet — register one")).to_be_visible()
    page.locator("#enterprise-create").click()

    page.locator("#id_fein").fill("12-345")  # a local check first: the FEIN format is blocked inline
    page.locator("#id_legal_name").fill("Northwind Clinic LLC")
    page.locator("#enterprise-save").click()
    expect(page.locator("#id_fein_error")).to_contain_text("NN-NNNNNNN")
    expect(page.locator("#id_fein")).to_have_value("12-345")  # the form keeps what was typed
    page.reload()  # start again on a clean form
    fill_enterprise_form(page)
    expect(page.locator("#id_billing_same")).to_be_checked()
    expect(page.locator("#id_billing_address__street_address")).to_be_hidden()
    shot(page, "enterprise_form")
    page.locator("#enterprise-save").click()

    expect(page.get_by_role("heading", name="Northwind Clinic LLC")).to_be_visible()
    expect(page.get_by_text("is registered with Telnyx")).to_be_visible()
    expect(page.locator("#activate")).to_be_disabled()
    expect(page.locator("#tos-step")).to_contain_text("Current version: v1.0.0")
    page.locator("#branded-calling").screenshot(path=str(SHOTS / "enterprise_terms_card.png"))
    page.locator("#tos-accept").check()
    page.locator("#tos-agree").click()
    expect(page.get_by_test_id("tos-accepted")).to_contain_text("Accepted version v1.0.0")
    page.locator("#activate").click()
    expect(page.get_by_test_id("activation-pending")).to_be_visible()
    page.locator("#branded-calling").screenshot(path=str(SHOTS / "enterprise_activation_pending.png"))
    expect(page.get_by_test_id("bc-enabled")).to_be_visible(timeout=10000)
    expect(page.locator("#bc-state")).to_contain_text("Enabled")
    expect(page.locator("#enterprise-dirs")).to_contain_text("No DIRs yet")
    shot(page, "enterprise_detail")

    page.goto(f"{live_server.url}/t/acme/enterprises/")
    row = page.locator("#enterprise-table tbody tr").first
    expect(row).to_contain_text("Northwind Clinic LLC")
    expect(row).to_contain_text("Enabled")
    shot(page, "enterprise_list")
    assert console_errors == []
