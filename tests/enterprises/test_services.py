"""Enterprise services against the simulator: every write, every documented refusal, remote failures."""

from __future__ import annotations

import httpx
import pytest

from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent
from portal.dirs import services as dir_services
from portal.dirs.models import Dir
from portal.enterprises import services
from portal.enterprises.models import Enterprise
from portal.telnyx import schemas
from tests.enterprises.conftest import api_body

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


@pytest.fixture
def enterprise(connected, team_a, admin_a) -> Enterprise:
    return services.enterprise_create(team=team_a, user=admin_a, data=api_body())


def _mirror_dir(team, enterprise: Enterprise, remote: dict) -> Dir:
    rows = dir_services.dirs_apply_remote(
        team=team,
        remotes=[schemas.Dir.from_dict(remote)],
        enterprises={enterprise.remote_id: enterprise},
        source="sync",
        at=enterprise.synced_at,
    )
    return rows[remote["id"]]


# --- create -----------------------------------------------------------------------------------


def test_create_registers_with_telnyx_mirrors_and_audits(connected, team_a, admin_a, sim):
    """A created enterprise exists remotely, is mirrored with the full object, and is audited."""
    body = api_body()
    enterprise = services.enterprise_create(team=team_a, user=admin_a, data=body)
    remote = sim.ok("GET", f"/v2/enterprises/{enterprise.remote_id}")["data"]
    assert remote["legal_name"] == body["legal_name"] == enterprise.legal_name
    assert enterprise.team == team_a
    assert enterprise.data["organization_contact"]["email"] == "ada@northwind.example"
    assert enterprise.branded_calling_enabled is False
    event = AuditEvent.objects.get(verb="enterprise_created")
    assert (event.actor, event.team, event.target_id) == (admin_a, team_a, str(enterprise.pk))


def test_create_refused_with_pointers_mirrors_nothing(connected, team_a, admin_a):
    """A 422 keeps each entry's source.pointer as a field path (nested ones too) and writes nothing locally."""
    body = api_body(legal_name="ab")
    body["organization_contact"] = {**body["organization_contact"], "email": "not-an-email"}
    with pytest.raises(ServiceError) as caught:
        services.enterprise_create(team=team_a, user=admin_a, data=body)
    assert caught.value.code == "refused"
    fields = {field for field, _message in caught.value.errors}
    assert {"legal_name", "organization_contact__email"} <= fields
    assert not Enterprise.objects.exists()
    assert not AuditEvent.objects.filter(verb="enterprise_created").exists()


def test_create_duplicate_is_refused_clearly(connected, team_a, admin_a):
    """The same legal name and FEIN twice: Telnyx's 409 becomes a conflict message."""
    body = api_body()
    services.enterprise_create(team=team_a, user=admin_a, data=body)
    with pytest.raises(ServiceError) as caught:
        services.enterprise_create(team=team_a, user=admin_a, data=body)
    assert caught.value.code == "conflict"
    assert "already exists" in caught.value.message
    assert Enterprise.objects.count() == 1


def test_without_a_telnyx_account_nothing_is_sent(team_a, admin_a):
    """No TelnyxAccount: a clear refusal, not a crash."""
    with pytest.raises(ServiceError) as caught:
        services.enterprise_create(team=team_a, user=admin_a, data=api_body())
    assert caught.value.code == "no_account"
    assert caught.value.message == (
        "Connect a Telnyx account first. An admin can add the API key under Team settings › Telnyx account."
    )


def test_create_rate_limited_says_how_long_to_wait(connected, team_a, admin_a, sim):
    """A 429 on the POST is not retried and becomes a 'wait N seconds' message."""
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "^/v2/enterprises$", "retry_after": 7},
    )
    with pytest.raises(ServiceError) as caught:
        services.enterprise_create(team=team_a, user=admin_a, data=api_body())
    assert caught.value.code == "rate_limited"
    assert caught.value.message == (
        "Telnyx is rate-limiting this account: too many requests (HTTP 429). Try again in 7 seconds."
    )
    assert not Enterprise.objects.exists()


def test_create_503_says_it_may_have_been_applied(connected, team_a, admin_a, sim):
    """A 5xx on a write: Telnyx may or may not have applied it, and the message says so."""
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "^/v2/enterprises"})
    with pytest.raises(ServiceError) as caught:
        services.enterprise_create(team=team_a, user=admin_a, data=api_body())
    assert caught.value.code == "unavailable"
    assert caught.value.message == (
        "Telnyx is having trouble right now (HTTP 503). "
        "The change may still have been applied: reload the page in a minute before trying again."
    )


def test_create_timeout_is_a_clear_message(connected, team_a, admin_a, route_through):
    """A timeout is reported as such, never raised as a bare exception."""

    def timeout(request):
        raise httpx.ReadTimeout("slow", request=request)

    route_through(httpx.MockTransport(timeout))
    with pytest.raises(ServiceError) as caught:
        services.enterprise_create(team=team_a, user=admin_a, data=api_body())
    assert caught.value.code == "unavailable"
    assert caught.value.message.startswith("Telnyx did not answer in time (the request timed out). ")


