"""Create, edit, submit and delete DIRs through the services and pages, against the simulator."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.core.exceptions import ServiceError
from portal.core.models import AuditEvent, StatusChange
from portal.dirs import services
from portal.dirs.forms import DirForm
from portal.dirs.models import Dir
from portal.documents.models import Document
from portal.enterprises.models import Enterprise
from portal.simulator import models as sim_models
from portal.sync import services as sync_services

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])


def form_data(enterprise: Enterprise | None = None, **overrides) -> dict:
    data = {
        "display_name": "Northwind Clinic",
        "call_reasons": ["Appointment reminders", "Billing inquiries"],
        "authorizer_name": "Ada Park",
        "authorizer_email": "ada.park@northwind.example",
        "certify_brand_is_accurate": "on",
        "certify_no_shaft_content": "on",
        "certify_ip_ownership": "on",
        "webhook_url": "https://portal.test/webhooks/telnyx/1/",
    }
    if enterprise is not None:
        data["enterprise"] = str(enterprise.pk)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def enterprise(sim, connected) -> Enterprise:
    """An activated enterprise on the simulator, mirrored."""
    sim.activated_enterprise()
    sync_services.account_sync(account=connected, full=True)
    return Enterprise.objects.get(team=connected.team)


def api_values(**overrides) -> dict:
    values = {
        "display_name": "Northwind Clinic",
        "call_reasons": ["Appointment reminders"],
        "authorizer_name": "Ada Park",
        "authorizer_email": "ada.park@northwind.example",
        "certify_brand_is_accurate": True,
        "certify_no_shaft_content": True,
        "certify_ip_ownership": True,
    }
    values.update(overrides)
    return values


# --- services


def test_create_mirrors_the_draft_with_a_timeline_row_and_an_audit_event(connected, enterprise, member_a):
    """A created DIR is mirrored from Telnyx's answer, with its first status change and an audit event."""
    dir_ = services.dir_create(enterprise=enterprise, values=api_values(), user=member_a)
    assert dir_.status == Dir.Status.DRAFT
    assert dir_.enterprise == enterprise
    assert StatusChange.objects.filter(dir_id=dir_.pk, to_status="draft", source="user").count() == 1
    assert AuditEvent.objects.filter(verb="dir_created", target_id=str(dir_.pk)).exists() is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"display_name": "x" * 36}, "display_name"),
        ({"certify_ip_ownership": False}, "certify_ip_ownership"),
        ({"call_reasons": []}, "call_reasons"),
        ({"logo_url": "https://cdn.example.com/logo.png"}, "logo_url"),
        ({"webhook_url": "http://portal.example.com/hook"}, "webhook_url"),
        ({"authorizer_email": "not-an-email"}, "authorizer_email"),
    ],
)
def test_each_kind_of_400_names_its_field_and_nothing_is_mirrored(
    connected, enterprise, member_a, overrides, field
):
    """Telnyx's refusal maps onto the field its source.pointer names; no local row is written."""
    with pytest.raises(ServiceError) as refused:
        services.dir_create(enterprise=enterprise, values=api_values(**overrides), user=member_a)
    assert field in [f for f, _m in refused.value.errors]
    assert not Dir.objects.exists()
    assert not AuditEvent.objects.filter(verb="dir_created").exists()


def test_create_on_an_enterprise_without_branded_calling_is_refused(sim, connected, member_a):
    sim.ok("POST", "/v2/terms_of_service/branded_calling/agree")
    sim.enterprise()
    sync_services.account_sync(account=connected, full=True)
    enterprise = Enterprise.objects.get()
    with pytest.raises(ServiceError) as refused:
        services.dir_create(enterprise=enterprise, values=api_values(), user=member_a)
    assert "Branded Calling" in refused.value.message
    assert not Dir.objects.exists()


def test_editing_a_verified_dir_sends_it_back_to_draft(make_dir, connected, member_a):
    dir_, _remote = make_dir("verified")
    updated = services.dir_update(dir=dir_, values={"display_name": "Northwind Care"}, user=member_a)
    assert updated.status == Dir.Status.DRAFT
    assert updated.display_name == "Northwind Care"
    assert StatusChange.objects.filter(dir_id=dir_.pk, from_status="verified", to_status="draft").count() == 1


