"""The bundled simulator as every test package uses it (a pytest plugin, loaded by tests/conftest.py).

- `sim_http`, `sim`, `other_sim`: an httpx client on the simulator's WSGI app, and simulated accounts.
- `sim_route`: every portal Telnyx client of the test goes to the simulator in-process
  (`portal.telnyx.client_route`), and retries do not really sleep.
- `connected`: team_a's Telnyx account holds `sim`'s key, with `sim_route` on.
- `make_dir`: a DIR created on the simulator, moved to a status, and mirrored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portal import telnyx
from portal.simulator.wsgi import SimulatorHandler

SIM_BASE_URL = "http://sim.test/v2"
ROOT = Path(__file__).resolve().parents[1]


class Sim:
    """An HTTP client for one simulated account, with shortcuts for common set-up."""

    def __init__(self, http: httpx.Client, account: dict) -> None:
        self.http = http
        self.account = account
        self.key = account["api_key"]
        self.headers = {"Authorization": f"Bearer {self.key}"}

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.http.request(method, url, headers=headers, **kwargs)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def patch(self, url, **kw):
        return self.request("PATCH", url, **kw)

    def put(self, url, **kw):
        return self.request("PUT", url, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)

    def ok(self, method: str, url: str, status: int = 200, **kw) -> dict:
        response = self.request(method, url, **kw)
        assert response.status_code == status, response.text
        return response.json() if response.content else {}

    # --- set-up shortcuts ---------------------------------------------------------------------

    def enterprise(self, **overrides) -> dict:
        body = enterprise_body(**overrides)
        return self.ok("POST", "/v2/enterprises", 201, json=body)["data"]

    def activated_enterprise(self, **overrides) -> dict:
        self.ok("POST", "/v2/terms_of_service/branded_calling/agree")
        enterprise = self.enterprise(**overrides)
        return self.ok("POST", f"/v2/enterprises/{enterprise['id']}/branded_calling")["data"]

    def dir(self, enterprise_id: str | None = None, **overrides) -> dict:
        enterprise_id = enterprise_id or self.activated_enterprise()["id"]
        body = dir_body(**overrides)
        return self.ok("POST", f"/v2/enterprises/{enterprise_id}/dir", 201, json=body)["data"]

    def verified_dir(self, **overrides) -> dict:
        dir_ = self.dir(**overrides)
        self.ok("POST", f"/_sim/dir/{dir_['id']}/transition", json={"to": "verified"})
        return self.ok("GET", f"/v2/dir/{dir_['id']}")["data"]

    def document(self, content: bytes = b"%PDF-1.4 signed loa", filename: str = "loa.pdf") -> dict:
        import base64

        body = {"file": base64.b64encode(content).decode(), "filename": filename}
        return self.ok("POST", "/v2/documents", json=body)["data"]

    def inventory(self, *numbers: str, status: str = "active") -> None:
        self.ok("POST", "/_sim/inventory", 201, json={"phone_numbers": list(numbers), "status": status})

    def loa(self, *numbers: str) -> list[dict]:
        """An uploaded LOA: a real PDF listing `numbers` (the simulator vets them against its text), or,
        without numbers, a token file for adds whose vetting a test does not look at."""
        content = letter_pdf(*numbers) if numbers else b"%PDF-1.4 signed loa"
        return [{"document_id": self.document(content)["id"], "document_type": "letter_of_authorization"}]


def enterprise_body(**overrides) -> dict:
    contact = {
        "first_name": "Ada",
        "last_name": "Park",
        "email": "ada@northwind.example",
        "phone_number": "+13125550100",
    }
    address = {
        "street_address": "1 Main St",
        "city": "Chicago",
        "administrative_area": "IL",
        "postal_code": "60601",
        "country": "US",
    }
    body = {
        "legal_name": f"Northwind Clinic {uuid.uuid4().hex[:6]} LLC",
        "doing_business_as": "Northwind Clinic",
        "organization_type": "commercial",
        "organization_legal_type": "llc",
        "country_code": "US",
        "jurisdiction_of_incorporation": "Delaware",
        "website": "https://northwind.example",
        "fein": "12-3456789",
        "industry": "healthcare",
        "number_of_employees": "51-200",
        "organization_contact": {**contact, "job_title": "CEO"},
        "billing_contact": contact,
        "organization_physical_address": address,
        "billing_address": address,
    }
    body.update(overrides)
    return body


def dir_body(**overrides) -> dict:
    body = {
        "display_name": "Northwind Clinic",
        "authorizer_name": "Ada Park",
        "authorizer_email": "ada.park@northwind.example",
        "call_reasons": ["Appointment reminders", "Billing inquiries"],
        "certify_brand_is_accurate": True,
        "certify_no_shaft_content": True,
        "certify_ip_ownership": True,
    }
    body.update(overrides)
    return body


@pytest.fixture
def sim_http(db, monkeypatch):
    """An httpx client on the simulator's WSGI app (real HTTP semantics, same database connection)."""
    # Django's WSGI handler closes "old" connections at the start and end of every request, which
    # would end the test's transaction (STACK.md §5). Disconnecting the signal is not enough: the
    # Django test client reconnects it after each of its own requests. So, like the test client,
    # make that check a no-op for as long as the test runs.
    from django.db.backends.base.base import BaseDatabaseWrapper

    monkeypatch.setattr(BaseDatabaseWrapper, "close_if_unusable_or_obsolete", lambda self: None)
    with httpx.Client(transport=simulator_transport(), base_url="http://sim.test") as client:
        yield client


