"""Browser tests: Playwright drives Debian's Chromium against live_server."""

from __future__ import annotations

import pytest

from portal.accounts.models import Membership, Role, Team
from tests.conftest import PASSWORD, make_member


@pytest.fixture
def demo(transactional_db):
    """Two teams; Ada is admin of Acme and viewer of Globex; Max is a member of Acme."""
    acme = Team.objects.create(name="Acme Health", slug="acme")
    globex = Team.objects.create(name="Globex Logistics", slug="globex")
    ada = make_member(acme, "ada@acme.test", Role.ADMIN, "Ada Admin")
    Membership.objects.create(user=ada, team=globex, role=Role.VIEWER)
    max_ = make_member(acme, "max@acme.test", Role.MEMBER, "Max Member")
    return {"acme": acme, "globex": globex, "ada": ada, "max": max_}


@pytest.fixture(autouse=True)
def _short_timeouts(page):
    # Local pages answer in milliseconds; fail fast instead of waiting Playwright's default 30 s.
    page.set_default_timeout(8000)


@pytest.fixture
def console_errors(page):
    """Collect console errors (CSP violations, JS exceptions) so a test can assert there are none."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(email: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()

    return _sign_in


ENTERPRISE_FIELDS = {
    "legal_name": "Northwind Clinic LLC",
    "doing_business_as": "Northwind Clinic",
    "jurisdiction_of_incorporation": "Delaware",
    "fein": "12-3456789",
    "website": "https://northwind.example",
    "organization_contact__first_name": "Ada",
    "organization_contact__last_name": "Park",
    "organization_contact__job_title": "CEO",
    "organization_contact__email": "ada@northwind.example",
    "organization_contact__phone_number": "+13125550100",
    "billing_contact__first_name": "Bo",
    "billing_contact__last_name": "Lee",
    "billing_contact__email": "billing@northwind.example",
    "billing_contact__phone_number": "+13125550101",
    "organization_physical_address__street_address": "1 Main St",
    "organization_physical_address__city": "Chicago",
    "organization_physical_address__administrative_area": "IL",
    "organization_physical_address__postal_code": "60601",
}


def fill_enterprise_form(page) -> None:
    """Fill the enterprise create form with a valid US LLC (billing address same as physical)."""
    for name, value in ENTERPRISE_FIELDS.items():
        page.locator(f"#id_{name}").fill(value)
    page.locator("#id_organization_type").select_option("commercial")
    page.locator("#id_organization_legal_type").select_option("llc")
    page.locator("#id_industry").select_option("healthcare")
    page.locator("#id_number_of_employees").select_option("51-200")
