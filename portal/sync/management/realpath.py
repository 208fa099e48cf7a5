"""The real path for benchmarks and drills: the simulator as its own server and real `qcluster` workers.

As `scripts/run` runs them: separate processes, talking HTTP and sharing only the databases. Nothing
here patches the queue, the client or a service.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Child processes started with `manage.py`, each in its own process group; all stopped on exit."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        for process in self.started:
            stop(process)

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.started.append(process)
        return process

    def simulator(self, *, latency_ms: int = 0) -> str:
        """Start `runsimulator` on a free port (on this process's simulator database, waiting `latency_ms`
        before each API call); returns its base URL once it answers."""
        port = free_port()
        process = self.start(
            "runsimulator", "--port", str(port), "--no-autopilot", SIMULATOR_LATENCY_MS=str(latency_ms)
        )
        server = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{server}/v2/dir", timeout=1)
                return server
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the simulator server did not start") from None
                time.sleep(0.2)

    def cluster(self, *, server: str, workers: int) -> subprocess.Popen:
        """Start `qcluster` with `workers` workers, talking to the simulator at `server`."""
        process = self.start("qcluster", TELNYX_API_BASE_URL=f"{server}/v2", Q_WORKERS=str(workers))
        time.sleep(3)  # the cluster's workers start before the first task is queued
        return process


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGCONT)  # a process stopped by a drill cannot handle SIGTERM
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), e.g. a cluster's sentinel, pusher, monitor and workers."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    kids = [int(p) for p in children.read().split()]
            except FileNotFoundError:
                continue
            found += kids
            todo += kids
    return found


def lease_pid(key: str) -> int | None:
    """The pid of the process holding the lease `key` ("host:pid:token"), if it is held."""
    from portal.core.models import Lease

    holder = Lease.objects.filter(key=key).values_list("holder", flat=True).first()
    try:
        return int(holder.split(":")[1]) if holder else None
    except (IndexError, ValueError):
        return None


def simulator_account(base_url: str, numbers: list[str], *, dirs: int = 1, transport=None) -> str:
    """A simulator account with `numbers` in its inventory and `dirs` verified DIRs; returns its API key."""
    with httpx.Client(transport=transport, base_url=base_url, timeout=30) as sim:
        key = sim.post("/_sim/accounts", json={"name": "Benchmark"}).json()["data"]["api_key"]
        sim.headers["Authorization"] = f"Bearer {key}"
        for start in range(0, len(numbers), 2000):
            sim.post(
                "/_sim/inventory", json={"phone_numbers": numbers[start : start + 2000]}
            ).raise_for_status()
        sim.post("/v2/terms_of_service/branded_calling/agree").raise_for_status()
        contact = {"first_name": "Ada", "last_name": "Park", "email": "ada@bench.example",
                   "phone_number": "+13125550100"}  # fmt: skip
        address = {"street_address": "1 Main St", "city": "Chicago", "administrative_area": "IL",
                   "postal_code": "60601", "country": "US"}  # fmt: skip
        enterprise = sim.post(
            "/v2/enterprises",
            json={
                "legal_name": f"Bench {uuid.uuid4().hex[:6]} LLC", "doing_business_as": "Bench",
                "organization_type": "commercial", "organization_legal_type": "llc", "country_code": "US",
                "jurisdiction_of_incorporation": "Delaware", "website": "https://bench.example",
                "fein": "12-3456789", "industry": "healthcare", "number_of_employees": "51-200",
                "organization_contact": {**contact, "job_title": "CEO"}, "billing_contact": contact,
                "organization_physical_address": address, "billing_address": address,
            },
        )  # fmt: skip
        enterprise.raise_for_status()
        enterprise_id = enterprise.json()["data"]["id"]
        sim.post(f"/v2/enterprises/{enterprise_id}/branded_calling").raise_for_status()
        for index in range(dirs):
            dir_ = sim.post(
                f"/v2/enterprises/{enterprise_id}/dir",
                json={
                    "display_name": f"Bench Clinic {index + 1}" if index else "Bench Clinic",
                    "authorizer_name": "Ada Park", "authorizer_email": "ada.park@bench.example",
                    "call_reasons": ["Appointment reminders"], "certify_brand_is_accurate": True,
                    "certify_no_shaft_content": True, "certify_ip_ownership": True,
                },
            )  # fmt: skip
            dir_.raise_for_status()
            dir_id = dir_.json()["data"]["id"]
            sim.post(f"/_sim/dir/{dir_id}/transition", json={"to": "verified"}).raise_for_status()
    return key
