"""A request body over UPLOAD_MAX_BYTES is refused before anything reads or spools it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.numbers.models import AddCheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    return settings.UPLOAD_MAX_BYTES


def _big_csv(size: int) -> SimpleUploadedFile:
    line = b"3125550100\n"
    return SimpleUploadedFile("big.csv", line * (size // len(line) + 1), "text/csv")


def test_an_htmx_upload_over_the_cap_is_a_413_with_the_reason(
    small_cap, team_a, member_a, client_as, monkeypatch
):
    read = []
    monkeypatch.setattr("django.http.request.HttpRequest._load_post_and_files", lambda self: read.append(1))
    url = reverse("numbers:number_add_check", args=["acme", 1])
    response = client_as(member_a).post(url, {"csv": _big_csv(small_cap)}, headers={"HX-Request": "true"})
    assert response.status_code == 413
    assert (
        response.text == ("That upload is too large: up to 0 MB can be sent at once. Choose a smaller file.")
        or "too large" in response.text
    )
    assert read == []  # the body was never parsed (nor spooled to disk)
    assert AddCheck.objects.count() == 0


def test_a_plain_upload_over_the_cap_gets_a_page(settings, team_a, member_a, client_as):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    url = reverse("numbers:number_add_check", args=["acme", 1])
    response = client_as(member_a).post(url, {"csv": _big_csv(settings.UPLOAD_MAX_BYTES)})
    assert response.status_code == 413
    assert "<html" in response.text
    assert "up to 1.0\xa0MB can be sent at once" in response.text


def test_a_body_under_the_cap_goes_through(small_cap, team_a, member_a, client_as):
    url = reverse("numbers:number_add_check", args=["acme", 999999])
    response = client_as(member_a).post(
        url, {"csv": _big_csv(small_cap // 2)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 404  # reached the view, which found no such DIR
