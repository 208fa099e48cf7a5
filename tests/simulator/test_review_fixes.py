"""Regressions from an outside review of the simulator: each of these once gave a wrong answer or a 500."""

from __future__ import annotations

import pytest

from portal.simulator.models import Clock
from tests.simulator.test_transport import assert_envelope


@pytest.fixture
def verified(sim):
    dir_ = sim.verified_dir()
    sim.inventory(*[f"+1312555{n:04}" for n in range(100, 160)])
    return dir_


def add(sim, dir_id, numbers):
    return sim.post(
        f"/v2/dir/{dir_id}/phone_numbers", json={"phone_numbers": numbers, "documents": sim.loa()}
    )


def test_numbers_added_with_an_earlier_clock_are_still_listed(sim, verified):
    assert add(sim, verified["id"], [f"+1312555{n:04}" for n in range(100, 115)]).status_code == 201
    Clock.objects.update_or_create(
        pk=1, defaults={"offset_seconds": -3600}
    )  # rows now sort before the first anchor
    assert add(sim, verified["id"], [f"+1312555{n:04}" for n in range(115, 130)]).status_code == 201
    body = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers")
    assert body["meta"]["total_results"] == 30 and len(body["data"]) == 20


def test_a_racing_attach_to_another_dir_is_a_category_error_not_a_500(sim, verified, monkeypatch):
    other = sim.verified_dir()
    assert add(sim, other["id"], ["+13125550100"]).status_code == 201
    from portal.simulator.views import numbers

    real = numbers._check_numbers
    calls = []

    def blind_first(account, dir_, raw):  # the first check misses the other DIR, as in a race
        calls.append(1)
        return (
            ([], [n if n.startswith("+") else "+1" + n for n in raw])
            if len(calls) == 1
            else real(account, dir_, raw)
        )

    monkeypatch.setattr(numbers, "_check_numbers", blind_first)
    errors = assert_envelope(add(sim, verified["id"], ["+13125550100"]), 400, "10015")
    assert errors[0]["meta"]["category"] == "attached_to_another_dir"


def test_removal_recomputes_the_batch_status(sim, verified):
    rows = add(sim, verified["id"], ["+13125550100", "+13125550101"]).json()["data"]
    sim.ok("POST", f"/_sim/phone_numbers/{rows[0]['id']}/transition", json={"to": "verified"})
    sim.ok("POST", f"/_sim/phone_numbers/{rows[1]['id']}/transition", json={"to": "unsuccessful"})
    sim.ok("DELETE", f"/v2/dir/{verified['id']}/phone_numbers", json={"phone_numbers": ["+13125550101"]})
    batch = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_number_batches/{rows[0]['batch_id']}")["data"]
    assert (batch["status"], batch["total_count"]) == ("verified", 1)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "dir", {"reselling": None}, 400),
        ("PATCH", "dir", {"certify_ip_ownership": None}, 400),
        ("PATCH", "dir", {"documents": [{"document_id": "x", "document_type": ["list"]}]}, 400),
        ("POST", "numbers", {"phone_numbers": ["+13125550100"], "documents": [{"document_id": "x", "document_type": {"a": 1}}]}, 400),
        ("POST", "numbers", {"phone_numbers": ["+13125550100"], "documents": [{"document_id": "x", "document_type": "letter_of_authorization", "description": {"x": 1}}]}, 400),
    ],
)  # fmt: skip
def test_odd_json_types_are_refused_not_500(sim, verified, method, path, body, status):
    url = f"/v2/dir/{verified['id']}" + ("/phone_numbers" if path == "numbers" else "")
    assert_envelope(sim.request(method, url, json=body), status, "10015")


@pytest.mark.parametrize("raw", [b'{"display_name": NaN}', b"[" * 100_000, b'{"a": Infinity}'])
def test_nan_infinity_and_deep_nesting_are_bad_json(sim, verified, raw):
    response = sim.patch(
        f"/v2/dir/{verified['id']}", content=raw, headers={"content-type": "application/json"}
    )
    assert_envelope(response, 400, "10015")


