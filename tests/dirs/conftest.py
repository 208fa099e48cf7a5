"""A team connected to a simulated Telnyx account, and DIRs mirrored from it in a chosen state."""

from __future__ import annotations

import httpx
import pytest

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.dirs.models import Dir
from portal.numbers import services as sync_services
from portal.simulator.wsgi import SimulatorHandler


@pytest.fixture
def connected(sim, team_a, monkeypatch):
    """team_a's TelnyxAccount holds the simulator account's key; retries do not really sleep."""
    monkeypatch.setattr(telnyx, "TRANSPORT", httpx.WSGITransport(app=SimulatorHandler()))
    monkeypatch.setattr("django.conf.settings.TELNYX_API_BASE_URL", "http://sim.test/v2")
    monkeypatch.setattr("portal.telnyx.client._sleep", lambda seconds: None)
    return TelnyxAccount.objects.create(team=team_a, api_key=sim.key, api_key_last4=sim.key[-4:])


@pytest.fixture
def make_dir(sim, connected):
    """Create a DIR on the simulator, move it to a status, and mirror it; returns (local row, remote dict)."""

    def _make(to: str | None = None, *, reasons=None, **overrides) -> tuple[Dir, dict]:
        remote = sim.dir(**overrides)
        if to:
            body = {"to": to}
            if reasons is not None:
                body["rejection_reasons"] = reasons
            sim.ok("POST", f"/_sim/dir/{remote['id']}/transition", json=body)
        sync_services.account_sync(account=connected, full=True)
        return Dir.objects.get(remote_id=remote["id"]), remote

    return _make
