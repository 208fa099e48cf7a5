"""CONTRACT.md §5.9: the Documents API (JSON and multipart uploads, limits, expiry, links, download)."""

from __future__ import annotations

import base64

import pytest

from portal.simulator.views.documents import EICAR
from tests.simulator.test_transport import assert_envelope

PDF = b"%PDF-1.4\n% a signed letter\n"


def test_json_upload_shape(sim):
    doc = sim.ok("POST", "/v2/documents", json={"file": base64.b64encode(PDF).decode(), "filename": "my loa.pdf",
                                                "customer_reference": "batch-7"})["data"]  # fmt: skip
    assert doc["record_type"] == "document"
    assert doc["filename"] == "myloa.pdf"  # spaces stripped
    assert doc["content_type"] == "application/pdf"
    assert doc["size"] == {"amount": len(PDF), "unit": "bytes"}
    import hashlib

    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (doc["status"], doc["av_scan_status"], doc["customer_reference"]) == (
        "pending",
        "scanned",
        "batch-7",
    )


def test_multipart_upload_ignores_the_query_flag(sim):
    response = sim.post(
        "/v2/documents?content-type=multipart",
        files={"file": ("letter", PDF, "application/pdf")},
        data={"customer_reference": "mp"},
    )
    assert response.status_code == 200
    doc = response.json()["data"]
    assert doc["filename"] == "letter.pdf"  # extension added for the detected type
    assert doc["customer_reference"] == "mp"
    # The SDK posts JSON to the multipart URL; the Content-Type decides.
    json_doc = sim.post("/v2/documents?content-type=multipart", json={"file": base64.b64encode(PDF).decode()})
    assert json_doc.status_code == 200


def test_url_upload_stores_a_placeholder(sim):
    doc = sim.ok("POST", "/v2/documents", json={"url": "https://files.example/docs/articles.pdf"})["data"]
    assert doc["filename"] == "articles.pdf" and doc["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    "body",
    [{}, {"file": "x", "url": "https://a.example/b.pdf"}, {"file": "%%%not base64%%%"}, {"url": "ftp://a/b"},
     {"file": base64.b64encode(b"\x00\x01binary junk\xff").decode(), "filename": "x.bin"}],
)  # fmt: skip
def test_bad_uploads_are_422(sim, body):
    assert_envelope(sim.post("/v2/documents", json=body), 422, "10005")


def test_size_and_filename_limits(sim):
    big = base64.b64encode(b"%PDF-" + b"0" * (20 * 1024 * 1024)).decode()
    assert_envelope(sim.post("/v2/documents", json={"file": big}), 422, "10005")
    long_name = {"file": base64.b64encode(PDF).decode(), "filename": "a" * 513 + ".pdf"}
    assert_envelope(sim.post("/v2/documents", json=long_name), 422, "10005")


def test_infected_upload_is_denied_and_cannot_be_referenced(sim):
    doc = sim.document(b"%PDF-1.4 " + EICAR)
    assert (doc["status"], doc["av_scan_status"]) == ("denied", "infected")
    dir_ = sim.verified_dir()
    sim.inventory("+13125550101")
    response = sim.post(
        f"/v2/dir/{dir_['id']}/phone_numbers",
        json={
            "phone_numbers": ["+13125550101"],
            "documents": [{"document_id": doc["id"], "document_type": "letter_of_authorization"}],
        },
    )
    errors = assert_envelope(response, 400, "10015")
    assert "antivirus" in errors[0]["detail"]


def test_unlinked_uploads_expire_after_30_minutes(sim):
    doc = sim.document()
    kept = sim.document(b"%PDF-1.4 kept")
    sim.dir(documents=[{"document_id": kept["id"], "document_type": "ein_letter"}])
    sim.ok("POST", "/_sim/clock", json={"advance_seconds": 1801})
    assert_envelope(sim.get(f"/v2/documents/{doc['id']}"), 404, "10009")
    assert sim.get(f"/v2/documents/{kept['id']}").status_code == 200
    sim.ok("POST", "/_sim/tick")
    assert sim.ok("GET", "/v2/documents")["meta"]["total_results"] == 1


def test_download_link_update_delete_and_list_filters(sim):
    doc = sim.document(PDF, filename="loa.pdf")
    download = sim.get(f"/v2/documents/{doc['id']}/download")
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == 'attachment; filename="loa.pdf"'
    link = sim.ok("GET", f"/v2/documents/{doc['id']}/download_link")["data"]["url"]
    assert link.endswith(f"/v2/documents/{doc['id']}/download")
    renamed = sim.ok(
        "PATCH", f"/v2/documents/{doc['id']}", json={"filename": "signed loa.pdf", "customer_reference": "r1"}
    )["data"]
    assert renamed["filename"] == "signedloa.pdf"
    other = sim.document(b"%PDF-1.4 two", filename="other.pdf")
    sim.ok("PATCH", f"/v2/documents/{other['id']}", json={"customer_reference": "r2"})
    by_ref = sim.ok("GET", "/v2/documents", params={"filter[customer_reference][in]": "r1,r2"})["data"]
    assert {d["id"] for d in by_ref} == {doc["id"], other["id"]}
    by_name = sim.ok(
        "GET", "/v2/documents", params={"filter[filename][contains]": "SIGNED", "sort": "filename"}
    )["data"]
    assert [d["id"] for d in by_name] == [doc["id"]]
    deleted = sim.ok("DELETE", f"/v2/documents/{doc['id']}")["data"]
    assert deleted["id"] == doc["id"]
    assert_envelope(sim.get(f"/v2/documents/{doc['id']}"), 404, "10009")
    assert_envelope(sim.get("/v2/documents", params={"sort": "size"}), 400, "10015")
