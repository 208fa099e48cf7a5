"""CONTRACT.md §1–2: auth, account scoping, the error envelope, bad input never a 500 or HTML."""

from __future__ import annotations

import uuid

import pytest

ERROR_URL = "https://developers.telnyx.com/docs/overview/errors/"


def assert_envelope(response, status: int, code: str):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"]
    for error in body["errors"]:
        assert error["code"].isdigit()
        assert error["meta"]["url"] == ERROR_URL + error["code"]
        assert isinstance(error["title"], str) and isinstance(error["detail"], str)
    assert body["errors"][0]["code"] == code
    return body["errors"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
def test_missing_or_unknown_key_is_401(sim_http, headers):
    errors = assert_envelope(sim_http.get("/v2/enterprises", headers=headers), 401, "10009")
    assert errors[0]["title"] == "Authentication failed"


def test_another_accounts_resources_are_404_never_403(sim, other_sim):
    dir_ = sim.dir()
    enterprise_id = dir_["enterprise_id"]
    for method, url in [
        ("GET", f"/v2/dir/{dir_['id']}"),
        ("PATCH", f"/v2/dir/{dir_['id']}"),
        ("DELETE", f"/v2/dir/{dir_['id']}"),
        ("GET", f"/v2/enterprises/{enterprise_id}"),
        ("GET", f"/v2/dir/{dir_['id']}/phone_numbers"),
    ]:
        assert_envelope(other_sim.request(method, url, json={}), 404, "10009")
    assert other_sim.ok("GET", "/v2/dir")["meta"]["total_results"] == 0


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "%20", "00000000-0000-0000-0000-00000000000g"])
def test_non_uuid_ids_are_404(sim, bad_id):
    assert_envelope(sim.get(f"/v2/dir/{bad_id}"), 404, "10009")
    assert_envelope(sim.get(f"/v2/enterprises/{bad_id}"), 404, "10009")
    assert_envelope(sim.get(f"/v2/documents/{bad_id}"), 404, "10009")


def test_unknown_id_and_unknown_path(sim):
    assert_envelope(sim.get(f"/v2/dir/{uuid.uuid4()}"), 404, "10009")
    assert_envelope(sim.get("/v2/no/such/thing"), 404, "10009")
    # Only create and list are nested under an enterprise (CONTRACT.md §5.3).
    enterprise = sim.activated_enterprise()
    assert_envelope(sim.get(f"/v2/enterprises/{enterprise['id']}/dir/{uuid.uuid4()}"), 404, "10009")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'["a list"]', "application/json"),
        (b"legal_name=x", "application/x-www-form-urlencoded"),
        (b"<xml/>", "text/xml"),
    ],
)
def test_malformed_bodies_get_the_envelope(sim, content, content_type):
    response = sim.post("/v2/enterprises", content=content, headers={"content-type": content_type})
    errors = assert_envelope(response, 422, "10005")
    assert errors[0]["source"]["pointer"] == "/body"


def test_huge_body_is_refused_with_an_envelope(sim):
    response = sim.post(
        "/v2/enterprises", content=b"x" * (31 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "10015")


def test_unknown_fields_are_ignored_and_method_not_allowed_is_an_envelope(sim):
    from tests.sim import enterprise_body

    response = sim.post("/v2/enterprises", json={**enterprise_body(), "favourite_colour": "blue"})
    assert response.status_code == 201
    assert "favourite_colour" not in response.json()["data"]
    assert_envelope(sim.request("PATCH", "/v2/enterprises"), 405, "10015")


def test_sdk_headers_are_ignored(sim):
    headers = {
        "X-Stainless-Lang": "python",
        "x-stainless-retry-count": "0",
        "User-Agent": "Telnyx/Python 4.189.0",
    }
    assert sim.get("/v2/enterprises", headers=headers).status_code == 200


def test_timestamps_are_utc_with_microseconds_and_z(sim):
    dir_ = sim.dir()
    assert dir_["created_at"].endswith("Z")
    assert len(dir_["created_at"].split(".")[1]) == 7  # six digits and the Z
    document = sim.document()
    assert len(document["created_at"].split(".")[1]) == 4  # the Documents service: milliseconds


def test_body_less_posts_accept_json_content_type_with_empty_body(sim):
    dir_ = sim.dir()
    response = sim.post(
        f"/v2/dir/{dir_['id']}/submit", content=b"", headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "submitted"


def test_standard_account_level_is_refused(sim_http):
    account = sim_http.post("/_sim/accounts", json={"account_level": "standard"}).json()["data"]
    response = sim_http.get("/v2/enterprises", headers={"Authorization": f"Bearer {account['api_key']}"})
    assert_envelope(response, 403, "10038")
