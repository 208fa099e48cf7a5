"""CONTRACT.md §5.3–5.5 and §7.1: DIR create, list, update, delete, submit; reference data; comments."""

from __future__ import annotations

import pytest

from portal.simulator.models import Dir
from tests.sim import dir_body
from tests.simulator.test_transport import assert_envelope


def _transition(sim, dir_id, to, **extra):
    return sim.ok("POST", f"/_sim/dir/{dir_id}/transition", json={"to": to, **extra})["data"]


def test_create_returns_a_draft_with_reason_objects(sim):
    dir_ = sim.dir()
    assert dir_["status"] == "draft"
    assert [r["reason"] for r in dir_["call_reasons"]] == ["Appointment reminders", "Billing inquiries"]
    assert all(r["created_at"].endswith("Z") for r in dir_["call_reasons"])
    assert dir_["rejection_reasons"] is None and dir_["documents"] == []


def test_create_needs_an_activated_non_bpo_enterprise(sim):
    enterprise = sim.enterprise()
    errors = assert_envelope(
        sim.post(f"/v2/enterprises/{enterprise['id']}/dir", json=dir_body()), 400, "10015"
    )
    assert f"POST /v2/enterprises/{enterprise['id']}/branded_calling" in errors[0]["detail"]
    bpo = sim.enterprise(role_type="bpo")
    assert_envelope(sim.post(f"/v2/enterprises/{bpo['id']}/dir", json=dir_body()), 400, "10015")


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"display_name": ""}, "/body/display_name"),
        ({"display_name": "x" * 36}, "/body/display_name"),
        ({"display_name": "   "}, "/body/display_name"),
        ({"display_name": "Clinic 😀"}, "/body/display_name"),
        ({"call_reasons": []}, "/body/call_reasons"),
        ({"call_reasons": ["a"] * 11}, "/body/call_reasons"),
        ({"call_reasons": ["x" * 65]}, "/body/call_reasons/0"),
        ({"certify_ip_ownership": False}, "/body/certify_ip_ownership"),
        ({"authorizer_email": "not-an-email"}, "/body/authorizer_email"),
        ({"logo_url": "http://cdn.example/logo.bmp"}, "/body/logo_url"),
        ({"logo_url": "https://cdn.example/logo.png"}, "/body/logo_url"),
        ({"logo_url": "https://cdn.example/" + "a" * 120 + ".bmp"}, "/body/logo_url"),
        ({"webhook_url": "http://portal.example/hook"}, "/body/webhook_url"),
        ({"documents": [{"document_id": "00000000-0000-4000-8000-000000000000", "document_type": "ein_letter"}]},
         "/body/documents/0/document_id"),
    ],
)  # fmt: skip
def test_create_validation_points_at_the_field(sim, change, pointer):
    enterprise = sim.activated_enterprise()
    response = sim.post(f"/v2/enterprises/{enterprise['id']}/dir", json=dir_body(**change))
    errors = assert_envelope(response, 400, "10015")
    assert pointer in [e["source"]["pointer"] for e in errors]
    assert not Dir.objects.exists()


def test_documents_are_append_only_and_linked(sim):
    first = sim.document()
    dir_ = sim.dir(documents=[{"document_id": first["id"], "document_type": "business_registration"}])
    second = sim.document(b"%PDF-1.4 ein")
    patched = sim.ok(
        "PATCH",
        f"/v2/dir/{dir_['id']}",
        json={"documents": [{"document_id": second["id"], "document_type": "ein_letter"}]},
    )["data"]
    assert [d["document_id"] for d in patched["documents"]] == [first["id"], second["id"]]
    again = sim.patch(
        f"/v2/dir/{dir_['id']}", json={"documents": [{"document_id": first["id"], "document_type": "other"}]}
    )
    errors = assert_envelope(again, 400, "10015")
    assert errors[0]["source"]["pointer"] == "/body/documents/0/document_id"
    links = sim.ok("GET", "/v2/document_links", params={"filter[linked_resource_id]": dir_["id"]})["data"]
    assert {link["document_id"] for link in links} == {first["id"], second["id"]}
    assert_envelope(sim.delete(f"/v2/documents/{first['id']}"), 422, "10015")


