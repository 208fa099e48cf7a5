"""The team's activity page: scoped, filterable, paginated, with an htmx results partial."""

from __future__ import annotations

from django.urls import reverse

from portal.core.models import AuditEvent
from portal.core.services import audit_record


def _url(team):
    return reverse("accounts:audit_list", args=[team.slug])


def test_lists_only_this_teams_events_and_its_members_sign_ins(client_as, admin_a, admin_b, team_a, team_b):
    audit_record(verb=AuditEvent.Verb.ROLE_CHANGED, actor=admin_a, team=team_a, details={"to": "viewer"})
    audit_record(verb=AuditEvent.Verb.ROLE_CHANGED, actor=admin_b, team=team_b, details={"to": "secret-b"})
    audit_record(verb=AuditEvent.Verb.SIGN_IN, actor=admin_a)
    audit_record(verb=AuditEvent.Verb.SIGN_IN, actor=admin_b)
    response = client_as(admin_a).get(_url(team_a))
    page = response.context["page"]
    assert {(e.verb, e.actor_email) for e in page} == {
        ("role_changed", admin_a.email),
        ("sign_in", admin_a.email),
    }
    assert "secret-b" not in response.text
    assert admin_b.email not in response.text


def test_filter_by_event_and_person(client_as, admin_a, member_a, team_a):
    audit_record(verb=AuditEvent.Verb.INVITATION_SENT, actor=admin_a, team=team_a)
    audit_record(verb=AuditEvent.Verb.ROLE_CHANGED, actor=admin_a, team=team_a)
    audit_record(verb=AuditEvent.Verb.ROLE_CHANGED, actor=member_a, team=team_a)
    client = client_as(admin_a)
    page = client.get(_url(team_a), {"verb": "role_changed"}).context["page"]
    assert [e.verb for e in page] == ["role_changed", "role_changed"]
    page = client.get(_url(team_a), {"verb": "role_changed", "actor": "max@"}).context["page"]
    assert [e.actor_email for e in page] == [member_a.email]


def test_paginates_newest_first(client_as, admin_a, team_a):
    for n in range(30):
        audit_record(verb=AuditEvent.Verb.INVITATION_SENT, actor=admin_a, team=team_a, details={"n": n})
    client = client_as(admin_a)  # signing in adds one more event
    first = client.get(_url(team_a)).context["page"]
    assert first.paginator.count == 31
    assert first[0].verb == "sign_in"
    assert [e.details["n"] for e in first[1:4]] == [29, 28, 27]
    assert len(first) == 25
    second = client.get(_url(team_a), {"page": 2}).context["page"]
    assert [e.details["n"] for e in second] == [5, 4, 3, 2, 1, 0]
    bigger = client.get(_url(team_a), {"per_page": 50}).context["page"]
    assert len(bigger) == 31


def test_htmx_request_gets_only_the_results_partial(client_as, admin_a, team_a):
    audit_record(verb=AuditEvent.Verb.INVITATION_SENT, actor=admin_a, team=team_a)
    response = client_as(admin_a).get(_url(team_a), headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'id="audit-results"' in response.text
    assert response["Vary"].count("HX-Request") == 1


def test_query_count_does_not_grow_with_rows(client_as, admin_a, team_a, django_assert_max_num_queries):
    for _ in range(40):
        audit_record(verb=AuditEvent.Verb.INVITATION_SENT, actor=admin_a, team=team_a)
    client = client_as(admin_a)
    with django_assert_max_num_queries(12):
        client.get(_url(team_a), {"per_page": 100})


def test_empty_state(client_as, admin_a, team_a):
    response = client_as(admin_a).get(_url(team_a), {"verb": "support_view"})
    assert "No activity matches" in response.text


def test_people_in_several_teams_do_not_duplicate_events(client_as, admin_a, team_a, team_b):
    from portal.accounts.models import Membership

    Membership.objects.create(user=admin_a, team=team_b, role="viewer")
    audit_record(verb=AuditEvent.Verb.INVITATION_SENT, actor=admin_a, team=team_a)
    page = client_as(admin_a).get(_url(team_a)).context["page"]
    assert sorted(e.verb for e in page) == ["invitation_sent", "sign_in"]


def test_a_bad_filter_value_is_shown_and_the_others_still_apply(client_as, admin_a, member_a, team_a):
    audit_record(verb=AuditEvent.Verb.ROLE_CHANGED, actor=admin_a, team=team_a)
    audit_record(verb=AuditEvent.Verb.ROLE_CHANGED, actor=member_a, team=team_a)
    response = client_as(admin_a).get(_url(team_a), {"actor": "max@", "per_page": 7})
    assert [e.actor_email for e in response.context["page"]] == [member_a.email]
    assert "Select a valid choice" in response.text


def test_history_restore_gets_the_whole_page(client_as, admin_a, team_a):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = client_as(admin_a).get(_url(team_a), headers=headers)
    assert "<html" in response.text


def test_sign_ins_from_before_joining_are_not_shown(client_as, admin_a, member_a, team_a):
    from datetime import timedelta

    from django.utils import timezone

    from portal.accounts.models import Membership

    old = audit_record(verb=AuditEvent.Verb.SIGN_IN, actor=member_a)
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=30))
    Membership.objects.filter(user=member_a).update(created_at=timezone.now() - timedelta(days=1))
    recent = audit_record(verb=AuditEvent.Verb.SIGN_IN, actor=member_a)
    ids = {e.pk for e in client_as(admin_a).get(_url(team_a), {"actor": "max@"}).context["page"]}
    assert recent.pk in ids
    assert old.pk not in ids


def test_every_verb_the_code_records_is_a_named_choice():
    """The activity page names each event and can filter by it: no verb may be a bare string."""
    import re
    from pathlib import Path

    from portal.core.models import AuditEvent

    used = set()
    for path in (Path(__file__).resolve().parents[2] / "portal").rglob("*.py"):
        used |= set(re.findall(r'\bverb="([a-z_]+)"', path.read_text()))
    assert used, "the scan found no verbs at all"
    assert used <= set(AuditEvent.Verb.values), sorted(used - set(AuditEvent.Verb.values))
