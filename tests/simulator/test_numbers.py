"""CONTRACT.md §5.10 and §5.13: atomic bulk add with per-category errors, removal, batches, inventory."""

from __future__ import annotations

import uuid

import pytest

from portal.simulator.models import Batch, DirPhoneNumber, DocumentLink
from tests.simulator.test_transport import assert_envelope


@pytest.fixture
def verified(sim):
    dir_ = sim.verified_dir()
    sim.inventory(*[f"+1312555{n:04}" for n in range(100, 140)])
    return dir_


def add(sim, dir_id, numbers, documents=None, *, enterprise_id=None):
    base = f"/v2/enterprises/{enterprise_id}/dir/{dir_id}" if enterprise_id else f"/v2/dir/{dir_id}"
    return sim.post(
        f"{base}/phone_numbers", json={"phone_numbers": numbers, "documents": documents or sim.loa()}
    )


def test_success_creates_one_batch_in_request_order(sim, verified):
    numbers = ["+13125550103", "3125550101", "+13125550102"]
    documents = sim.loa() + [
        {"document_id": sim.document(b"%PDF-1.4 reg")["id"], "document_type": "business_registration"}
    ]
    response = add(sim, verified["id"], numbers, documents)
    assert response.status_code == 201
    rows = response.json()["data"]
    assert [r["phone_number"] for r in rows] == [
        "+13125550103",
        "+13125550101",
        "+13125550102",
    ]  # 10 digits → +1
    assert len({r["batch_id"] for r in rows}) == 1
    assert {r["status"] for r in rows} == {"submitted"}
    assert {r["loa_document_id"] for r in rows} == {documents[0]["document_id"]}
    assert rows[0]["enterprise_id"] == verified["enterprise_id"]
    batch = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_number_batches/{rows[0]['batch_id']}")["data"]
    assert batch["total_count"] == 3 and batch["status"] == "submitted"
    assert batch["documents"] == [{**d, "description": None} for d in documents]
    assert [n["phone_number"] for n in batch["phone_numbers"]] == [r["phone_number"] for r in rows]
    assert DocumentLink.objects.filter(linked_record_type="dir_phone_number_batch").count() == 2


def test_every_failure_category_in_one_response_and_nothing_written(sim, verified):
    other = sim.verified_dir()
    add(sim, other["id"], ["+13125550110"])
    here = add(sim, verified["id"], ["+13125550111"]).json()["data"][0]
    sim.ok("POST", f"/_sim/phone_numbers/{here['id']}/transition", json={"to": "verified"})
    blocked = add(sim, verified["id"], ["+13125550112"]).json()["data"][0]
    sim.ok("POST", f"/_sim/phone_numbers/{blocked['id']}/transition", json={"to": "permanently_rejected"})
    sim.ok("DELETE", f"/v2/dir/{verified['id']}/phone_numbers", json={"phone_numbers": ["+13125550112"]})
    before = (Batch.objects.count(), DirPhoneNumber.objects.count(), DocumentLink.objects.count())

    numbers = ["12345", "+1 312 555 0120", "+13125550121", "+13125550121", "+19995550000",
               "+13125550112", "+13125550110", "+13125550111", "+13125550122"]  # fmt: skip
    response = add(sim, verified["id"], numbers)
    errors = assert_envelope(response, 400, "10016")
    by_category = {e["meta"]["category"]: e for e in errors}
    assert list(by_category) == [
        "invalid_format",
        "duplicate_in_request",
        "not_in_inventory",
        "permanently_rejected",
        "attached_to_another_dir",
        "already_attached_to_this_dir",
    ]
    assert by_category["invalid_format"]["meta"]["phone_numbers"] == ["12345", "+1 312 555 0120"]
    assert by_category["invalid_format"]["title"] == "Phone number must be in +E.164 format"
    assert by_category["duplicate_in_request"]["meta"]["phone_numbers"] == ["+13125550121"]
    assert (
        by_category["not_in_inventory"]["detail"]
        == "1 phone number(s) are not in your Telnyx inventory: +19995550000"
    )
    assert by_category["permanently_rejected"]["meta"]["phone_numbers"] == ["+13125550112"]
    assert by_category["attached_to_another_dir"]["meta"]["phone_numbers"] == ["+13125550110"]
    assert by_category["already_attached_to_this_dir"]["meta"]["phone_numbers"] == ["+13125550111"]
    assert all(e["source"]["pointer"] == "/body/phone_numbers" for e in errors)
    assert "+13125550122" not in str(errors)  # the good number is in no category
    assert (Batch.objects.count(), DirPhoneNumber.objects.count(), DocumentLink.objects.count()) == before


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"phone_numbers": []}, "/body/phone_numbers"),
        ({"phone_numbers": ["+13125550101"] * 16}, "/body/phone_numbers"),
        ({"phone_numbers": "+13125550101"}, "/body/phone_numbers"),
        ({"phone_numbers": ["+13125550101"], "documents": []}, "/body/documents"),
        ({"phone_numbers": ["+13125550101"], "documents": [{"document_id": "x", "document_type": "passport"}]},
         "/body/documents/0/document_type"),
    ],
)  # fmt: skip
def test_body_shape_errors(sim, verified, body, pointer):
    body.setdefault("documents", sim.loa())
    errors = assert_envelope(sim.post(f"/v2/dir/{verified['id']}/phone_numbers", json=body), 400, "10015")
    assert errors[0]["source"]["pointer"] == pointer


