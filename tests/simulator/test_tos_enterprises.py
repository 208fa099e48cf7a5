"""CONTRACT.md §5.1 (Terms of Service) and §5.2 (enterprises, Branded Calling activation)."""

from __future__ import annotations

import pytest

from tests.sim import enterprise_body
from tests.simulator.test_transport import assert_envelope


def test_tos_status_agree_is_idempotent_and_tracks_the_current_version(sim):
    status = sim.ok("GET", "/v2/terms_of_service/status")["data"]
    assert status["has_agreed"] is False and status["agreement_required"] is True
    first = sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")["data"]
    again = sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")["data"]
    assert first == again
    assert first["terms_version"] == first["version"] == "v1.0.0"
    status = sim.ok("GET", "/v2/terms_of_service/status")["data"]
    assert status["has_agreed"] is True and status["agreed_version"] == "v1.0.0"
    # A new version requires agreeing again; the old agreement is still reported.
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"branded_calling_terms_version": "v2.0.0"})
    status = sim.ok("GET", "/v2/terms_of_service/status")["data"]
    assert status["has_agreed"] is False and status["agreed_version"] == "v1.0.0"
    assert status["current_terms_version"] == "v2.0.0"
    agreements = sim.ok("GET", "/v2/terms_of_service/agreements")
    assert agreements["meta"]["total_results"] == 1
    assert sim.ok("GET", f"/v2/terms_of_service/agreements/{first['id']}")["data"]["id"] == first["id"]


def test_tos_info_is_not_wrapped_in_data(sim):
    body = sim.ok("GET", "/v2/terms_of_service/info")
    assert "data" not in body
    assert {a["product_type"] for a in body["agreements"]} == {"branded_calling", "number_reputation"}
    only = sim.ok("GET", "/v2/terms_of_service/info", params={"product_type": "branded_calling"})
    assert len(only["agreements"]) == 1


def test_create_enterprise_returns_every_field(sim):
    body = enterprise_body(customer_reference="crm-42")
    created = sim.ok("POST", "/v2/enterprises", 201, json=body)["data"]
    assert created["record_type"] == "enterprise"
    assert created["role_type"] == "enterprise"
    assert created["branded_calling_enabled"] is False
    assert created["bpo_verification_status"] is None
    assert created["organization_contact"] == body["organization_contact"]
    assert created["customer_reference"] == "crm-42"
    assert created["dun_bradstreet_number"] is None
    assert sim.ok("GET", f"/v2/enterprises/{created['id']}")["data"] == created


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"legal_name": "AB"}, "/body/legal_name"),
        ({"organization_type": "cooperative"}, "/body/organization_type"),
        ({"fein": "12345"}, "/body/fein"),
        ({"industry": "mining"}, "/body/industry"),
        ({"number_of_employees": "lots"}, "/body/number_of_employees"),
        ({"organization_contact": {"first_name": "A"}}, "/body/organization_contact/last_name"),
        ({"billing_address": {"street_address": "1 St", "city": "X", "administrative_area": "IL", "postal_code": "1", "country": "FR"}},
         "/body/billing_address/country"),
        ({"website": None}, "/body/website"),
    ],
)  # fmt: skip
def test_create_validation_is_422_with_a_pointer(sim, change, pointer):
    errors = assert_envelope(sim.post("/v2/enterprises", json=enterprise_body(**change)), 422, "10005")
    assert pointer in [e["source"]["pointer"] for e in errors]


def test_industry_is_case_insensitive_and_duplicates_are_409(sim):
    body = enterprise_body(industry="HealthCare")
    assert sim.post("/v2/enterprises", json=body).status_code == 201
    dup = dict(body, legal_name=body["legal_name"].upper())
    assert_envelope(sim.post("/v2/enterprises", json=dup), 409, "10012")


