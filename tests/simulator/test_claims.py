"""CONTRACT.md §5.11 and §7.4: infringement claims — filing, contest, resolution and what they block."""

from __future__ import annotations

import uuid

import pytest

from tests.simulator.test_transport import assert_envelope


@pytest.fixture
def claimed(sim):
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    number = sim.ok("POST", f"/v2/dir/{dir_['id']}/phone_numbers", 201,
                    json={"phone_numbers": ["+13125550101"], "documents": sim.loa()})["data"][0]  # fmt: skip
    sim.ok("POST", f"/_sim/phone_numbers/{number['id']}/transition", json={"to": "verified"})
    claim = sim.ok("POST", f"/_sim/dir/{dir_['id']}/claims", 201, json={"claimant_name": "Contoso Ltd."})[
        "data"
    ]
    return dir_, claim, number


def numbers_status(sim, dir_id):
    return [n["status"] for n in sim.ok("GET", f"/v2/dir/{dir_id}/phone_numbers")["data"]]


def test_filing_suspends_the_dir_and_its_verified_numbers(sim, claimed):
    dir_, claim, _ = claimed
    assert claim["status"] == "pending" and claim["dir"]["status"] == "suspended"
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]["status"] == "suspended"
    assert numbers_status(sim, dir_["id"]) == ["suspended"]
    listed = sim.ok("GET", f"/v2/dir/{dir_['id']}/infringement_claims")
    assert [c["id"] for c in listed["data"]] == [claim["id"]]
    assert sim.ok("GET", f"/v2/infringement_claims/{claim['id']}")["data"]["claimant_name"] == "Contoso Ltd."


def test_open_claim_blocks_submit_delete_and_add(sim, claimed):
    dir_, claim, _ = claimed
    errors = assert_envelope(sim.post(f"/v2/dir/{dir_['id']}/submit"), 400, "10015")
    assert claim["id"] in errors[0]["detail"]
    assert_envelope(sim.delete(f"/v2/dir/{dir_['id']}"), 409, "10021")
    # Editing a suspended DIR is allowed and leaves it suspended.
    assert (
        sim.ok("PATCH", f"/v2/dir/{dir_['id']}", json={"display_name": "Other"})["data"]["status"]
        == "suspended"
    )


def test_contest_first_moves_to_contested_later_ones_append(sim, claimed):
    _, claim, _ = claimed
    doc = sim.document()
    first = sim.ok("POST", f"/v2/infringement_claims/{claim['id']}/contest",
                   json={"contest_notes": "We own the trademark since 2001.",
                         "documents": [{"document_id": doc["id"], "document_type": "trademark_registration"}]})["data"]  # fmt: skip
    assert first["status"] == "contested" and len(first["contest_documents"]) == 1
    second = sim.ok(
        "POST",
        f"/v2/infringement_claims/{claim['id']}/contest",
        json={"contest_notes": "More evidence attached."},
    )["data"]
    assert second["status"] == "contested"
    assert [h["document_count"] for h in second["contest_history"]] == [1, 0]


@pytest.mark.parametrize(
    "body",
    [{"contest_notes": "short"}, {"contest_notes": "x" * 2001},
     {"contest_notes": "long enough notes", "documents": [{"document_id": "a", "document_type": "other"}] * 2}],
)  # fmt: skip
def test_contest_validation_is_422(sim, claimed, body):
    assert_envelope(sim.post(f"/v2/infringement_claims/{claimed[1]['id']}/contest", json=body), 422, "10005")


def test_resolved_rejected_restores_the_dir_and_numbers(sim, claimed):
    dir_, claim, _ = claimed
    sim.ok(
        "POST",
        f"/_sim/claims/{claim['id']}/resolve",
        json={"resolution": "rejected", "notes": "No infringement."},
    )
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]["status"] == "verified"
    assert numbers_status(sim, dir_["id"]) == ["verified"]
    errors = assert_envelope(
        sim.post(f"/v2/infringement_claims/{claim['id']}/contest", json={"contest_notes": "too late now"}),
        400,
        "10015",
    )
    assert errors[0]["detail"] == "Infringement claim is resolved and cannot be contested."


