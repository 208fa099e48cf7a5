"""Real browser: a member filters a DIR's numbers, ticks two, removes them through the confirmation modal."""

from __future__ import annotations

import csv
import os
import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.dirs.models import Dir
from portal.numbers.models import Batch, DirNumber
from portal.numbers.services import removal as removal_module
from portal.numbers.views import EXPORT_HEADER
from portal.simulator import models as sim_models
from portal.sync import services as sync_services
from tests.conftest import make_member
from tests.sim import Sim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]

SHOTS = os.environ.get("PORTAL_SHOTS_DIR")  # set it to keep screenshots of the pages


def attach(sim: Sim, dir_id: str, numbers: list[str]) -> list[str]:
    """Put numbers in the simulator's inventory and add them in batches of 15; returns the batch ids."""
    sim.inventory(*numbers)
    loa = sim.loa()
    return [
        sim.ok("POST", f"/v2/dir/{dir_id}/phone_numbers", 201,
               json={"phone_numbers": numbers[start : start + 15], "documents": loa})["data"][0]["batch_id"]
        for start in range(0, len(numbers), 15)
    ]  # fmt: skip


@pytest.fixture
def numbers_dir(acme_sim):
    """Acme's verified DIR on the simulator with 40 numbers in three batches, mirrored."""
    sim, account = acme_sim
    remote = sim.verified_dir(display_name="Acme Health")
    numbers = [f"+1312557{n:04}" for n in range(40)]
    batch_ids = attach(sim, remote["id"], numbers)
    sim.ok("POST", f"/_sim/batches/{batch_ids[0]}/transition", json={"to": "verified"})
    sim.ok("POST", f"/_sim/batches/{batch_ids[1]}/transition", json={"to": "verified"})
    rows = sim.ok("GET", f"/v2/dir/{remote['id']}/phone_numbers", params={"page[size]": 250})["data"]
    for row in rows:
        if row["phone_number"] in (numbers[17], numbers[22]):
            sim.ok("POST", f"/_sim/phone_numbers/{row['id']}/transition",
                   json={"to": "unsuccessful", "rejection_reason": "number_not_in_service"})  # fmt: skip
    sync_services.account_sync(account=account, full=True)
    return Dir.objects.get(remote_id=remote["id"]), numbers


def test_filter_select_two_and_remove_them(page, live_server, demo, numbers_dir, sign_in, console_errors):
    dir_, numbers = numbers_dir
    sign_in("max@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/")
    expect(page.locator("#number-results tbody tr")).to_have_count(25)
    if SHOTS:
        page.set_viewport_size({"width": 1440, "height": 1000})
        page.screenshot(path=f"{SHOTS}/numbers-page.png", full_page=True)

    page.get_by_test_id("pill-verified").check(force=True)
    expect(page).to_have_url(re.compile(r"status=verified"))
    expect(page.locator("#number-results tbody tr")).to_have_count(25)  # 28 verified: two pages
    expect(page.locator("#number-results")).not_to_contain_text(numbers[30])  # submitted: filtered out

    first, second = numbers[0], numbers[1]
    page.get_by_label(f"Select {first}").check()
    page.get_by_label(f"Select {second}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected on this page")
    page.locator("#remove-selected").click()
    modal = page.locator("#number-remove-modal")
    expect(modal.get_by_role("heading")).to_have_text(re.compile(r"Remove 2 numbers from “Acme Health”\?"))
    expect(modal).to_contain_text("calls from it stop showing")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/numbers-remove-confirm.png")
    modal.locator("#number-remove-confirm").click()

    expect(modal).to_contain_text("All 2 numbers were removed.")
    expect(modal.get_by_test_id("removal-removed")).to_contain_text(first)
    expect(modal.get_by_test_id("removal-removed")).to_contain_text(second)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/numbers-remove-outcome.png")
    modal.locator("#removal-close").click()
    # The table re-read itself when the removal finished; the filter is kept.
    expect(page.locator("#number-results")).not_to_contain_text(first)
    expect(page.locator("#number-results")).not_to_contain_text(second)
    expect(page.get_by_test_id("pill-verified")).to_be_checked()
    assert set(
        DirNumber.objects.filter(dir=dir_, removed_at=None).values_list("phone_number", flat=True)
    ) == set(numbers[2:])
    assert console_errors == []


def test_batch_pages_show_counts_and_reasons(page, live_server, demo, numbers_dir, sign_in, console_errors):
    dir_, _numbers = numbers_dir
    sign_in("max@acme.test")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/batches/")
    expect(page.locator("#batch-results tbody tr")).to_have_count(3)
    expect(page.locator("#batch-results")).to_contain_text("13 verified")
    expect(page.locator("#batch-results")).to_have_attribute(
        "hx-trigger", "every 5s"
    )  # one batch still submitted
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/batch-list.png", full_page=True)
    mixed = Batch.objects.get(dir=dir_, numbers__phone_number=_numbers[17])
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/batches/{mixed.pk}/")
    expect(page.locator("#batch-status")).to_contain_text("Number not in service")
    expect(page.locator("#batch-status")).not_to_have_attribute("hx-trigger", "every 5s")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/batch-detail.png", full_page=True)
    assert console_errors == []


