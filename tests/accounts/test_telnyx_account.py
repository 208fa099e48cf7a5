"""Telnyx credentials: encrypted at rest, shown only as the last 4 characters, never logged."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import connection
from django.urls import reverse

from portal.accounts import selectors, services
from portal.accounts.models import TelnyxAccount
from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent

API_KEY = "KEY0199A1B2C3D4E5F6_SeCrEtPaRtOfThEkEy_Zz9876"


def _public_key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def test_saved_key_is_encrypted_in_the_database_and_never_shown(client_as, admin_a, team_a, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_as(admin_a)
    url = reverse("accounts:telnyx_account", args=[team_a.slug])
    response = client.post(url, {"api_key": API_KEY, "webhook_public_key": _public_key()}, follow=True)
    assert response.status_code == 200
    assert "Telnyx credentials saved." in response.text

    account = TelnyxAccount.objects.get(team=team_a)
    assert account.api_key == API_KEY  # decrypts for the services that need it
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM accounts_telnyxaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert API_KEY not in stored
    assert "SeCrEt" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token

    page = client.get(url)
    assert "••••••••9876" in page.text
    assert "SeCrEt" not in page.text
    assert "SeCrEt" not in response.text
    assert all("SeCrEt" not in r.getMessage() for r in caplog.records)
    event = AuditEvent.objects.get(team=team_a, verb=AuditEvent.Verb.CREDENTIALS_CHANGED)
    assert "SeCrEt" not in str(event.details)
    assert event.details["api_key"] == "…9876"


def test_blank_key_keeps_the_stored_one(client_as, admin_a, team_a):
    client = client_as(admin_a)
    url = reverse("accounts:telnyx_account", args=[team_a.slug])
    client.post(url, {"api_key": API_KEY, "webhook_public_key": ""})
    new_public = _public_key()
    client.post(url, {"api_key": "", "webhook_public_key": new_public})
    account = TelnyxAccount.objects.get(team=team_a)
    assert account.api_key == API_KEY
    assert account.webhook_public_key == new_public
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.CREDENTIALS_CHANGED).count() == 2


def test_bad_input_is_shown_inline_and_nothing_is_saved(client_as, admin_a, team_a):
    client = client_as(admin_a)
    url = reverse("accounts:telnyx_account", args=[team_a.slug])
    response = client.post(url, {"api_key": "", "webhook_public_key": ""})
    assert "Enter the API key" in response.text
    response = client.post(url, {"api_key": API_KEY, "webhook_public_key": "not-a-key"})
    assert "not an ed25519 public key" in response.text
    assert 'value="not-a-key"' in response.text  # what was typed stays
    assert API_KEY not in response.text  # ...but a key is never echoed back
    response = client.post(url, {"api_key": "short key", "webhook_public_key": ""})
    assert "does not look like a Telnyx API key" in response.text
    assert not TelnyxAccount.objects.filter(team=team_a).exists()


def test_admin_removes_credentials(client_as, admin_a, team_a):
    client = client_as(admin_a)
    client.post(reverse("accounts:telnyx_account", args=[team_a.slug]), {"api_key": API_KEY})
    client.post(reverse("accounts:telnyx_account_delete", args=[team_a.slug]))
    assert not TelnyxAccount.objects.filter(team=team_a).exists()
    assert AuditEvent.objects.filter(team=team_a, verb=AuditEvent.Verb.CREDENTIALS_CHANGED).count() == 2


def test_support_sees_the_mask_but_cannot_change(client_as, support_agent, admin_a, team_a):
    client_as(admin_a).post(reverse("accounts:telnyx_account", args=[team_a.slug]), {"api_key": API_KEY})
    page = client_as(support_agent).get(reverse("accounts:telnyx_account", args=[team_a.slug]))
    assert "••••••••9876" in page.text
    assert "Only team admins can change" in page.text
    assert "SeCrEt" not in page.text


def test_telnyx_account_require_returns_the_account_or_says_how_to_add_one(team_a, team_b):
    """Every service that needs the key asks this one selector: one message when there is none."""
    account = TelnyxAccount.objects.create(team=team_a, api_key=API_KEY, api_key_last4="9876")
    assert selectors.telnyx_account_require(team=team_a) == account
    assert selectors.telnyx_account_require(team=team_a.pk) == account  # an id saves loading the team
    with pytest.raises(ServiceError) as caught:
        selectors.telnyx_account_require(team=team_b)
    assert caught.value.message == (
        "Connect a Telnyx account first. An admin can add the API key under Team settings › Telnyx account."
    )
    assert (caught.value.code, caught.value.errors) == ("no_account", [(None, caught.value.message)])


def test_telnyx_account_client_words_a_failure_as_a_read_or_a_write(team_a, route_through):
    """The team's client for one unit of work: 503s leave it as the shared read or write wording."""
    TelnyxAccount.objects.create(team=team_a, api_key=API_KEY, api_key_last4="9876")
    calls = []

    def unavailable(request):
        calls.append(request.method)
        return httpx.Response(503, json={"errors": []})

    route_through(httpx.MockTransport(unavailable))
    with (
        pytest.raises(ServiceError) as read,
        services.telnyx_account_client(team=team_a, read=True, max_retries=0) as api,
    ):
        api.tos_status()
    assert read.value.message == "Telnyx is having trouble right now (HTTP 503). Try again in a moment."
    assert calls == ["GET"]  # the client options (no retries) were used
    with (
        pytest.raises(ServiceError) as write,
        services.telnyx_account_client(team=team_a, uncertain="Look again.") as api,
    ):
        api.tos_agree()
    assert write.value.message == "Telnyx is having trouble right now (HTTP 503). Look again."
    with pytest.raises(ServiceError, match="Only this"), services.telnyx_account_client(team=team_a):
        raise ServiceError("Only this")  # the block's own refusals pass through unchanged
