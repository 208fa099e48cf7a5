"""Enterprise pages: list, detail, create/edit form with local and remote errors, delete, ToS, activation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.accounts.models import TelnyxAccount
from portal.enterprises import services
from portal.enterprises.models import Enterprise
from tests.enterprises.conftest import api_body, form_data

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
HX = {"HX-Request": "true"}


def url(name: str, team, *args) -> str:
    return reverse(f"enterprises:{name}", args=[team.slug, *args])


@pytest.fixture
def enterprise(connected, team_a, admin_a) -> Enterprise:
    return services.enterprise_create(
        team=team_a, user=admin_a, data=api_body(legal_name="Northwind Clinic LLC")
    )


# --- list -------------------------------------------------------------------------------------


def test_list_without_telnyx_account_points_to_the_settings(client_as, admin_a, member_a, team_a):
    """No Telnyx account yet: admins get a link to the Telnyx account page, others are told to ask."""
    response = client_as(admin_a).get(url("enterprise_list", team_a))
    assert response.status_code == 200
    assert "Connect a Telnyx account first" in response.text
    assert reverse("accounts:telnyx_account", args=[team_a.slug]) in response.text
    assert "Ask a team admin" in client_as(member_a).get(url("enterprise_list", team_a)).text


def test_list_empty_state_offers_to_register(client_as, admin_a, team_a, connected):
    """Connected but empty: 'No enterprises yet — register one' with the create button."""
    response = client_as(admin_a).get(url("enterprise_list", team_a))
    assert "No enterprises yet — register one" in response.text
    assert url("enterprise_create", team_a) in response.text


def test_list_shows_dir_count_and_state_searches_and_sorts(
    client_as, viewer_a, admin_a, team_a, connected, django_assert_max_num_queries
):
    """Rows carry the DIR count and Branded Calling state; search and sort work; bounded queries."""
    for name in ("Alpha Dental LLC", "Beta Freight Inc", "Gamma Labs LLC"):
        services.enterprise_create(team=team_a, user=admin_a, data=api_body(legal_name=name))
    client = client_as(viewer_a)
    with django_assert_max_num_queries(10):
        response = client.get(url("enterprise_list", team_a))
    assert response.status_code == 200 and "<html" in response.text
    assert response.text.count('data-testid="dir-count">0<') == 3
    assert "Not activated" in response.text
    assert "Register enterprise" not in response.text  # viewers get no action buttons
    found = client.get(url("enterprise_list", team_a), {"q": "beta"}, headers=HX)
    assert "<html" not in found.text and 'id="enterprise-results"' in found.text
    assert "Beta Freight Inc" in found.text and "Alpha Dental" not in found.text
    nothing = client.get(url("enterprise_list", team_a), {"q": "zzz"}, headers=HX)
    assert "No enterprises match" in nothing.text
    ordered = client.get(url("enterprise_list", team_a), {"sort": "-legal_name"}).text
    assert ordered.index("Gamma Labs") < ordered.index("Beta Freight") < ordered.index("Alpha Dental")


def test_list_paginates_25_50_100(client_as, admin_a, team_a, connected):
    """Pages of 25 by default; per_page picks 50 or 100."""
    Enterprise.objects.bulk_create(
        Enterprise(
            team=team_a, remote_id=f"e-{i}", legal_name=f"Company {i:03} LLC", data={"country_code": "US"}
        )
        for i in range(30)
    )
    client = client_as(admin_a)
    first = client.get(url("enterprise_list", team_a)).text
    assert (
        first.count('id="enterprise-')
        - first.count('id="enterprise-results')
        - first.count('id="enterprise-filters')
        - first.count('id="enterprise-table')
        - first.count('id="enterprise-create')
        == 25
    )
    assert "Showing <span>1</span>–<span>25</span> of <span>30</span>" in first
    everything = client.get(url("enterprise_list", team_a), {"per_page": "50"}).text
    assert "Company 029 LLC" in everything


def test_other_team_gets_404(client_as, admin_b, team_a, enterprise):
    """Another team's people never see this team's enterprises."""
    client = client_as(admin_b)
    assert client.get(url("enterprise_list", team_a)).status_code == 404
    assert client.get(url("enterprise_detail", team_a, enterprise.pk)).status_code == 404


def test_enterprise_of_another_team_is_not_found_in_own_team(client_as, admin_b, team_b, enterprise):
    """An id from another team, under one's own team URL, is a 404 too."""
    assert client_as(admin_b).get(url("enterprise_detail", team_b, enterprise.pk)).status_code == 404