def test_resolved_upheld_is_permanent(sim, claimed):
    dir_, claim, _ = claimed
    sim.ok("POST", f"/_sim/claims/{claim['id']}/resolve", json={"resolution": "upheld"})
    current = sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]
    assert current["status"] == "permanently_rejected"
    assert current["rejection_reasons"][0]["code"] == "infringement_claim_upheld"
    assert numbers_status(sim, dir_["id"]) == ["suspended"]


def test_resolved_modified_allows_edit_and_submit(sim, claimed):
    dir_, claim, _ = claimed
    sim.ok(
        "POST",
        f"/_sim/claims/{claim['id']}/resolve",
        json={"resolution": "modified", "notes": "Change the logo."},
    )
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]["status"] == "suspended"
    assert sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")["data"]["status"] == "submitted"
    assert numbers_status(sim, dir_["id"]) == ["submitted"]  # resubmit from suspended


def test_other_accounts_claims_are_404(sim, other_sim, claimed):
    assert_envelope(other_sim.get(f"/v2/infringement_claims/{claimed[1]['id']}"), 404, "10009")
    assert_envelope(sim.get(f"/v2/infringement_claims/{uuid.uuid4()}"), 404, "10009")


INFRINGEMENT_FIX = {
    "certify_brand_is_accurate": True,
    "certify_ip_ownership": True,
    "certify_no_infringement": True,
    "certify_no_shaft_content": True,
    "infringement_resolution_notes": "We changed the name and attach our licence.",
}


def test_infringement_update_resubmits_with_the_claim_open(sim, claimed, settings):
    dir_, claim, _ = claimed
    doc = sim.document()
    fixed = sim.ok(
        "PUT",
        f"/v2/dir/{dir_['id']}/infringement_update",
        json={**INFRINGEMENT_FIX, "display_name": "Acme Care",
              "documents": [{"document_id": doc["id"], "document_type": "trademark_registration"}]},
    )["data"]  # fmt: skip
    assert fixed["status"] == "submitted" and fixed["display_name"] == "Acme Care"
    assert sim.ok("GET", f"/v2/infringement_claims/{claim['id']}")["data"]["status"] == "pending"
    # Vetting passes → verified; the claim can then be resolved.
    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    for _ in range(2):
        sim.ok("POST", "/_sim/clock", json={"advance_seconds": 2})
        sim.ok("POST", "/_sim/tick")
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]["status"] == "verified"


def test_failed_infringement_revet_goes_back_to_suspended(sim, claimed, settings):
    dir_, _, _ = claimed
    sim.ok(
        "PUT",
        f"/v2/dir/{dir_['id']}/infringement_update",
        json={**INFRINGEMENT_FIX, "display_name": "Reject Acme"},
    )
    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    for _ in range(2):
        sim.ok("POST", "/_sim/clock", json={"advance_seconds": 2})
        sim.ok("POST", "/_sim/tick")
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]["status"] == "suspended"


@pytest.mark.parametrize(
    ("change", "pointer"),
    [({"certify_no_infringement": False}, "/body/certify_no_infringement"),
     ({"infringement_resolution_notes": "short"}, "/body/infringement_resolution_notes"),
     ({"display_name": "x" * 40}, "/body/display_name")],
)  # fmt: skip
def test_infringement_update_validation_is_422(sim, claimed, change, pointer):
    errors = assert_envelope(
        sim.put(f"/v2/dir/{claimed[0]['id']}/infringement_update", json={**INFRINGEMENT_FIX, **change}),
        422,
        "10005",
    )
    assert pointer in [e["source"]["pointer"] for e in errors]


def test_infringement_update_needs_a_suspended_dir_with_an_open_claim(sim):
    dir_ = sim.verified_dir()
    assert_envelope(sim.put(f"/v2/dir/{dir_['id']}/infringement_update", json=INFRINGEMENT_FIX), 400, "10015")
