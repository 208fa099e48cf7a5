"""Real browser: the whole Branded Calling onboarding, and a rejected DIR fixed and resubmitted."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from portal.accounts.models import TelnyxAccount
from portal.dirs.models import Dir
from portal.sync import services as sync_services
from tests.browser.conftest import fill_enterprise_form
from tests.sim import simulator_transport

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", "/tmp/shots"))


def shot(page, name: str) -> None:
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, height)})
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.fixture
def simulated(demo, settings, sim_route, live_server):
    """Acme's Telnyx account on the in-process simulator, with its webhook key; links point at the live server."""
    # Logos and the webhook receiver are served by the live server (http on loopback is allowed
    # by the simulator, as on a developer's machine).
    settings.PORTAL_PUBLIC_URL = live_server.url
    sim = httpx.Client(transport=simulator_transport(), base_url="http://sim.test")
    key = sim.post("/_sim/accounts", json={"name": "Acme (browser)"}).json()["data"]["api_key"]
    sim.headers["Authorization"] = f"Bearer {key}"
    public_key = sim.get("/_sim/webhooks/public_key").json()["data"]["public_key"]
    account = TelnyxAccount.objects.create(
        team=demo["acme"], api_key=key, api_key_last4=key[-4:], webhook_public_key=public_key
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield sim, account
    sim.close()


def vet(sim) -> None:
    """Let the simulator's autopilot review everything submitted: in review, then decided."""
    for _ in range(2):
        sim.post("/_sim/clock", json={"advance_seconds": 11}).raise_for_status()
        sim.post("/_sim/tick").raise_for_status()


def logo_png(path: Path) -> Path:
    image = Image.new("RGB", (400, 300), "white")
    image.paste(Image.new("RGB", (200, 200), (0, 84, 166)), (100, 50))
    image.save(path, "PNG")
    return path


def pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return path


def attach_proofs(page, tmp_path: Path) -> None:
    """On the edit page: upload and attach a business registration and an EIN letter."""
    for kind, label in (("business_registration", "Business registration"), ("ein_letter", "EIN letter")):
        page.locator("#dir-documents select[name=document_type]").select_option(kind)
        page.locator("#dir-documents input[type=file]").set_input_files(str(pdf(tmp_path / f"{kind}.pdf")))
        page.locator("#dir-documents").get_by_role("button", name="Upload and attach").click()
        # The card lists each by the label of its type (documents.models.DocumentType).
        expect(page.locator("#dir-documents .list-group")).to_contain_text(label, timeout=15000)


def test_onboarding_from_enterprise_to_a_verified_dir(
    page, live_server, simulated, sign_in, tmp_path, console_errors
):
    sim, _account = simulated
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in("ada@acme.test")

    # 1. Register the enterprise, accept the Branded Calling terms and activate it.
    page.goto(f"{live_server.url}/t/acme/enterprises/new/")
    fill_enterprise_form(page)
    page.locator("#enterprise-save").click()
    expect(page.get_by_text("is registered with Telnyx")).to_be_visible()
    page.locator("#tos-accept").check()
    page.locator("#tos-agree").click()
    expect(page.get_by_test_id("tos-accepted")).to_be_visible()
    page.locator("#activate").click()
    expect(page.get_by_test_id("bc-enabled")).to_be_visible(timeout=10000)

    # 2. Compose a DIR: logo uploaded and converted, two call reasons from the catalogue.
    page.locator("#branded-calling").get_by_role("link", name="Create DIR").click()
    expect(page.get_by_role("heading", name="Create a DIR")).to_be_visible()
    page.wait_for_load_state()  # htmx binds the upload's change handler once the page has loaded
    expect(page.locator("#id_enterprise")).to_have_value(re.compile(r"\d+"))  # preselected
    page.locator("#id_display_name").fill("Northwind Clinic")
    expect(page.locator("[data-char-counter-for='id_display_name']")).to_contain_text("16")
    page.locator("#id_logo_file").set_input_files(str(logo_png(tmp_path / "logo.png")))
    expect(page.locator("#logo-converted")).to_contain_text("256×256 BMP", timeout=15000)
    expect(page.locator("#logo-preview")).to_be_visible()
    reasons = page.locator("#id_call_reasons-ts-control")
    for reason in ("Appointment Reminder", "Billing Inquiry"):
        reasons.fill(reason)
        page.locator(".ts-dropdown .option", has_text=re.compile(f"^{reason}$")).first.click()
    expect(page.locator("#call-reasons-check")).to_contain_text("pre-approved")
    page.locator("#id_authorizer_name").fill("Ada Park")
    page.locator("#id_authorizer_email").fill("ada@northwind.example")
    for name in ("certify_brand_is_accurate", "certify_no_shaft_content", "certify_ip_ownership"):
        page.locator(f"#id_{name}").check()
    shot(page, "flow_dir_create")
    page.get_by_role("button", name=re.compile("Create draft DIR|Save changes")).click()
    # Over 15 characters is a warning (some phones cut the name): saving needs "save anyway".
    expect(page.locator("#dir-form-warnings")).to_be_visible()
    page.locator("#id_confirm_warnings").check()
    page.get_by_role("button", name=re.compile("Create draft DIR|Save changes")).click()
    expect(page.locator("#dir-status")).to_contain_text("Draft")
    dir_ = Dir.objects.get(display_name="Northwind Clinic")
    assert dir_.logo_url.startswith(f"{live_server.url}/logos/")
    assert sorted(dir_.call_reasons) == ["Appointment Reminder", "Billing Inquiry"]

    # 3. Vetting needs proof of the business and of its EIN: attach both, then submit; the page
    #    then waits for Telnyx by itself.
    page.get_by_role("link", name="Edit").click()
    page.wait_for_load_state()
    attach_proofs(page, tmp_path)
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/")
    page.get_by_role("link", name="Submit for vetting…").click()
    if page.locator("#id_confirm_warnings").count():
        page.locator("#id_confirm_warnings").check()
    page.get_by_role("button", name="Submit for vetting").click()
    expect(page.locator("#dir-status")).to_contain_text("Submitted")
    expect(page.locator("#dir-status")).to_have_attribute("hx-trigger", "every 5s")

    # 4. The autopilot verifies it; its signed webhook reaches the portal, and the badge turns
    #    verified with nobody reloading the page.
    vet(sim)
    expect(page.locator("#dir-status")).to_contain_text("Verified", timeout=20000)
    expect(page.locator("#dir-status")).not_to_have_attribute("hx-trigger", "every 5s")
    expect(page.locator(".timeline-list")).to_contain_text("Verified")
    shot(page, "flow_dir_verified")
    assert console_errors == []


def test_a_rejected_dir_shows_how_to_fix_it_then_is_resubmitted(
    page, live_server, simulated, sign_in, tmp_path, console_errors
):
    sim, account = simulated
    # A DIR the autopilot rejects ("Reject" in its name), created and vetted through the API.
    enterprise = sim.post(
        "/v2/enterprises",
        json={
            "legal_name": "Northwind Clinic LLC",
            "doing_business_as": "Northwind Clinic",
            "organization_type": "commercial",
            "organization_legal_type": "llc",
            "country_code": "US",
            "role_type": "enterprise",
            "jurisdiction_of_incorporation": "Delaware",
            "website": "https://northwind.example",
            "fein": "12-3456789",
            "industry": "healthcare",
            "number_of_employees": "51-200",
            "organization_contact": {"first_name": "Ada", "last_name": "Park", "email": "ada@northwind.example",
                                     "phone_number": "+13125550100", "job_title": "CEO"},
            "billing_contact": {"first_name": "Bo", "last_name": "Lee", "email": "bo@northwind.example",
                                "phone_number": "+13125550101"},
            "organization_physical_address": {"street_address": "1 Main St", "city": "Chicago",
                                              "administrative_area": "IL", "postal_code": "60601", "country": "US"},
            "billing_address": {"street_address": "1 Main St", "city": "Chicago",
                                "administrative_area": "IL", "postal_code": "60601", "country": "US"},
        },
    )  # fmt: skip
    enterprise.raise_for_status()
    enterprise_id = enterprise.json()["data"]["id"]
    sim.post("/v2/terms_of_service/branded_calling/agree").raise_for_status()
    sim.post(f"/v2/enterprises/{enterprise_id}/branded_calling").raise_for_status()
    created = sim.post(
        f"/v2/enterprises/{enterprise_id}/dir",
        json={
            "display_name": "Northwind Reject",
            "authorizer_name": "Ada Park",
            "authorizer_email": "ada@northwind.example",
            "call_reasons": ["Appointment Reminder"],
            "certify_brand_is_accurate": True,
            "certify_no_shaft_content": True,
            "certify_ip_ownership": True,
        },
    )
    created.raise_for_status()
    sim.post(f"/v2/dir/{created.json()['data']['id']}/submit").raise_for_status()
    vet(sim)
    sync_services.account_sync(account=account, full=True)
    dir_ = Dir.objects.get(display_name="Northwind Reject")
    assert dir_.status == Dir.Status.REJECTED

    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/")
    page.get_by_role("link", name="Northwind Reject").click()
    expect(page.locator("#dir-status")).to_contain_text("Rejected")
    reasons = page.locator("#dir-reasons")
    expect(reasons).to_contain_text("How to fix")
    expect(reasons).to_contain_text("Can be resubmitted")
    first_code = dir_.rejection_reasons[0]["code"]
    expect(reasons).to_contain_text(first_code)
    shot(page, "flow_dir_rejected")

    # The fix: a name the business is known by, and the missing proofs.
    page.get_by_role("link", name="Edit").click()
    page.wait_for_load_state()
    attach_proofs(page, tmp_path)
    page.locator("#id_display_name").fill("Northwind Clinic")
    page.get_by_role("button", name=re.compile("Save changes")).click()
    expect(page.locator("#dir-form-warnings")).to_be_visible()
    page.locator("#id_confirm_warnings").check()
    page.get_by_role("button", name=re.compile("Save changes")).click()
    expect(page.get_by_role("heading", name=re.compile("Northwind Clinic"))).to_be_visible()
    page.get_by_role("link", name="Resubmit for vetting…").click()
    if page.locator("#id_confirm_warnings").count():
        page.locator("#id_confirm_warnings").check()
    page.get_by_role("button", name="Submit for vetting").click()
    expect(page.locator("#dir-status")).to_contain_text("Submitted")
    expect(page.locator("#dir-reasons")).to_have_count(0)  # cleared by the resubmission

    vet(sim)
    expect(page.locator("#dir-status")).to_contain_text("Verified", timeout=20000)
    assert console_errors == []
