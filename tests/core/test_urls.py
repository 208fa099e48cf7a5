"""The paths people and Telnyx know keep resolving to the same pages after the apps were regrouped."""

from __future__ import annotations

import uuid

import pytest
from django.urls import resolve, reverse

TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")

PATHS = [
    ("/", "home"),
    ("/healthz", "core:healthz"),
    (f"/logos/{TOKEN}.bmp", "logos:logo_serve"),
    ("/webhooks/telnyx/7/", "webhooks:telnyx"),
    ("/sign-in/", "accounts:sign_in"),
    ("/teams/", "accounts:team_list"),
    ("/t/acme/", "dashboard:dashboard"),
    ("/t/acme/settings/members/", "accounts:member_list"),
    ("/t/acme/settings/telnyx/", "accounts:telnyx_account"),
    ("/t/acme/settings/activity/", "accounts:audit_list"),
    ("/t/acme/sync/", "sync:sync_now"),
    ("/t/acme/sync/status/", "sync:sync_status"),
    ("/t/acme/enterprises/", "enterprises:enterprise_list"),
    ("/t/acme/enterprises/3/branded-calling/activate/", "enterprises:enterprise_activate"),
    ("/t/acme/dirs/", "dirs:dir_list"),
    ("/t/acme/dirs/new/", "dirs:dir_create"),
    ("/t/acme/dirs/5/", "dirs:dir_detail"),
    ("/t/acme/dirs/5/status/", "dirs:dir_status"),
    ("/t/acme/dirs/call-reasons/check/", "dirs:call_reasons_check"),
    ("/t/acme/dirs/5/numbers/", "numbers:number_list"),
    ("/t/acme/dirs/5/numbers/export.csv", "numbers:number_export"),
    ("/t/acme/dirs/5/numbers/add/", "numbers:number_add"),
    ("/t/acme/dirs/5/numbers/add/progress/", "numbers:number_add_progress"),
    ("/t/acme/dirs/5/numbers/removals/9/", "numbers:removal_status"),
    ("/t/acme/dirs/5/batches/", "numbers:batch_list"),
    ("/t/acme/dirs/5/batches/9/", "numbers:batch_detail"),
]


@pytest.mark.parametrize(("path", "name"), PATHS)
def test_known_paths_resolve_and_reverse(path, name):
    match = resolve(path)
    assert match.view_name == name
    assert reverse(name, kwargs=match.kwargs) == path


def test_the_webhook_address_a_dir_is_given_is_the_public_one(settings):
    """Telnyx is configured with /webhooks/telnyx/<account id>/: the DIR form prefills exactly that."""
    from portal.dirs.services import webhook_url_for

    settings.PORTAL_PUBLIC_URL = "https://portal.example"
    account = type("Account", (), {"pk": 42})()
    assert webhook_url_for(account=account) == "https://portal.example/webhooks/telnyx/42/"
