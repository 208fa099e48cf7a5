"""The add flow: submit in chunks of 15, remote refusals mapped onto numbers, resubmit, audit, timeline, pages."""

from __future__ import annotations

import math
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent, StatusChange
from portal.dirs.models import Dir
from portal.documents.models import Document, DocumentType
from portal.numbers import services
from portal.numbers.models import AddRequest, Batch, DirNumber
from portal.numbers.services import add_send
from portal.simulator import models as sim_models
from portal.sync import services as sync_services
from tests.numbers import addflow
from tests.numbers.addflow import PDF, numbers

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
verified = addflow.verified  # the shared fixture


@pytest.fixture
def posts(connected, monkeypatch) -> list[list[str]]:
    """The phone numbers of every bulk-add POST the client makes."""
    sent: list[list[str]] = []
    real = telnyx.TelnyxClient.numbers_add

    def recording(self, dir_id, phone_numbers, documents):
        sent.append(list(phone_numbers))
        return real(self, dir_id, phone_numbers, documents)

    monkeypatch.setattr(telnyx.TelnyxClient, "numbers_add", recording)
    return sent


def submit(v, raw, user=None, django_capture_on_commit_callbacks=None, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return services.add_submit(dir=v.dir, user=user, raw=raw, loa=v.loa, **kwargs)


def direct(v, batch_numbers: list[str]) -> AddRequest:
    """An AddRequest that skips the pre-flight, to see what Telnyx itself says."""
    return AddRequest.objects.create(
        dir=v.dir,
        team=v.dir.team,
        group=uuid.uuid4(),
        numbers=batch_numbers,
        loa=v.loa,
        documents=[{"document_id": v.loa.remote_id, "document_type": "letter_of_authorization"}],
        idempotency_key=uuid.uuid4(),
    )


# --- submit and chunking


@pytest.mark.parametrize("count", [1, 15, 16, 100, 1000])
def test_submit_splits_into_chunks_of_fifteen(
    verified, posts, member_a, count, django_capture_on_commit_callbacks
):
    """n numbers become ceil(n/15) AddRequests, each sent once, each one batch mirrored at once."""
    group = submit(verified, numbers(2000, count), member_a, django_capture_on_commit_callbacks)
    chunks = list(AddRequest.objects.filter(group=group))
    assert len(chunks) == math.ceil(count / 15)
    assert [len(p) for p in posts] == [len(c.numbers) for c in chunks]
    assert sum(posts, []) == numbers(2000, count)
    assert {c.state for c in chunks} == {AddRequest.State.DONE}
    assert Batch.objects.filter(dir=verified.dir).count() == len(chunks)
    assert DirNumber.objects.filter(dir=verified.dir, removed_at=None).count() == count
    assert sim_models.Batch.objects.filter(dir_id=verified.remote_id).count() == len(chunks)


def test_submit_saves_the_chunks_before_anything_is_sent(verified, posts, member_a):
    """Without the commit (on_commit not run) the chunks exist, pending, and nothing was POSTed."""
    group = services.add_submit(dir=verified.dir, user=member_a, raw=numbers(2000, 20), loa=verified.loa)
    chunks = AddRequest.objects.filter(group=group)
    assert [c.state for c in chunks] == [AddRequest.State.PENDING] * 2
    assert posts == []
    first = chunks[0]
    assert first.loa == verified.loa
    assert first.documents == [
        {"document_id": verified.loa.remote_id, "document_type": "letter_of_authorization"}
    ]
    assert first.requested_by == member_a
    assert first.idempotency_key != chunks[1].idempotency_key


def test_submit_sends_supporting_documents_too(verified, posts, team_a, django_capture_on_commit_callbacks):
    from portal.documents import services as document_services

    other = document_services.document_upload(
        team=team_a, user=None, file=SimpleUploadedFile("permit.pdf", PDF), kind=DocumentType.OTHER
    )
    group = submit(verified, numbers(2000, 2), None, django_capture_on_commit_callbacks, documents=[other])
    chunk = AddRequest.objects.get(group=group)
    assert chunk.state == AddRequest.State.DONE
    remote = sim_models.Batch.objects.get(id=chunk.batch_remote_id)
    assert {d["document_type"] for d in remote.documents} == {"letter_of_authorization", "other"}


def test_submit_refuses_what_the_preflight_flags(verified, posts):
    with pytest.raises(services.PreflightFailed) as exc:
        services.add_submit(
            dir=verified.dir, user=None, raw=[*numbers(2000, 2), "8005550100"], loa=verified.loa
        )
    assert exc.value.preflight.problems == {"toll_free": ["+18005550100"]}
    assert AddRequest.objects.count() == 0


def test_submit_needs_an_loa_a_number_and_a_verified_dir(verified, posts):
    with pytest.raises(ServiceError) as exc:
        services.add_submit(dir=verified.dir, user=None, raw=numbers(2000, 1), loa=None)
    assert exc.value.field == "loa"
    with pytest.raises(ServiceError) as exc:
        services.add_submit(dir=verified.dir, user=None, raw=[], loa=verified.loa)
    assert exc.value.field == "numbers"
    Dir.objects.filter(pk=verified.dir.pk).update(status=Dir.Status.IN_REVIEW)
    verified.dir.refresh_from_db()
    with pytest.raises(ServiceError, match="still vetting"):
        services.add_submit(dir=verified.dir, user=None, raw=numbers(2000, 1), loa=verified.loa)


# --- remote refusals, mapped by category


def _remote_refusal(v, batch_numbers):
    request = direct(v, batch_numbers)
    services.add_request_send(add_request_id=request.pk)
    request.refresh_from_db()
    assert request.state == AddRequest.State.REFUSED
    return request


def test_each_remote_category_is_mapped_onto_its_numbers(verified, sim, posts):
    """One refused add carries every category; each error names its own numbers."""
    ok, dup, elsewhere, here, rejected = numbers(2000, 5)
    loa = [{"document_id": verified.loa.remote_id, "document_type": "letter_of_authorization"}]

    def attach(dir_id, number):  # straight at Telnyx: the mirror does not know (no local pre-send refusal)
        sim.ok(
            "POST", f"/v2/dir/{dir_id}/phone_numbers", 201, json={"phone_numbers": [number], "documents": loa}
        )

    attach(verified.other_dir.remote_id, elsewhere)
    attach(verified.remote_id, here)
    attach(verified.other_dir.remote_id, rejected)
    remote_row = sim_models.DirPhoneNumber.objects.get(phone_number=rejected)
    sim.ok("POST", f"/_sim/phone_numbers/{remote_row.id}/transition", json={"to": "permanently_rejected"})
    batches_before = Batch.objects.count()
    numbers_before = DirNumber.objects.count()

    request = _remote_refusal(verified, ["31255", dup, dup, "+13125559999", elsewhere, here, rejected, ok])
    by_category = {e["category"]: e["phone_numbers"] for e in request.outcome["errors"]}
    assert by_category == {
        "invalid_format": ["31255"],
        "duplicate_in_request": [dup],
        "not_in_inventory": ["+13125559999"],
        "permanently_rejected": [rejected],
        "attached_to_another_dir": [elsewhere],
        "already_attached_to_this_dir": [here],
    }
    assert request.rest_numbers == [ok]
    # A refused chunk writes nothing to the mirror.
    assert Batch.objects.count() == batches_before
    assert DirNumber.objects.count() == numbers_before
    assert request.batch is None


def test_numbers_found_in_detail_when_meta_has_none(verified, posts, monkeypatch):
    """Older or other servers may put the numbers only in `detail`: they are still mapped."""
    item = telnyx.ErrorItem(
        code="10015",
        title="Bad Request",
        detail="1 phone number(s) are not in your Telnyx inventory: +13125552001",
    )
    error = telnyx.ApiValidationError(item.detail, status=400, errors=[item])

    def refuse(self, dir_id, phone_numbers, documents):
        raise error

    monkeypatch.setattr(telnyx.TelnyxClient, "numbers_add", refuse)
    request = _remote_refusal(verified, numbers(2000, 3))
    assert request.outcome["errors"][0]["phone_numbers"] == ["+13125552001"]
    assert request.rest_numbers == ["+13125552000", "+13125552002"]


def test_a_dir_level_refusal_offers_no_resubmit(verified, sim, posts):
    """ "DIR must be verified" is about the whole request: nothing to resubmit."""
    sim.ok("POST", f"/_sim/dir/{verified.remote_id}/transition", json={"to": "in_review"})
    request = _remote_refusal(verified, numbers(2000, 2))
    assert "verified" in request.outcome["message"]
    assert request.rest_numbers == []


def test_resubmit_the_rest_sends_the_others_in_one_click(
    verified, sim, posts, member_a, django_capture_on_commit_callbacks
):
    """Two refused chunks: their good numbers go out again, in new chunks of the same add; only once."""
    good = numbers(2000, 20)
    with django_capture_on_commit_callbacks(execute=True):
        group = services.add_submit(dir=verified.dir, user=member_a, raw=good, loa=verified.loa)
    first = AddRequest.objects.filter(group=group).first()
    assert first.state == AddRequest.State.DONE
    # Telnyx refuses a batch the pre-flight could not foresee (the inventory changed meanwhile).
    sim.ok("POST", "/_sim/inventory", 200, json={"phone_numbers": ["+13125552100"], "remove": True})
    refused = direct(verified, ["+13125552100", *numbers(2101, 4)])
    services.add_request_send(add_request_id=refused.pk)
    refused.refresh_from_db()
    assert refused.state == AddRequest.State.REFUSED
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.add_resubmit(dir=verified.dir, group=refused.group, user=member_a)
    assert sent == 4
    again = AddRequest.objects.filter(group=refused.group).exclude(pk=refused.pk).get()
    assert again.numbers == numbers(2101, 4)
    assert again.state == AddRequest.State.DONE
    assert posts[-1] == numbers(2101, 4)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.add_resubmit(dir=verified.dir, group=refused.group, user=member_a) == 0


# --- audit and timeline


def test_an_accepted_chunk_is_mirrored_audited_and_on_the_timeline(
    verified, posts, member_a, django_capture_on_commit_callbacks
):
    group = submit(verified, numbers(2000, 3), member_a, django_capture_on_commit_callbacks)
    chunk = AddRequest.objects.get(group=group)
    batch = chunk.batch
    assert batch.status == "submitted"
    assert batch.total_count == 3
    assert set(batch.numbers.values_list("status", flat=True)) == {"submitted"}
    change = StatusChange.objects.get(entity_type=StatusChange.Entity.BATCH, entity_id=batch.pk)
    assert (change.from_status, change.to_status, change.source, change.dir_id) == (
        "",
        "submitted",
        StatusChange.Source.USER,
        verified.dir.pk,
    )
    requested = AuditEvent.objects.get(verb="numbers_add_requested")
    assert requested.actor == member_a
    assert requested.details["numbers"] == 3
    added = AuditEvent.objects.get(verb="numbers_added")
    assert added.target_id == str(batch.pk)
    assert added.details["numbers"] == numbers(2000, 3)
    # A later sync sees the same batch: no second history row.
    sync_services.account_sync(account=verified.dir.team.telnyx_account, full=True)
    assert StatusChange.objects.filter(entity_type=StatusChange.Entity.BATCH, entity_id=batch.pk).count() == 1


def test_readding_an_unsuccessful_number_is_a_user_change(
    verified, sim, posts, django_capture_on_commit_callbacks
):
    group = submit(verified, numbers(2000, 1), None, django_capture_on_commit_callbacks)
    first = AddRequest.objects.get(group=group)
    sim.ok("POST", f"/_sim/batches/{first.batch_remote_id}/transition", json={"to": "unsuccessful"})
    sync_services.account_sync(account=verified.dir.team.telnyx_account, full=True)
    submit(verified, numbers(2000, 1), None, django_capture_on_commit_callbacks)
    number = DirNumber.objects.get(dir=verified.dir, phone_number=numbers(2000, 1)[0])
    history = StatusChange.objects.filter(
        entity_type=StatusChange.Entity.NUMBER, entity_id=number.pk
    ).order_by("at", "pk")
    assert [(h.from_status, h.to_status, h.source) for h in history] == [
        ("submitted", "unsuccessful", "sync"),
        ("unsuccessful", "submitted", "user"),
    ]


# --- the documents service as the add page uses it


def test_loa_upload_checks_pdf_and_size_before_sending(verified, team_a, monkeypatch):
    from portal.documents import services as document_services

    called = []
    monkeypatch.setattr(telnyx.TelnyxClient, "document_upload", lambda *a, **k: called.append(a))
    with pytest.raises(ServiceError, match="PDF"):
        document_services.document_upload(
            team=team_a,
            user=None,
            file=SimpleUploadedFile("loa.pdf", b"GIF89a not a pdf"),
            kind=DocumentType.LETTER_OF_AUTHORIZATION,
        )
    big = SimpleUploadedFile("loa.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(ServiceError, match="20 MB"):
        document_services.document_upload(
            team=team_a, user=None, file=big, kind=DocumentType.LETTER_OF_AUTHORIZATION
        )
    assert called == []


# --- pages


def url(name: str, v, **query) -> str:
    path = reverse(f"numbers:{name}", args=["acme", v.dir.pk])
    return path + ("?" + "&".join(f"{k}={val}" for k, val in query.items()) if query else "")


HX = {"HX-Request": "true"}


def test_add_page_full_and_as_fragment(verified, member_a, client_as):
    client = client_as(member_a)
    page = client.get(url("number_add", verified))
    assert page.status_code == 200
    assert "<html" in page.text
    assert 'id="add-form"' in page.text
    assert 'id="add-loa"' in page.text
    assert "loa.pdf" in page.text  # the LOA uploaded before can be picked


def test_check_fragment_groups_problems_and_drops_them(verified, member_a, client_as):
    client = client_as(member_a)
    text = "\n".join([*numbers(2000, 3), "8005550100", "+13125559999", "nonsense"])
    response = client.post(url("number_add_check", verified), {"numbers": text}, headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="add-form"' in response.text
    assert 'data-reason="toll_free"' in response.text
    assert 'data-reason="not_in_inventory"' in response.text
    assert 'data-reason="invalid_format"' in response.text
    assert "Drop these and continue" in response.text
    assert 'id="add-submit"' not in response.text
    dropped = client.post(url("number_add_check", verified), {"numbers": text, "drop": "all"}, headers=HX)
    assert "data-reason=" not in dropped.text
    assert 'id="add-submit"' in dropped.text
    assert "+18005550100" not in dropped.text
    one = client.post(url("number_add_check", verified), {"numbers": text, "drop": "toll_free"}, headers=HX)
    assert 'data-reason="toll_free"' not in one.text
    assert 'data-reason="invalid_format"' in one.text


def test_check_reads_a_csv_and_picked_numbers(verified, member_a, client_as):
    csv = SimpleUploadedFile("numbers.csv", b"name,phone\nA,(312) 555-2000\nB,312.555.2001\n", "text/csv")
    response = client_as(member_a).post(
        url("number_add_check", verified), {"numbers": "", "csv": csv, "picked": ["+13125552002"]}, headers=HX
    )
    assert "3 numbers can be added, in 1 batch." in response.text  # never "in 1 batches"
    assert "1 batches" not in response.text
    assert "+13125552001" in response.text


def test_check_reads_a_utf16_csv_and_arabic_indic_digits(verified, member_a, client_as):
    """A spreadsheet's "Unicode text" file and digits of another script go through the page, not refused."""
    body = "Name\tPhone\r\nZoë\t(312) 555-2000\r\n".encode("utf-16")
    csv = SimpleUploadedFile("numbers.txt", body, "text/plain")
    response = client_as(member_a).post(
        url("number_add_check", verified), {"numbers": "٣١٢٥٥٥٢٠٠١", "csv": csv}, headers=HX
    )
    assert response.status_code == 200
    assert "2 numbers can be added, in 1 batch." in response.text
    assert "+13125552000" in response.text and "+13125552001" in response.text


@pytest.mark.parametrize("name", ["number_add_check", "number_add_submit"])
def test_a_csv_with_an_unterminated_quote_is_an_inline_error(verified, member_a, client_as, name):
    body = b'phone\n"' + (b"a" * 60_000 + b"\n") * 4
    upload = SimpleUploadedFile("numbers.csv", body, "text/csv")
    response = client_as(member_a).post(
        url(name, verified), {"numbers": "", "csv": upload, "loa": verified.loa.pk}, headers=HX
    )
    assert response.status_code == 200
    assert "does not look like a CSV" in response.text
    assert AddRequest.objects.count() == 0


def test_check_over_the_cap_says_so(verified, member_a, client_as):
    text = ",".join(f"312{n:07d}" for n in range(2_000_000, 2_010_001))
    response = client_as(member_a).post(url("number_add_check", verified), {"numbers": text}, headers=HX)
    assert "At most 10,000 numbers can be added at once (that is 667 batches)" in response.text


def test_document_fragment_uploads_and_selects_the_loa(verified, member_a, client_as):
    client = client_as(member_a)
    upload = SimpleUploadedFile("signed-loa.pdf", PDF, "application/pdf")
    response = client.post(
        url("number_add_document", verified), {"kind": "loa", "loa_file": upload}, headers=HX
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="add-loa"' in response.text
    document = Document.objects.get(filename="signed-loa.pdf")
    assert f'value="{document.pk}" checked' in response.text
    bad = client.post(
        url("number_add_document", verified),
        {"kind": "loa", "loa_file": SimpleUploadedFile("x.pdf", b"hello")},
        headers=HX,
    )
    assert 'id="add-document-error"' in bad.text


def test_submit_fragment_shows_the_progress(
    verified, member_a, client_as, django_capture_on_commit_callbacks
):
    client = client_as(member_a)
    data = {"numbers": "\n".join(numbers(2000, 16)), "loa": verified.loa.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("number_add_submit", verified), data, headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="add-flow"' in response.text
    assert 'id="add-progress"' in response.text
    assert "HX-Push-Url" in response.headers
    assert "numbers-add-submitted" in response.headers["HX-Trigger"]
    group = AddRequest.objects.first().group
    progress = client.get(url("number_add_progress", verified, group=group), headers=HX)
    assert "<html" not in progress.text
    assert 'id="add-progress"' in progress.text
    assert "2 of 2 batches done" in progress.text
    assert 'hx-trigger="every 2s"' not in progress.text  # nothing pending: polling stops


def test_progress_polls_while_pending(verified, member_a, client_as):
    client = client_as(member_a)
    data = {"numbers": "\n".join(numbers(2000, 3)), "loa": verified.loa.pk}
    client.post(url("number_add_submit", verified), data, headers=HX)  # no commit: stays pending
    group = AddRequest.objects.first().group
    progress = client.get(url("number_add_progress", verified, group=group), headers=HX)
    assert 'hx-trigger="every 2s"' in progress.text
    assert "0 of 1 batch done" in progress.text
    page = client.get(url("number_add", verified))  # the latest add shows on the page by itself
    assert 'id="add-progress"' in page.text


def test_submit_without_loa_rerenders_with_the_error(verified, member_a, client_as):
    response = client_as(member_a).post(
        url("number_add_submit", verified), {"numbers": numbers(2000, 1)[0]}, headers=HX
    )
    assert 'id="add-flow"' in response.text
    assert "Upload the signed LOA" in response.text
    assert AddRequest.objects.count() == 0


def test_resubmit_fragment(verified, sim, member_a, client_as):
    sim.ok("POST", "/_sim/inventory", 200, json={"phone_numbers": ["+13125552000"], "remove": True})
    refused = direct(verified, numbers(2000, 3))
    services.add_request_send(add_request_id=refused.pk)
    client = client_as(member_a)
    progress = client.get(url("number_add_progress", verified, group=refused.group), headers=HX)
    assert 'id="add-refusals"' in progress.text
    assert "+13125552000" in progress.text
    assert "Resubmit the other 2 numbers" in progress.text
    response = client.post(url("number_add_resubmit", verified), {"group": refused.group}, headers=HX)
    assert "<html" not in response.text
    assert 'id="add-progress"' in response.text
    assert AddRequest.objects.filter(group=refused.group).count() == 2


def test_inventory_fragment(verified, member_a, client_as):
    response = client_as(member_a).get(url("number_add_inventory", verified, q="555200"), headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="add-inventory"' in response.text
    assert 'value="+13125552000"' in response.text
    short = client_as(member_a).get(url("number_add_inventory", verified, q="55"), headers=HX)
    assert "picked" not in short.text


def test_inventory_fragment_when_telnyx_cannot_be_read(verified, member_a, client_as, sim):
    """A failed search says why under the search box (the shared wording of a failed read), never a 500."""
    sim.ok(
        "POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/phone_numbers$"}
    )
    response = client_as(member_a).get(url("number_add_inventory", verified, q="555200"), headers=HX)
    assert response.status_code == 200
    assert 'id="add-inventory"' in response.text
    assert "Telnyx is having trouble right now (HTTP 503). Try again in a moment." in response.text
    assert 'value="+13125552000"' not in response.text


def test_a_dir_that_is_not_verified_explains_why(verified, member_a, client_as):
    Dir.objects.filter(pk=verified.dir.pk).update(status=Dir.Status.EXPIRED)
    client = client_as(member_a)
    page = client.get(url("number_add", verified))
    assert 'id="add-refusal"' in page.text
    assert "Resubmit it to renew" in page.text
    check = client.post(url("number_add_check", verified), {"numbers": numbers(2000, 1)[0]}, headers=HX)
    assert 'id="add-refusal"' in check.text


@pytest.mark.parametrize(
    "name", ["number_add_check", "number_add_document", "number_add_submit", "number_add_resubmit"]
)
def test_viewers_cannot_post(verified, viewer_a, client_as, name):
    assert (
        client_as(viewer_a).post(url(name, verified), {"numbers": "3125552000"}, headers=HX).status_code
        == 403
    )


def test_viewer_sees_the_page_without_the_form(verified, viewer_a, client_as):
    page = client_as(viewer_a).get(url("number_add", verified))
    assert page.status_code == 200
    assert 'id="add-check"' not in page.text


@pytest.mark.parametrize(
    "name",
    ["number_add", "number_add_progress", "number_add_inventory", "number_add_check", "number_add_submit"],
)
def test_other_teams_get_404(verified, admin_b, client_as, name):
    client = client_as(admin_b)
    response = (
        client.get(url(name, verified))
        if "check" not in name and "submit" not in name
        else client.post(url(name, verified))
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", ["", "?group=", "?group=not-a-uuid", "?group=6f1c2b1e-0000-4000-8000-000000000000"]
)
def test_progress_of_no_known_add_is_an_empty_card_for_every_role(
    verified, client_as, viewer_a, member_a, support_agent, query
):
    """A progress address without a group, or with another DIR's or a made-up one, is never a 500."""
    url = reverse("numbers:number_add_progress", args=[verified.dir.team.slug, verified.dir.pk]) + query
    for user in (viewer_a, member_a, support_agent):
        response = client_as(user).get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert 'id="add-progress"' in response.text
        assert "hx-trigger" not in response.text  # nothing to poll
        assert "There is no add of these numbers to show here." in response.text


def test_stopping_an_add_cancels_the_chunks_not_yet_sent_and_keeps_the_rest(
    verified, member_a, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    """Three chunks: one sent, one being sent (a POST in flight), one pending. Stop: only the pending one
    is cancelled, nothing is lost or sent twice, the card says so and stops offering to stop."""
    queued: list = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        group = services.add_submit(dir=verified.dir, user=member_a, raw=numbers(2000, 40), loa=verified.loa)
    first, second, third = AddRequest.objects.filter(group=group).order_by("position")
    monkeypatch.setattr(add_send, "ADD_DRAIN_SECONDS", 0.0)  # send this chunk only, not the DIR's others
    services.add_request_send(add_request_id=first.pk)
    AddRequest.objects.filter(pk=second.pk).update(state=AddRequest.State.SENDING, attempts=1)
    client = client_as(member_a)
    card = client.get(url("number_add_progress", verified) + f"?group={group}", headers=HX)
    assert 'id="add-stop"' in card.text
    response = client.post(url("number_add_stop", verified), {"group": str(group)}, headers=HX)
    assert response.status_code == 200
    states = dict(AddRequest.objects.filter(group=group).values_list("position", "state"))
    assert states == {0: "done", 1: "sending", 2: "cancelled"}
    assert "1 batch (10 numbers) was stopped before it was sent." in response.text
    assert AuditEvent.objects.filter(verb="numbers_add_stopped").count() == 1
    assert (
        services.add_request_send(add_request_id=third.pk).state == AddRequest.State.CANCELLED
    )  # never sent
    assert DirNumber.objects.filter(dir=verified.dir, phone_number__in=third.numbers).exists() is False


def test_a_viewer_cannot_stop_an_add(verified, member_a, viewer_a, client_as, monkeypatch):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: None)
    group = services.add_submit(dir=verified.dir, user=member_a, raw=numbers(2000, 20), loa=verified.loa)
    response = client_as(viewer_a).post(url("number_add_stop", verified), {"group": str(group)}, headers=HX)
    assert response.status_code == 403
    assert set(AddRequest.objects.filter(group=group).values_list("state", flat=True)) == {"pending"}
    card = client_as(viewer_a).get(url("number_add_progress", verified) + f"?group={group}", headers=HX)
    assert 'id="add-stop"' not in card.text


def test_the_progress_shows_an_estimate_of_the_time_left(verified, member_a, client_as, monkeypatch):
    """From how long the settled chunks took: 2 done in 20 s, 1 open → about 10 s left."""
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: None)
    group = services.add_submit(dir=verified.dir, user=member_a, raw=numbers(2000, 45), loa=verified.loa)
    start = timezone.now() - timedelta(seconds=20)
    AddRequest.objects.filter(group=group).update(created_at=start)
    for chunk in AddRequest.objects.filter(group=group, position__lt=2):
        AddRequest.objects.filter(pk=chunk.pk).update(state="done", finished_at=start + timedelta(seconds=20))
    card = client_as(member_a).get(url("number_add_progress", verified) + f"?group={group}", headers=HX)
    assert "About 10 seconds left." in card.text