# --- detail -----------------------------------------------------------------------------------


def test_detail_shows_every_section_and_loads_the_branded_calling_card(
    client_as, admin_a, team_a, enterprise
):
    """The detail page shows the record from the mirror and lazy-loads the Telnyx part."""
    response = client_as(admin_a).get(url("enterprise_detail", team_a, enterprise.pk))
    assert response.status_code == 200
    for text in ("Northwind Clinic LLC", "12-3456789", "Organization contact", "Billing address", "0 DIRs"):
        assert text in response.text
    assert 'hx-get="{}"'.format(url("enterprise_activation", team_a, enterprise.pk)) in response.text
    assert 'data-bs-target="#delete-enterprise"' in response.text


def test_detail_lists_the_enterprise_dirs_with_links(client_as, viewer_a, team_a, enterprise, sim):
    """The DIRs of the enterprise come from the mirror and link to their own pages."""
    from portal.dirs.models import Dir

    dir_ = Dir.objects.create(
        team=team_a, enterprise=enterprise, remote_id="d-1", display_name="Northwind Care", status="verified"
    )
    Dir.objects.create(
        team=team_a, enterprise=enterprise, remote_id="d-2", display_name="Gone", status="draft",
        removed_at=enterprise.created_at,
    )  # fmt: skip
    page = client_as(viewer_a).get(url("enterprise_detail", team_a, enterprise.pk)).text
    assert "1 DIR<" in page and "Northwind Care" in page and "Gone" not in page
    assert reverse("dirs:dir_detail", args=[team_a.slug, dir_.pk]) in page
    assert "Verified" in page


def test_viewer_sees_the_page_without_action_buttons(client_as, viewer_a, team_a, enterprise):
    """Viewers read everything but get no edit, delete, terms or activate controls."""
    client = client_as(viewer_a)
    page = client.get(url("enterprise_detail", team_a, enterprise.pk)).text
    assert "delete-enterprise" not in page and url("enterprise_update", team_a, enterprise.pk) not in page
    card = client.get(url("enterprise_activation", team_a, enterprise.pk), headers=HX).text
    assert 'id="branded-calling"' in card and "<html" not in card
    assert 'id="tos-agree"' not in card and 'id="activate"' not in card
    assert "A team admin accepts the terms." in card


# --- create -----------------------------------------------------------------------------------


def test_create_form_has_every_field_in_sections(client_as, admin_a, team_a, connected):
    """The create form groups every field of the contract."""
    response = client_as(admin_a).get(url("enterprise_create", team_a))
    assert response.status_code == 200
    for section in ("Organization", "Contact", "Billing", "Addresses"):
        assert f"</span> {section}</h2>" in response.text or f"{section}</h2>" in response.text
    for name in form_data():
        assert f'name="{name}"' in response.text, name
    for name in (
        "corporate_registration_number",
        "dun_bradstreet_number",
        "primary_business_domain_sic_code",
    ):
        assert f'name="{name}"' in response.text


def test_create_redirects_to_the_new_enterprise(client_as, admin_a, team_a, connected, sim):
    """A valid form registers the enterprise; htmx is sent to its page."""
    data = form_data()
    response = client_as(admin_a).post(url("enterprise_create", team_a), data, headers=HX)
    enterprise = Enterprise.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == url("enterprise_detail", team_a, enterprise.pk)
    assert enterprise.legal_name == data["legal_name"]
    assert enterprise.data["billing_address"]["city"] == "Chicago"  # copied from the physical address
    assert enterprise.data["billing_contact"]["email"] == "billing@northwind.example"


def test_local_checks_block_bad_fein_and_incomplete_address(client_as, admin_a, team_a, connected):
    """P3 Block rules are inline errors under their fields; the typed values stay; nothing is sent."""
    data = form_data(
        fein="123-45",
        jurisdiction_of_incorporation="  ",
        organization_physical_address__city="",
        billing_same=None,
        billing_address__street_address="9 Side St",
    )
    response = client_as(admin_a).post(url("enterprise_create", team_a), data, headers=HX)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="enterprise-form"' in response.text
    assert "NN-NNNNNNN (two digits" in response.text
    assert 'id="id_organization_physical_address__city_error"' in response.text
    assert 'id="id_jurisdiction_of_incorporation_error"' in response.text
    assert 'id="id_billing_address__postal_code_error"' in response.text
    assert 'value="9 Side St"' in response.text and 'value="123-45"' in response.text
    assert not Enterprise.objects.exists()


