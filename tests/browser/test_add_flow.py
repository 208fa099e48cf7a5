"""Real browser: paste 40 numbers (3 bad), drop the bad ones, upload the LOA, add in 3 batches, see the vetting."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.accounts.models import TelnyxAccount
from portal.dirs.models import Dir
from portal.numbers.models import AddRequest, DirNumber
from portal.sync import services as sync_services
from tests.sim import letter_pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]

SHOTS = Path(os.environ.get("PORTAL_SHOTS_DIR", "/tmp/shots"))
GOOD = [f"+1312555{n}" for n in range(1000, 1036)] + ["+13125551066"]  # 1013 and 1066 fail vetting
BAD = ["800-555-0100", "+13125559999", "555-12"]  # toll-free, not in inventory, not a number


def shot(page, name: str, focus: str | None = None) -> None:
    """A viewport screenshot (the fixed sidebar stays whole) with the step's element scrolled into view."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if focus:
        page.locator(focus).first.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.mouse.wheel(0, -80)  # a little context above it
    page.screenshot(path=str(SHOTS / f"add-{name}.png"))


def acme_verified_dir(demo, sim, *inventory: str):
    """Acme linked to the simulator, these numbers in its inventory, and a verified DIR mirrored."""
    account = TelnyxAccount.objects.create(team=demo["acme"], api_key=sim.key, api_key_last4=sim.key[-4:])
    if inventory:
        sim.inventory(*inventory)
    enterprise = sim.activated_enterprise(legal_name="Acme Health LLC")
    remote = sim.verified_dir(enterprise_id=enterprise["id"], display_name="Acme Health")
    sync_services.account_sync(account=account, full=True)
    return account, Dir.objects.get(remote_id=remote["id"])


def test_add_forty_numbers_end_to_end(
    page, live_server, demo, sign_in, sim, sim_route, tmp_path, console_errors
):
    account, dir_ = acme_verified_dir(demo, sim, *GOOD)
    page.set_viewport_size({"width": 1280, "height": 1000})

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/")
    # Mixed separators, and the three bad numbers among the good ones.
    pasted = (
        ", ".join(GOOD[:12])
        + "\n"
        + "; ".join(BAD)
        + "\n"
        + "\t".join(GOOD[12:25])
        + "\n"
        + " ".join(GOOD[25:])
    )
    page.get_by_label("Phone numbers").fill(pasted)
    page.locator("#add-check").click()

    problems = page.locator("#add-problems")
    expect(problems).to_be_visible()
    expect(page.locator('[data-reason="toll_free"]')).to_contain_text("+18005550100")
    expect(page.locator('[data-reason="not_in_inventory"]')).to_contain_text("+13125559999")
    expect(page.locator('[data-reason="invalid_format"]')).to_contain_text("555-12")
    expect(page.locator("#add-ready")).to_contain_text("37 numbers can be added")
    expect(page.locator("#add-submit")).to_have_count(0)
    shot(page, "1-preflight", "#add-check")

    page.locator("#add-drop-all").click()
    expect(page.locator("#add-problems")).to_have_count(0)
    expect(page.locator("#add-ready")).to_contain_text("in 3 batches")
    shot(page, "2-dropped", "#add-check")

    loa = tmp_path / "signed-loa.pdf"
    loa.write_bytes(letter_pdf(*GOOD))  # a letter signed elsewhere: the simulator reads the numbers in it
    page.locator("#id_loa_file").set_input_files(str(loa))
    page.locator("#add-loa-upload").click()
    expect(page.locator("#add-loa input[name=loa]:checked")).to_have_count(1)
    expect(page.locator("#add-loa")).to_contain_text("signed-loa.pdf")
    shot(page, "3-loa", "#add-preflight")

    page.locator("#add-submit").click()
    progress = page.locator("#add-progress")
    expect(progress).to_be_visible()
    expect(page.get_by_test_id("add-progress-text")).to_contain_text("3 of 3 batches done", timeout=15000)
    expect(page.locator("#add-batches tbody tr")).to_have_count(3)
    assert page.url.endswith(f"?group={AddRequest.objects.first().group}")
    assert DirNumber.objects.filter(dir=dir_, removed_at=None).count() == 37
    shot(page, "4-submitted")

    # Telnyx vets: two autopilot steps (to in_review, then decided), then a sync brings the outcomes in.
    for _step in range(2):
        sim.ok("POST", "/_sim/clock", json={"advance_seconds": 60})
        sim.ok("POST", "/_sim/tick")
    sync_services.account_sync(account=account, full=True)
    page.reload()
    rejected = page.locator("#add-rejected")
    expect(rejected).to_contain_text("+13125551013")
    expect(rejected).to_contain_text("+13125551066")
    expect(page.locator("#add-outcomes")).to_contain_text(re.compile("Verified", re.I))
    shot(page, "5-vetted")

    # D's numbers page: remove two of the new numbers.
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/")
    for number in ("+13125551000", "+13125551001"):
        page.get_by_label(f"Select {number}").check()
    page.locator("#remove-selected").click()
    expect(page.locator("#number-remove-confirm")).to_be_visible()
    shot(page, "6-remove-confirm")
    page.locator("#number-remove-confirm").click()
    expect(page.locator("#number-remove-body")).to_contain_text(re.compile("removed", re.I), timeout=15000)
    shot(page, "7-removed")
    assert DirNumber.objects.filter(dir=dir_, removed_at=None).count() == 35
    assert [e for e in console_errors if "favicon" not in e] == []