@pytest.fixture
def many_numbers_dir(acme_sim):
    """Acme's verified DIR on the simulator with 130 numbers (more than one DELETE of 100), mirrored."""
    sim, account = acme_sim
    remote = sim.verified_dir(display_name="Acme Health")
    numbers = [f"+1312558{n:04}" for n in range(130)]
    attach(sim, remote["id"], numbers)
    sync_services.account_sync(account=account, full=True)
    dir_ = Dir.objects.get(remote_id=remote["id"])
    assert DirNumber.objects.filter(dir=dir_, removed_at=None).count() == 130
    return dir_, numbers


def test_remove_all_matching_runs_queued_with_a_progress_bar_to_the_end(
    page, live_server, demo, many_numbers_dir, sign_in, console_errors, monkeypatch
):
    dir_, numbers = many_numbers_dir
    # One chunk per task, so the run also goes through the task re-queueing itself.
    monkeypatch.setattr(removal_module, "REMOVE_CHUNKS_PER_TASK", 1)
    sign_in("max@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/")
    remove_all = page.locator("#remove-all-matching")
    expect(remove_all).to_have_text(re.compile(r"Remove all 130 matching numbers"))
    remove_all.click()
    modal = page.locator("#number-remove-modal")
    expect(modal.get_by_role("heading")).to_have_text(re.compile(r"Remove 130 numbers from “Acme Health”\?"))
    expect(modal).to_contain_text("These are all 130 numbers matching the current filter")
    expect(modal).to_contain_text("runs in the background, chunk by chunk")
    modal.locator("#number-remove-confirm").click()

    # The answer is the queued removal's progress; it polls itself (every 2 s) until the last chunk.
    expect(modal.get_by_test_id("removal-progress")).to_contain_text("of 2 chunks sent")
    progress = modal.locator("progress")
    expect(progress).to_have_attribute("max", "2")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/numbers-remove-progress.png")
    expect(modal).to_contain_text("All 130 numbers were removed.", timeout=10_000)
    expect(progress).to_have_count(0)
    expect(modal.locator(".removal-status")).to_have_attribute("data-state", "done")
    expect(modal.locator(".removal-status")).not_to_have_attribute("hx-trigger", re.compile("every"))
    modal.locator("#removal-close").click()
    # The table re-read itself when the poller saw the end.
    expect(page.locator("#number-results")).to_contain_text("No numbers match")
    assert not DirNumber.objects.filter(dir=dir_, removed_at=None).exists()
    assert not sim_models.DirPhoneNumber.objects.filter(dir_id=dir_.remote_id, removed_at=None).exists()
    assert console_errors == []


def test_csv_export_link_downloads_the_filtered_list(
    page, live_server, demo, numbers_dir, sign_in, console_errors
):
    dir_, numbers = numbers_dir
    sign_in("max@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/")
    page.get_by_test_id("pill-verified").check(force=True)
    expect(page).to_have_url(re.compile(r"status=verified"))
    page.locator("#id_q").press_sequentially("557001")  # typing searches (keyup): +13125570010 … 0019
    expect(page).to_have_url(re.compile(r"q=557001"))
    export = page.locator("#number-export")
    expect(export).to_have_attribute(
        "href", re.compile(r"status=verified.*q=557001|q=557001.*status=verified")
    )
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename == f"dir-{dir_.pk}-numbers-verified.csv"
    with open(download.path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == EXPORT_HEADER
    # 0010–0019 are in the two verified batches; 0017 was rejected (unsuccessful): nine rows.
    assert [row[0] for row in rows[1:]] == [n for n in numbers[10:20] if n != numbers[17]]
    assert {row[1] for row in rows[1:]} == {"verified"}
    assert all(row[2] and row[8] for row in rows[1:])  # batch id and Telnyx id
    assert console_errors == []


def test_a_viewer_sees_no_remove_controls(page, live_server, demo, numbers_dir, sign_in, console_errors):
    dir_, numbers = numbers_dir
    make_member(demo["acme"], "vic@acme.test", Role.VIEWER, "Vic Viewer")
    sign_in("vic@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/")
    expect(page.locator("#number-results tbody tr")).to_have_count(25)
    expect(page.locator("#number-export")).to_be_visible()  # reading is theirs
    for selector in (
        "#remove-selected",
        "#remove-all-matching",
        "#number-remove-modal",
        "input[name=numbers]",
        "[data-select-page]",
        "[data-selected-count]",
    ):
        expect(page.locator(selector)).to_have_count(0)
    expect(page.get_by_role("link", name="Add numbers")).to_have_count(0)
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/batches/")
    expect(page.locator("#batch-results tbody tr")).to_have_count(3)
    batch = Batch.objects.get(dir=dir_, numbers__phone_number=numbers[17])
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/batches/{batch.pk}/")
    expect(page.locator("#batch-status")).to_contain_text("Number not in service")
    for url in (f"/t/acme/dirs/{dir_.pk}/batches/", f"/t/acme/dirs/{dir_.pk}/batches/{batch.pk}/"):
        page.goto(f"{live_server.url}{url}")
        expect(page.locator("main button, main form[method=post], main [hx-post]")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("Remove"))).to_have_count(0)
        expect(page.get_by_role("link", name="Add numbers")).to_have_count(0)
    assert DirNumber.objects.filter(dir=dir_, removed_at=None).count() == 40
    assert console_errors == []
