"""Real browser: an admin presses "Sync now" and sees the mirror fill in from the simulator."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portal.accounts.models import TelnyxAccount
from portal.simulator import models as sim_models

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]


def test_sync_now_fills_the_dashboard(page, live_server, demo, sign_in, sim_route):
    call_command("simulator_seed", "--demo", stdout=io.StringIO())
    key = sim_models.Account.objects.get(name="Acme Health (demo)").api_key
    TelnyxAccount.objects.create(team=demo["acme"], api_key=key, api_key_last4=key[-4:])

    sign_in("ada@acme.test")
    expect(page.get_by_test_id("last-synced")).to_have_text("never")
    expect(page.get_by_test_id("count-dirs")).to_have_text("0 DIRs")
    page.locator("#sync-now").click()
    expect(page.get_by_test_id("last-synced")).not_to_have_text("never", timeout=15000)
    page.reload()
    expect(page.get_by_test_id("count-dirs")).to_have_text("11 DIRs")
    expect(page.get_by_test_id("count-enterprises")).to_have_text("1 enterprise")
    expect(page.get_by_role("heading", name="Recent status changes")).to_be_visible()
    expect(page.locator(".timeline-list")).to_contain_text(re.compile("Acme"))
