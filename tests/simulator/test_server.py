"""`manage.py runsimulator` is a real threaded HTTP server; `simulator_seed --demo` fills every status."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from portal.simulator.models import Dir, DirPhoneNumber
from tests.sim import simulator_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path):
    with simulator_server(tmp_path) as (base, _key):
        yield base


def test_real_server_answers_concurrent_requests(server):
    key = httpx.post(f"{server}/_sim/accounts", json={"name": "load"}).json()["data"]["api_key"]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server, headers=headers, timeout=10) as client:
        client.post("/_sim/faults", json={"kind": "latency", "latency_ms": 200, "pattern": "^/v2/dir$"})
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(lambda _: client.get("/v2/dir").status_code, range(10)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 10
    assert elapsed < 1.5  # ten 200 ms requests in parallel, not one after another (2 s)


def test_real_server_can_drop_the_connection_after_the_write(server):
    from tests.sim import enterprise_body

    key = httpx.post(f"{server}/_sim/accounts", json={}).json()["data"]["api_key"]
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        client.post(
            "/_sim/faults",
            json={"kind": "drop_after_commit", "status": 0, "pattern": "^/v2/enterprises$", "count": 1},
        )
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v2/enterprises", json=enterprise_body(legal_name="Committed Then Dropped LLC"))
        listed = client.get("/v2/enterprises").json()
    assert [e["legal_name"] for e in listed["data"]] == ["Committed Then Dropped LLC"]


def test_demo_seed_covers_every_status(db):
    call_command("simulator_seed", "--demo", stdout=io.StringIO())
    statuses = set(Dir.objects.values_list("status", flat=True))
    assert statuses == {
        "verified", "in_review", "submitted", "draft", "rejected", "unsuccessful",
        "suspended", "expired", "permanently_rejected", "delete_requested",
    }  # fmt: skip
    number_statuses = set(DirPhoneNumber.objects.values_list("status", flat=True))
    assert {
        "verified",
        "in_review",
        "submitted",
        "unsuccessful",
        "permanently_rejected",
        "suspended",
        "expired",
    } == number_statuses
    rejected = Dir.objects.get(status="rejected")
    assert rejected.rejection_reasons[0]["message"] and rejected.rejection_reasons[1]["message"] is None
