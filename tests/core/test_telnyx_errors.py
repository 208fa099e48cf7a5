"""One wording for a failed Telnyx read and one for a refused or unconfirmed write (core.telnyx_errors).

The errors come from the real client over httpx.MockTransport, so headers and envelopes are parsed as
in production (Retry-After, source.pointer).
"""

from __future__ import annotations

import httpx
import pytest

from portal import telnyx
from portal.core.telnyx_errors import telnyx_read_error, telnyx_write_error

KEY_REFUSED = (
    "Telnyx refused the team's API key. An admin can update it under Team settings › Telnyx account."
)
NOT_FOUND = "Telnyx no longer knows this record; it may have been deleted. Sync and try again."
RELOAD = "The change may still have been applied: reload the page in a minute before trying again."


def failure(respond) -> telnyx.TelnyxError:
    """The error the client raises for one answer (or transport failure); a PATCH, so never retried."""

    def handler(request: httpx.Request) -> httpx.Response:
        return respond(request)

    client = telnyx.TelnyxClient(
        api_key="KEY0123456789SECRET", base_url="https://api.test/v2", transport=httpx.MockTransport(handler)
    )
    with client, pytest.raises(telnyx.TelnyxError) as caught:
        client.dir_update("dir-1", {"display_name": "x"})
    return caught.value


def answer(status: int, *errors: dict, headers: dict | None = None):
    return lambda request: httpx.Response(status, json={"errors": list(errors)}, headers=headers)


def item(detail: str, pointer: str | None = None, code: str = "10015") -> dict:
    entry = {"code": code, "title": "Bad Request", "detail": detail, "meta": {"url": "https://x"}}
    if pointer:
        entry["source"] = {"pointer": pointer}
    return entry


def timeout(request):
    raise httpx.ReadTimeout("slow", request=request)


def refused_connection(request):
    raise httpx.ConnectError("refused", request=request)


def test_401_is_the_key_text_for_reads_and_writes():
    exc = failure(answer(401, item("Authentication failed", code="10009")))
    for error in (telnyx_read_error(exc), telnyx_write_error(exc)):
        assert (error.message, error.code, error.errors) == (KEY_REFUSED, "auth", [(None, KEY_REFUSED)])


def test_403_names_what_telnyx_does_not_allow():
    exc = failure(answer(403, item("Account level too low")))
    error = telnyx_write_error(exc)
    assert error.message == "Telnyx does not allow this for the team's account: Account level too low"
    assert error.code == "forbidden"


def test_404_says_the_record_is_gone_and_a_caller_may_name_it():
    exc = failure(answer(404, item("DIR not found", code="10009")))
    assert (telnyx_read_error(exc).message, telnyx_read_error(exc).code) == (NOT_FOUND, "not_found")
    assert telnyx_write_error(exc).message == NOT_FOUND
    assert telnyx_write_error(exc, not_found="This enterprise no longer exists in Telnyx.").message == (
        "This enterprise no longer exists in Telnyx."
    )


def test_422_puts_each_entry_on_the_field_its_pointer_names():
    """Pointers become field paths (nested with __); an entry without one goes to the top, saying who refused."""
    exc = failure(
        answer(
            422,
            item("display_name must be between 1 and 35 characters", "/body/display_name"),
            item("email domain does not accept mail", "/body/organization_contact/email"),
            item("Documents need a file", "/file"),
            item("DIR is in review"),
        )
    )
    error = telnyx_write_error(exc)
    assert error.code == "refused"
    assert error.message == "Telnyx refused this: display_name must be between 1 and 35 characters"
    assert error.errors == [
        ("display_name", "display_name must be between 1 and 35 characters"),
        ("organization_contact__email", "email domain does not accept mail"),
        ("file", "Documents need a file"),
        (None, "Telnyx refused this: DIR is in review"),
    ]


def test_a_400_without_entries_is_one_refusal_at_the_top():
    exc = failure(lambda request: httpx.Response(400, text="nope"))
    error = telnyx_write_error(exc)
    assert error.errors == [(None, "Telnyx refused this: Telnyx answered HTTP 400.")]
    assert error.code == "refused"


def test_409_is_a_conflict_with_telnyx_detail():
    exc = failure(answer(409, item("DIR has 1 active infringement claim(s).", code="10021")))
    error = telnyx_write_error(exc)
    assert (error.code, error.message) == (
        "conflict",
        "Telnyx refused this: DIR has 1 active infringement claim(s).",
    )


def test_429_says_how_long_to_wait_from_retry_after():
    exc = failure(answer(429, item("Too many requests", code="10011"), headers={"Retry-After": "7"}))
    expected = "Telnyx is rate-limiting this account: too many requests (HTTP 429). Try again in 7 seconds."
    assert (telnyx_write_error(exc).message, telnyx_write_error(exc).code) == (expected, "rate_limited")
    assert telnyx_read_error(exc).message == expected
    one = failure(answer(429, headers={"Retry-After": "0.4"}))  # rounded up, never "0 seconds"
    assert telnyx_write_error(one).message.endswith("Try again in 1 second.")
    unknown = failure(answer(429))
    assert telnyx_write_error(unknown).message.endswith("(HTTP 429). Try again in a moment.")


def test_503_names_the_status_and_a_write_may_have_been_applied():
    exc = failure(answer(503))
    assert (
        telnyx_read_error(exc).message
        == "Telnyx is having trouble right now (HTTP 503). Try again in a moment."
    )
    assert telnyx_write_error(exc).message == f"Telnyx is having trouble right now (HTTP 503). {RELOAD}"
    assert telnyx_read_error(exc).code == telnyx_write_error(exc).code == "unavailable"


def test_a_timeout_is_no_answer_in_time():
    exc = failure(timeout)
    assert isinstance(exc, telnyx.RequestTimeout)
    assert telnyx_read_error(exc).message == (
        "Telnyx did not answer in time (the request timed out). Try again in a moment."
    )
    assert (
        telnyx_write_error(exc).message == f"Telnyx did not answer in time (the request timed out). {RELOAD}"
    )


def test_a_connection_error_is_no_connection():
    exc = failure(refused_connection)
    assert type(exc) is telnyx.TransportError
    assert (
        telnyx_read_error(exc).message
        == "Telnyx could not be reached (no connection). Try again in a moment."
    )
    assert telnyx_write_error(exc).message == f"Telnyx could not be reached (no connection). {RELOAD}"


def test_a_caller_gives_its_own_advice_after_an_unconfirmed_write():
    exc = failure(answer(502))
    assert telnyx_write_error(exc, uncertain="Upload the file again.").message == (
        "Telnyx is having trouble right now (HTTP 502). Upload the file again."
    )
    assert telnyx_write_error(exc, uncertain="").message == "Telnyx is having trouble right now (HTTP 502)."
    # The advice is only for the unconfirmed case: a refusal stays a refusal.
    refused = failure(answer(400, item("Bad")))
    assert (
        telnyx_write_error(refused, uncertain="Upload the file again.").message == "Telnyx refused this: Bad"
    )
