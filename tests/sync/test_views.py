"""The dashboard's sync card ("Sync now", progress, last synced), counts and timeline."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.core.models import StatusChange
from portal.simulator import models as sim_models
from portal.sync.models import SyncRun

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
HX = {"HX-Request": "true"}


@pytest.fixture
def demo_account(sim, connected):
    call_command("simulator_seed", "--demo", stdout=io.StringIO())
    sim_models.Account.objects.filter(api_key=sim.key).delete()
    sim_models.Account.objects.filter(name="Acme Health (demo)").update(api_key=sim.key)
    return connected


def test_sync_now_queues_polls_then_shows_last_synced(
    client_as, member_a, team_a, demo_account, django_capture_on_commit_callbacks
):
    client = client_as(member_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("sync:sync_now", args=[team_a.slug]), headers=HX)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="sync-card"' in response.text
    assert "Sync queued" in response.text and 'hx-trigger="every 2s"' in response.text
    run = SyncRun.objects.get()
    assert (run.state, run.requested_by) == ("queued", member_a)
    # Asking twice while one is queued does not queue a second sync.
    client.post(reverse("sync:sync_now", args=[team_a.slug]), headers=HX)
    assert SyncRun.objects.count() == 1
    for callback in callbacks:  # the worker runs the task (inline in tests)
        callback()
    run.refresh_from_db()
    assert run.state == "done" and run.pages > 0
    status = client.get(reverse("sync:sync_status", args=[team_a.slug]), headers=HX)
    assert "every 2s" not in status.text  # polling stops by itself
    assert "Last synced" in status.text and "never" not in status.text
    dashboard = client.get(reverse("dashboard:dashboard", args=[team_a.slug]))
    assert "11 DIRs" in dashboard.text and "1 enterprise" in dashboard.text
    assert StatusChange.objects.filter(team=team_a).exists()
    assert "Recent status changes" in dashboard.text and "Acme" in dashboard.text


def test_viewers_cannot_sync_and_no_account_explains(client_as, viewer_a, admin_a, team_a):
    assert client_as(viewer_a).post(reverse("sync:sync_now", args=[team_a.slug])).status_code == 403
    response = client_as(admin_a).post(reverse("sync:sync_now", args=[team_a.slug]), follow=True)
    assert "Connect a Telnyx account first." in response.text
    assert not SyncRun.objects.exists()


def test_dashboard_query_count_is_bounded(
    client_as, admin_a, team_a, demo_account, django_assert_max_num_queries
):
    from portal.sync import services as sync_services

    sync_services.account_sync(account=demo_account, full=True)
    client = client_as(admin_a)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("dashboard:dashboard", args=[team_a.slug]))
    assert response.status_code == 200


def test_an_abandoned_queued_sync_does_not_block_sync_now(client_as, member_a, team_a, connected):
    from datetime import timedelta

    from django.utils import timezone

    stale = SyncRun.objects.create(account=connected, kind="full", state="queued")
    SyncRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - timedelta(hours=1))
    client_as(member_a).post(reverse("sync:sync_now", args=[team_a.slug]), headers=HX)
    stale.refresh_from_db()
    assert stale.state == "failed" and "Abandoned" in stale.error
    assert SyncRun.objects.filter(state="queued").count() == 1


def test_running_sync_shows_n_of_m(client_as, member_a, team_a, connected):
    from portal.core.leases import lease

    SyncRun.objects.create(
        account=connected, kind="full", state="running", dirs_total=12, dirs_done=5, pages=57
    )
    url = reverse("sync:sync_status", args=[team_a.slug])
    with lease(f"account:{connected.pk}", seconds=60):  # its worker is alive and renewing
        response = client_as(member_a).get(url, headers=HX)
    assert "Syncing… 5 of 12 DIRs, 57 pages read" in response.text
    assert 'value="5" max="12"' in response.text and 'hx-trigger="every 2s"' in response.text
    # Its worker died: once the lease has run out, the card offers "Sync now" again.
    response = client_as(member_a).get(url, headers=HX)
    assert "Syncing…" not in response.text and 'id="sync-now"' in response.text