@pytest.fixture
def sim(sim_http) -> Sim:
    account = sim_http.post("/_sim/accounts", json={"name": "Northwind"}).json()["data"]
    return Sim(sim_http, account)


@pytest.fixture
def other_sim(sim_http) -> Sim:
    account = sim_http.post("/_sim/accounts", json={"name": "Intruder"}).json()["data"]
    return Sim(sim_http, account)


def simulator_transport() -> httpx.WSGITransport:
    """The simulator's WSGI app as an httpx transport (in-process, real HTTP semantics)."""
    return httpx.WSGITransport(app=SimulatorHandler())


@pytest.fixture
def sim_route():
    """Every Telnyx client the portal makes during the test talks to the simulator in-process."""
    with telnyx.client_route(
        transport=simulator_transport(), base_url=SIM_BASE_URL, sleep=lambda seconds: None
    ):
        yield


@pytest.fixture
def connected(sim, team_a, sim_route):
    """team_a's TelnyxAccount holds the simulator account's key."""
    from portal.accounts.models import TelnyxAccount

    return TelnyxAccount.objects.create(team=team_a, api_key=sim.key, api_key_last4=sim.key[-4:])


@pytest.fixture
def make_dir(sim, connected):
    """Create a DIR on the simulator, move it to a status, and mirror it; returns (local row, remote dict)."""
    from portal.dirs.models import Dir
    from portal.sync import services as sync_services

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


@pytest.fixture
def route_through():
    """`route_through(transport)`: for the rest of the test, the portal's Telnyx clients use `transport`.

    For tests that wrap the simulator's transport (recording requests, injecting faults); the
    innermost route wins, so this overrides `sim_route` and `connected`.
    """
    stack = contextlib.ExitStack()

    def _route(transport: httpx.BaseTransport) -> httpx.BaseTransport:
        stack.enter_context(
            telnyx.client_route(transport=transport, base_url=SIM_BASE_URL, sleep=lambda seconds: None)
        )
        return transport

    yield _route
    stack.close()


# --- The simulator as its own server process (`manage.py runsimulator`), as scripts/run runs it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_stop(process: subprocess.Popen) -> str:
    """Stop a process and every child of its group (it was started in a session of its own); its output."""
    process.terminate()
    try:
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0].decode(errors="replace")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(process.pid, signal.SIGKILL)
    return output


@contextlib.contextmanager
def simulator_server(tmp_path: Path, *, seed: list[str] | None = None) -> Iterator[tuple[str, str | None]]:
    """`runsimulator` on a free port with its own SQLite database; yields (base URL, key of the seeded account).

    `seed` are `simulator_seed` arguments (e.g. ["--numbers", "600", "--dirs", "3"]); without it no
    account exists and the key is None.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV_FILE": str(tmp_path / "none.env"),
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "SIMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'sim.sqlite3'}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "--database", "simulator", "-v0"], **run)
    key = None
    if seed is not None:
        seeded = subprocess.run([sys.executable, "manage.py", "simulator_seed", *seed], **run)
        key = seeded.stdout.rsplit("account key ", 1)[1].strip()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsimulator", "--port", str(port), "--no-autopilot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/v2/dir", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, key
    finally:
        process_stop(process)


def letter_pdf(*numbers: str) -> bytes:
    """A signed-looking LOA made elsewhere (not rendered by the simulator) that lists `numbers`."""
    from weasyprint import HTML

    rows = "".join(f"<li>{n}</li>" for n in numbers)
    return HTML(
        string=f"<h1>Letter of Authorization</h1><p>Numbers:</p><ul>{rows}</ul><p>Signed: Ada Park</p>"
    ).write_pdf()
