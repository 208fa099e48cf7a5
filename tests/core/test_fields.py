"""EncryptedTextField: round trip, key rotation, and a clear error when the key is lost."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from portal.accounts.models import TelnyxAccount


def test_rotation_reads_old_values_and_writes_with_the_new_key(team_a, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    TelnyxAccount.objects.create(team=team_a, api_key="KEY-old-secret-value-123", api_key_last4="e123")
    new = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        account = TelnyxAccount.objects.get(team=team_a)
        assert account.api_key == "KEY-old-secret-value-123"
        account.save()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert TelnyxAccount.objects.get(team=team_a).api_key == "KEY-old-secret-value-123"


def test_lost_key_is_a_configuration_error_not_garbage(team_a):
    TelnyxAccount.objects.create(team=team_a, api_key="KEY-secret-value-1234567", api_key_last4="4567")
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY changed"),
    ):
        TelnyxAccount.objects.get(team=team_a)
