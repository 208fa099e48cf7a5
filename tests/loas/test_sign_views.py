"""Sign here: the DIR's authorizer signs an add's letters on the add page, and each batch goes with its own."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from portal.accounts.models import Role
from portal.loas.consent import CONSENT
from portal.loas.models import Ceremony, Letter
from portal.loas.services import identity_digest, identity_of, numbers_digest
from portal.numbers.models import AddRequest
from tests.conftest import make_member
from tests.loas.test_letters import drawn
from tests.numbers.addflow import numbers, verified  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
HX = {"HX-Request": "true"}


@pytest.fixture
def authorizer(team_a):
    return make_member(team_a, "Ada.Park@northwind.example", Role.MEMBER, name="Ada Park")


def sign_url(v) -> str:
    return reverse("loas:add_sign", args=[v.dir.team.slug, v.dir.pk])


def form(v, count=40, **overrides) -> dict:
    data = {
        "numbers": "\n".join(numbers(2020, count)),
        "signer_name": "Ada Park",
        "consent": "yes",
        "consent_version": CONSENT.version,
        "signature": "data:image/png;base64," + base64.b64encode(drawn()).decode(),
        "identity": identity_digest(identity_of(v.dir)),
        "checked": numbers_digest(numbers(2020, count)),
        "count": str(count),
    }
    return {**data, **overrides}


def test_the_authorizer_signs_once_and_each_batch_goes_with_its_own_letter(
    verified,  # noqa: F811
    authorizer,
    client_as,
    django_capture_on_commit_callbacks,
):
    client = client_as(authorizer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sign_url(verified), form(verified), headers={**HX, "User-Agent": "Tests/1.0"})
    assert response.status_code == 204
    ceremony = Ceremony.objects.get()
    page = reverse("numbers:number_add", args=[verified.dir.team.slug, verified.dir.pk])
    assert response["HX-Redirect"] == f"{page}?group={ceremony.group}"
    assert ceremony.state == Ceremony.State.SIGNED and ceremony.user_agent == "Tests/1.0"
    assert ceremony.numbers == numbers(2020, 40)
    chunks = list(AddRequest.objects.filter(group=ceremony.group).order_by("position"))
    assert [len(c.numbers) for c in chunks] == [15, 15, 10]
    assert {c.state for c in chunks} == {AddRequest.State.DONE}
    letters = list(Letter.objects.filter(ceremony=ceremony).order_by("position"))
    assert [letter.numbers for letter in letters] == [c.numbers for c in chunks]
    assert [c.documents[0]["document_id"] for c in chunks] == [
        letter.document.remote_id for letter in letters
    ]
    assert len({letter.sha256 for letter in letters}) == 3

    # The add page shows it as any add: three batches done.
    progress = client.get(
        reverse("numbers:number_add_progress", args=[verified.dir.team.slug, verified.dir.pk])
        + f"?group={ceremony.group}",
        headers=HX,
    )
    assert "3 of 3 batches done" in progress.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent": ""}, "Tick the box to agree"),
        ({"signature": ""}, "signature is empty"),
        ({"signature": "data:image/gif;base64,R0lGODlh"}, "signature is empty"),
        ({"signer_name": "   "}, "full name"),
        ({"identity": "0" * 64}, "changed since this page was opened"),
    ],
)
def test_a_signature_that_does_not_hold_is_refused_inline_and_nothing_is_saved(
    verified,  # noqa: F811
    authorizer,
    client_as,
    overrides,
    message,
):
    response = client_as(authorizer).post(sign_url(verified), form(verified, **overrides), headers=HX)
    assert response.status_code == 200
    assert message in response.text
    assert 'id="loa-sign"' in response.text  # the panel again, with what to fix
    assert not Ceremony.objects.exists() and not AddRequest.objects.exists()


def test_every_problem_with_a_signature_is_told_at_once(verified, authorizer, client_as):  # noqa: F811
    data = form(verified, consent="", signature="", signer_name="")
    response = client_as(authorizer).post(sign_url(verified), data, headers=HX)
    assert 'id="loa-consent-error"' in response.text and 'id="loa-pad-error"' in response.text
    assert "Type your full name" in response.text
    assert not AddRequest.objects.exists()


def test_only_the_authorizer_signs_here(verified, member_a, client_as):  # noqa: F811
    response = client_as(member_a).post(sign_url(verified), form(verified), headers=HX)
    assert response.status_code == 200
    assert "signed by its authorizer, Ada Park" in response.text and 'id="loa-pad"' not in response.text
    assert not AddRequest.objects.exists()


def test_viewers_and_other_teams_cannot_sign(verified, viewer_a, admin_b, client_as):  # noqa: F811
    assert client_as(viewer_a).post(sign_url(verified), form(verified), headers=HX).status_code == 403
    assert client_as(admin_b).post(sign_url(verified), form(verified), headers=HX).status_code in (403, 404)
    assert not AddRequest.objects.exists()


def test_the_add_page_offers_the_authorizer_the_pad_and_tells_others_who_signs(
    verified,  # noqa: F811
    authorizer,
    member_a,
    client_as,
):
    check = reverse("numbers:number_add_check", args=[verified.dir.team.slug, verified.dir.pk])
    data = {"numbers": "\n".join(numbers(2020, 20))}
    mine = client_as(authorizer).post(check, data, headers=HX).text
    assert 'id="loa-pad"' in mine and CONSENT.agreement in mine and "Sign and add 20 numbers" in mine
    theirs = client_as(member_a).post(check, data, headers=HX).text
    assert 'id="loa-pad"' not in theirs
    assert "signed by its authorizer, Ada Park (ada.park@northwind.example)" in theirs


def test_the_first_letter_can_be_read_before_signing(verified, authorizer, client_as):  # noqa: F811
    url = reverse("loas:letter_preview", args=[verified.dir.team.slug, verified.dir.pk])
    response = client_as(authorizer).get(url, {"n": numbers(2020, 15)})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert not Letter.objects.exists()  # a preview is not kept


# --- The register, the certificate, the signer's copy -------------------------------------------


@pytest.fixture
def signed_add(verified, authorizer, client_as, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        client_as(authorizer).post(sign_url(verified), form(verified), headers=HX)
    return Ceremony.objects.get()


def register(team, name="loas:ceremony_list", *args) -> str:
    return reverse(name, args=[team.slug, *args])


def test_when_the_add_ends_the_certificate_is_sealed_and_the_signer_gets_a_copy(
    signed_add, mailoutbox, django_capture_on_commit_callbacks
):
    from portal.loas import services, tasks

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.settle_ceremonies() == "1 completed, 0 queued again"
    signed_add.refresh_from_db()
    assert services.pdf_verify(bytes(signed_add.certificate_pdf)).ok
    assert set(signed_add.letters.values_list("state", flat=True)) == {Letter.State.ATTACHED}
    (mail,) = mailoutbox
    assert mail.to == ["ada.park@northwind.example"]
    names = [name for name, _content, _type in mail.attachments]
    assert names[0] == f"certificate-{signed_add.pk}.pdf" and len(names) == 1 + 3
    assert tasks.settle_ceremonies() == "0 completed, 0 queued again"  # once


def test_the_register_finds_the_letter_that_covers_a_number(signed_add, member_a, client_as):
    client = client_as(member_a)
    team = signed_add.team
    assert "Ada Park" in client.get(register(team)).text
    found = client.get(register(team), {"q": "(312) 555-2047"}, headers=HX).text
    assert reverse("loas:ceremony_detail", args=[team.slug, signed_add.pk]) in found
    missing = client.get(register(team), {"q": "+13125559999"}, headers=HX).text
    assert "No letter matches" in missing
    detail = client.get(register(team, "loas:ceremony_detail", signed_add.pk)).text
    letters = list(signed_add.letters.order_by("position"))
    for letter in letters:
        assert reverse("loas:letter_download", args=[team.slug, letter.pk]) in detail
    pdf = client.get(reverse("loas:letter_download", args=[team.slug, letters[1].pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(letters[1].pdf)
    # Opening the page of an add that ended made its certificate.
    signed_add.refresh_from_db()
    assert signed_add.certificate_sha256
    assert (
        'id="certificate-download"' in client.get(register(team, "loas:ceremony_detail", signed_add.pk)).text
    )


def test_the_register_exports_one_row_per_letter_and_zips_the_letters(signed_add, member_a, client_as):
    import csv
    import io
    import zipfile

    client = client_as(member_a)
    rows = list(
        csv.reader(
            io.StringIO(client.get(register(signed_add.team, "loas:ceremony_export")).content.decode())
        )
    )
    assert rows[0][:3] == ["signature_id", "dir", "state"] and len(rows) == 1 + 3
    assert [r[7].split() for r in rows[1:]] == [
        letter.numbers for letter in signed_add.letters.order_by("position")
    ]
    archive = zipfile.ZipFile(
        io.BytesIO(
            b"".join(
                client.get(register(signed_add.team, "loas:letters_zip", signed_add.pk)).streaming_content
            )
        )
    )
    assert sorted(archive.namelist()) == sorted(letter.filename for letter in signed_add.letters.all())


def test_another_team_sees_none_of_it(signed_add, admin_b, client_as):
    client = client_as(admin_b)
    letter = signed_add.letters.first()
    assert client.get(register(signed_add.team, "loas:ceremony_detail", signed_add.pk)).status_code == 404
    assert (
        client.get(reverse("loas:letter_download", args=[signed_add.team.slug, letter.pk])).status_code == 404
    )
    assert "Ada Park" not in client.get(register(admin_b.memberships.first().team)).text


def test_verify_tells_a_sealed_certificate_from_a_changed_one(signed_add, member_a, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.loas import services

    pdf = services.certificate_render(signed_add)
    url = register(signed_add.team, "loas:certificate_verify")
    client = client_as(member_a)
    good = client.post(url, {"certificate": SimpleUploadedFile("c.pdf", pdf, "application/pdf")}, headers=HX)
    assert "Sealed by this portal and unchanged since" in good.text
    changed = bytearray(pdf)
    changed[len(changed) // 3] ^= 0x20
    bad = client.post(url, {"certificate": SimpleUploadedFile("c.pdf", bytes(changed))}, headers=HX)
    assert 'role="alert"' in bad.text and "Sealed by this portal" not in bad.text
    empty = client.post(url, {}, headers=HX)
    assert "Choose the certificate" in empty.text


# --- What the review found: no 500s, stop works while letters are prepared, sign only what was shown


def test_signing_numbers_other_than_those_checked_is_refused(verified, authorizer, client_as):  # noqa: F811
    from portal.loas.services import numbers_digest

    shown = numbers_digest(numbers(2020, 15))  # the page checked 15; the form now holds 40
    response = client_as(authorizer).post(sign_url(verified), form(verified, checked=shown), headers=HX)
    assert "The numbers changed since they were checked" in response.text
    assert not AddRequest.objects.exists() and not Ceremony.objects.exists()


def test_odd_form_values_are_no_500(verified, authorizer, client_as):  # noqa: F811
    client = client_as(authorizer)
    for count in ("²", "9" * 5000, "-3"):
        response = client.post(sign_url(verified), {**form(verified, consent=""), "count": count}, headers=HX)
        assert response.status_code == 200 and 'id="loa-sign"' in response.text
    huge = "\n".join(f"+1312{n:07d}" for n in range(10_001))
    response = client.post(sign_url(verified), form(verified, numbers=huge), headers=HX)
    assert response.status_code == 200 and "10,000" in response.text


def test_the_unsigned_preview_is_a_link_to_the_first_batch_letter(verified, authorizer, client_as):  # noqa: F811
    check = reverse("numbers:number_add_check", args=[verified.dir.team.slug, verified.dir.pk])
    panel = client_as(authorizer).post(check, {"numbers": "\n".join(numbers(2020, 20))}, headers=HX).text
    preview = reverse("loas:letter_preview", args=[verified.dir.team.slug, verified.dir.pk])
    assert f'href="{preview}?n=%2B13125552020&amp;n=%2B13125552021' in panel
    assert "n=%2B13125552035" not in panel  # the first batch's 15 only
    empty = client_as(authorizer).get(preview)
    assert empty.status_code == 400


def test_stop_the_rest_cancels_chunks_still_waiting_for_their_letter(
    verified,  # noqa: F811
    authorizer,
    client_as,
    django_capture_on_commit_callbacks,
):
    from portal.loas import services
    from portal.numbers import services as number_services

    ceremonies: list[int] = []
    from portal.loas.services import identity_digest, identity_of
    from tests.loas.test_letters import signed_by

    with django_capture_on_commit_callbacks(execute=True):
        group = services.add_sign_submit(
            dir=verified.dir, user=authorizer, raw=numbers(2020, 40), signed=signed_by(),
            shown_identity=identity_digest(identity_of(verified.dir)), enqueue=ceremonies.append,
        )  # fmt: skip
    assert set(AddRequest.objects.filter(group=group).values_list("state", flat=True)) == {"awaiting"}
    assert number_services.add_stop(dir=verified.dir, group=group, user=authorizer) == 3
    released: list[int] = []
    assert (
        services.add_letters_prepare(ceremony=Ceremony.objects.get(pk=ceremonies[0]), enqueue=released.extend)
        == 0
    )
    assert released == []
    assert set(AddRequest.objects.filter(group=group).values_list("state", flat=True)) == {"cancelled"}


def test_a_signature_completes_once_however_many_try(
    signed_add, mailoutbox, django_capture_on_commit_callbacks
):
    from portal.loas import services

    stale = Ceremony.objects.get(pk=signed_add.pk)  # read before either completes
    with django_capture_on_commit_callbacks(execute=True):
        assert services.ceremony_complete(signed_add) is True
        assert services.ceremony_complete(stale) is False  # its copy saw no certificate, the database did
    assert len(mailoutbox) == 1
