"""CONTRACT.md §3: JSON:API paging — defaults, clamp, meta.page_size = items returned, out-of-range pages."""

from __future__ import annotations

import pytest

from tests.simulator.test_transport import assert_envelope


@pytest.fixture
def many_documents(sim):
    for n in range(23):
        sim.document(filename=f"doc{n:02}.pdf")
    return sim


def test_defaults_and_meta(many_documents):
    body = many_documents.ok("GET", "/v2/documents")
    assert len(body["data"]) == 20
    assert body["meta"] == {"page_number": 1, "page_size": 20, "total_pages": 2, "total_results": 23}


def test_last_page_reports_items_returned_not_requested(many_documents):
    body = many_documents.ok("GET", "/v2/documents", params={"page[number]": 2, "page[size]": 20})
    assert body["meta"] == {"page_number": 2, "page_size": 3, "total_pages": 2, "total_results": 23}
    assert len(body["data"]) == 3


def test_out_of_range_page_is_empty_with_correct_meta(many_documents):
    body = many_documents.ok("GET", "/v2/documents", params={"page[number]": 9})
    assert body["data"] == []
    assert body["meta"] == {"page_number": 9, "page_size": 0, "total_pages": 2, "total_results": 23}


def test_size_above_250_is_clamped(sim):
    sim.inventory(*[f"+1312555{n:04}" for n in range(260)])
    body = sim.ok("GET", "/v2/phone_numbers", params={"page[size]": 1000})
    assert len(body["data"]) == 250
    assert body["meta"]["total_pages"] == 2
    assert body["meta"]["page_size"] == 250


def test_percent_encoded_brackets(many_documents):
    response = many_documents.get("/v2/documents?page%5Bnumber%5D=2&page%5Bsize%5D=10")
    assert response.json()["meta"]["page_number"] == 2
    assert len(response.json()["data"]) == 10


@pytest.mark.parametrize(
    ("param", "value"), [("page[number]", "0"), ("page[size]", "-1"), ("page[number]", "two")]
)
def test_bad_page_params_are_400_naming_the_parameter(sim, param, value):
    errors = assert_envelope(sim.get("/v2/dir", params={param: value}), 400, "10015")
    assert errors[0]["source"] == {"parameter": param}


def test_empty_list_has_zero_pages(sim):
    assert sim.ok("GET", "/v2/dir")["meta"] == {
        "page_number": 1,
        "page_size": 0,
        "total_pages": 0,
        "total_results": 0,
    }


def test_list_defaults_per_endpoint(sim):
    for n in range(12):
        sim.enterprise(legal_name=f"Company Number {n:02} LLC")
    assert sim.ok("GET", "/v2/enterprises")["meta"]["page_size"] == 10  # enterprises default 10
    assert sim.ok("GET", "/v2/call_reasons")["meta"]["total_pages"] == 1  # call reasons default 100
    types = sim.ok("GET", "/v2/dir/document_types", params={"page[size]": 2})
    assert len(types["data"]) == 16  # all 16 in one page regardless of paging


def test_walking_all_pages_returns_every_item_once(many_documents):
    seen, number = [], 1
    while True:
        body = many_documents.ok("GET", "/v2/documents", params={"page[number]": number, "page[size]": 7})
        if not body["data"]:
            break
        seen += [d["id"] for d in body["data"]]
        if body["meta"]["page_number"] >= body["meta"]["total_pages"]:
            break
        number += 1
    assert len(seen) == len(set(seen)) == 23