def test_documents_need_an_loa_that_exists(sim, verified):
    other_doc = [{"document_id": sim.document()["id"], "document_type": "ein_letter"}]
    errors = assert_envelope(add(sim, verified["id"], ["+13125550101"], other_doc), 400, "10015")
    assert "letter_of_authorization" in errors[0]["detail"]
    missing = [{"document_id": str(uuid.uuid4()), "document_type": "letter_of_authorization"}]
    errors = assert_envelope(add(sim, verified["id"], ["+13125550101"], missing), 400, "10015")
    assert errors[0]["source"]["pointer"] == "/body/documents/0/document_id"
    assert errors[0]["detail"].startswith("Document ") and errors[0]["detail"].endswith(" not found")


def test_dir_must_be_verified_and_free_of_open_claims(sim):
    draft = sim.dir()
    sim.inventory("+13125550101")
    errors = assert_envelope(add(sim, draft["id"], ["+13125550101"]), 400, "10015")
    assert errors[0]["detail"].endswith("DIR must be verified")
    claimed = sim.verified_dir()
    claim = sim.ok("POST", f"/_sim/dir/{claimed['id']}/claims", 201, json={})["data"]
    errors = assert_envelope(add(sim, claimed["id"], ["+13125550101"]), 400, "10015")
    assert claim["id"] in errors[0]["detail"]


def test_enterprise_form_is_identical_and_checks_the_enterprise(sim, verified):
    response = add(sim, verified["id"], ["+13125550101"], enterprise_id=verified["enterprise_id"])
    assert response.status_code == 201
    listed = sim.ok("GET", f"/v2/enterprises/{verified['enterprise_id']}/dir/{verified['id']}/phone_numbers")
    assert [n["phone_number"] for n in listed["data"]] == ["+13125550101"]
    wrong = sim.activated_enterprise()
    assert_envelope(add(sim, verified["id"], ["+13125550102"], enterprise_id=wrong["id"]), 404, "10009")
    assert_envelope(
        sim.get(f"/v2/enterprises/{wrong['id']}/dir/{verified['id']}/phone_number_batches"), 404, "10009"
    )


def test_readding_an_unsuccessful_number_moves_it_into_a_new_batch(sim, verified):
    row = add(sim, verified["id"], ["+13125550101"]).json()["data"][0]
    sim.ok(
        "POST",
        f"/_sim/phone_numbers/{row['id']}/transition",
        json={"to": "unsuccessful", "rejection_reason": "number_not_in_service"},
    )
    failed = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers")["data"][0]
    assert failed["rejection_reason"]["code"] == "number_not_in_service"
    again = add(sim, verified["id"], ["+13125550101"]).json()["data"][0]
    assert again["id"] == row["id"] and again["batch_id"] != row["batch_id"]
    assert again["status"] == "submitted" and again["rejection_reason"] is None
    assert sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers")["meta"]["total_results"] == 1


