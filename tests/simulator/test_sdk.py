"""Outside check: the official telnyx SDK (pinned) drives the simulator and parses every answer."""

from __future__ import annotations

import base64

import pytest
import telnyx

from portal.simulator.models import Batch, Dir, DirPhoneNumber
from tests.sim import dir_body, enterprise_body


@pytest.fixture
def client(sim, sim_http):
    """The SDK, pointed at the simulator through the same WSGI transport (still real HTTP semantics)."""
    return telnyx.Telnyx(api_key=sim.key, base_url="http://sim.test/v2", http_client=sim_http, max_retries=0)


def test_sdk_end_to_end(sim, client):
    agreement = client.terms_of_service.branded_calling.agree().data
    assert agreement.terms_version == "v1.0.0"
    assert client.terms_of_service.retrieve_status().data.has_agreed is True
    body = enterprise_body()
    enterprise = client.enterprises.create(**body).data
    assert enterprise.legal_name == body["legal_name"]
    assert enterprise.organization_contact.email == body["organization_contact"]["email"]
    listed = client.enterprises.list()
    assert [e.id for e in listed.data] == [enterprise.id]
    assert client.enterprises.branded_calling(enterprise.id).data.branded_calling_enabled is True

    dir_ = client.enterprises.dir.create(enterprise.id, **dir_body(display_name="SDK Clinic")).data
    assert dir_.status == "draft" and dir_.display_name == "SDK Clinic"
    assert [r.reason for r in dir_.call_reasons] == ["Appointment reminders", "Billing inquiries"]
    assert client.dir.retrieve(dir_.id).data.id == dir_.id
    assert [d.id for d in client.dir.list().data] == [dir_.id]
    updated = client.dir.update(dir_.id, display_name="SDK Clinic Two").data
    assert updated.display_name == "SDK Clinic Two"
    submitted = client.dir.submit(dir_.id).data
    assert submitted.status == "submitted"
    stored = Dir.objects.get(id=dir_.id)
    assert (stored.status, stored.display_name) == ("submitted", "SDK Clinic Two")

    sim.ok("POST", f"/_sim/dir/{dir_.id}/transition", json={"to": "verified"})
    uploaded = client.documents.upload(
        document={"file": base64.b64encode(b"%PDF-1.4 sdk loa").decode(), "filename": "loa.pdf"}
    ).data
    assert uploaded.filename == "loa.pdf" and uploaded.size.amount == len(b"%PDF-1.4 sdk loa")
    loa = [{"document_id": uploaded.id, "document_type": "letter_of_authorization"}]

    numbers = [f"+1312555{n:04}" for n in range(100, 130)]
    sim.inventory(*numbers)
    added = client.dir.phone_numbers.add(dir_.id, phone_numbers=numbers[:15], documents=loa)
    assert [n.phone_number for n in added.data] == numbers[:15]
    client.dir.phone_numbers.add(dir_.id, phone_numbers=numbers[15:], documents=loa)
    assert DirPhoneNumber.objects.filter(dir_id=dir_.id).count() == 30

    with pytest.raises(telnyx.BadRequestError) as failure:
        client.dir.phone_numbers.add(dir_.id, phone_numbers=[numbers[0], "+19995550000"], documents=loa)
    assert failure.value.status_code == 400
    categories = {e["meta"]["category"] for e in failure.value.body["errors"]}
    assert categories == {"not_in_inventory", "already_attached_to_this_dir"}

    # Auto-pagination walks more than one page (12 per page → 3 requests).
    walked = [n.phone_number for n in client.dir.phone_numbers.list(dir_.id, page_size=12)]
    assert walked == numbers

    removed = client.dir.phone_numbers.remove(dir_.id, phone_numbers=[numbers[0], "+13125559999"])
    assert removed.data == [numbers[0]]
    assert [e.phone_number for e in removed.meta.errors] == ["+13125559999"]
    assert removed.meta.errors[0].code == "not_associated"

    batches = client.dir.phone_number_batches.list(dir_.id)
    assert {b.batch_id for b in batches.data} == {
        str(b) for b in Batch.objects.filter(dir_id=dir_.id).values_list("id", flat=True)
    }
    one = client.dir.phone_number_batches.retrieve(batches.data[0].batch_id, dir_id=dir_.id).data
    assert one.total_count == len(one.phone_numbers) == 15
    assert one.dir_display_name == "SDK Clinic Two"


def test_sdk_maps_not_found_and_auth_errors(sim, sim_http):
    good = telnyx.Telnyx(api_key=sim.key, base_url="http://sim.test/v2", http_client=sim_http, max_retries=0)
    with pytest.raises(telnyx.NotFoundError):
        good.dir.retrieve("00000000-0000-4000-8000-000000000000")
    bad = telnyx.Telnyx(
        api_key="KEY-wrong", base_url="http://sim.test/v2", http_client=sim_http, max_retries=0
    )
    with pytest.raises(telnyx.AuthenticationError):
        bad.enterprises.list()
