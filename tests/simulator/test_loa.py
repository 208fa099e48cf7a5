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
