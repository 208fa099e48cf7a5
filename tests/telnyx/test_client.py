"""portal.telnyx against httpx.MockTransport: error taxonomy, retries, paging, secrecy."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from portal import telnyx
from portal.telnyx import errors

KEY = "KEY0123456789SECRETPART"


def client_for(handler, **kwargs) -> telnyx.TelnyxClient:
    sleeps: list[float] = []
    client = telnyx.TelnyxClient(
        api_key=KEY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        **kwargs,
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def envelope(status: int, code: str, detail: str, **extra) -> httpx.Response:
    item = {"code": code, "title": "Title", "detail": detail, "meta": {"url": f"https://x/{code}"}, **extra}
    return httpx.Response(status, json={"errors": [item]})


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.ApiValidationError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (422, errors.ApiValidationError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
    ],
)
def test_every_status_maps_to_its_error_class(status, cls):
    client = client_for(
        lambda request: envelope(status, "10015", "nope", source={"pointer": "/body/display_name"}),
        max_retries=0,
    )
    with pytest.raises(cls) as caught:
        client.dir_get("x")
    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.message == "nope"
    assert error.first.code == "10015" and error.first.field == "display_name"


def test_bulk_add_categories_are_parsed_with_their_numbers():
    body = {
        "errors": [
            {"code": "10015", "title": "Bad Request", "detail": "2 phone number(s) are not in your Telnyx inventory: +12125550100, +12125550101",
             "source": {"pointer": "/body/phone_numbers"},
             "meta": {"url": "u", "category": "not_in_inventory", "phone_numbers": ["+12125550100", "+12125550101"]}},
            {"code": "10015", "title": "Bad Request", "detail": "1 phone number(s) are already attached to another DIR: +12125550102",
             "meta": {"url": "u"}},
        ]
    }  # fmt: skip
    client = client_for(lambda request: httpx.Response(400, json=body))
    with pytest.raises(errors.ApiValidationError) as caught:
        client.numbers_add("d", ["+12125550100"], [])
    first, second = caught.value.errors
    assert first.category == "not_in_inventory" and first.phone_numbers == ["+12125550100", "+12125550101"]
    assert second.category is None and second.phone_numbers == ["+12125550102"]  # fallback: numbers in detail


def test_non_json_error_body_still_gets_a_typed_error():
    client = client_for(lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"), max_retries=0)
    with pytest.raises(errors.ServerError, match="HTTP 502"):
        client.dir_get("x")


def test_get_is_retried_on_429_after_the_given_delay():
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": []}),
            httpx.Response(200, json={"data": {"id": "d1"}}),
        ]
    )
    client = client_for(lambda request: next(answers))
    assert client.dir_get("d1").id == "d1"
    assert client.sleeps == [3.0]
    assert client.calls == 2


def test_get_gives_up_after_max_retries_with_backoff():
    client = client_for(lambda request: httpx.Response(503, json={"errors": []}), max_retries=2)
    with pytest.raises(errors.ServerError):
        client.dir_get("x")
    assert client.calls == 3
    assert len(client.sleeps) == 2 and 0.375 <= client.sleeps[0] <= 0.5 and 0.75 <= client.sleeps[1] <= 1.0


@pytest.mark.parametrize("method", ["numbers_add", "dir_submit", "dir_update", "numbers_remove"])
def test_writes_are_never_retried(method):
    client = client_for(lambda request: httpx.Response(503, json={"errors": []}))
    args = {
        "numbers_add": ("d", ["+1"], []),
        "dir_submit": ("d",),
        "dir_update": ("d", {}),
        "numbers_remove": ("d", ["+1"]),
    }[method]
    with pytest.raises(errors.ServerError):
        getattr(client, method)(*args)
    assert client.calls == 1 and client.sleeps == []


def test_transport_failures_and_timeouts():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    client = client_for(refuse)
    with pytest.raises(errors.TransportError):
        client.dir_get("x")
    assert client.calls == 3  # GET retried
    client = client_for(slow)
    with pytest.raises(errors.RequestTimeout):
        client.numbers_add("d", ["+1"], [])
    assert client.calls == 1  # a write is not


def test_pagination_follows_total_pages_and_stops_on_empty_pages():
    seen = []

    def pages(request):
        number = int(request.url.params["page[number]"])
        seen.append((number, request.url.params["page[size]"]))
        data = [{"id": f"d{number}-{i}"} for i in range(2)] if number <= 3 else []
        return httpx.Response(200, json={"data": data, "meta": {"page_number": number, "total_pages": 3}})

    client = client_for(pages)
    assert [d.id for d in client.dir_iter()] == ["d1-0", "d1-1", "d2-0", "d2-1", "d3-0", "d3-1"]
    assert seen == [(1, "250"), (2, "250"), (3, "250")]

    def no_total(request):
        number = int(request.url.params["page[number]"])
        return httpx.Response(
            200, json={"data": [{"id": "x"}] if number < 3 else [], "meta": {"page_number": number}}
        )

    assert len(list(client_for(no_total).dir_iter())) == 2  # stops on the empty third page

    def out_of_range(request):
        return httpx.Response(
            200, json={"data": [], "meta": {"page_number": 1, "total_pages": 0, "total_results": 0}}
        )

    assert list(client_for(out_of_range).dir_iter()) == []


def test_unknown_fields_are_tolerated_and_call_reasons_flattened():
    raw = {"id": "d1", "display_name": "X", "status": "verified", "brand_new_field": 1,
           "call_reasons": [{"reason": "Billing", "created_at": "2026-01-01T00:00:00.000001Z"}], "verified_at": "2026-01-01T00:00:00.000001Z",
           "rejection_reasons": [{"code": "c", "title": "t", "detail": "d", "message": None, "extra": 1}]}  # fmt: skip
    client = client_for(lambda request: httpx.Response(200, json={"data": raw}))
    dir_ = client.dir_get("d1")
    assert dir_.call_reasons == ("Billing",)
    assert dir_.verified_at.year == 2026 and dir_.verified_at.tzinfo is not None
    assert dir_.rejection_reasons[0].code == "c"


def test_the_key_is_sent_but_never_logged_or_shown(caplog):
    caplog.set_level(logging.DEBUG)
    sent = []

    def handler(request):
        sent.append(request.headers["Authorization"])
        return httpx.Response(429, headers={"Retry-After": "1"}, json={"errors": []})

    client = client_for(handler, max_retries=1)
    with pytest.raises(errors.RateLimitError):
        client.dir_get("x")
    assert sent == [f"Bearer {KEY}"] * 2
    assert "SECRETPART" not in repr(client)
    assert all("SECRETPART" not in record.getMessage() for record in caplog.records)
    assert any("retry 1" in record.getMessage() for record in caplog.records)


def test_remove_partial_success_and_requests_are_json():
    def handler(request):
        assert json.loads(request.content) == {"phone_numbers": ["+1", "+2"]}
        return httpx.Response(
            200, json={"data": ["+1"], "meta": {"errors": [{"phone_number": "+2", "code": "not_associated"}]}}
        )

    result = client_for(handler).numbers_remove("d", ["+1", "+2"])
    assert result.removed == ("+1",) and result.not_removed[0]["code"] == "not_associated"