def test_bad_sort_dates_and_multipart_are_refused(sim):
    assert_envelope(sim.get("/v2/documents", params={"sort": "--filename"}), 400, "10015")
    assert_envelope(
        sim.get("/v2/dir", params={"filter[expiring_at][gte]": "0001-01-01T00:00:00+01:00"}), 400, "10015"
    )
    response = sim.post("/v2/documents", content=b"--x\r\n", headers={"content-type": "multipart/form-data"})
    assert_envelope(response, 422, "10005")
    assert_envelope(
        sim.patch(f"/v2/documents/{sim.document()['id']}", json={"customer_reference": {"a": 1}}),
        422,
        "10005",
    )


def test_a_bad_fault_pattern_is_refused_and_never_breaks_the_api(sim):
    assert_envelope(sim.post("/_sim/faults", json={"kind": "error", "pattern": "(["}), 400, "10015")
    assert_envelope(sim.post("/_sim/faults", json={"kind": "error", "every": "often"}), 400, "10015")
    assert sim.get("/v2/enterprises").status_code == 200


def test_open_claim_blocks_adds_even_when_verified_again(sim, verified):
    claim = sim.ok("POST", f"/_sim/dir/{verified['id']}/claims", 201, json={})["data"]
    sim.ok(
        "POST", f"/_sim/dir/{verified['id']}/transition", json={"to": "verified"}
    )  # e.g. after infringement_update
    errors = assert_envelope(add(sim, verified["id"], ["+13125550100"]), 400, "10015")
    assert claim["id"] in errors[0]["detail"]


def test_standard_account_can_still_use_the_control_plane(sim):
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"account_level": "standard"})
    assert_envelope(sim.get("/v2/enterprises"), 403, "10038")
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"account_level": "verified"})
    assert sim.get("/v2/enterprises").status_code == 200


def test_numbers_with_a_trailing_newline_or_non_ascii_digits_are_invalid(sim, verified):
    errors = assert_envelope(add(sim, verified["id"], ["+13125550100\n", "+1٣١٢٥٥٥٠١٠٠"]), 400, "10016")
    assert errors[0]["meta"]["category"] == "invalid_format"
    assert len(errors[0]["meta"]["phone_numbers"]) == 2


def test_expiry_follows_the_clock_without_an_autopilot_step(sim, verified):
    sim.ok("POST", "/_sim/clock", json={"advance_seconds": 400 * 86400})
    assert sim.ok("GET", f"/v2/dir/{verified['id']}")["data"]["status"] == "expired"
    assert_envelope(add(sim, verified["id"], ["+13125550100"]), 400, "10015")


def test_create_and_bulk_add_bad_bodies_use_the_400_code(sim, verified):
    enterprise = sim.activated_enterprise()
    assert_envelope(
        sim.post(f"/v2/enterprises/{enterprise['id']}/dir", json=["not", "an", "object"]), 400, "10015"
    )
    bad = sim.post(
        f"/v2/dir/{verified['id']}/phone_numbers",
        content=b"{oops",
        headers={"content-type": "application/json"},
    )
    assert_envelope(bad, 400, "10015")
    assert_envelope(sim.post("/v2/enterprises", json=["x"]), 422, "10005")  # enterprises stay 422


def test_a_dismissed_claim_restores_the_earlier_status_and_dates(sim):
    draft = sim.dir()
    claim = sim.ok("POST", f"/_sim/dir/{draft['id']}/claims", 201, json={})["data"]
    sim.ok("POST", f"/_sim/claims/{claim['id']}/resolve", json={"resolution": "rejected"})
    assert (
        sim.ok("GET", f"/v2/dir/{draft['id']}")["data"]["status"] == "draft"
    )  # never vetted, never verified

    verified = sim.verified_dir()
    claim = sim.ok("POST", f"/_sim/dir/{verified['id']}/claims", 201, json={})["data"]
    sim.ok("POST", "/_sim/clock", json={"advance_seconds": 86400 * 30})
    sim.ok("POST", f"/_sim/claims/{claim['id']}/resolve", json={"resolution": "rejected"})
    after = sim.ok("GET", f"/v2/dir/{verified['id']}")["data"]
    assert after["status"] == "verified"
    assert (after["verified_at"], after["expiring_at"]) == (verified["verified_at"], verified["expiring_at"])
