"""The webhook receiver: verified on the raw body, deduplicated, then a sync of that DIR."""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.core.models import StatusChange
from portal.dirs.models import Dir
from portal.simulator import models as sim_models
from portal.simulator import services as sim_services
from portal.sync import services
from portal.sync.models import WebhookEvent

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


@pytest.fixture
def hooked(sim, connected, team_a):
    """A synced account with the simulator's webhook key, and one DIR that just changed remotely."""
    call_command("simulator_seed", "--demo", stdout=io.StringIO())
    sim_models.Account.objects.filter(api_key=sim.key).delete()
    sim_models.Account.objects.filter(name="Acme Health (demo)").update(api_key=sim.key)
    connected.webhook_public_key = sim_services.account_public_key(
        sim_models.Account.objects.get(api_key=sim.key)
    )
    connected.save()
    services.account_sync(account=connected, full=True)
    dir_ = Dir.objects.get(team=team_a, display_name="Acme Dental")
    sim.ok("POST", f"/_sim/dir/{dir_.remote_id}/transition", json={"to": "rejected"})
    return connected, dir_


def post(
    client,
    account,
    *,
    dir_id: str,
    event_id: str | None = None,
    age: int = 0,
    tamper: bool = False,
    drop=None,
):
    body = json.dumps(
        {"data": {"id": event_id or str(uuid.uuid4()), "event_type": "branded_calling.dir.status_updated",
                  "payload": {"record_type": "dir", "dir_id": dir_id, "status": "rejected"}}}
    ).encode()  # fmt: skip
    timestamp = int(time.time()) - age
    sim_account = sim_models.Account.objects.get(api_key=account.api_key)
    headers = {
        "telnyx-timestamp": str(timestamp),
        "telnyx-signature-ed25519": sim_services.webhook_sign(
            sim_account, body + (b" " if tamper else b""), timestamp
        ),
    }
    if drop:
        del headers[drop]
    url = reverse("webhooks:telnyx", args=[account.pk])
    return client.post(url, body, content_type="application/json", headers=headers)


def test_valid_webhook_syncs_that_dir(client, hooked, django_capture_on_commit_callbacks):
    account, dir_ = hooked
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, account, dir_id=dir_.remote_id)
    assert len(callbacks) == 1  # one sync queued
    assert response.status_code == 200 and response.json() == {"status": "dir sync queued"}
    dir_.refresh_from_db()
    assert dir_.status == "rejected"
    change = StatusChange.objects.get(entity_type="dir", entity_id=dir_.pk, to_status="rejected")
    assert change.source == "webhook"


@pytest.mark.parametrize(
    "spoil",
    [{"tamper": True}, {"drop": "telnyx-timestamp"}, {"drop": "telnyx-signature-ed25519"}, {"age": 301}],
    ids=["bad-signature", "no-timestamp", "no-signature", "301s-old"],
)
def test_bad_webhooks_are_refused_and_change_nothing(client, hooked, spoil):
    account, dir_ = hooked
    before = StatusChange.objects.count()
    response = post(client, account, dir_id=dir_.remote_id, **spoil)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert StatusChange.objects.count() == before
    dir_.refresh_from_db()
    assert dir_.status == "draft"


def test_a_replayed_event_id_is_ignored(client, hooked, monkeypatch):
    account, dir_ = hooked
    event_id = str(uuid.uuid4())
    assert (
        post(client, account, dir_id=dir_.remote_id, event_id=event_id).json()["status"] == "dir sync queued"
    )
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append(args))
    again = post(client, account, dir_id=dir_.remote_id, event_id=event_id)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert queued == []
    assert WebhookEvent.objects.count() == 1


def test_unknown_account_is_404_and_no_csrf_or_session_is_needed(client, hooked):
    account, dir_ = hooked
    assert client.post("/webhooks/telnyx/999999/", b"{}", content_type="application/json").status_code == 404
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, account, dir_id=dir_.remote_id).status_code == 200


def test_a_queued_dir_sync_whose_dir_or_key_went_away_does_nothing(connected, make_dir):
    """The webhook queued a sync; meanwhile the key was removed (or the DIR row deleted): no error."""
    from portal.sync import tasks

    dir_, _remote = make_dir("verified")
    connected.delete()
    assert tasks.sync_dir(dir_.pk) == "done"
    assert tasks.sync_dir(10**9) == "done"