def test_compose_save_needs_the_back_to_draft_confirmation_for_a_real_change(make_dir, connected, member_a):
    dir_, remote = make_dir("verified")
    common = {"enterprise": dir_.enterprise, "dir": dir_, "user": member_a}
    with pytest.raises(ServiceError) as refused:
        services.dir_compose_save(
            values=api_values(), changes={"display_name": "Northwind Care"}, confirm_draft=False, confirm_warnings=True,
            **common,
        )  # fmt: skip
    assert refused.value.errors[0][0] == "confirm_draft"
    dir_.refresh_from_db()
    assert (dir_.status, dir_.display_name) == ("verified", remote["display_name"])  # nothing was sent
    # A webhook URL alone keeps it verified: no confirmation asked.
    kept = services.dir_compose_save(
        values=api_values(), changes={"webhook_url": "https://hooks.example/telnyx"}, confirm_draft=False,
        confirm_warnings=True, **common,
    )  # fmt: skip
    assert kept.dir.status == Dir.Status.VERIFIED


def test_compose_save_holds_warnings_until_confirmed(connected, enterprise, member_a):
    values = api_values(display_name="Northwind Family Clinic")  # over 15 characters: a warning
    common = {"enterprise": enterprise, "dir": None, "user": member_a}
    held = services.dir_compose_save(
        values=values, changes=values, confirm_draft=False, confirm_warnings=False, **common
    )
    assert held.dir is None and held.warnings
    assert not Dir.objects.exists()
    saved = services.dir_compose_save(
        values=values, changes=values, confirm_draft=False, confirm_warnings=True, **common
    )
    assert saved.dir.display_name == "Northwind Family Clinic"
    assert [w.code for w in saved.warnings] == [w.code for w in held.warnings]


def test_editing_a_dir_in_review_is_refused_with_telnyx_message(sim, make_dir, connected, member_a):
    """The mirror still says draft; Telnyx's 400 is passed on and nothing changes locally."""
    dir_, remote = make_dir()
    sim.ok("POST", f"/_sim/dir/{remote['id']}/transition", json={"to": "in_review"})
    with pytest.raises(ServiceError) as refused:
        services.dir_update(dir=dir_, values={"display_name": "Other"}, user=member_a)
    assert "Cannot update DIR in 'in_review' status" in refused.value.message
    dir_.refresh_from_db()
    assert (dir_.display_name, dir_.status) == ("Northwind Clinic", "draft")


def test_editing_a_mirrored_in_review_dir_is_explained_without_calling_telnyx(make_dir, connected, member_a):
    dir_, _remote = make_dir("in_review")
    with pytest.raises(ServiceError) as refused:
        services.dir_update(dir=dir_, values={"display_name": "Other"}, user=member_a)
    assert "Telnyx is reviewing it" in refused.value.message


def test_submit_then_submitting_twice_is_refused(sim, make_dir, connected, member_a):
    dir_, remote = make_dir()
    submitted = services.dir_submit(dir=dir_, user=member_a)
    assert submitted.status == Dir.Status.SUBMITTED
    assert submitted.submitted_at is not None
    # A stale mirror (still draft) hears it from Telnyx instead.
    Dir.objects.filter(pk=dir_.pk).update(status="draft")
    dir_.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        services.dir_submit(dir=dir_, user=member_a)
    assert refused.value.code == "refused"
    assert Dir.objects.get(pk=dir_.pk).status == "draft"


def test_delete_mirrors_delete_requested(make_dir, connected, member_a):
    dir_, _remote = make_dir()
    deleted = services.dir_delete(dir=dir_, user=member_a)
    assert deleted.status == Dir.Status.DELETE_REQUESTED
    assert (
        StatusChange.objects.filter(dir_id=dir_.pk, to_status="delete_requested", source="user").exists()
        is True
    )
    assert AuditEvent.objects.filter(verb="dir_delete_requested").exists() is True
    # A second delete is refused here, without asking Telnyx again.
    with pytest.raises(ServiceError, match="already requested"):
        services.dir_delete(dir=deleted, user=member_a)
    assert AuditEvent.objects.filter(verb="dir_delete_requested").count() == 1