# --- update -----------------------------------------------------------------------------------


def test_update_sends_the_full_mutable_set_and_mirrors(enterprise, team_a, admin_a, sim):
    """An edit changes the named fields remotely, keeps the others, and audits which changed."""
    services.enterprise_update(
        team=team_a,
        user=admin_a,
        enterprise=enterprise,
        data={"legal_name": "Northwind Health LLC", "website": "https://northwind-health.example"},
    )
    remote = sim.ok("GET", f"/v2/enterprises/{enterprise.remote_id}")["data"]
    assert remote["legal_name"] == "Northwind Health LLC"
    assert remote["fein"] == "12-3456789"  # untouched fields survive
    enterprise.refresh_from_db()
    assert enterprise.legal_name == "Northwind Health LLC"
    assert enterprise.data["website"] == "https://northwind-health.example"
    event = AuditEvent.objects.get(verb="enterprise_updated")
    assert "legal_name" in event.details["fields"] and "website" in event.details["fields"]


def test_update_refused_keeps_the_mirror(enterprise, team_a, admin_a):
    """A 422 on the edit leaves the mirrored enterprise as it was."""
    with pytest.raises(ServiceError) as caught:
        services.enterprise_update(team=team_a, user=admin_a, enterprise=enterprise, data={"fein": "nope"})
    assert caught.value.code == "refused"
    assert [field for field, _message in caught.value.errors] == ["fein"]
    enterprise.refresh_from_db()
    assert enterprise.data["fein"] == "12-3456789"


def test_update_of_an_enterprise_gone_remotely(enterprise, team_a, admin_a, sim):
    """Deleted in Telnyx meanwhile: 'no longer exists', nothing written."""
    sim.ok("DELETE", f"/v2/enterprises/{enterprise.remote_id}", 204)
    with pytest.raises(ServiceError) as caught:
        services.enterprise_update(team=team_a, user=admin_a, enterprise=enterprise, data={"website": ""})
    assert caught.value.code == "not_found"
    assert caught.value.message == "This enterprise no longer exists in Telnyx."


# --- delete -----------------------------------------------------------------------------------


def test_delete_removes_remotely_and_marks_the_mirror(enterprise, team_a, admin_a, sim):
    """A deleted enterprise and its DIRs are marked removed locally (never silently deleted)."""
    sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")
    sim.ok("POST", f"/v2/enterprises/{enterprise.remote_id}/branded_calling")
    dir_ = _mirror_dir(team_a, enterprise, sim.dir(enterprise.remote_id))
    services.enterprise_delete(team=team_a, user=admin_a, enterprise=enterprise)
    assert sim.get(f"/v2/enterprises/{enterprise.remote_id}").status_code == 404
    enterprise.refresh_from_db()
    dir_.refresh_from_db()
    assert enterprise.removed_at is not None and dir_.removed_at is not None
    assert AuditEvent.objects.filter(verb="enterprise_deleted", team=team_a).count() == 1


def test_delete_refused_while_a_dir_is_in_review(enterprise, team_a, admin_a, sim):
    """Telnyx's 400 (DIR in review) is shown with its detail; the mirror is untouched."""
    sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")
    sim.ok("POST", f"/v2/enterprises/{enterprise.remote_id}/branded_calling")
    remote_dir = sim.dir(enterprise.remote_id)
    sim.ok("POST", f"/_sim/dir/{remote_dir['id']}/transition", json={"to": "in_review"})
    with pytest.raises(ServiceError) as caught:
        services.enterprise_delete(team=team_a, user=admin_a, enterprise=enterprise)
    assert caught.value.code == "refused"
    assert caught.value.message.startswith("Telnyx refused this: ")
    assert remote_dir["id"] in caught.value.message and "in review" in caught.value.message
    enterprise.refresh_from_db()
    assert enterprise.removed_at is None
    assert not AuditEvent.objects.filter(verb="enterprise_deleted").exists()


def test_delete_refused_by_an_open_infringement_claim(enterprise, team_a, admin_a, sim):
    """Telnyx's 409 (unresolved claim on a DIR) is shown as a conflict."""
    sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")
    sim.ok("POST", f"/v2/enterprises/{enterprise.remote_id}/branded_calling")
    remote_dir = sim.dir(enterprise.remote_id)
    sim.ok("POST", f"/_sim/dir/{remote_dir['id']}/transition", json={"to": "verified"})
    sim.ok("POST", f"/_sim/dir/{remote_dir['id']}/claims", 201, json={})
    with pytest.raises(ServiceError) as caught:
        services.enterprise_delete(team=team_a, user=admin_a, enterprise=enterprise)
    assert caught.value.code == "conflict"
    assert "infringement" in caught.value.message
    enterprise.refresh_from_db()
    assert enterprise.removed_at is None


