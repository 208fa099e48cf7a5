"""The DIR list: mirror rows of the team only, status pills, search, sort, pages, htmx fragment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.dirs import selectors
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise

URL = reverse("dirs:dir_list", args=["acme"])


@pytest.fixture
def enterprise(team_a) -> Enterprise:
    return Enterprise.objects.create(team=team_a, remote_id="ent-1", legal_name="Northwind Clinic LLC")


def make_dirs(enterprise: Enterprise, count: int, status: str = "draft", prefix: str = "DIR") -> list[Dir]:
    return Dir.objects.bulk_create(
        Dir(
            team=enterprise.team,
            enterprise=enterprise,
            remote_id=f"{prefix}-{status}-{i}",
            display_name=f"{prefix} {i:03d}",
            status=status,
            call_reasons=["Appointment reminders"],
        )
        for i in range(count)
    )


def test_selectors_filter_search_sort_and_count(enterprise):
    make_dirs(enterprise, 2, "draft", "Alpha")
    make_dirs(enterprise, 1, "verified", "Beta")
    removed = make_dirs(enterprise, 1, "verified", "Gone")[0]
    Dir.objects.filter(pk=removed.pk).update(removed_at="2026-01-01T00:00:00Z")
    team = enterprise.team
    assert [d.display_name for d in selectors.dir_list(team=team, status="verified")] == ["Beta 000"]
    assert selectors.dir_list(team=team, q="alp").count() == 2
    assert selectors.dir_list(team=team, sort="-name")[0].display_name == "Beta 000"
    assert selectors.dir_status_counts(team=team) == {"draft": 2, "verified": 1}


def test_dir_get_is_scoped_to_the_team(enterprise, team_b):
    from django.http import Http404

    dir_ = make_dirs(enterprise, 1)[0]
    assert selectors.dir_get(team=enterprise.team, pk=dir_.pk) == dir_
    with pytest.raises(Http404):
        selectors.dir_get(team=team_b, pk=dir_.pk)


def test_full_page_has_pills_with_counts_and_links_to_details(enterprise, client_as, viewer_a):
    dirs = make_dirs(enterprise, 3)
    make_dirs(enterprise, 2, "verified", "Ver")
    response = client_as(viewer_a).get(URL)
    assert response.status_code == 200
    assert "<html" in response.text
    assert 'data-testid="pill-draft"' in response.text
    assert 'data-testid="pill-verified"' in response.text
    assert reverse("dirs:dir_detail", args=["acme", dirs[0].pk]) in response.text
    assert reverse("dirs:dir_create", args=["acme"]) not in response.text  # viewers get no actions


def test_members_see_the_create_button(enterprise, client_as, member_a):
    make_dirs(enterprise, 1)
    assert reverse("dirs:dir_create", args=["acme"]) in client_as(member_a).get(URL).text


def test_htmx_filter_returns_only_the_results_fragment(enterprise, client_as, member_a):
    make_dirs(enterprise, 2, "draft", "Alpha")
    make_dirs(enterprise, 1, "verified", "Beta")
    response = client_as(member_a).get(URL, {"status": "verified"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'id="dir-results"' in response.text
    assert "Beta 000" in response.text
    assert "Alpha 000" not in response.text
    assert response["Vary"].count("HX-Request") == 1


def test_search_and_pages(enterprise, client_as, member_a):
    make_dirs(enterprise, 30)
    client = client_as(member_a)
    first = client.get(URL, {"per_page": 25})
    assert "DIR 024" in first.text and "DIR 025" not in first.text
    second = client.get(URL, {"per_page": 25, "page": 2}, headers={"HX-Request": "true"})
    assert "DIR 025" in second.text and "DIR 024" not in second.text
    found = client.get(URL, {"q": "029"}, headers={"HX-Request": "true"})
    assert "DIR 029" in found.text and "DIR 028" not in found.text


def test_no_match_and_empty_states(enterprise, client_as, member_a):
    client = client_as(member_a)
    empty = client.get(URL)
    assert "No DIRs yet" in empty.text
    assert reverse("dirs:dir_create", args=["acme"]) in empty.text
    make_dirs(enterprise, 1)
    none = client.get(URL, {"q": "zzz"}, headers={"HX-Request": "true"})
    assert "No DIRs match" in none.text


def test_other_teams_see_nothing_of_it(enterprise, client_as, admin_b):
    make_dirs(enterprise, 2)
    assert client_as(admin_b).get(URL).status_code == 404
    assert "DIR 000" not in client_as(admin_b).get(reverse("dirs:dir_list", args=["globex"])).text


def test_a_bad_filter_value_is_ignored(enterprise, client_as, member_a):
    make_dirs(enterprise, 1)
    response = client_as(member_a).get(URL, {"status": "bogus", "sort": "nope", "per_page": "7"})
    assert response.status_code == 200
    assert "DIR 000" in response.text


@pytest.mark.parametrize("count", [5, 50])
def test_query_count_does_not_grow_with_the_list(
    enterprise, client_as, member_a, django_assert_num_queries, count
):
    make_dirs(enterprise, count)
    client = client_as(member_a)
    client.get(URL, {"per_page": 100})  # warm the session
    with django_assert_num_queries(QUERIES):
        client.get(URL, {"per_page": 100}, headers={"HX-Request": "true"})


# session, user, membership, session save (current team), count, page rows (with enterprise), status counts…
QUERIES = 9