def test_list_filters_and_order(sim):
    a = sim.enterprise(legal_name="Alpha Health LLC")
    b = sim.enterprise(legal_name="Beta Logistics LLC", role_type="bpo")
    listed = sim.ok("GET", "/v2/enterprises")["data"]
    assert [e["id"] for e in listed] == [b["id"], a["id"]]  # newest first
    assert [
        e["id"]
        for e in sim.ok("GET", "/v2/enterprises", params={"filter[legal_name][contains]": "alpha"})["data"]
    ] == [a["id"]]
    assert [e["id"] for e in sim.ok("GET", "/v2/enterprises", params={"legal_name": "beta"})["data"]] == [
        b["id"]
    ]
    assert [
        e["id"] for e in sim.ok("GET", "/v2/enterprises", params={"filter[role_type]": "bpo"})["data"]
    ] == [b["id"]]
    assert b["bpo_verification_status"] == "pending"


def test_update_is_partial_and_refuses_immutable_fields(sim):
    enterprise = sim.enterprise()
    updated = sim.ok("PUT", f"/v2/enterprises/{enterprise['id']}", json={"website": "https://new.example"})[
        "data"
    ]
    assert updated["website"] == "https://new.example"
    assert updated["legal_name"] == enterprise["legal_name"]
    for field in ("country_code", "role_type", "branded_calling_enabled", "id"):
        errors = assert_envelope(
            sim.put(f"/v2/enterprises/{enterprise['id']}", json={field: "x"}), 400, "10015"
        )
        assert errors[0]["detail"] == f"Field '{field}' is not allowed in this request"


def test_activation_needs_terms_credit_and_us(sim):
    enterprise = sim.enterprise()
    errors = assert_envelope(sim.post(f"/v2/enterprises/{enterprise['id']}/branded_calling"), 403, "10010")
    assert errors[0]["detail"].startswith("terms_of_service_not_accepted:")
    sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")
    canadian = sim.enterprise(country_code="CA")
    assert_envelope(sim.post(f"/v2/enterprises/{canadian['id']}/branded_calling"), 400, "10015")
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"credit_available": False})
    errors = assert_envelope(sim.post(f"/v2/enterprises/{enterprise['id']}/branded_calling"), 400, "10015")
    assert "credit" in errors[0]["detail"]
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"credit_available": True})
    first = sim.ok("POST", f"/v2/enterprises/{enterprise['id']}/branded_calling")["data"]
    again = sim.ok("POST", f"/v2/enterprises/{enterprise['id']}/branded_calling")["data"]
    assert first["branded_calling_enabled"] is True
    assert first == again


def test_activation_delay_makes_dir_create_wait(sim):
    from tests.sim import dir_body

    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"activation_delay_seconds": 10})
    enterprise = sim.activated_enterprise()
    errors = assert_envelope(
        sim.post(f"/v2/enterprises/{enterprise['id']}/dir", json=dir_body()), 400, "10015"
    )
    assert "registration has not completed" in errors[0]["detail"]
    sim.ok("POST", "/_sim/clock", json={"advance_seconds": 11})
    assert sim.post(f"/v2/enterprises/{enterprise['id']}/dir", json=dir_body()).status_code == 201


def test_delete_rules(sim):
    enterprise = sim.activated_enterprise()
    dir_ = sim.dir(enterprise_id=enterprise["id"])
    sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")
    errors = assert_envelope(sim.delete(f"/v2/enterprises/{enterprise['id']}"), 400, "10015")
    assert dir_["id"] in errors[0]["detail"]
    sim.ok("POST", f"/_sim/dir/{dir_['id']}/transition", json={"to": "verified"})
    sim.ok("POST", f"/_sim/dir/{dir_['id']}/claims", 201, json={})
    assert_envelope(sim.delete(f"/v2/enterprises/{enterprise['id']}"), 409, "10021")
    other = sim.activated_enterprise()
    response = sim.delete(f"/v2/enterprises/{other['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_envelope(sim.get(f"/v2/enterprises/{other['id']}"), 404, "10009")