def test_delete_of_an_enterprise_already_gone_remotely(enterprise, team_a, admin_a, sim):
    """A 404 on delete means it is gone already: the mirror catches up."""
    sim.ok("DELETE", f"/v2/enterprises/{enterprise.remote_id}", 204)
    services.enterprise_delete(team=team_a, user=admin_a, enterprise=enterprise)
    enterprise.refresh_from_db()
    assert enterprise.removed_at is not None


# --- terms of service and activation ---------------------------------------------------------


def test_tos_status_then_agree(connected, team_a, admin_a):
    """The status names the current version; agreeing records it, is idempotent and audited."""
    status = services.tos_status_get(team=team_a)
    assert status["has_agreed"] is False and status["current_terms_version"] == "v1.0.0"
    agreement = services.tos_agree(team=team_a, user=admin_a)
    assert agreement["terms_version"] == "v1.0.0"
    assert services.tos_agree(team=team_a, user=admin_a)["id"] == agreement["id"]
    assert services.tos_status_get(team=team_a)["has_agreed"] is True
    assert AuditEvent.objects.filter(verb="tos_agreed", details__terms_version="v1.0.0").count() == 2


def test_a_new_terms_version_asks_again(connected, team_a, admin_a, sim):
    """After Telnyx publishes new terms the old agreement no longer counts."""
    services.tos_agree(team=team_a, user=admin_a)
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"branded_calling_terms_version": "v2.0.0"})
    status = services.tos_status_get(team=team_a)
    assert (status["has_agreed"], status["agreed_version"], status["current_terms_version"]) == (
        False,
        "v1.0.0",
        "v2.0.0",
    )


def test_tos_status_when_telnyx_is_down(connected, team_a, sim):
    """A read that keeps failing (after the client's GET retries) is a 'try again' message."""
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "terms_of_service"})
    with pytest.raises(ServiceError) as caught:
        services.tos_status_get(team=team_a)
    assert caught.value.code == "unavailable"
    assert caught.value.message == "Telnyx is having trouble right now (HTTP 503). Try again in a moment."


def test_activation_needs_the_terms(enterprise, team_a, admin_a):
    """Without the terms accepted, Telnyx's 403 becomes a 'tos_required' refusal."""
    with pytest.raises(ServiceError) as caught:
        services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
    assert caught.value.code == "tos_required"
    enterprise.refresh_from_db()
    assert enterprise.branded_calling_enabled is False


def test_activation_enables_mirrors_and_audits_once(enterprise, team_a, admin_a):
    """Activation mirrors branded_calling_enabled; a repeat call is harmless and not re-audited."""
    services.tos_agree(team=team_a, user=admin_a)
    activated = services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
    assert activated.branded_calling_enabled is True
    services.enterprise_activate(team=team_a, user=admin_a, enterprise=activated)
    assert AuditEvent.objects.filter(verb="branded_calling_activated").count() == 1


def test_activation_pending_then_done(enterprise, team_a, admin_a, pending_activation):
    """'Registration has not completed' is ActivationPending (not an error) until Telnyx is done."""
    services.tos_agree(team=team_a, user=admin_a)
    for _ in range(2):
        with pytest.raises(services.ActivationPending):
            services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
        enterprise.refresh_from_db()
        assert enterprise.branded_calling_enabled is False
    activated = services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
    assert activated.branded_calling_enabled is True
    assert pending_activation.activation_calls == 3


def test_activation_refused_outside_the_us(connected, team_a, admin_a):
    """A Canadian enterprise: Telnyx's 400 is shown as it is."""
    body = api_body(country_code="CA")
    enterprise = services.enterprise_create(team=team_a, user=admin_a, data=body)
    services.tos_agree(team=team_a, user=admin_a)
    with pytest.raises(ServiceError) as caught:
        services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
    assert caught.value.code == "refused"
    assert "United States" in caught.value.message


def test_activation_refused_without_credit(enterprise, team_a, admin_a, sim):
    """No available credit: 'add funds and retry'."""
    services.tos_agree(team=team_a, user=admin_a)
    sim.ok("PATCH", f"/_sim/accounts/{sim.key}", json={"credit_available": False})
    with pytest.raises(ServiceError) as caught:
        services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
    assert caught.value.code == "refused"
    assert "credit" in caught.value.message


def test_activation_rate_limited(enterprise, team_a, admin_a, sim):
    """A 429 on activation is a wait message, not a crash."""
    services.tos_agree(team=team_a, user=admin_a)
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "branded_calling$", "retry_after": 3},
    )
    with pytest.raises(ServiceError) as caught:
        services.enterprise_activate(team=team_a, user=admin_a, enterprise=enterprise)
    assert caught.value.code == "rate_limited"