def test_nine_digit_fein_is_normalised(client_as, admin_a, team_a, connected):
    """123456789 is accepted and sent as 12-3456789."""
    client_as(admin_a).post(url("enterprise_create", team_a), form_data(fein="123456789"), headers=HX)
    assert Enterprise.objects.get().data["fein"] == "12-3456789"


def test_legal_suffix_mismatch_warns_then_saves_when_confirmed(client_as, admin_a, team_a, connected):
    """P3 Warn: an 'Inc' name with legal form LLC asks for confirmation, then saves."""
    client = client_as(admin_a)
    data = form_data(legal_name="Northwind Clinic Inc", organization_legal_type="llc")
    response = client.post(url("enterprise_create", team_a), data, headers=HX)
    assert 'id="form-warnings"' in response.text and 'id="legal_name_warning"' in response.text
    assert "ends like a Corporation" in response.text
    assert not Enterprise.objects.exists()
    response = client.post(url("enterprise_create", team_a), {**data, "confirm_warnings": "on"}, headers=HX)
    assert "HX-Redirect" in response
    assert Enterprise.objects.get().legal_name == "Northwind Clinic Inc"


def test_remote_refusal_lands_on_the_field_named_by_the_pointer(client_as, admin_a, team_a, connected, sim):
    """A remote 422 whose pointer names a nested field shows under that field; the form keeps input."""
    # The form checks the format of e-mails itself, so make Telnyx refuse something it alone knows:
    # a second enterprise with the same legal name and FEIN (409, top of the form) and a website too long.
    client = client_as(admin_a)
    data = form_data(website="https://" + "x" * 260)
    response = client.post(url("enterprise_create", team_a), data, headers=HX)
    assert response.status_code == 200
    assert 'id="id_website_error"' in response.text  # max_length is checked locally too
    first = form_data()
    client.post(url("enterprise_create", team_a), first, headers=HX)
    again = client.post(url("enterprise_create", team_a), first, headers=HX)
    assert 'id="form-errors"' in again.text and "already exists" in again.text
    assert f'value="{first["legal_name"]}"' in again.text
    assert Enterprise.objects.count() == 1


def test_remote_422_pointer_maps_to_nested_form_field(client_as, admin_a, team_a, connected, monkeypatch):
    """`/body/organization_contact/email` from Telnyx becomes an error on organization_contact__email."""
    from portal import telnyx

    def refuse(self, body):
        item = telnyx.ErrorItem(
            code="10005", title="Invalid parameters", detail="email domain does not accept mail",
            pointer="/body/organization_contact/email",
        )  # fmt: skip
        raise telnyx.ApiValidationError(item.detail, status=422, errors=[item])

    monkeypatch.setattr(telnyx.TelnyxClient, "enterprise_create", refuse)
    response = client_as(admin_a).post(url("enterprise_create", team_a), form_data(), headers=HX)
    assert 'id="id_organization_contact__email_error"' in response.text
    assert "email domain does not accept mail" in response.text


def test_rate_limit_on_create_is_a_message_not_a_500(client_as, admin_a, team_a, connected, sim):
    """429 from Telnyx: the form comes back with a clear message at the top."""
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "^/v2/enterprises$", "retry_after": 5},
    )
    response = client_as(admin_a).post(url("enterprise_create", team_a), form_data(), headers=HX)
    assert response.status_code == 200
    assert "too many requests" in response.text and "5 seconds" in response.text


def test_full_page_post_without_htmx_works(client_as, admin_a, team_a, connected):
    """Without JavaScript the form posts normally and errors come back on a full page."""
    client = client_as(admin_a)
    bad = client.post(url("enterprise_create", team_a), form_data(fein="x"))
    assert bad.status_code == 200 and "<html" in bad.text
    good = client.post(url("enterprise_create", team_a), form_data())
    assert good.status_code == 302