def test_delete_with_attached_numbers_is_refused_with_the_contract_message(
    sim, make_dir, connected, member_a
):
    dir_, remote = make_dir("verified")
    sim.inventory("+13125550111")
    sim.ok(
        "POST",
        f"/v2/dir/{remote['id']}/phone_numbers",
        201,
        json={"phone_numbers": ["+13125550111"], "documents": sim.loa()},
    )
    with pytest.raises(ServiceError) as refused:
        services.dir_delete(dir=dir_, user=member_a)
    assert "still attached" in refused.value.message
    assert Dir.objects.get(pk=dir_.pk).status == "verified"


def test_delete_with_an_open_claim_is_refused_409(sim, make_dir, connected, member_a):
    dir_, remote = make_dir("verified")
    sim.ok("POST", f"/_sim/dir/{remote['id']}/claims", 201, json={})
    with pytest.raises(ServiceError) as refused:
        services.dir_delete(dir=dir_, user=member_a)
    assert refused.value.code == "conflict"
    assert "claim" in refused.value.message


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            {"kind": "error", "status": 503},
            "Telnyx is having trouble right now (HTTP 503). "
            "The change may still have been applied: reload the page in a minute before trying again.",
        ),
        (
            {"kind": "rate_limit", "retry_after": 7},
            "Telnyx is rate-limiting this account: too many requests (HTTP 429). Try again in 7 seconds.",
        ),
    ],
)
def test_503_and_429_become_a_clear_message_and_nothing_is_mirrored(
    sim, connected, enterprise, member_a, fault, message
):
    sim.ok("POST", "/_sim/faults", 201, json={**fault, "pattern": "/dir$", "method": "POST"})
    with pytest.raises(ServiceError) as refused:
        services.dir_create(enterprise=enterprise, values=api_values(), user=member_a)
    assert refused.value.errors == [(None, message)]
    assert not Dir.objects.exists()


def test_document_upload_is_attached_recorded_and_listed(make_dir, connected, member_a):
    """A DIR's supporting document is uploaded once, recorded like an LOA (sha256, type), then attached."""
    dir_, _remote = make_dir()
    content = b"%PDF-1.4 articles"
    updated = services.dir_document_add(
        dir=dir_, file=SimpleUploadedFile("articles.pdf", content), document_type="articles_of_incorporation",
        user=member_a,
    )  # fmt: skip
    document = Document.objects.get()
    assert (document.team, document.kind, document.filename) == (
        dir_.team,
        "articles_of_incorporation",
        "articles.pdf",
    )
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert sim_models.Document.objects.get(id=document.remote_id).sha256 == document.sha256
    assert updated.documents == [
        {"document_id": document.remote_id, "document_type": "articles_of_incorporation", "description": None}
    ]
    assert AuditEvent.objects.filter(verb="document_uploaded", target_id=str(document.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="dir_document_attached", target_id=str(dir_.pk)).count() == 1


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("virus.exe", b"MZ", "Telnyx accepts PDF, PNG, JPEG, CSV, TXT, JSON, DOC(X) and XLS(X) files."),
        (
            "big.pdf",
            b"%PDF-" + b"0" * (20 * 1024 * 1024),
            "The file is larger than 20 MB, the Documents API's limit.",
        ),
        ("fake.pdf", b"hello", "The file ends in .pdf but is not a PDF."),
    ],
)
def test_documents_are_checked_locally_before_anything_is_sent(
    make_dir, connected, member_a, monkeypatch, filename, content, message
):
    """The Documents API's limits (type, size, a real PDF) are the documents app's, checked before an upload."""
    from portal import telnyx

    dir_, _remote = make_dir()
    monkeypatch.setattr(telnyx.TelnyxClient, "document_upload", lambda *a, **k: pytest.fail("sent"))
    with pytest.raises(ServiceError) as refused:
        services.dir_document_add(
            dir=dir_, file=SimpleUploadedFile(filename, content), document_type="business_registration",
            user=member_a,
        )  # fmt: skip
    assert refused.value.errors == [("file", message)]
    assert not Document.objects.exists()


