"""CONTRACT.md §4 and §10: injected 429s, 5xx, latency, and "commit then drop the response"."""

from __future__ import annotations

import time

import pytest

from portal.simulator.middleware import ConnectionDropped
from portal.simulator.models import Enterprise
from tests.sim import enterprise_body
from tests.simulator.test_transport import assert_envelope


def test_rate_limit_fault_has_retry_after_and_ratelimit_headers(sim):
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "^/v2/dir$", "retry_after": 7, "count": 1},
    )
    response = sim.get("/v2/dir")
    assert_envelope(response, 429, "10011")
    assert response.headers["Retry-After"] == "7"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["x-ratelimit-reset"] == "7"
    assert {"x-ratelimit-limit"} <= set(response.headers)
    assert sim.get("/v2/dir").status_code == 200  # count=1: only the first request


def test_error_fault_every_nth_request_and_method_filter(sim):
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": "/v2/enterprises", "every": 2, "method": "GET"},
    )
    statuses = [sim.get("/v2/enterprises").status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]
    assert sim.post("/v2/enterprises", json=enterprise_body()).status_code == 201  # POSTs untouched


def test_latency_fault(sim):
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "latency", "latency_ms": 300, "pattern": "^/v2/dir$"})
    started = time.monotonic()
    assert sim.get("/v2/dir").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_after_commit_writes_then_answers_502(sim):
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "drop_after_commit", "pattern": "^/v2/enterprises$", "method": "POST", "count": 1},
    )
    response = sim.post("/v2/enterprises", json=enterprise_body(legal_name="Lost Response LLC"))
    assert response.status_code == 502
    assert Enterprise.objects.filter(legal_name="Lost Response LLC").count() == 1  # the write happened
    retried = sim.post("/v2/enterprises", json=enterprise_body(legal_name="Lost Response LLC"))
    assert_envelope(retried, 409, "10012")  # a blind retry now collides


def test_drop_after_commit_can_close_the_connection(sim):
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "drop_after_commit", "status": 0, "pattern": "^/v2/enterprises$", "count": 1},
    )
    with pytest.raises(ConnectionDropped):
        sim.post("/v2/enterprises", json=enterprise_body(legal_name="Dropped LLC"))
    assert Enterprise.objects.filter(legal_name="Dropped LLC").exists()


def test_faults_can_be_listed_and_cleared(sim):
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "pattern": "."})
    assert len(sim.ok("GET", "/_sim/faults")["data"]) == 1
    sim.ok("DELETE", "/_sim/faults")
    assert sim.get("/v2/dir").status_code == 200


def test_faults_only_hit_the_account_that_set_them(sim, other_sim):
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/dir$"})
    assert sim.get("/v2/dir").status_code == 503
    assert other_sim.get("/v2/dir").status_code == 200
    assert other_sim.ok("GET", "/_sim/faults")["data"] == []
    other_sim.ok("DELETE", "/_sim/faults")  # cannot clear someone else's
    assert sim.get("/v2/dir").status_code == 503