def test_remove_partial_success_and_all_fail(sim, verified):
    add(sim, verified["id"], ["+13125550101", "+13125550102"])
    response = sim.delete(
        f"/v2/dir/{verified['id']}/phone_numbers",
        json={"phone_numbers": ["3125550101", "+13125550199", "+13125550101"]},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": ["+13125550101"],
        "meta": {"errors": [{"phone_number": "+13125550199", "code": "not_associated",
                             "title": "Phone number not associated", "detail": "+13125550199 is not attached to this DIR"}]},
    }  # fmt: skip
    listed = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers")["data"]
    assert [n["phone_number"] for n in listed] == ["+13125550102"]
    errors = assert_envelope(
        sim.delete(f"/v2/dir/{verified['id']}/phone_numbers", json={"phone_numbers": ["+13125550199"]}),
        400,
        "10015",
    )
    assert errors[0]["meta"]["phone_numbers"] == ["+13125550199"]
    assert errors[0]["meta"]["category"] == "not_associated"
    too_many = {"phone_numbers": [f"+1312555{n:04}" for n in range(101)]}
    assert_envelope(sim.delete(f"/v2/dir/{verified['id']}/phone_numbers", json=too_many), 400, "10015")


def test_removed_number_is_free_for_another_dir(sim, verified):
    add(sim, verified["id"], ["+13125550101"])
    sim.ok("DELETE", f"/v2/dir/{verified['id']}/phone_numbers", json={"phone_numbers": ["+13125550101"]})
    other = sim.verified_dir()
    assert add(sim, other["id"], ["+13125550101"]).status_code == 201


def test_permanently_rejected_survives_removal(sim, verified):
    row = add(sim, verified["id"], ["+13125550101"]).json()["data"][0]
    sim.ok("POST", f"/_sim/phone_numbers/{row['id']}/transition", json={"to": "permanently_rejected"})
    sim.ok("DELETE", f"/v2/dir/{verified['id']}/phone_numbers", json={"phone_numbers": ["+13125550101"]})
    other = sim.verified_dir()
    errors = assert_envelope(add(sim, other["id"], ["+13125550101"]), 400, "10015")
    assert errors[0]["meta"]["category"] == "permanently_rejected"


def test_batch_list_filter_and_aggregate_status(sim, verified):
    first = add(sim, verified["id"], ["+13125550101", "+13125550102"]).json()["data"]
    second = add(sim, verified["id"], ["+13125550103"]).json()["data"]
    sim.ok("POST", f"/_sim/phone_numbers/{first[0]['id']}/transition", json={"to": "verified"})
    batches = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_number_batches")["data"]
    assert [b["batch_id"] for b in batches] == [second[0]["batch_id"], first[0]["batch_id"]]  # newest first
    assert batches[1]["status"] == "submitted"  # mixed: submitted outranks verified
    sim.ok("POST", f"/_sim/phone_numbers/{first[1]['id']}/transition", json={"to": "verified"})
    filtered = sim.ok(
        "GET", f"/v2/dir/{verified['id']}/phone_number_batches", params={"filter[status]": "verified"}
    )["data"]
    assert [b["batch_id"] for b in filtered] == [first[0]["batch_id"]]
    sim.ok("PATCH", f"/v2/dir/{verified['id']}", json={"display_name": "Renamed Clinic"})
    batch = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_number_batches/{first[0]['batch_id']}")["data"]
    assert batch["dir_display_name"] == "Renamed Clinic"
    assert_envelope(sim.get(f"/v2/dir/{verified['id']}/phone_number_batches/{uuid.uuid4()}"), 404, "10009")


def test_batch_precedence_rule():
    from portal.simulator.services import batch_aggregate

    assert batch_aggregate(["verified", "verified"]) == "verified"
    assert batch_aggregate(["verified", "in_review", "unsuccessful"]) == "in_review"
    assert batch_aggregate(["verified", "unsuccessful"]) == "unsuccessful"
    assert batch_aggregate(["expired", "permanently_rejected"]) == "permanently_rejected"
    assert batch_aggregate([]) is None


