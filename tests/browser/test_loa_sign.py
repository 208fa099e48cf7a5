"""Real browser: the DIR's authorizer adds 40 numbers, signs once on the pad, and three batches go out,
each with its own letter listing exactly its numbers, every number verified by the simulator."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from portal.accounts.models import TelnyxAccount
from portal.dirs.models import Dir
from portal.loas.models import Ceremony, Letter
from portal.numbers.models import AddRequest
from portal.simulator.models import DirPhoneNumber as SimNumber
from portal.sync import services as sync_services
from tests.browser.test_add_flow import shot
from tests.simulator.test_lifecycle import tick

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "simulator"]),
]

NUMBERS = [f"+1312555{n}" for n in range(2020, 2060)]  # none ends in 13 or 66 (rejected by rule)


def test_the_authorizer_signs_on_the_pad_and_each_batch_goes_with_its_own_letter(
    page, live_server, demo, sign_in, sim, sim_route, settings, console_errors
):
    account = TelnyxAccount.objects.create(team=demo["acme"], api_key=sim.key, api_key_last4=sim.key[-4:])
    sim.inventory(*NUMBERS)
    enterprise = sim.activated_enterprise(legal_name="Acme Health LLC")
    remote = sim.verified_dir(
        enterprise_id=enterprise["id"], display_name="Acme Health", authorizer_name="Ada Admin",
        authorizer_email="ada@acme.test",
    )  # fmt: skip
    sync_services.account_sync(account=account, full=True)
    dir_ = Dir.objects.get(remote_id=remote["id"])
    page.set_viewport_size({"width": 1280, "height": 1100})

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/")
    page.get_by_label("Phone numbers").fill("\n".join(NUMBERS))
    page.locator("#add-check").click()
    panel = page.locator("#loa-sign")
    expect(panel).to_contain_text("Sign the letters here")
    expect(panel).to_contain_text("Acme Health LLC")
    expect(page.locator("#loa-sign-submit")).to_contain_text("Sign and add 40 numbers")

    # Signing without consent or ink is refused inline, with nothing sent.
    page.locator("#loa-sign-submit").click()
    expect(page.locator("#loa-consent-error")).to_contain_text("Tick the box to agree")
    expect(page.locator("#loa-pad-error")).to_contain_text("the signature is empty")
    assert not AddRequest.objects.exists()

    page.get_by_label("I have read this notice").check()
    pad = page.locator("#loa-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(
            box["x"] + 30 + step * 35, box["y"] + box["height"] * (0.3 if step % 2 else 0.75), steps=4
        )
    page.mouse.up()
    assert page.locator("#loa-signature").input_value().startswith("data:image/png;base64,")
    shot(page, "loa-1-signed-pad", "#loa-sign")

    page.locator("#loa-sign-submit").click()
    expect(page.locator("#add-progress")).to_contain_text("3 of 3 batches done", timeout=15000)
    shot(page, "loa-2-done", "#add-progress")

    ceremony = Ceremony.objects.get()
    assert (ceremony.signer_email, ceremony.state, ceremony.method) == ("ada@acme.test", "signed", "drawn")
    chunks = list(AddRequest.objects.filter(group=ceremony.group).order_by("position"))
    letters = list(Letter.objects.filter(ceremony=ceremony).order_by("position"))
    assert [len(c.numbers) for c in chunks] == [15, 15, 10]
    for chunk, letter in zip(chunks, letters, strict=True):
        assert chunk.state == AddRequest.State.DONE
        assert chunk.documents[0]["document_id"] == letter.document.remote_id
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(letter.pdf))).pages)
        listed = {n for n in NUMBERS if n in text}
        assert listed == set(chunk.numbers)  # exactly its own numbers

    settings.SIMULATOR_REVIEW_DELAY, settings.SIMULATOR_DECISION_DELAY = 1, 1
    tick(sim, 2)
    tick(sim, 2)
    decided = dict(SimNumber.objects.filter(dir_id=remote["id"]).values_list("phone_number", "status"))
    assert {decided[n] for n in NUMBERS} == {"verified"}

    # The register lists the signature; its page offers each letter, and a batch's page links its letter.
    page.goto(f"{live_server.url}/t/acme/loas/")
    page.get_by_label("Phone number, signer or DIR").fill("312 555 2047")
    expect(page.locator("#ceremony-results tbody tr")).to_have_count(1)
    shot(page, "loa-3-register")
    page.locator("#ceremony-results tbody a").first.click()
    expect(page.locator("#certificate-download")).to_be_visible()
    shot(page, "loa-4-signature")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/batches/{chunks[1].batch_id}/")
    expect(page.locator("#batch-letter")).to_contain_text("Signed by Ada Admin")
    assert console_errors == []


def test_a_signer_who_cannot_draw_signs_with_their_typed_name(
    page, live_server, demo, sign_in, sim, sim_route, console_errors
):
    account = TelnyxAccount.objects.create(team=demo["acme"], api_key=sim.key, api_key_last4=sim.key[-4:])
    sim.inventory(*NUMBERS[:5])
    enterprise = sim.activated_enterprise(legal_name="Acme Health LLC")
    remote = sim.verified_dir(
        enterprise_id=enterprise["id"], display_name="Acme Health", authorizer_name="Ada Admin",
        authorizer_email="ada@acme.test",
    )  # fmt: skip
    sync_services.account_sync(account=account, full=True)
    dir_ = Dir.objects.get(remote_id=remote["id"])

    sign_in("ada@acme.test")
    page.goto(f"{live_server.url}/t/acme/dirs/{dir_.pk}/numbers/add/")
    page.get_by_label("Phone numbers").fill("\n".join(NUMBERS[:5]))
    page.locator("#add-check").click()
    page.get_by_label("I have read this notice").check()
    page.locator('label[for="loa-method-typed"]').click()
    page.get_by_label("Your full name").fill("Ada Q. Admin")
    page.wait_for_function("document.getElementById('loa-signature').value.startsWith('data:image/png')")
    shot(page, "loa-5-typed", "#loa-sign")
    page.locator("#loa-sign-submit").click()
    expect(page.locator("#add-progress")).to_contain_text("1 of 1 batch done", timeout=15000)
    ceremony = Ceremony.objects.get()
    assert (ceremony.method, ceremony.signer_name) == ("typed", "Ada Q. Admin")
    assert Letter.objects.get(ceremony=ceremony).document is not None
    assert console_errors == []
