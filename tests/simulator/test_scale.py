"""Listings and load seeding at scale: batch pages read numbers as raw rows, the loader writes plain INSERTs."""

from __future__ import annotations

import io
import json
import uuid

from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from portal.simulator import services
from portal.simulator.models import Batch, Dir, DirNumberIndex, DirPhoneNumber, InventoryNumber
from portal.simulator.router import ALIAS
from portal.simulator.serializers import number_json
from tests.simulator.test_numbers import add, verified  # noqa: F401 (fixture)


def _exact(value) -> str:
    """What JsonResponse would write for it: byte-for-byte comparison of wire shapes."""
    return json.dumps(value)


def test_batch_pages_embed_numbers_exactly_as_the_number_serializer_writes_them(sim, verified):  # noqa: F811
    dir_id = verified["id"]
    first = add(sim, dir_id, [f"+1312555{n:04}" for n in range(100, 115)]).json()["data"]
    second = add(sim, dir_id, ["+13125550120", "+13125550121", "+13125550122"]).json()["data"]
    # Every kind of value: a rejection reason, verified_at set, a removed number, a re-added one.
    sim.ok("POST", f"/_sim/phone_numbers/{first[0]['id']}/transition", json={"to": "verified"})
    sim.ok(
        "POST",
        f"/_sim/phone_numbers/{first[1]['id']}/transition",
        json={"to": "unsuccessful", "rejection_reason": "number_not_in_service"},
    )
    sim.ok("POST", f"/_sim/phone_numbers/{second[0]['id']}/transition", json={"to": "permanently_rejected"})
    sim.ok("DELETE", f"/v2/dir/{dir_id}/phone_numbers", json={"phone_numbers": [first[2]["phone_number"]]})
    third = add(sim, dir_id, [first[1]["phone_number"]]).json()["data"]  # unsuccessful: may be re-added

    listed = sim.ok("GET", f"/v2/dir/{dir_id}/phone_number_batches", params={"page[size]": 250})["data"]
    assert [b["batch_id"] for b in listed] == [
        third[0]["batch_id"],
        second[0]["batch_id"],
        first[0]["batch_id"],
    ]
    enterprise_id = verified["enterprise_id"]
    for batch in listed:
        rows = DirPhoneNumber.objects.filter(batch_id=batch["batch_id"], removed_at=None).order_by("seq")
        expected = [number_json(r, enterprise_id=enterprise_id) for r in rows]
        assert _exact(batch["phone_numbers"]) == _exact(expected)
        assert batch["total_count"] == len(expected)
        one = sim.ok("GET", f"/v2/dir/{dir_id}/phone_number_batches/{batch['batch_id']}")["data"]
        assert _exact(one) == _exact(batch)
    by_status = {n["status"] for b in listed for n in b["phone_numbers"]}
    assert by_status == {"submitted", "verified", "permanently_rejected"}
    assert len(listed[2]["phone_numbers"]) == 13  # 15 added, one removed, one moved to the third batch
    assert listed[1]["phone_numbers"][0]["rejection_reason"]["code"] == "number_abuse_confirmed"


def test_number_pages_are_written_exactly_as_the_number_serializer_writes_them(sim, verified):  # noqa: F811
    """The number listing reads raw rows too: every kind of value, on pages of 7, byte for byte."""
    dir_id = verified["id"]
    first = add(sim, dir_id, [f"+1312555{n:04}" for n in range(100, 115)]).json()["data"]
    sim.ok("POST", f"/_sim/phone_numbers/{first[0]['id']}/transition", json={"to": "verified"})
    sim.ok(
        "POST",
        f"/_sim/phone_numbers/{first[1]['id']}/transition",
        json={"to": "unsuccessful", "rejection_reason": "number_not_in_service"},
    )
    sim.ok("DELETE", f"/v2/dir/{dir_id}/phone_numbers", json={"phone_numbers": [first[2]["phone_number"]]})
    rows = DirPhoneNumber.objects.filter(dir_id=dir_id, removed_at=None).order_by("seq")
    expected = [number_json(r, enterprise_id=verified["enterprise_id"]) for r in rows]
    listed = []
    for page in (1, 2, 3):
        body = sim.ok(
            "GET", f"/v2/dir/{dir_id}/phone_numbers", params={"page[number]": page, "page[size]": 7}
        )
        assert body["meta"]["total_results"] == 14
        listed += body["data"]
    assert _exact(listed) == _exact(expected)
    assert {n["status"] for n in listed} == {"submitted", "verified", "unsuccessful"}


def test_a_batch_page_costs_the_same_queries_for_one_batch_or_many(sim, verified):  # noqa: F811
    dir_id = verified["id"]
    url = f"/v2/dir/{dir_id}/phone_number_batches"

    def queries() -> int:
        with CaptureQueriesContext(connections[ALIAS]) as captured:
            sim.ok("GET", url, params={"page[size]": 250})
        return len(captured.captured_queries)

    add(sim, dir_id, ["+13125550100"])
    one = queries()
    for n in range(101, 110):
        add(sim, dir_id, [f"+1312555{n:04}", f"+1312555{n + 20:04}"])
    assert queries() == one  # no query per batch (no N+1)
    assert len(sim.ok("GET", url)["data"]) == 10