@pytest.mark.parametrize("who", ["viewer_a", "member_a"])
def test_only_admins_write(client_as, request, team_a, enterprise, who):
    """Viewers and members get 403 on every enterprise write."""
    client = client_as(request.getfixturevalue(who))
    for name, args in (
        ("enterprise_create", ()),
        ("enterprise_update", (enterprise.pk,)),
        ("enterprise_delete", (enterprise.pk,)),
        ("enterprise_tos_agree", (enterprise.pk,)),
        ("enterprise_activate", (enterprise.pk,)),
    ):
        assert client.post(url(name, team_a, *args), form_data()).status_code == 403, name
    assert Enterprise.objects.filter(removed_at=None).count() == 1


def test_support_agent_reads_but_cannot_write(client_as, support_agent, team_a, enterprise):
    """Support agents open the page, and their POSTs are refused."""
    client = client_as(support_agent)
    assert client.get(url("enterprise_detail", team_a, enterprise.pk)).status_code == 200
    assert client.post(url("enterprise_delete", team_a, enterprise.pk)).status_code == 403


# --- edit -------------------------------------------------------------------------------------


def test_edit_shows_immutable_fields_read_only_and_saves(client_as, admin_a, team_a, enterprise, sim):
    """organization_type, country_code and role_type are shown, not editable; the rest saves."""
    client = client_as(admin_a)
    page = client.get(url("enterprise_update", team_a, enterprise.pk)).text
    assert 'data-testid="readonly-country_code">United States<' in page
    assert 'name="country_code"' not in page and 'name="organization_type"' not in page
    assert 'value="Northwind Clinic LLC"' in page
    data = form_data(legal_name="Northwind Health LLC", website="https://nh.example")
    for name in ("organization_type", "country_code", "role_type"):
        data.pop(name)
    response = client.post(url("enterprise_update", team_a, enterprise.pk), data, headers=HX)
    assert response["HX-Redirect"] == url("enterprise_detail", team_a, enterprise.pk)
    assert (
        sim.ok("GET", f"/v2/enterprises/{enterprise.remote_id}")["data"]["legal_name"]
        == "Northwind Health LLC"
    )
    enterprise.refresh_from_db()
    assert enterprise.legal_name == "Northwind Health LLC"


def test_edit_refused_remotely_keeps_what_was_typed(client_as, admin_a, team_a, enterprise, sim):
    """A 503 on save: a clear message at the top, the typed values kept, the mirror unchanged."""
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/enterprises/"})
    data = form_data(legal_name="Typed But Not Saved LLC")
    response = client_as(admin_a).post(url("enterprise_update", team_a, enterprise.pk), data, headers=HX)
    assert 'id="form-errors"' in response.text and "HTTP 503" in response.text
    assert 'value="Typed But Not Saved LLC"' in response.text
    enterprise.refresh_from_db()
    assert enterprise.legal_name == "Northwind Clinic LLC"


# --- delete -----------------------------------------------------------------------------------


def test_delete_goes_back_to_the_list(client_as, admin_a, team_a, enterprise):
    """Deleting redirects to the list with a message; the enterprise is gone from it."""
    response = client_as(admin_a).post(url("enterprise_delete", team_a, enterprise.pk), follow=True)
    assert "was deleted from Telnyx" in response.text
    assert "No enterprises yet" in response.text


def test_delete_refusal_is_shown_on_the_enterprise_page(client_as, admin_a, team_a, enterprise, sim):
    """Telnyx refusing (DIR in review) lands on the detail page as an error naming the reason."""
    sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")
    sim.ok("POST", f"/v2/enterprises/{enterprise.remote_id}/branded_calling")
    remote_dir = sim.dir(enterprise.remote_id)
    sim.ok("POST", f"/_sim/dir/{remote_dir['id']}/transition", json={"to": "in_review"})
    response = client_as(admin_a).post(url("enterprise_delete", team_a, enterprise.pk), follow=True)
    assert "was not deleted" in response.text and "in review" in response.text
    assert response.redirect_chain[-1][0] == url("enterprise_detail", team_a, enterprise.pk)


# --- terms of service and activation ---------------------------------------------------------


