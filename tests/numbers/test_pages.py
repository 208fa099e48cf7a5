"""The numbers page, CSV export and the batch pages of one DIR: views, partials, tenancy, query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise
from portal.numbers.models import Batch, DirNumber, NumberRemoval

pytestmark = pytest.mark.django_db

REASON = {
    "code": "number_not_in_service",
    "title": "Number not in service",
    "detail": "Disconnected",
    "message": "",
}


def make_dir(team, name: str = "Northwind Clinic", status: str = "verified") -> Dir:
    enterprise = Enterprise.objects.create(
        team=team, remote_id=f"ent-{team.slug}-{name}", legal_name=f"{name} LLC"
    )
    return Dir.objects.create(
        team=team,
        enterprise=enterprise,
        remote_id=f"dir-{team.slug}-{name}",
        display_name=name,
        status=status,
    )


def make_batch(dir_: Dir, n: int = 0, status: str = "verified", **extra) -> Batch:
    return Batch.objects.create(
        dir=dir_,
        remote_id=f"batch-{dir_.pk}-{n}",
        status=status,
        submitted_at=timezone.now() - timedelta(days=n),
        **extra,
    )


def seed_numbers(
    dir_: Dir, count: int, *, batch: Batch | None = None, status: str = "verified", start: int = 0
):
    """Bulk-create `count` attached numbers +1312555xxxx (every 7th unsuccessful, every 11th in review)."""
    rows = []
    for i in range(start, start + count):
        st = status
        if status == "mixed":
            st = "unsuccessful" if i % 7 == 0 else "in_review" if i % 11 == 0 else "verified"
        rows.append(
            DirNumber(
                dir=dir_,
                batch=batch,
                remote_id=f"num-{dir_.pk}-{i}",
                phone_number=f"+1312{i:07}",
                status=st,
                rejection_reason=REASON if st == "unsuccessful" else None,
            )
        )
    DirNumber.objects.bulk_create(rows, batch_size=2000)


def url(name: str, dir_: Dir, *args, team_slug: str | None = None) -> str:
    return reverse(f"numbers:{name}", args=[team_slug or dir_.team.slug, dir_.pk, *args])


@pytest.fixture
def dir_a(team_a) -> Dir:
    return make_dir(team_a)


@pytest.fixture
def filled(dir_a) -> Dir:
    batch = make_batch(dir_a, 1)
    seed_numbers(dir_a, 30, batch=batch, status="mixed")
    return dir_a


# --- numbers page


def test_numbers_page_lists_attached_numbers_with_status_batch_and_reason(client_as, member_a, filled):
    DirNumber.objects.filter(phone_number="+13120000001").update(removed_at=timezone.now())
    response = client_as(member_a).get(url("number_list", filled))
    assert response.status_code == 200
    text = response.text
    assert "<html" in text
    assert 'id="number-results"' in text
    assert "+13120000000" in text  # unsuccessful, with its reason
    assert "Number not in service" in text
    assert "+13120000001" not in text  # removed rows are not listed
    assert "batch-" in text
    assert 'data-testid="pill-unsuccessful"' in text
    assert 'id="remove-selected"' in text
    assert 'id="number-remove-modal"' in text


def test_numbers_fragment_for_htmx_has_no_layout_and_varies_on_hx_request(client_as, member_a, filled):
    response = client_as(member_a).get(
        url("number_list", filled), {"status": "unsuccessful"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="number-results"' in response.text
    assert "HX-Request" in response["Vary"]
    rows = response.text.count('<tr id="number-')
    assert rows == 5  # 0, 7, 14, 21, 28


def test_history_restore_gets_the_whole_page(client_as, member_a, filled):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = client_as(member_a).get(url("number_list", filled), headers=headers)
    assert "<html" in response.text


def test_status_pills_count_every_status(client_as, member_a, filled):
    response = client_as(member_a).get(url("number_list", filled))
    counts = {value: n for value, _label, n in response.context["counts"]}
    assert counts == {"verified": 23, "in_review": 2, "unsuccessful": 5}
    assert response.context["total"] == 30


def test_search_by_digits_ignores_punctuation(client_as, member_a, filled):
    response = client_as(member_a).get(url("number_list", filled), {"q": "(312) 000-002"})
    numbers = [n.phone_number for n in response.context["page"]]
    assert numbers == [f"+131200000{i:02}" for i in range(20, 30)]
    assert response.context["page"].paginator.count == 10


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [("number", "+13120000000", "+13120000024"), ("-number", "+13120000029", "+13120000005")],
)
def test_sort_and_pages(client_as, member_a, filled, sort, first, last):
    response = client_as(member_a).get(url("number_list", filled), {"sort": sort})
    page = response.context["page"]
    assert page.paginator.num_pages == 2
    assert page[0].phone_number == first
    assert page[24].phone_number == last
    second = client_as(member_a).get(url("number_list", filled), {"sort": sort, "page": 2}).context["page"]
    assert len(second) == 5
    assert not {n.pk for n in page} & {n.pk for n in second}


def test_sort_by_status_then_number(client_as, member_a, filled):
    page = (
        client_as(member_a)
        .get(url("number_list", filled), {"sort": "status", "per_page": 50})
        .context["page"]
    )
    statuses = [n.status for n in page]
    assert statuses == sorted(statuses)
    assert [n.phone_number for n in page][:2] == ["+13120000011", "+13120000022"]  # in_review first


def test_per_page_choices_and_a_bad_value_is_ignored(client_as, member_a, filled):
    assert len(client_as(member_a).get(url("number_list", filled), {"per_page": 50}).context["page"]) == 30
    response = client_as(member_a).get(
        url("number_list", filled), {"per_page": 7, "sort": "bogus", "page": "x"}
    )
    assert response.status_code == 200
    assert len(response.context["page"]) == 25


def test_empty_dir_explains_what_the_page_is_for(client_as, member_a, dir_a):
    response = client_as(member_a).get(url("number_list", dir_a))
    assert "No numbers attached yet" in response.text


def test_filter_without_matches_offers_to_clear(client_as, member_a, filled):
    response = client_as(member_a).get(
        url("number_list", filled), {"q": "999999"}, headers={"HX-Request": "true"}
    )
    assert "No numbers match" in response.text


def test_viewers_see_the_page_without_remove_controls(client_as, viewer_a, filled):
    response = client_as(viewer_a).get(url("number_list", filled))
    assert response.status_code == 200
    assert "+13120000000" in response.text
    assert 'id="remove-selected"' not in response.text
    assert 'name="numbers"' not in response.text
    assert 'id="number-remove-modal"' not in response.text


def test_other_team_gets_404(client_as, admin_b, filled):
    assert client_as(admin_b).get(url("number_list", filled)).status_code == 404
    assert client_as(admin_b).get(url("number_list", filled, team_slug="globex")).status_code == 404
    assert client_as(admin_b).get(url("number_export", filled)).status_code == 404
    assert client_as(admin_b).get(url("batch_list", filled)).status_code == 404


def test_a_dir_of_another_team_under_my_slug_is_404(client_as, member_a, team_b):
    other = make_dir(team_b, "Globex Line")
    assert client_as(member_a).get(url("number_list", other, team_slug="acme")).status_code == 404


def _page_queries(client, target, django_assert_num_queries, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status": "verified", "page": 3}, {"q": "0001"}, {"sort": "-added"}])
def test_numbers_page_queries_do_not_grow_with_rows(
    client_as, member_a, team_a, django_assert_num_queries, params
):
    small, big = make_dir(team_a, "Small"), make_dir(team_a, "Big")
    seed_numbers(small, 10, batch=make_batch(small), status="mixed")
    seed_numbers(big, 10_000, batch=make_batch(big), status="mixed")
    client = client_as(member_a)
    for dir_ in (small, big):  # warm the session and each DIR's cached status counts
        client.get(url("number_list", dir_), params)
    n_small = _page_queries(client, url("number_list", small), django_assert_num_queries, params)
    with django_assert_num_queries(n_small):
        response = client.get(url("number_list", big), params)
    assert len(response.context["page"]) == 25


def test_unsearched_pages_need_no_count_query(client_as, member_a, filled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(member_a)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url("number_list", filled), {"status": "verified"})
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]


# --- CSV export


def test_csv_export_of_a_filter(client_as, viewer_a, filled):
    response = client_as(viewer_a).get(url("number_export", filled), {"status": "unsuccessful"})
    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"].startswith("text/csv")
    assert "dir-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["phone_number", "status", "batch_id"]
    assert [r[0] for r in rows[1:]] == [
        "+13120000000",
        "+13120000007",
        "+13120000014",
        "+13120000021",
        "+13120000028",
    ]
    assert {r[1] for r in rows[1:]} == {"unsuccessful"}
    assert rows[1][2] == f"batch-{filled.pk}-1"
    assert rows[1][5:7] == ["number_not_in_service", "Number not in service"]


def test_csv_export_of_a_search(client_as, member_a, filled):
    response = client_as(member_a).get(url("number_export", filled), {"q": "0000029"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[0] for r in rows[1:]] == ["+13120000029"]


def test_csv_export_neutralises_formulas_in_text_but_keeps_numbers(client_as, viewer_a, filled):
    """A reason text starting with = + - @ opens as text in a spreadsheet; +1… stays a number."""
    DirNumber.objects.filter(phone_number="+13120000000").update(
        rejection_reason={
            "code": "-x",
            "title": '=HYPERLINK("http://evil")',
            "detail": "@SUM(A1)",
            "message": "",
        }
    )
    response = client_as(viewer_a).get(url("number_export", filled), {"status": "unsuccessful"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r[0] == "+13120000000")
    assert row[0] == "+13120000000"
    assert row[5:8] == ["'-x", '\'=HYPERLINK("http://evil")', "'@SUM(A1)"]
    other = next(r for r in rows if r[0] == "+13120000007")
    assert other[5:7] == ["number_not_in_service", "Number not in service"]  # ordinary text untouched


# --- batches


@pytest.fixture
def batches(dir_a):
    done = make_batch(
        dir_a,
        3,
        status="verified",
        total_count=3,
        documents=[{"document_id": "doc-1", "document_type": "letter_of_authorization"}],
    )
    seed_numbers(dir_a, 3, batch=done)
    mixed = make_batch(dir_a, 2, status="unsuccessful", total_count=4)
    seed_numbers(dir_a, 4, batch=mixed, status="mixed", start=98)
    return {"done": done, "mixed": mixed}


def test_batch_list_counts_each_batch_s_numbers_per_status(
    client_as, member_a, dir_a, batches, django_assert_max_num_queries
):
    client = client_as(member_a)
    client.get(url("batch_list", dir_a))
    response = client.get(url("batch_list", dir_a))
    assert response.status_code == 200
    by_pk = {b.pk: {v: n for v, _l, n in b.counts} for b in response.context["page"]}
    assert by_pk[batches["done"].pk] == {"verified": 3}
    assert by_pk[batches["mixed"].pk] == {
        "verified": 2,
        "unsuccessful": 1,
        "in_review": 1,
    }  # 98 unsuccessful, 99 in review
    assert 'id="batch-results"' in response.text
    assert 'hx-trigger="every 5s"' not in response.text  # nothing in flight


def test_batch_list_queries_do_not_grow_with_batches(client_as, member_a, team_a, django_assert_num_queries):
    one, many = make_dir(team_a, "One"), make_dir(team_a, "Many")
    seed_numbers(one, 5, batch=make_batch(one, 1))
    for i in range(20):
        seed_numbers(many, 15, batch=make_batch(many, i), start=i * 15)
    client = client_as(member_a)
    client.get(url("batch_list", one))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url("batch_list", one))
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(url("batch_list", many))


def test_batch_list_polls_only_while_a_batch_is_in_flight(client_as, member_a, dir_a, batches):
    make_batch(dir_a, 0, status="in_review")
    client = client_as(member_a)
    response = client.get(url("batch_list", dir_a), headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'id="batch-results"' in response.text
    assert 'hx-trigger="every 5s"' in response.text
    Batch.objects.filter(dir=dir_a).update(status="verified")
    response = client.get(url("batch_list", dir_a), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 5s"' not in response.text


def test_batch_detail_shows_documents_numbers_and_reasons(client_as, member_a, dir_a, batches):
    response = client_as(member_a).get(url("batch_detail", dir_a, batches["done"].pk))
    assert response.status_code == 200
    assert "<html" in response.text
    assert "doc-1" in response.text
    assert "+13120000002" in response.text
    response = client_as(member_a).get(url("batch_detail", dir_a, batches["mixed"].pk))
    assert "Number not in service" in response.text


def test_batch_detail_fragment_polls_while_in_flight_and_stops_when_decided(client_as, member_a, dir_a):
    batch = make_batch(dir_a, 0, status="submitted")
    seed_numbers(dir_a, 2, batch=batch, status="submitted")
    client = client_as(member_a)
    response = client.get(url("batch_detail", dir_a, batch.pk), headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'id="batch-status"' in response.text
    assert 'hx-trigger="every 5s"' in response.text
    Batch.objects.filter(pk=batch.pk).update(status="verified")
    DirNumber.objects.filter(batch=batch).update(status="verified")
    response = client.get(url("batch_detail", dir_a, batch.pk), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 5s"' not in response.text


def test_polling_queues_at_most_one_dir_refresh_per_10_seconds(
    client_as, member_a, dir_a, monkeypatch, django_capture_on_commit_callbacks
):
    from portal.accounts.models import TelnyxAccount

    TelnyxAccount.objects.create(team=dir_a.team, api_key="KEY", api_key_last4="KEY")
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: queued.append(args))
    batch = make_batch(dir_a, 0, status="in_review")
    client = client_as(member_a)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            client.get(url("batch_detail", dir_a, batch.pk), headers={"HX-Request": "true"})
            client.get(url("batch_list", dir_a), headers={"HX-Request": "true"})
    assert queued == [("portal.sync.tasks.sync_dir", dir_a.pk, "sync")]
    Dir.objects.filter(pk=dir_a.pk).update(refresh_requested_at=timezone.now() - timedelta(seconds=11))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url("batch_list", dir_a), headers={"HX-Request": "true"})
    assert len(queued) == 2


def test_batch_of_another_dir_is_404(client_as, member_a, team_a, dir_a, batches):
    other = make_dir(team_a, "Other")
    assert client_as(member_a).get(url("batch_detail", other, batches["done"].pk)).status_code == 404


def test_numbers_page_shows_a_running_removal_with_its_progress(client_as, member_a, filled):
    NumberRemoval.objects.create(
        dir=filled, phone_numbers=["+1"] * 250, chunks_total=3, chunks_done=1, state="running"
    )
    response = client_as(member_a).get(url("number_list", filled))
    assert 'data-testid="removal-progress"' in response.text
    assert "1 of 3 chunks" in response.text
    assert 'hx-trigger="every 2s"' in response.text


# --- Status counts: cached per DIR, refreshed by every mirror write of its numbers


def _counts(dir_):
    from portal.dirs import selectors

    dir_.refresh_from_db()  # a page reads the DIR row first, then its counts
    return selectors.dir_number_status_counts(dir=dir_)


def test_status_counts_are_cached_until_the_mirror_writes_the_dirs_numbers(dir_a, django_assert_num_queries):
    from portal.core.mirror import mark_removed
    from portal.numbers import mirror
    from portal.telnyx import schemas

    at = timezone.now()
    batch = make_batch(dir_a, 1)
    page = [
        schemas.DirPhoneNumber.from_dict(
            {
                "id": f"n-{i}",
                "phone_number": f"+1312555000{i}",
                "status": "in_review",
                "batch_id": batch.remote_id,
            }
        )
        for i in range(3)
    ]
    mirror.numbers_apply_remote(dir=dir_a, remotes=page, batches={}, source="sync", at=at)
    assert _counts(dir_a) == {"in_review": 3}
    dir_a.refresh_from_db()
    with django_assert_num_queries(0):  # served from the cache
        assert mirror_counts_of(dir_a) == {"in_review": 3}

    # A status change (sync or webhook), a removal by the portal, one seen gone by a full sync:
    verified = [schemas.DirPhoneNumber.from_dict({**vars_of(page[0]), "status": "verified"})]
    mirror.numbers_apply_remote(dir=dir_a, remotes=verified, batches={}, source="webhook", at=at)
    assert _counts(dir_a) == {"in_review": 2, "verified": 1}
    mirror.numbers_mark_removed(dir=dir_a, phone_numbers=["+13125550001"], at=at)
    assert _counts(dir_a) == {"in_review": 1, "verified": 1}
    gone = mark_removed(DirNumber.objects.filter(dir=dir_a), seen={"n-0"}, at=at)
    mirror.numbers_changed(dir_id=dir_a.pk)  # what the sync does after a non-zero mark_removed
    assert gone == 1 and _counts(dir_a) == {"verified": 1}

    # Nothing changed: the version stays and the cache keeps answering.
    version = Dir.objects.get(pk=dir_a.pk).numbers_version
    mirror.numbers_apply_remote(dir=dir_a, remotes=verified, batches={}, source="sync", at=at)
    assert Dir.objects.get(pk=dir_a.pk).numbers_version == version


def mirror_counts_of(dir_):
    from portal.dirs import selectors

    return selectors.dir_number_status_counts(dir=dir_)


def vars_of(number) -> dict:
    return {"id": number.id, "phone_number": number.phone_number, "batch_id": number.batch_id}


def test_a_full_save_of_a_stale_dir_never_puts_an_older_numbers_version_back(dir_a):
    from portal.numbers import mirror

    stale = Dir.objects.get(pk=dir_a.pk)
    mirror.numbers_changed(dir_id=dir_a.pk)
    stale.display_name = "Renamed"
    stale.save()
    fresh = Dir.objects.get(pk=dir_a.pk)
    assert (fresh.display_name, fresh.numbers_version) == ("Renamed", 1)
