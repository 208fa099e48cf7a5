"""portal.telnyx against the bundled simulator (httpx.WSGITransport): real envelopes, real paging."""

from __future__ import annotations

import pytest

from portal import telnyx
from tests.sim import dir_body, enterprise_body

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


@pytest.fixture
def api(sim, sim_route):
    with telnyx.get_client(api_key=sim.key) as client:
        yield client


def test_onboarding_numbers_and_paging(sim, api):
    api.tos_agree()
    enterprise = api.enterprise_create(enterprise_body())
    assert api.enterprise_activate(enterprise.id).branded_calling_enabled is True
    dir_ = api.dir_create(enterprise.id, dir_body())
    assert (dir_.status, dir_.call_reasons) == ("draft", ("Appointment reminders", "Billing inquiries"))
    sim.ok("POST", f"/_sim/dir/{dir_.id}/transition", json={"to": "verified"})
    document = api.document_upload(b"%PDF-1.4 signed", "loa.pdf")
    assert document.size_bytes == len(b"%PDF-1.4 signed") and document.filename == "loa.pdf"
    loa = [{"document_id": document.id, "document_type": "letter_of_authorization"}]
    numbers = [f"+1312555{n:04}" for n in range(1000, 1255)]
    sim.inventory(*numbers)
    for start in range(0, len(numbers), 15):
        api.numbers_add(dir_.id, numbers[start : start + 15], loa)
    calls = api.calls
    listed = [n.phone_number for n in api.number_iter(dir_.id)]
    assert listed == numbers
    assert api.calls - calls == 2  # 255 numbers at 250 per page
    assert sum(1 for _ in api.batch_iter(dir_.id)) == 17
    result = api.numbers_remove(dir_.id, [numbers[0], "+19995550000"])
    assert result.removed == (numbers[0],) and result.not_removed[0]["phone_number"] == "+19995550000"


def test_real_refusals_are_typed(sim, api):
    dir_ = sim.verified_dir()
    loa = [
        {
            "document_id": api.document_upload(b"%PDF-1.4 x", "loa.pdf").id,
            "document_type": "letter_of_authorization",
        }
    ]
    with pytest.raises(telnyx.ApiValidationError) as caught:
        api.numbers_add(dir_["id"], ["+13125550100", "12"], loa)
    by_category = {e.category: e.phone_numbers for e in caught.value.errors}
    assert by_category == {"invalid_format": ["12"], "not_in_inventory": ["+13125550100"]}
    with pytest.raises(telnyx.NotFoundError):
        api.dir_get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(telnyx.ApiValidationError) as caught:
        api.dir_update(dir_["id"], {"display_name": ""})
    assert caught.value.first.field == "display_name"
    draft = sim.dir()
    api.dir_submit(draft["id"])
    with pytest.raises(telnyx.ApiValidationError, match="Cannot submit"):
        api.dir_submit(draft["id"])


def test_rate_limit_fault_is_waited_out_for_gets(sim, api, monkeypatch):
    slept = []
    monkeypatch.setattr(api, "_sleep", slept.append)
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "^/v2/dir$", "retry_after": 2, "count": 1},
    )
    assert list(api.dir_iter()) == []
    assert slept == [2.0]
