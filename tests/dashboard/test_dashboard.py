"""The dashboard's onboarding checklist points at the next step, for those who may take it."""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.models import TelnyxAccount
from portal.dirs.models import Dir
from portal.enterprises.models import Enterprise


def page(client, team) -> str:
    return client.get(reverse("dashboard:dashboard", args=[team.slug])).text


def test_each_step_links_to_where_it_is_done(client_as, admin_a, viewer_a, team_a):
    create_enterprise = reverse("enterprises:enterprise_create", args=[team_a.slug])
    create_dir = reverse("dirs:dir_create", args=[team_a.slug])
    assert create_enterprise not in page(client_as(admin_a), team_a)  # no Telnyx account yet

    TelnyxAccount.objects.create(team=team_a, api_key="KEY-dashboard-0000", api_key_last4="0000")
    assert create_enterprise in page(client_as(admin_a), team_a)
    assert create_enterprise not in page(client_as(viewer_a), team_a)  # viewers cannot register

    enterprise = Enterprise.objects.create(team=team_a, remote_id="e-1", legal_name="Acme LLC")
    admin_page = page(client_as(admin_a), team_a)
    assert create_enterprise not in admin_page and create_dir in admin_page
    assert create_dir not in page(client_as(viewer_a), team_a)

    Dir.objects.create(
        team=team_a, enterprise=enterprise, remote_id="d-1", display_name="Acme", status="verified"
    )
    admin_page = page(client_as(admin_a), team_a)
    assert create_dir not in admin_page
    assert reverse("dirs:dir_list", args=[team_a.slug]) + "?status=verified" in admin_page