def test_numbers_from_a_csv_and_the_inventory_picker_are_checked_together(
    page, live_server, demo, sign_in, sim, sim_route, tmp_path, console_errors
):
    _account, dir_ = acme_verified_dir(
        demo, sim, "+13125552000", "+13125552001", "+13125552002", "+17735550100", "+17735550101"
    )

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/")
    # A CSV with a header row, one number a line, national format.
    upload = tmp_path / "numbers.csv"
    upload.write_text("phone_number,label\n(312) 555-2000,front desk\n312.555.2001,billing\n")
    page.locator("#id_csv").set_input_files(str(upload))
    # And one more from the inventory: search by digits, tick the match.
    page.locator("#add-inventory-q").fill("7735550101")
    match = page.locator("#add-inventory input[name=picked][value='+17735550101']")
    expect(match).to_be_visible()
    expect(page.locator("#add-inventory input[name=picked]")).to_have_count(1)
    match.check()
    page.locator("#add-check").click()

    expect(page.locator("#add-ready")).to_contain_text("3 numbers can be added")
    expect(page.locator("#add-problems")).to_have_count(0)
    # The checked list comes back into the box, normalised, from both sources.
    expect(page.get_by_label("Phone numbers")).to_have_value("+13125552000\n+13125552001\n+17735550101")
    assert [e for e in console_errors if "favicon" not in e] == []


def test_flagged_rows_download_and_stopping_the_rest_of_an_add(
    page, live_server, demo, sign_in, sim, sim_route, tmp_path, console_errors
):
    """A CSV with bad rows: download them with their lines and reasons. Then an add whose batches are not
    sent yet (no worker has taken them): "Stop the rest…", confirm, and the card says what was stopped."""
    from portal.numbers import services as number_services
    from tests.numbers.addflow import loa_upload

    good = [f"+1312555{n}" for n in range(3000, 3045)]
    _account, dir_ = acme_verified_dir(demo, sim, *good)

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/")
    upload = tmp_path / "numbers.csv"
    upload.write_text("phone,name\n+13125553000,a\n800-555-0100,b\nnot a number,c\n+13125559999,d\n")
    page.locator("#id_csv").set_input_files(str(upload))
    page.locator("#add-check").click()
    link = page.locator("#add-flagged-csv")
    expect(link).to_contain_text("Download the 3 flagged rows (CSV)")
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "flagged.csv"
    download_info.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0] == "where,as_given,number,reason,explanation"
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["CSV line 3", "800-555-0100", "+18005550100", "toll_free"],
        ["CSV line 4", "not a number", "", "invalid_format"],
        ["CSV line 5", "+13125559999", "+13125559999", "not_in_inventory"],
    ]
    shot(page, "8-flagged", "#add-preflight")

    # 45 numbers in 3 batches, saved but not yet taken by a worker.
    loa = loa_upload(demo["acme"])
    group = number_services.add_submit(dir=dir_, user=None, raw=good, loa=loa, enqueue=lambda ids: None)
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/?group={group}")
    expect(page.get_by_test_id("add-progress-text")).to_contain_text("0 of 3 batches done")
    page.get_by_text("Stop the rest…").click()
    confirm = page.locator("#add-stop-confirm")
    expect(confirm).to_be_visible()
    shot(page, "9-stop-confirm", "#add-progress")
    confirm.click()
    expect(page.locator("#add-stopped")).to_contain_text(
        "3 batches (45 numbers) were stopped before they were sent"
    )
    expect(page.locator("#add-stop")).to_have_count(0)
    assert set(AddRequest.objects.filter(group=group).values_list("state", flat=True)) == {"cancelled"}
    shot(page, "10-stopped", "#add-progress")
    assert [e for e in console_errors if "favicon" not in e] == []


def test_an_upload_over_the_size_cap_says_so_on_the_page(
    page, live_server, demo, sign_in, sim, sim_route, tmp_path, settings, console_errors
):
    """A body over UPLOAD_MAX_BYTES is refused before it is read; the page says why, where it is seen."""
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    _account, dir_ = acme_verified_dir(demo, sim)

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/")
    big = tmp_path / "big.csv"
    big.write_bytes(b"3125551000\n" * 10_000)  # 110 KB
    page.locator("#id_csv").set_input_files(str(big))
    page.locator("#add-check").click()
    alert = page.locator("#messages [role=alert]")
    expect(alert).to_have_text(
        "That upload is too large: up to 64.0\xa0KB can be sent at once. Choose a smaller file."
    )
    expect(alert).to_be_in_viewport()
    assert [e for e in console_errors if "favicon" not in e and "413" not in e] == []