def test_a_refused_attachment_forgets_the_upload(sim, make_dir, connected, member_a):
    """Telnyx refuses the DIR change: the error is on the file, and the unlinked upload is not kept."""
    dir_, remote = make_dir()
    sim.ok("POST", f"/_sim/dir/{remote['id']}/transition", json={"to": "in_review"})
    with pytest.raises(ServiceError) as refused:
        services.dir_document_add(
            dir=dir_, file=SimpleUploadedFile("ein.pdf", b"%PDF-1.4 ein"), document_type="ein_letter",
            user=member_a,
        )  # fmt: skip
    assert refused.value.code == "refused"
    assert [field for field, _m in refused.value.errors] == ["file"]
    assert "Cannot update DIR in 'in_review' status" in refused.value.errors[0][1]
    assert not Document.objects.exists()
    assert dir_.documents == []


def test_a_dir_holds_at_most_20_documents(make_dir, connected, member_a, monkeypatch):
    """The 21st document is refused before anything is uploaded (documents are append-only)."""
    from portal import telnyx

    dir_, _remote = make_dir()
    dir_.data = {
        **dir_.data,
        "documents": [{"document_id": f"d{i}", "document_type": "other"} for i in range(20)],
    }
    monkeypatch.setattr(telnyx.TelnyxClient, "document_upload", lambda *a, **k: pytest.fail("sent"))
    with pytest.raises(ServiceError) as refused:
        services.dir_document_add(
            dir=dir_, file=SimpleUploadedFile("x.pdf", b"%PDF-1.4"), document_type="other", user=member_a
        )
    assert refused.value.errors == [("file", "A DIR holds at most 20 documents.")]


def test_call_reasons_check_names_those_needing_manual_vetting(connected):
    result = services.call_reasons_check(
        team=connected.team, reasons=["Appointment reminders", "Patient Follow-up"]
    )
    assert result.requires_manual_vetting is True
    assert result.non_approved_reasons == ("Patient Follow-up",)


# --- pages


def test_create_page_limits_enterprises_to_branded_calling_ones(
    sim, connected, enterprise, client_as, member_a
):
    sim.enterprise(legal_name="Not Activated LLC")
    sync_services.account_sync(account=connected, full=True)
    response = client_as(member_a).get(reverse("dirs:dir_create", args=["acme"]))
    assert response.status_code == 200
    assert enterprise.legal_name in response.text
    assert "Not Activated LLC" not in response.text
    assert "/webhooks/telnyx/" in response.text  # the portal's own receiver, prefilled
    assert 'data-char-counter="35"' in response.text


def test_create_page_preselects_the_enterprise_it_was_opened_from(connected, enterprise, client_as, member_a):
    url = reverse("dirs:dir_create", args=["acme"])
    page = client_as(member_a).get(f"{url}?enterprise={enterprise.pk}").text
    assert f'<option value="{enterprise.pk}" selected>' in page
    for junk in ("abc", "999999", "-1", "²", "1e3"):  # not a choice: nothing preselected, and no error
        response = client_as(member_a).get(f"{url}?enterprise={junk}")
        assert response.status_code == 200
        assert f'<option value="{enterprise.pk}" selected>' not in response.text


def test_create_page_without_enterprises_links_to_enterprises(connected, client_as, member_a):
    response = client_as(member_a).get(reverse("dirs:dir_create", args=["acme"]))
    assert "No enterprise is ready for Branded Calling" in response.text
    assert reverse("enterprises:enterprise_list", args=["acme"]) in response.text


def test_create_post_redirects_to_the_new_dir(connected, enterprise, client_as, member_a, settings):
    """Warnings (a name over 15 characters) are shown first; "save anyway" creates the DIR."""
    settings.PORTAL_PUBLIC_URL = "https://portal.test"
    client = client_as(member_a)
    url = reverse("dirs:dir_create", args=["acme"])
    warned = client.post(url, form_data(enterprise))
    assert warned.status_code == 200
    assert 'id="dir-form-warnings"' in warned.text
    assert 'name="confirm_warnings"' in warned.text
    assert not Dir.objects.exists()
    response = client.post(url, form_data(enterprise, confirm_warnings="on"))
    dir_ = Dir.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dirs:dir_detail", args=["acme", dir_.pk])


