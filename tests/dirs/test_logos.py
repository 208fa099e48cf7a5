"""Logo conversion to Telnyx's 256×256 BMP, storage under a new token, and the public URL."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from portal.core.exceptions import ServiceError
from portal.dirs import services
from portal.dirs.models import DirLogo

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


def image_bytes(fmt: str, size=(600, 300), colour=(200, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP"])
def test_png_jpeg_and_bmp_become_a_256_square_bmp_under_1_mb(fmt):
    bmp = services.logo_convert(image_bytes(fmt))
    image = Image.open(io.BytesIO(bmp))
    assert image.format == "BMP"
    assert image.size == (256, 256)
    assert len(bmp) <= 1024 * 1024


def test_a_wide_logo_is_letterboxed_on_white_not_stretched():
    """600×300 red fits as 256×128 in the middle; above and below stay white."""
    image = Image.open(io.BytesIO(services.logo_convert(image_bytes("PNG")))).convert("RGB")
    assert image.getpixel((128, 128))[0] > 180 and image.getpixel((128, 128))[1] < 80
    assert image.getpixel((128, 10)) == (255, 255, 255)
    assert image.getpixel((128, 250)) == (255, 255, 255)


def test_transparency_becomes_white():
    image = Image.open(
        io.BytesIO(services.logo_convert(image_bytes("PNG", colour=(0, 0, 0, 0), mode="RGBA")))
    )
    assert image.convert("RGB").getpixel((128, 128)) == (255, 255, 255)


def test_a_small_logo_is_scaled_up_to_fit():
    image = Image.open(io.BytesIO(services.logo_convert(image_bytes("PNG", size=(32, 32)))))
    assert image.convert("RGB").getpixel((2, 2))[0] > 180  # the red reaches the edges


def test_a_small_file_of_too_many_pixels_is_refused_from_its_header():
    """A 6300×6300 PNG compresses to kilobytes but would decode to ~310 MB: refused before decoding."""
    buffer = io.BytesIO()
    Image.new("1", (6300, 6300)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ServiceError) as caught:
        services.logo_convert(buffer.getvalue())
    assert caught.value.field == "logo_file"
    assert "6300×6300 pixels" in caught.value.message and "at most 4096 pixels a side" in caught.value.message


def test_a_20_mb_upload_is_refused():
    with pytest.raises(ServiceError) as refused:
        services.logo_convert(b"\x89PNG" + b"0" * (20 * 1024 * 1024))
    assert "5 MB" in refused.value.message
    assert refused.value.field == "logo_file"


@pytest.mark.parametrize("data", [b"%PDF-1.4 not an image", image_bytes("GIF")])
def test_non_images_and_other_formats_are_refused(data):
    with pytest.raises(ServiceError) as refused:
        services.logo_convert(data)
    assert refused.value.field == "logo_file"


def test_each_upload_gets_a_new_token(team_a, member_a):
    first = services.logo_create(team=team_a, data=image_bytes("PNG"), filename="a.png", user=member_a)
    second = services.logo_create(team=team_a, data=image_bytes("PNG"), filename="a.png", user=member_a)
    assert first.token != second.token
    assert first.sha256 == second.sha256


def test_public_url_serves_the_bmp_without_signing_in(team_a, member_a, settings):
    settings.PORTAL_PUBLIC_URL = "https://portal.test"
    logo = services.logo_create(team=team_a, data=image_bytes("JPEG"), filename="a.jpg", user=member_a)
    url = services.logo_public_url(logo=logo)
    assert url == f"https://portal.test/logos/{logo.token}.bmp"
    assert len(url) <= 128
    response = Client().get(reverse("logos:logo_serve", args=[logo.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/bmp"
    assert "max-age=31536000" in response["Cache-Control"]
    assert response.content == bytes(DirLogo.objects.get(pk=logo.pk).bmp)
    again = Client().get(
        reverse("logos:logo_serve", args=[logo.token]), headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304


def test_unknown_token_is_404(db):
    assert Client().get("/logos/00000000-0000-0000-0000-000000000000.bmp").status_code == 404


def test_upload_fragment_shows_the_preview_and_the_new_address(connected, client_as, member_a):
    response = client_as(member_a).post(
        reverse("dirs:logo_upload", args=["acme"]),
        {"logo_file": SimpleUploadedFile("logo.png", image_bytes("PNG"), "image/png")},
        headers={"HX-Request": "true"},
    )
    logo = DirLogo.objects.get()
    assert "<html" not in response.text
    assert 'id="logo-field"' in response.text
    assert f"/logos/{logo.token}.bmp" in response.text
    assert 'id="logo-converted"' in response.text


def test_upload_of_a_non_image_shows_an_inline_error(connected, client_as, member_a):
    response = client_as(member_a).post(
        reverse("dirs:logo_upload", args=["acme"]),
        {"logo_file": SimpleUploadedFile("logo.png", b"not really", "image/png")},
        headers={"HX-Request": "true"},
    )
    assert 'id="id_logo_file_error"' in response.text
    assert not DirLogo.objects.exists()


def test_an_oversized_upload_is_refused_from_its_size_without_being_read(
    connected, client_as, member_a, monkeypatch
):
    """A 6 MB "logo" is refused by its declared size; nothing reads it into memory."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    def no_read(self, *args):
        raise AssertionError("an oversized upload was read")

    monkeypatch.setattr(TemporaryUploadedFile, "read", no_read)
    big = SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024), "image/png")
    response = client_as(member_a).post(
        reverse("dirs:logo_upload", args=["acme"]), {"logo_file": big}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "larger than 5 MB" in response.text
    assert not DirLogo.objects.exists()


def test_create_with_an_uploaded_logo_sends_its_public_url(connected, sim, client_as, member_a, settings):
    """Without JS the logo comes with the form; the simulator must accept the https public URL."""
    from portal.dirs.models import Dir
    from portal.enterprises.models import Enterprise
    from portal.sync import services as sync_services
    from tests.dirs.test_compose import form_data

    settings.PORTAL_PUBLIC_URL = "https://portal.test"
    sim.activated_enterprise()
    sync_services.account_sync(account=connected, full=True)
    data = form_data(Enterprise.objects.get(), confirm_warnings="on")
    data["logo_file"] = SimpleUploadedFile("logo.jpg", image_bytes("JPEG"), "image/jpeg")
    response = client_as(member_a).post(reverse("dirs:dir_create", args=["acme"]), data)
    assert response.status_code == 302
    logo = DirLogo.objects.get()
    assert Dir.objects.get().logo_url == f"https://portal.test/logos/{logo.token}.bmp"
