"""A team connected to a simulated Telnyx account, with the client pointed at the simulator in-process."""

from __future__ import annotations

import httpx
import pytest

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.simulator.wsgi import SimulatorHandler


@pytest.fixture
def connected(sim, team_a, monkeypatch):
    """team_a's TelnyxAccount holds the simulator account's key; retries do not really sleep."""
    monkeypatch.setattr(telnyx, "TRANSPORT", httpx.WSGITransport(app=SimulatorHandler()))
    monkeypatch.setattr("django.conf.settings.TELNYX_API_BASE_URL", "http://sim.test/v2")
    monkeypatch.setattr("portal.telnyx.client._sleep", lambda seconds: None)
    account = TelnyxAccount.objects.create(team=team_a, api_key=sim.key, api_key_last4=sim.key[-4:])
    return account