def test_list_filters_sorting_and_scoping(sim):
    enterprise = sim.activated_enterprise()
    other = sim.activated_enterprise()
    a = sim.dir(enterprise_id=enterprise["id"], display_name="Alpha Clinic", call_reasons=["Delivery Update"])
    b = sim.dir(enterprise_id=enterprise["id"], display_name="Beta Clinic")
    c = sim.dir(enterprise_id=other["id"], display_name="Gamma Labs")
    _transition(sim, b["id"], "verified")

    def ids(url, **params):
        return [d["id"] for d in sim.ok("GET", url, params=params)["data"]]

    assert ids("/v2/dir") == [c["id"], b["id"], a["id"]]
    assert ids("/v2/dir", sort="display_name") == [a["id"], b["id"], c["id"]]
    assert ids("/v2/dir", **{"filter[enterprise_id]": other["id"]}) == [c["id"]]
    assert ids("/v2/dir", **{"filter[status]": "verified"}) == [b["id"]]
    assert ids("/v2/dir", **{"filter[display_name][contains]": "CLINIC"}) == [b["id"], a["id"]]
    assert ids("/v2/dir", **{"filter[call_reason][contains]": "delivery"}) == [a["id"]]
    scoped = f"/v2/enterprises/{enterprise['id']}/dir"
    assert ids(scoped) == [b["id"], a["id"]]
    assert ids(scoped, **{"filter[expiring_within_days]": "365"}) == [b["id"]]
    assert ids(scoped, sort="-verified_at") == [b["id"], a["id"]]  # never-verified last
    assert ids(scoped, sort="verified_at") == [b["id"], a["id"]]
    for params in ({"sort": "verified_at"}, {"filter[status]": "bogus"}):
        assert_envelope(sim.get("/v2/dir", params=params), 400, "10015")
    both = {"filter[expiring_within_days]": "30", "filter[expiring_at][gte]": "2026-01-01T00:00:00Z"}
    assert_envelope(sim.get(scoped, params=both), 400, "10015")


@pytest.mark.parametrize("status", ["draft", "rejected", "unsuccessful"])
def test_patch_is_a_pure_edit_in_editable_statuses(sim, status):
    dir_ = sim.dir()
    if status != "draft":
        _transition(sim, dir_["id"], status)
    patched = sim.ok(
        "PATCH",
        f"/v2/dir/{dir_['id']}",
        json={"display_name": "New Name", "call_reasons": ["Follow-Up Calls"]},
    )["data"]
    assert patched["status"] == status
    assert patched["display_name"] == "New Name"
    assert [r["reason"] for r in patched["call_reasons"]] == ["Follow-Up Calls"]  # replaces the list


@pytest.mark.parametrize("status", ["submitted", "in_review", "expired", "permanently_rejected"])
def test_patch_is_refused_in_locked_statuses(sim, status):
    dir_ = sim.dir()
    if status == "submitted":
        sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")
    else:
        _transition(sim, dir_["id"], status)
    errors = assert_envelope(sim.patch(f"/v2/dir/{dir_['id']}", json={"display_name": "X"}), 400, "10015")
    assert errors[0]["detail"] == f"Cannot update DIR in '{status}' status"


def test_patch_on_verified(sim):
    dir_ = sim.verified_dir()
    url = f"/v2/dir/{dir_['id']}"
    assert sim.ok("PATCH", url, json={})["data"]["status"] == "verified"
    assert sim.ok("PATCH", url, json={"display_name": dir_["display_name"]})["data"]["status"] == "verified"
    hooked = sim.ok("PATCH", url, json={"webhook_url": "https://portal.example/hook"})["data"]
    assert hooked["status"] == "verified" and hooked["webhook_url"] == "https://portal.example/hook"
    assert sim.ok("PATCH", url, json={"webhook_url": None})["data"]["webhook_url"] is None
    changed = sim.ok("PATCH", url, json={"display_name": "Renamed"})["data"]
    assert changed["status"] == "draft"
    assert changed["verified_at"] == dir_["verified_at"]  # kept until the next approval


def test_submit_rules(sim):
    dir_ = sim.dir()
    submitted = sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")["data"]
    assert submitted["status"] == "submitted" and submitted["submitted_at"]
    assert_envelope(sim.post(f"/v2/dir/{dir_['id']}/submit"), 400, "10015")
    _transition(
        sim, dir_["id"], "rejected", rejection_reasons=["documentation_incomplete", "website_unverifiable"]
    )
    rejected = sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]
    assert rejected["rejected_at"]
    assert [r["code"] for r in rejected["rejection_reasons"]] == [
        "documentation_incomplete",
        "website_unverifiable",
    ]
    assert rejected["rejection_reasons"][0]["message"] and rejected["rejection_reasons"][1]["message"] is None
    again = sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")["data"]
    assert again["rejection_reasons"] is None and again["rejected_at"] is None
    _transition(sim, dir_["id"], "permanently_rejected")
    assert_envelope(sim.post(f"/v2/dir/{dir_['id']}/submit"), 400, "10015")


def test_approval_sets_verified_at_and_a_one_year_expiry(sim):
    dir_ = sim.verified_dir()
    from datetime import datetime

    verified = datetime.fromisoformat(dir_["verified_at"].replace("Z", "+00:00"))
    expiring = datetime.fromisoformat(dir_["expiring_at"].replace("Z", "+00:00"))
    assert (expiring - verified).days == 365


