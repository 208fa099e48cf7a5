"""Adds of up to 10,000 numbers: one pre-flight pass, the inventory asked in chunks, the flagged rows as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal import telnyx
from portal.numbers import checks, services
from portal.numbers.models import AddCheck, AddRequest
from tests.numbers import addflow
from tests.numbers.addflow import numbers

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
verified = addflow.verified  # the shared fixture: 1,200 inventory numbers from +13125552000

HX = {"HX-Request": "true"}


def ten_thousand() -> list[str]:
    """+13125600000 … +13125609999: 10,000 valid Chicago numbers."""
    return [f"+1312560{n:04d}" for n in range(10_000)]


@pytest.fixture
def big_inventory(verified, sim):
    """verified, plus the 10,000 numbers of ten_thousand() in the account's inventory."""
    found = ten_thousand()
    for start in range(0, len(found), 2_000):
        sim.inventory(*found[start : start + 2_000])
    return verified


@pytest.fixture
def ownership_calls(monkeypatch) -> list[int]:
    """The size of every inventory (verify_ownership) call the client makes."""
    calls: list[int] = []
    real = telnyx.TelnyxClient.verify_ownership

    def counting(self, phone_numbers):
        calls.append(len(phone_numbers))
        return real(self, phone_numbers)

    monkeypatch.setattr(telnyx.TelnyxClient, "verify_ownership", counting)
    return calls


def url(name: str, v, *args) -> str:
    return reverse(f"numbers:{name}", args=["acme", v.dir.pk, *args])


def test_ten_thousand_numbers_are_checked_in_one_pass_with_the_inventory_in_chunks(
    big_inventory, ownership_calls, django_assert_max_num_queries
):
    """Ten inventory calls of 1,000, every number found; the mirror is asked set-wise, not per number."""
    raw = ten_thousand()
    with django_assert_max_num_queries(4):
        result = services.numbers_preflight(dir=big_inventory.dir, raw=raw)
    assert ownership_calls == [checks.INVENTORY_CHUNK] * 10
    assert len(result.ok) == 10_000
    assert result.problems == {}
    assert result.batches == 667


def test_ten_thousand_numbers_are_saved_as_667_chunks(
    big_inventory, member_a, django_capture_on_commit_callbacks
):
    queued: list[int] = []
    raw = ten_thousand()
    with django_capture_on_commit_callbacks(execute=True):
        group = services.add_submit(
            dir=big_inventory.dir, user=member_a, raw=raw, loa=big_inventory.loa, enqueue=queued.extend
        )
    chunks = list(AddRequest.objects.filter(group=group).order_by("position"))
    assert len(chunks) == 667 == len(queued)
    assert [c.position for c in chunks] == list(range(667))
    assert all(1 <= len(c.numbers) <= 15 for c in chunks)
    assert [n for c in chunks for n in c.numbers] == raw  # every number once, in the order given
    assert {c.state for c in chunks} == {AddRequest.State.PENDING}


def test_a_check_offers_every_flagged_row_as_csv(verified, member_a, client_as):
    """Where each flagged row was (its CSV line), what was given, and why; user text is formula-safe."""
    good = numbers(2000, 3)
    body = "\n".join(
        ["name,phone", f"Ada,{good[0]}", "Eve,=HYPERLINK(\"http://x\")", "", f"Max,{good[1]}", "Zed,800-555-0100",
         f"Ann,{good[0]}", f"Bob,{good[2]}", "Kim,+13125558000"]
    )  # fmt: skip
    upload = SimpleUploadedFile("list.csv", body.encode(), "text/csv")
    client = client_as(member_a)
    response = client.post(url("number_add_check", verified), {"csv": upload}, headers=HX)
    assert response.status_code == 200
    check = AddCheck.objects.get()
    link = url("number_add_flagged", verified, check.pk)
    assert link in response.text
    assert "Download the 4 flagged rows (CSV)" in response.text

    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0] == ["where", "as_given", "number", "reason", "explanation"]
    assert [r[:4] for r in rows[1:]] == [
        ["CSV line 3", '\'=HYPERLINK("http://x")', "", "invalid_format"],
        ["CSV line 6", "800-555-0100", "+18005550100", "toll_free"],
        ["CSV line 7", good[0], good[0], "duplicate"],  # an E.164 number stays a number
        ["CSV line 9", "+13125558000", "+13125558000", "not_in_inventory"],
    ]
    assert rows[4][4] == str(checks.REASONS["not_in_inventory"])