def test_load_seed_writes_numbers_batches_inventory_and_the_paging_index(sim):
    call_command("simulator_seed", numbers=520, dirs=2, api_key=sim.key, stdout=io.StringIO())
    call_command(
        "simulator_seed", numbers=20, dirs=1, api_key=sim.key, stdout=io.StringIO()
    )  # same account again

    dirs = list(Dir.objects.filter(account__api_key=sim.key, display_name__startswith="Load DIR"))
    assert sorted(d.numbers.count() for d in dirs) == [20, 260, 260]
    assert {d.status for d in dirs} == {"verified"}
    numbers = DirPhoneNumber.objects.filter(account__api_key=sim.key)
    assert numbers.values("phone_number").distinct().count() == 540
    assert set(numbers.values_list("status", flat=True)) == {"verified"}
    assert not numbers.filter(verified_at=None).exists()
    inventory = set(
        InventoryNumber.objects.filter(account__api_key=sim.key).values_list("phone_number", "status")
    )
    assert inventory == {(p, "active") for p in numbers.values_list("phone_number", flat=True)}
    for dir_ in dirs:
        sizes = sorted((b.numbers.count(), b.status) for b in Batch.objects.filter(dir=dir_))
        assert sizes == sorted([(15, "verified")] * (dir_.numbers.count() // 15) + [(5, "verified")])
        stored = DirNumberIndex.objects.get(dir=dir_)
        stored = (stored.total, stored.anchors)
        with services.atomic():
            rebuilt = services.number_index_refresh(dir_.id)  # what the services would have built
        assert stored == (rebuilt.total, rebuilt.anchors)
        loaded = dict(Batch.objects.filter(dir=dir_).values_list("id", "position"))
        with services.atomic():
            services.batch_positions_refresh(dir_.id)
        assert dict(Batch.objects.filter(dir=dir_).values_list("id", "position")) == loaded
        assert sorted(loaded.values()) == list(range(len(loaded)))

    # Ids are version 4 UUIDs, every one different, across both loads and all three tables.
    ids = [
        *numbers.values_list("id", flat=True),
        *Batch.objects.filter(account__api_key=sim.key).values_list("id", flat=True),
        *(
            uuid.UUID(i)
            for i in InventoryNumber.objects.filter(account__api_key=sim.key).values_list("id", flat=True)
        ),
    ]
    assert len(set(ids)) == len(ids) == 540 + 540 + 18 + 18 + 2
    assert {(i.version, i.variant) for i in ids} == {(4, uuid.RFC_4122)}

    # And the API pages through them as it does through numbers added one request at a time.
    big = next(d for d in dirs if d.numbers.count() == 260)
    url = f"/v2/dir/{big.id}/phone_numbers"
    pages = [sim.ok("GET", url, params={"page[number]": p, "page[size]": 250}) for p in (1, 2)]
    listed = [n["phone_number"] for page in pages for n in page["data"]]
    assert listed == list(big.numbers.order_by("seq").values_list("phone_number", flat=True))
    assert pages[0]["meta"]["total_results"] == 260
    batches = sim.ok("GET", f"/v2/dir/{big.id}/phone_number_batches", params={"page[size]": 250})
    assert sum(b["total_count"] for b in batches["data"]) == 260


def _listed(sim, dir_id, **params) -> list[str]:
    ids, number = [], 1
    while True:
        body = sim.ok(
            "GET",
            f"/v2/dir/{dir_id}/phone_number_batches",
            params={"page[size]": 2, "page[number]": number, **params},
        )
        if not body["data"]:
            return ids
        ids += [b["batch_id"] for b in body["data"]]
        assert (
            body["meta"]["total_results"]
            == Batch.objects.filter(dir_id=dir_id, **_status_filter(params)).count()
        )
        number += 1


def _status_filter(params: dict) -> dict:
    return {"status": params["filter[status]"]} if "filter[status]" in params else {}


def test_batch_pages_walk_newest_first_by_position_and_legacy_batches_get_positions(sim, verified):  # noqa: F811
    dir_id = verified["id"]
    for n in range(100, 107):
        add(sim, dir_id, [f"+1312555{n:04}"])
    newest_first = [
        str(b)
        for b in Batch.objects.filter(dir_id=dir_id)
        .order_by("-submitted_at", "-id")
        .values_list("id", flat=True)
    ]
    assert list(
        Batch.objects.filter(dir_id=dir_id).order_by("-position").values_list("position", flat=True)
    ) == list(range(6, -1, -1))
    assert _listed(sim, dir_id) == newest_first

    one = DirPhoneNumber.objects.filter(batch_id=newest_first[3]).get()
    sim.ok("POST", f"/_sim/phone_numbers/{one.id}/transition", json={"to": "verified"})
    assert _listed(sim, dir_id, **{"filter[status]": "verified"}) == [newest_first[3]]
    assert _listed(sim, dir_id, **{"filter[status]": "submitted"}) == newest_first[:3] + newest_first[4:]

    # Batches written before positions existed are numbered on the first listing.
    Batch.objects.filter(dir_id=dir_id).update(position=None)
    assert _listed(sim, dir_id) == newest_first
    assert not Batch.objects.filter(dir_id=dir_id, position=None).exists()


def test_a_batch_older_than_the_newest_takes_its_place_in_the_order(sim, verified):  # noqa: F811
    dir_id = verified["id"]
    for n in range(100, 103):
        add(sim, dir_id, [f"+1312555{n:04}"])
    batches = list(Batch.objects.filter(dir_id=dir_id).order_by("submitted_at"))
    between = batches[0].submitted_at + (batches[1].submitted_at - batches[0].submitted_at) / 2
    # As if the simulated clock had been set back: the new batch sorts between the first two.
    late = Batch.objects.create(
        account=batches[0].account, dir_id=dir_id, status_changed_at=between, submitted_at=between
    )
    services.batch_position_assign(late)
    expected = [batches[2].id, batches[1].id, late.id, batches[0].id]
    assert (
        list(Batch.objects.filter(dir_id=dir_id).order_by("-position").values_list("id", flat=True))
        == expected
    )
    assert _listed(sim, dir_id) == [str(b) for b in expected]