def test_create_refused_by_telnyx_keeps_what_was_typed_in_the_fragment(
    connected, enterprise, client_as, member_a
):
    """An htmx POST gets the form fragment back with the remote error under its field."""
    data = form_data(
        enterprise,
        webhook_url="http://portal.example.com/hook",
        authorizer_name="Ada Q. Park",
        confirm_warnings="on",
    )
    response = client_as(member_a).post(
        reverse("dirs:dir_create", args=["acme"]), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="dir-form"' in response.text
    assert "id_webhook_url_error" in response.text
    assert 'value="Ada Q. Park"' in response.text
    assert not Dir.objects.exists()


def test_create_with_local_blocking_findings_never_calls_telnyx(connected, enterprise, client_as, member_a):
    data = form_data(enterprise, display_name="FBI Call Now 555-123-4567")
    response = client_as(member_a).post(reverse("dirs:dir_create", args=["acme"]), data)
    assert response.status_code == 200
    assert "id_display_name_error" in response.text
    assert not Dir.objects.exists()


def test_edit_of_a_verified_dir_needs_the_back_to_draft_confirmation(make_dir, client_as, member_a):
    dir_, _remote = make_dir("verified")
    url = reverse("dirs:dir_edit", args=["acme", dir_.pk])
    data = form_data(display_name="Northwind Care", webhook_url="")
    client = client_as(member_a)
    page = client.get(url)
    assert "back to draft" in page.text
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "id_confirm_draft_error" in refused.text
    assert Dir.objects.get(pk=dir_.pk).status == "verified"
    accepted = client.post(url, {**data, "confirm_draft": "on", "confirm_warnings": "on"})
    assert accepted.status_code == 302
    assert Dir.objects.get(pk=dir_.pk).status == "draft"


def test_edit_page_of_a_dir_in_review_explains_instead_of_a_form(make_dir, client_as, member_a):
    dir_, _remote = make_dir("in_review")
    response = client_as(member_a).get(reverse("dirs:dir_edit", args=["acme", dir_.pk]))
    assert response.status_code == 200
    assert 'id="dir-not-editable"' in response.text
    assert 'id="dir-form"' not in response.text


def test_submit_page_blocks_on_missing_documents_and_links_to_edit(make_dir, client_as, member_a):
    dir_, _remote = make_dir()
    response = client_as(member_a).get(reverse("dirs:dir_submit", args=["acme", dir_.pk]))
    assert response.status_code == 200
    assert 'data-code="P1"' in response.text
    assert reverse("dirs:dir_edit", args=["acme", dir_.pk]) in response.text
    refused = client_as(member_a).post(reverse("dirs:dir_submit", args=["acme", dir_.pk]))
    assert "Fix the problems below" in refused.text
    assert Dir.objects.get(pk=dir_.pk).status == "draft"


def test_submit_page_submits_once_checks_pass(sim, make_dir, client_as, member_a, monkeypatch):
    dir_, _remote = make_dir()
    monkeypatch.setattr("portal.dirs.checks.dir_checks", lambda **kwargs: [])
    client = client_as(member_a)
    response = client.post(reverse("dirs:dir_submit", args=["acme", dir_.pk]))
    assert response.status_code == 302
    assert Dir.objects.get(pk=dir_.pk).status == "submitted"
    again = client.post(reverse("dirs:dir_submit", args=["acme", dir_.pk]))
    assert again.status_code == 200
    assert "cannot be submitted" in again.text


def test_submit_page_without_a_telnyx_account_says_so(sim, make_dir, client_as, member_a, monkeypatch):
    dir_, _remote = make_dir()
    monkeypatch.setattr("portal.dirs.checks.dir_checks", lambda **kwargs: [])
    dir_.team.telnyx_account.delete()
    response = client_as(member_a).post(reverse("dirs:dir_submit", args=["acme", dir_.pk]))
    assert response.status_code == 200
    assert (
        "Connect a Telnyx account first. An admin can add the API key under Team settings › Telnyx account."
        in response.text
    )
    assert Dir.objects.get(pk=dir_.pk).status == "draft"


def test_delete_refusal_is_shown_in_the_modal_fragment(sim, make_dir, client_as, member_a):
    dir_, remote = make_dir("verified")
    sim.ok("POST", f"/_sim/dir/{remote['id']}/claims", 201, json={})
    from portal.numbers.models import DirNumber

    DirNumber.objects.create(dir=dir_, remote_id="n-1", phone_number="+13125550100", status="verified")
    response = client_as(member_a).post(
        reverse("dirs:dir_delete", args=["acme", dir_.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="dir-delete-errors"' in response.text
    assert "1 phone number is still attached" in response.text  # the modal keeps saying so


def test_delete_from_the_modal_redirects_the_client(make_dir, client_as, member_a):
    dir_, _remote = make_dir()
    response = client_as(member_a).post(
        reverse("dirs:dir_delete", args=["acme", dir_.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == reverse("dirs:dir_detail", args=["acme", dir_.pk])
    assert Dir.objects.get(pk=dir_.pk).status == "delete_requested"


@pytest.mark.parametrize("name", ["dir_edit", "dir_submit", "dir_delete"])
def test_viewers_cannot_write(make_dir, client_as, viewer_a, name):
    dir_, _remote = make_dir()
    response = client_as(viewer_a).post(reverse(f"dirs:{name}", args=["acme", dir_.pk]), {})
    assert response.status_code == 403


def test_viewer_post_to_create_is_refused(connected, client_as, viewer_a):
    assert client_as(viewer_a).post(reverse("dirs:dir_create", args=["acme"]), {}).status_code == 403


@pytest.mark.parametrize("name", ["dir_edit", "dir_submit"])
def test_another_teams_dir_is_404(make_dir, client_as, admin_b, name):
    dir_, _remote = make_dir()
    assert client_as(admin_b).get(reverse(f"dirs:{name}", args=["globex", dir_.pk])).status_code == 404


def test_call_reasons_check_fragment_shows_the_manual_vetting_hint(connected, client_as, member_a):
    response = client_as(member_a).post(
        reverse("dirs:call_reasons_check", args=["acme"]),
        {"call_reasons": ["Appointment reminders", "Patient Follow-up"]},
        headers={"HX-Request": "true"},
    )
    assert 'id="call-reasons-check"' in response.text
    assert "Needs manual vetting" in response.text
    assert "Patient Follow-up" in response.text


def test_document_add_fragment_lists_the_new_document(make_dir, client_as, member_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    dir_, _remote = make_dir()
    response = client_as(member_a).post(
        reverse("dirs:dir_document_add", args=["acme", dir_.pk]),
        {
            "document_type": "ein_letter",
            "file": SimpleUploadedFile("ein.pdf", b"%PDF-1.4 ein", "application/pdf"),
        },
        headers={"HX-Request": "true"},
    )
    assert 'id="dir-documents"' in response.text
    assert "EIN letter (IRS CP 575 / 147C)</strong>" in response.text  # the type's label, not its value
    assert "<html" not in response.text


def test_changing_only_the_webhook_of_a_verified_dir_needs_no_confirmation(
    make_dir, client_as, member_a, settings
):
    """Only the webhook changes: Telnyx keeps it verified, so the portal does not ask."""
    settings.PORTAL_PUBLIC_URL = "https://portal.test"
    dir_, remote = make_dir("verified", webhook_url=None)
    data = {**DirForm.initial_for(dir_), "webhook_url": "https://portal.test/webhooks/telnyx/1/"}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False, "")}
    data["confirm_warnings"] = "on"
    response = client_as(member_a).post(reverse("dirs:dir_edit", args=["acme", dir_.pk]), data)
    assert response.status_code == 302
    dir_.refresh_from_db()
    assert dir_.status == "verified"
    assert dir_.data["webhook_url"] == "https://portal.test/webhooks/telnyx/1/"


def test_call_reason_catalogue_remembers_a_failure_for_a_minute(sim, connected):
    from django.core.cache import cache

    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "call_reasons"})
    assert services.call_reason_catalogue(team=connected.team) == []
    sim.ok("DELETE", "/_sim/faults")
    # Telnyx answers again, but for a minute the pages do not wait on it a second time.
    assert services.call_reason_catalogue(team=connected.team) == []
    cache.clear()  # the minute is up
    reasons = services.call_reason_catalogue(team=connected.team)
    assert reasons and reasons == sorted(reasons)
