"""Real browser: axe-core on the portal's main pages, signed in as an admin of a team with demo-like data.

Every browser test already fails on serious or critical axe violations (tests/browser/conftest.py);
this one makes sure the twelve pages people spend their time on are all checked once settled (and a
batch, a rejected DIR and an open modal), and prints every finding of every impact: run it with -s
to see the table, AXE_REPORT=<file> to keep the raw findings as JSON lines, AXE_TAGS=<tags> to try
other axe rule sets (e.g. best-practice), PORTAL_SHOTS_DIR=<dir> for a screenshot of each page.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from portal.accounts import services as account_services
from portal.accounts.models import Role
from portal.dirs.models import Dir
from portal.numbers.models import Batch
from portal.sync import services
from tests.browser.test_numbers_pages import attach

SHOTS = os.environ.get("PORTAL_SHOTS_DIR")  # set it to keep a screenshot of each page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]


@pytest.fixture
def demo_data(demo, acme_sim):
    """Acme as the demo shows it: two enterprises (one activated), a verified DIR with 40 numbers in
    three batches (two numbers failed vetting), a rejected and a draft DIR, and a pending invitation."""
    sim, account = acme_sim
    enterprise = sim.activated_enterprise(legal_name="Acme Health LLC")
    sim.enterprise(legal_name="Acme Labs LLC")  # registered, Branded Calling not activated
    verified = sim.verified_dir(enterprise_id=enterprise["id"], display_name="Acme Health")
    numbers = [f"+1312557{n:04}" for n in range(40)]
    batch_ids = attach(sim, verified["id"], numbers)
    for batch_id in batch_ids[:2]:
        sim.ok("POST", f"/_sim/batches/{batch_id}/transition", json={"to": "verified"})
    rows = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers", params={"page[size]": 250})["data"]
    for row in rows:
        if row["phone_number"] in (numbers[17], numbers[22]):
            sim.ok("POST", f"/_sim/phone_numbers/{row['id']}/transition",
                   json={"to": "unsuccessful", "rejection_reason": "number_not_in_service"})  # fmt: skip
    rejected = sim.dir(enterprise_id=enterprise["id"], display_name="Acme Billing")
    sim.ok("POST", f"/_sim/dir/{rejected['id']}/transition",
           json={"to": "rejected", "rejection_reasons": ["documentation_incomplete"]})  # fmt: skip
    sim.dir(enterprise_id=enterprise["id"], display_name="Acme Care")  # a draft
    services.account_sync(account=account, full=True)
    account_services.invitation_create(
        team=demo["acme"], email="new.hire@acme.test", role=Role.MEMBER, invited_by=demo["ada"]
    )
    dir_ = Dir.objects.get(remote_id=verified["id"])
    return {
        "dir": dir_,
        "rejected": Dir.objects.get(remote_id=rejected["id"]),
        "enterprise": dir_.enterprise,
        "batch": Batch.objects.filter(dir=dir_).first(),
    }


def test_axe_on_the_main_pages(page, live_server, demo_data, sign_in, axe, console_errors):
    dir_, enterprise = demo_data["dir"], demo_data["enterprise"]
    team = f"{live_server.url}/t/acme"
    pages = {
        "dashboard": f"{team}/",
        "enterprise list": f"{team}/enterprises/",
        "enterprise detail": f"{team}/enterprises/{enterprise.pk}/",
        "DIR list": f"{team}/dirs/",
        "DIR new": f"{team}/dirs/new/",
        "DIR detail": f"{team}/dirs/{dir_.pk}/",
        "rejected DIR detail": f"{team}/dirs/{demo_data['rejected'].pk}/",
        "numbers": f"{team}/dirs/{dir_.pk}/numbers/",
        "add numbers": f"{team}/dirs/{dir_.pk}/numbers/add/",
        "batches": f"{team}/dirs/{dir_.pk}/batches/",
        "batch detail": f"{team}/dirs/{dir_.pk}/batches/{demo_data['batch'].pk}/",
        "activity": f"{team}/settings/activity/",
        "members": f"{team}/settings/members/",
        "Telnyx account": f"{team}/settings/telnyx/",
    }
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in("ada@acme.test")
    expect(page.get_by_test_id("my-role")).to_be_visible()
    for name, url in pages.items():
        response = page.goto(url)
        assert response is not None and response.ok, f"{name}: {url} answered {response and response.status}"
        page.wait_for_load_state("networkidle")
        assert axe.check_now(page), f"axe did not run on {name} ({url})"
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/a11y-{name.lower().replace(' ', '-')}.png", full_page=True)
    # A modal's content is only checked while it is open.
    page.goto(pages["DIR detail"])
    page.get_by_role("button", name="Delete…").click()
    expect(page.locator(".modal.show")).to_be_visible()
    assert axe.check_now(page)

    checked = axe.pages
    assert set(pages.values()) <= checked, f"not checked: {set(pages.values()) - checked}"
    counts = axe.counts()
    print(f"\naxe-core: {sum(counts.values())} element(s) in violation on {len(pages)} pages")
    for (rule, impact), n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {n:4}  {impact:9} {rule}")
    for finding in sorted(axe.findings.values(), key=lambda f: (f.rule, f.url)):
        print(f"  [{finding.impact}] {finding.rule} on {finding.url.removeprefix(live_server.url)}:")
        for target in finding.targets:
            print(f"      {target}")
    assert console_errors == []
