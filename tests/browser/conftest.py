"""Browser tests: Playwright drives Debian's Chromium against live_server."""

from __future__ import annotations

import json
import os

import httpx
import pytest

from portal.accounts.models import Membership, Role, Team, TelnyxAccount
from tests.browser.axe import AxeAudit
from tests.conftest import PASSWORD, make_member
from tests.enterprises.conftest import form_data
from tests.sim import Sim, simulator_transport


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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "no_axe(reason): do not fail this browser test on axe-core violations (say why)"
    )


@pytest.fixture(autouse=True)
def axe(page, request):
    """axe-core checks every page this test opens (tests/browser/axe.py); see pytest_runtest_call."""
    audit = AxeAudit()
    tags = [tag for tag in os.environ.get("AXE_TAGS", "").split(",") if tag]
    audit.install(page.context, tags=tags or None)
    yield audit
    if os.environ.get("AXE_REPORT"):  # every finding of every impact, one JSON line per test
        with open(os.environ["AXE_REPORT"], "a", encoding="utf-8") as out:
            report = {
                "test": request.node.nodeid,
                "pages": sorted(audit.pages),
                "findings": [vars(f) for f in audit.findings.values()],
                "checks": audit.checks,
                "waited_ms": audit.waited_ms,
                "ran_ms": audit.ran_ms,
                "reasons": audit.reasons,
            }
            out.write(json.dumps(report) + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a browser test passed: check the page it ends on, then fail it on serious/critical violations."""
    result = yield
    audit = item.funcargs.get("axe")
    if isinstance(audit, AxeAudit) and not item.get_closest_marker("no_axe"):
        page = item.funcargs["page"]
        for open_page in page.context.pages:
            audit.check_now(open_page)
        if audit.failing():
            pytest.fail(audit.failure_message(), pytrace=False)
    return result


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


# A valid enterprise as the enterprise form tests post it (one set of data); the browser fills the
# text fields and picks the choices, and leaves the defaults (US, enterprise, billing as physical).
SELECTS = ("organization_type", "organization_legal_type", "industry", "number_of_employees")
DEFAULTS = ("country_code", "role_type", "billing_same")
ENTERPRISE_FIELDS = {
    name: value
    for name, value in form_data(legal_name="Northwind Clinic LLC").items()
    if name not in SELECTS + DEFAULTS
    and not name.endswith("__country")
    and not name.startswith("billing_address")
}


def fill_enterprise_form(page) -> None:
    """Fill the enterprise create form with a valid US LLC (billing address same as physical)."""
    for name, value in ENTERPRISE_FIELDS.items():
        page.locator(f"#id_{name}").fill(value)
    for name in SELECTS:
        page.locator(f"#id_{name}").select_option(form_data()[name])


@pytest.fixture
def acme_sim(demo, sim_route):
    """Acme's Telnyx account on the in-process simulator; returns (Sim, TelnyxAccount)."""
    with httpx.Client(transport=simulator_transport(), base_url="http://sim.test") as http:
        created = http.post("/_sim/accounts", json={"name": "Acme (browser)"})
        created.raise_for_status()
        sim = Sim(http, created.json()["data"])
        account = TelnyxAccount.objects.create(team=demo["acme"], api_key=sim.key, api_key_last4=sim.key[-4:])
        yield sim, account