def test_delete_rules(sim):
    dir_ = sim.dir()
    sim.ok("POST", f"/v2/dir/{dir_['id']}/submit")
    assert_envelope(sim.delete(f"/v2/dir/{dir_['id']}"), 400, "10015")
    _transition(sim, dir_["id"], "verified")
    sim.inventory("+13125550101")
    sim.ok(
        "POST",
        f"/v2/dir/{dir_['id']}/phone_numbers",
        201,
        json={"phone_numbers": ["+13125550101"], "documents": sim.loa()},
    )
    errors = assert_envelope(sim.delete(f"/v2/dir/{dir_['id']}"), 400, "10015")
    assert (
        errors[0]["detail"]
        == "DIR has 1 phone number(s) still attached. Delete every phone first, then delete the DIR."
    )
    sim.ok("DELETE", f"/v2/dir/{dir_['id']}/phone_numbers", json={"phone_numbers": ["+13125550101"]})
    response = sim.delete(f"/v2/dir/{dir_['id']}")
    assert response.status_code == 202
    assert response.json() == {"data": {"id": dir_["id"], "status": "delete_requested"}}
    assert sim.delete(f"/v2/dir/{dir_['id']}").status_code == 202  # idempotent
    assert sim.ok("GET", f"/v2/dir/{dir_['id']}")["data"]["delete_requested_at"]
    sim.ok("POST", f"/_sim/dir/{dir_['id']}/complete_deletion")
    assert_envelope(sim.get(f"/v2/dir/{dir_['id']}"), 404, "10009")


def test_document_types_and_call_reasons(sim):
    types = sim.ok("GET", "/v2/dir/document_types")
    assert len(types["data"]) == 16 and types["meta"]["total_results"] == 16
    assert {"letter_of_authorization", "bank_reference_letter", "other"} <= {
        t["short_name"] for t in types["data"]
    }
    reasons = sim.ok("GET", "/v2/call_reasons")["data"]
    assert {"Appointment Reminder", "Follow-Up Calls"} <= {r["reason"] for r in reasons}
    result = sim.ok(
        "POST", "/v2/call_reasons/validate", json=["  appointment reminder ", "Patient Follow-up"]
    )["data"]
    assert result == {
        "all_pre_approved": False,
        "requires_manual_vetting": True,
        "non_approved_reasons": ["Patient Follow-up"],
    }
    ok = sim.ok("POST", "/v2/call_reasons/validate", json=["Billing Inquiry"])["data"]
    assert ok["all_pre_approved"] is True and ok["non_approved_reasons"] == []


@pytest.mark.parametrize(
    ("body", "pointer"),
    [({"reasons": ["x"]}, "/body"), ([], "/body"), (["a"] * 11, "/body"), (["x" * 65], "/body/0")],
)
def test_call_reason_validation_errors_are_422(sim, body, pointer):
    errors = assert_envelope(sim.post("/v2/call_reasons/validate", json=body), 422, "10005")
    assert errors[0]["source"]["pointer"] == pointer


def test_comments(sim):
    dir_ = sim.dir()
    _transition(sim, dir_["id"], "rejected")
    posted = sim.ok(
        "POST",
        f"/v2/dir/{dir_['id']}/comments",
        201,
        json={
            "content": "We uploaded a clearer scan.",
            "author_name": "Mallory",
            "comment_type": "admin_response",
        },
    )["data"]
    assert (posted["comment_type"], posted["author_role"], posted["visibility"]) == (
        "customer_inquiry",
        "customer",
        "customer",
    )
    assert posted["author_name"] is None
    reply = sim.ok(
        "POST",
        f"/v2/dir/{dir_['id']}/comments",
        201,
        json={"content": "And the EIN letter.", "parent_comment_id": posted["id"]},
    )["data"]
    assert reply["parent_comment_id"] == posted["id"]
    comments = sim.ok("GET", f"/v2/dir/{dir_['id']}/comments")["data"]
    assert [c["comment_type"] for c in comments] == [
        "rejection_reason",
        "customer_inquiry",
        "customer_inquiry",
    ]
    only = sim.ok("GET", f"/v2/dir/{dir_['id']}/comments", params={"comment_type": "rejection_reason"})[
        "data"
    ]
    assert len(only) == 1 and only[0]["author_role"] == "admin"
    other = sim.dir()
    bad = sim.post(
        f"/v2/dir/{other['id']}/comments", json={"content": "x", "parent_comment_id": posted["id"]}
    )
    assert_envelope(bad, 400, "10015")
    assert_envelope(sim.post(f"/v2/dir/{dir_['id']}/comments", json={"content": ""}), 400, "10015")