def test_number_list_pages_and_legacy_status_filter(sim, verified):
    for start in (100, 115):
        add(sim, verified["id"], [f"+1312555{n:04}" for n in range(start, start + 15)])
    body = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers", params={"page[size]": 20})
    assert body["meta"] == {"page_number": 1, "page_size": 20, "total_pages": 2, "total_results": 30}
    assert [n["phone_number"] for n in body["data"]][:2] == ["+13125550100", "+13125550101"]
    assert (
        sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers", params={"status": "verified"})["meta"][
            "total_results"
        ]
        == 0
    )


def test_inventory_list_and_verify_ownership(sim):
    sim.inventory("+13125550100", "+13125550101")
    sim.inventory("+13125550102", status="port-pending")
    listed = sim.ok("GET", "/v2/phone_numbers", params={"filter[phone_number]": "5550101"})["data"]
    assert [n["phone_number"] for n in listed] == ["+13125550101"]
    assert listed[0]["record_type"] == "phone_number"
    result = sim.ok("POST", "/v2/phone_numbers/actions/verify_ownership",
                    json={"phone_numbers": ["+13125550100", "+13125550102", "+19995550000"]})["data"]  # fmt: skip
    assert result["record_type"] == "phone_number_ownership"
    assert [f["number_val_e164"] for f in result["found"]] == ["+13125550100"]
    assert result["not_found"] == ["+13125550102", "+19995550000"]
    # A port-pending number is not "in inventory" for Branded Calling.
    dir_ = sim.verified_dir()
    errors = assert_envelope(add(sim, dir_["id"], ["+13125550102"]), 400, "10015")
    assert errors[0]["meta"]["category"] == "not_in_inventory"


def test_paging_index_matches_a_plain_listing_through_adds_removals_and_readds(sim, settings):
    """Pages served through the index are exactly the attached numbers in order, whatever happened."""
    import random

    from portal.simulator.models import DirNumberIndex
    from portal.simulator.services import BLOCK

    dir_ = sim.verified_dir()
    pool = [f"+1415555{n:04}" for n in range(1200)]
    sim.inventory(*pool)
    rng = random.Random(7)
    attached: list[str] = []
    for step in range(60):
        free = [n for n in pool if n not in attached]
        if step % 5 == 4 and attached:
            gone = rng.sample(attached, min(len(attached), rng.randint(1, 20)))
            sim.ok("DELETE", f"/v2/dir/{dir_['id']}/phone_numbers", json={"phone_numbers": gone})
            attached = [n for n in attached if n not in gone]
        else:
            batch = rng.sample(free, 15)
            sim.ok(
                "POST",
                f"/v2/dir/{dir_['id']}/phone_numbers",
                201,
                json={"phone_numbers": batch, "documents": sim.loa()},
            )
            attached += batch
    assert len(attached) > 2 * BLOCK  # several blocks, with gaps from removals
    for size in (250, 97, 1):
        pages = -(-len(attached) // size)
        for number in {1, 2, pages // 2, pages - 1, pages, pages + 1}:
            body = sim.ok(
                "GET",
                f"/v2/dir/{dir_['id']}/phone_numbers",
                params={"page[number]": number, "page[size]": size},
            )
            expected = attached[(number - 1) * size : number * size]
            assert [n["phone_number"] for n in body["data"]] == expected, (size, number)
            assert body["meta"]["total_results"] == len(attached)
    index = DirNumberIndex.objects.get(dir_id=dir_["id"])
    assert len(index.anchors) == -(-len(attached) // BLOCK)


def test_a_missing_paging_index_is_built_on_first_listing(sim, verified):
    from portal.simulator.models import DirNumberIndex

    add(sim, verified["id"], ["+13125550101", "+13125550102"])
    DirNumberIndex.objects.all().delete()  # as for data attached before the index existed
    listed = sim.ok("GET", f"/v2/dir/{verified['id']}/phone_numbers")
    assert [n["phone_number"] for n in listed["data"]] == ["+13125550101", "+13125550102"]
    assert DirNumberIndex.objects.get(dir_id=verified["id"]).total == 2
