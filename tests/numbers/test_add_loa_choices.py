"""The add page offers only LOAs Telnyx still has (an unlinked upload dies after 30 minutes) and never
a letter rendered for one batch (it lists only that batch's numbers)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.documents.models import Document
from portal.numbers.models import AddRequest
from tests.numbers.addflow import loa_upload, numbers, verified  # noqa: F401 (fixture)
from tests.numbers.test_add import HX, url

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


def offered(client, v) -> str:
    return client.get(url("number_add", v)).text


def radio(document: Document) -> str:
    return f'name="loa" value="{document.pk}"'


def test_a_fresh_upload_is_offered_and_one_left_unlinked_for_20_minutes_is_not(verified, member_a, client_as):  # noqa: F811
    client = client_as(member_a)
    assert radio(verified.loa) in offered(client, verified)
    Document.objects.filter(pk=verified.loa.pk).update(created_at=timezone.now() - timedelta(minutes=21))
    assert radio(verified.loa) not in offered(client, verified)
    # Picked on a page opened earlier: refused here, before Telnyx refuses every batch.
    data = {"numbers": "\n".join(numbers(2020, 3)), "loa": verified.loa.pk}
    response = client.post(url("number_add_submit", verified), data, headers=HX)
    assert "Select a valid choice" in response.text
    assert not AddRequest.objects.exists()


def test_an_loa_linked_by_an_add_that_went_through_stays_offered(verified, member_a, client_as):  # noqa: F811
    Document.objects.filter(pk=verified.loa.pk).update(created_at=timezone.now() - timedelta(days=3))
    AddRequest.objects.create(
        dir=verified.dir, team=verified.dir.team, group=uuid.uuid4(), numbers=numbers(2020, 1), loa=verified.loa,
        state=AddRequest.State.DONE, idempotency_key=uuid.uuid4(),
    )  # fmt: skip
    assert radio(verified.loa) in offered(client_as(member_a), verified)


def test_a_letter_rendered_for_one_batch_is_never_offered(verified, member_a, client_as, team_a):  # noqa: F811
    letter = loa_upload(team_a, name="loa-1-001.pdf")
    Document.objects.filter(pk=letter.pk).update(reusable=False)
    assert radio(letter) not in offered(client_as(member_a), verified)