def test_flagged_rows_are_the_teams_own(verified, member_a, viewer_a, client_as, admin_b):
    client_as(member_a).post(url("number_add_check", verified), {"numbers": "nonsense"}, headers=HX)
    check = AddCheck.objects.get()
    assert client_as(viewer_a).get(url("number_add_flagged", verified, check.pk)).status_code == 200
    outsider = client_as(admin_b)
    assert outsider.get(url("number_add_flagged", verified, check.pk)).status_code in (403, 404)
    theirs = reverse("numbers:number_add_flagged", args=["globex", verified.dir.pk, check.pk])
    assert outsider.get(theirs).status_code == 404
    other_dir = reverse("numbers:number_add_flagged", args=["acme", verified.other_dir.pk, check.pk])
    assert client_as(member_a).get(other_dir).status_code == 404


def test_a_clean_check_keeps_nothing(verified, member_a, client_as):
    response = client_as(member_a).post(
        url("number_add_check", verified), {"numbers": "\n".join(numbers(2000, 5))}, headers=HX
    )
    assert "5 numbers can be added" in response.text
    assert AddCheck.objects.count() == 0
    assert "flagged rows (CSV)" not in response.text


def test_old_checks_are_swept_by_the_next_one(verified, member_a, client_as):
    from datetime import timedelta

    from django.utils import timezone

    client = client_as(member_a)
    client.post(url("number_add_check", verified), {"numbers": "nonsense"}, headers=HX)
    AddCheck.objects.update(created_at=timezone.now() - services.add.ADD_CHECK_KEEP - timedelta(minutes=1))
    client.post(url("number_add_check", verified), {"numbers": "other nonsense"}, headers=HX)
    assert [c.rows[0]["given"] for c in AddCheck.objects.all()] == ["other"]  # "nonsense" was swept


def test_a_big_flagged_group_lists_the_first_ones_and_says_how_many_more(verified, member_a, client_as):
    text = "\n".join(f"+1800555{n:04d}" for n in range(100))  # 100 toll-free numbers
    response = client_as(member_a).post(url("number_add_check", verified), {"numbers": text}, headers=HX)
    assert "100 toll-free" in response.text
    assert response.text.count("<code>+1800555") == checks.GROUP_SHOWN
    assert f"…and {100 - checks.GROUP_SHOWN} more" in response.text


def test_the_sample_csv_reads_back_as_numbers(verified, member_a, client_as):
    response = client_as(member_a).get(url("number_add_sample", verified))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    found = checks.csv_numbers([response.content])
    assert len(found) >= 3
    assert all(checks.normalize(n) for n in found)
    page = client_as(member_a).get(url("number_add", verified))
    assert url("number_add_sample", verified) in page.text


def test_the_progress_of_a_big_add_lists_the_first_batches(
    verified, member_a, client_as, django_capture_on_commit_callbacks
):
    """22 batches sent through the simulator: 20 rows in the card, a link to the rest."""
    client = client_as(member_a)
    data = {"numbers": "\n".join(numbers(2000, 330)), "loa": verified.loa.pk}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("number_add_submit", verified), data, headers=HX)
    group = AddRequest.objects.first().group
    progress = client.get(url("number_add_progress", verified) + f"?group={group}", headers=HX)
    assert "22 of 22 batches done" in progress.text
    shown = re.findall(r'href="/t/acme/dirs/\d+/batches/(\d+)/"', progress.text)
    sent = AddRequest.objects.filter(group=group).order_by("pk").values_list("batch_id", flat=True)
    assert [int(pk) for pk in shown] == list(sent[:20])  # the first 20 batches, each once, in order
    assert "…and 2 more batches." in progress.text
    assert reverse("numbers:batch_list", args=["acme", verified.dir.pk]) in progress.text