def test_terms_then_activation_through_the_card(client_as, admin_a, team_a, enterprise):
    """The card shows the terms version; accepting enables the activate button; activating turns it on."""
    client = client_as(admin_a)
    card = client.get(url("enterprise_activation", team_a, enterprise.pk), headers=HX).text
    assert "<html" not in card and 'id="branded-calling"' in card
    assert "Current version: v1.0.0" in card and 'id="activate" disabled' in card
    refused = client.post(url("enterprise_tos_agree", team_a, enterprise.pk), {}, headers=HX).text
    assert "Tick the box" in refused
    agreed = client.post(
        url("enterprise_tos_agree", team_a, enterprise.pk), {"accept": "yes"}, headers=HX
    ).text
    assert "Accepted version v1.0.0" in agreed and 'id="activate" disabled' not in agreed
    done = client.post(url("enterprise_activate", team_a, enterprise.pk), headers=HX).text
    assert 'data-testid="bc-enabled"' in done and "now active" in done
    assert 'id="bc-state"' in done and 'hx-swap-oob="true"' in done
    assert 'id="enterprise-dirs" hx-swap-oob="true"' in done and "No DIRs yet" in done
    enterprise.refresh_from_db()
    assert enterprise.branded_calling_enabled is True
    page = client.get(url("enterprise_detail", team_a, enterprise.pk)).text
    assert "Branded Calling is active." in page and "Create DIR" in page
    assert reverse("dirs:dir_create", args=[team_a.slug]) + f"?enterprise={enterprise.pk}" in page
    assert url("enterprise_activation", team_a, enterprise.pk) not in page  # nothing to load any more


def test_activation_without_terms_shows_why(client_as, admin_a, team_a, enterprise):
    """Activating before the terms are accepted explains it inside the card."""
    card = client_as(admin_a).post(url("enterprise_activate", team_a, enterprise.pk), headers=HX).text
    assert 'id="activation-error"' in card and "Accept the Branded Calling terms" in card


def test_activation_pending_polls_then_finishes(client_as, admin_a, team_a, enterprise, pending_activation):
    """While registration is pending the card shows progress and asks again in 3 s; then it is done."""
    client = client_as(admin_a)
    client.post(url("enterprise_tos_agree", team_a, enterprise.pk), {"accept": "yes"}, headers=HX)
    first = client.post(url("enterprise_activate", team_a, enterprise.pk), headers=HX).text
    assert 'data-testid="activation-pending"' in first and "Check 1 of 10" in first
    assert 'hx-trigger="load delay:3s"' in first and '"attempt": "2"' in first
    assert 'id="activation-error"' not in first
    second = client.post(url("enterprise_activate", team_a, enterprise.pk), {"attempt": "2"}, headers=HX).text
    assert "Check 2 of 10" in second and '"attempt": "3"' in second
    third = client.post(url("enterprise_activate", team_a, enterprise.pk), {"attempt": "3"}, headers=HX).text
    assert 'data-testid="bc-enabled"' in third and "load delay:3s" not in third


def test_activation_polling_is_bounded(client_as, admin_a, team_a, enterprise, pending_activation):
    """After the last attempt the card stops polling and offers a manual 'Check again'."""
    pending_activation.pending = 100
    client = client_as(admin_a)
    client.post(url("enterprise_tos_agree", team_a, enterprise.pk), {"accept": "yes"}, headers=HX)
    last = client.post(url("enterprise_activate", team_a, enterprise.pk), {"attempt": "10"}, headers=HX).text
    assert "load delay:3s" not in last and "Check again" in last
    assert "Check 10 of 10" in last


def test_card_when_telnyx_is_down(client_as, admin_a, team_a, enterprise, sim):
    """A failing terms-status read shows a message inside the card, never a 500."""
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "terms_of_service"})
    card = client_as(admin_a).get(url("enterprise_activation", team_a, enterprise.pk), headers=HX)
    assert card.status_code == 200 and 'id="tos-error"' in card.text
    assert "Telnyx is having trouble right now (HTTP 503). Try again in a moment." in card.text


def test_card_after_the_account_was_disconnected(client_as, admin_a, team_a, enterprise):
    """Credentials removed later: the card says to connect an account, the page still works."""
    TelnyxAccount.objects.filter(team=team_a).delete()
    card = client_as(admin_a).get(url("enterprise_activation", team_a, enterprise.pk), headers=HX)
    assert card.status_code == 200 and "Connect a Telnyx account first." in card.text
