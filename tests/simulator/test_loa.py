"""CONTRACT.md §5.8: the DIR LOA is a real PDF naming the business, the DIR and the numbers."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess

import pytest
from PIL import Image

from tests.simulator.test_transport import assert_envelope

AGENT = {
    "legal_name": "Callcenter Partners LLC",
    "street_address": "9 Side St",
    "city": "Austin",
    "administrative_area": "TX",
    "postal_code": "73301",
    "country": "US",
    "contact_name": "Bo Agent",
    "contact_title": "COO",
    "contact_email": "bo@ccp.example",
    "contact_phone": "+15125550100",
}


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "loa.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_render_unsigned_and_signed(sim, tmp_path):
    dir_ = sim.dir(display_name="Northwind Clinic")
    numbers = ["+13125550101", "+13125550102"]
    response = sim.post(
        f"/v2/dir/{dir_['id']}/loa", json={"phone_numbers": numbers}, headers={"Accept": "application/pdf"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="loa-{dir_["id"]}.pdf"'
    assert response.content.startswith(b"%PDF-")
    signed = sim.post(
        f"/v2/dir/{dir_['id']}/loa",
        json={
            "phone_numbers": numbers,
            "agent": AGENT,
            "signature": {"image_base64": _png(), "signer_name": "Ada Park"},
        },
    )
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = _text(response.content, tmp_path)
        assert "Northwind Clinic" in text and "+13125550102" in text and "N/A" in text
        signed_text = _text(signed.content, tmp_path)
        assert "Callcenter Partners LLC" in signed_text and "Ada Park" in signed_text


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"phone_numbers": []}, "/body/phone_numbers"),
        ({"phone_numbers": ["+1312555"]}, "/body/phone_numbers/0"),
        ({"phone_numbers": ["+13125550101"] * 16}, "/body/phone_numbers"),
        ({"phone_numbers": ["+13125550101"], "agent": {**AGENT, "country": "USA"}}, "/body/agent/country"),
        ({"phone_numbers": ["+13125550101"], "agent": {"legal_name": "X"}}, "/body/agent/street_address"),
        (
            {"phone_numbers": ["+13125550101"], "signature": {"image_base64": "bm90IGEgcG5n"}},
            "/body/signature/image_base64",
        ),
    ],
)
def test_render_validation(sim, body, pointer):
    dir_ = sim.dir()
    errors = assert_envelope(sim.post(f"/v2/dir/{dir_['id']}/loa", json=body), 400, "10015")
    assert pointer in [e["source"]["pointer"] for e in errors]


# --- Vetting: a letter the simulator rendered decides its batch's numbers (REJECTIONS.md N1–N4) ---


def _render(sim, dir_id, numbers, *, signed=True) -> bytes:
    body = {"phone_numbers": numbers}
    if signed:
        body["signature"] = {"image_base64": _png(), "signer_name": "Ada Park"}
    response = sim.post(f"/v2/dir/{dir_id}/loa", json=body, headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    return response.content


def _add_and_decide(sim, settings, dir_id, numbers, letter: bytes, *, before_decision=None) -> dict:
    from tests.simulator.test_lifecycle import tick

    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    document = sim.document(letter)
    documents = [{"document_id": document["id"], "document_type": "letter_of_authorization"}]
    sim.ok(
        "POST",
        f"/v2/dir/{dir_id}/phone_numbers",
        201,
        json={"phone_numbers": numbers, "documents": documents},
    )
    if before_decision:
        before_decision()
    tick(sim, 2)
    tick(sim, 2)
    listed = sim.ok("GET", f"/v2/dir/{dir_id}/phone_numbers", params={"page[size]": 250})["data"]
    return {n["phone_number"]: n for n in listed}


def test_a_number_its_rendered_letter_does_not_list_is_unsuccessful(sim, settings):
    dir_ = sim.verified_dir()
    numbers = ["+13125550101", "+13125550102", "+13125550103"]
    sim.inventory(*numbers)
    decided = _add_and_decide(sim, settings, dir_["id"], numbers, _render(sim, dir_["id"], numbers[:2]))
    assert [decided[n]["status"] for n in numbers[:2]] == ["verified", "verified"]
    assert decided[numbers[2]]["status"] == "unsuccessful"
    assert decided[numbers[2]]["rejection_reason"]["code"] == "loa_numbers_mismatch"


def test_an_unsigned_render_is_unsuccessful_with_loa_unsigned(sim, settings):
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    decided = _add_and_decide(
        sim, settings, dir_["id"], ["+13125550101"], _render(sim, dir_["id"], ["+13125550101"], signed=False)
    )
    assert decided["+13125550101"]["status"] == "unsuccessful"
    assert decided["+13125550101"]["rejection_reason"]["code"] == "loa_unsigned"


def test_a_letter_rendered_before_the_enterprise_changed_is_unsuccessful_with_loa_entity_mismatch(
    sim, settings
):
    from portal.simulator.models import Enterprise

    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    letter = _render(sim, dir_["id"], ["+13125550101"])

    def renamed():
        Enterprise.objects.filter(id=dir_["enterprise_id"]).update(legal_name="Northwind Holdings Inc.")

    decided = _add_and_decide(sim, settings, dir_["id"], ["+13125550101"], letter, before_decision=renamed)
    assert decided["+13125550101"]["status"] == "unsuccessful"
    assert decided["+13125550101"]["rejection_reason"]["code"] == "loa_entity_mismatch"


def test_the_number_rules_still_apply_to_numbers_their_letter_covers(sim, settings):
    dir_ = sim.verified_dir()
    numbers = ["+13125550101", "+13125550113"]
    sim.inventory(*numbers)
    decided = _add_and_decide(sim, settings, dir_["id"], numbers, _render(sim, dir_["id"], numbers))
    assert decided["+13125550101"]["status"] == "verified"
    assert decided["+13125550113"]["rejection_reason"]["code"] == "number_not_in_service"


def test_an_uploaded_letter_passes_the_numbers_its_text_lists_and_only_those(sim, settings):
    from tests.sim import letter_pdf

    dir_ = sim.verified_dir()
    numbers = ["+13125550101", "+13125550102"]
    sim.inventory(*numbers)
    decided = _add_and_decide(sim, settings, dir_["id"], numbers, letter_pdf("+1 (312) 555-0101"))
    assert decided["+13125550101"]["status"] == "verified"
    assert decided["+13125550102"]["rejection_reason"]["code"] == "loa_numbers_mismatch"


def test_a_file_that_is_no_letter_is_loa_missing(sim, settings):
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    decided = _add_and_decide(
        sim, settings, dir_["id"], ["+13125550101"], b"%PDF-1.4 not a letter at all\n%%EOF"
    )
    assert decided["+13125550101"]["status"] == "unsuccessful"
    assert decided["+13125550101"]["rejection_reason"]["code"] == "loa_missing"
