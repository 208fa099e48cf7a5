"""The DIR detail page: mirror-only page and status poll, remote comment and claim cards, guidance."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.core.models import AuditEvent
from portal.dirs import services
from portal.dirs.models import Dir

pytestmark = pytest.mark.django_db(databases=["default", "simulator"])

HX = {"headers": {"HX-Request": "true"}}


def url(name: str, dir_: Dir, *args, team: str = "acme") -> str:
    return reverse(f"dirs:{name}", args=[team, dir_.pk, *args])


# --- page and status


def test_detail_page_renders_from_the_mirror(make_dir, sim, client_as, member_a):
    """The full page shows identity, documents, numbers, timeline and lazy cards; no status poll once verified."""
    docs = [
        {"document_id": sim.document()["id"], "document_type": "ein_letter", "description": "IRS CP 575"},
        {
            "document_id": sim.document()["id"],
            "document_type": "articles_of_incorporation",
            "description": "Certificate of formation",
        },
    ]
    dir_, remote = make_dir("verified", documents=docs)
    response = client_as(member_a).get(url("dir_detail", dir_))
    assert response.status_code == 200
    html = response.text
    assert "<html" in html
    assert remote["display_name"] in html
    assert dir_.enterprise.legal_name in html
    assert "Appointment reminders" in html
    assert 'id="dir-status"' in html and 'hx-trigger="every 5s"' not in html
    assert 'id="dir-comments"' in html and 'hx-trigger="load, dir-comments-changed from:body"' in html
    assert 'id="dir-claims"' in html
    assert 'id="dir-comment-form"' in html  # members may reply
    assert "Ada Park" in html and "ada.park@northwind.example" in html
    # Each type by its label in the one vocabulary (documents.models.DocumentType), never its value.
    assert ">EIN letter (IRS CP 575 / 147C)</td>" in html and "Certificate of formation" in html
    assert ">Articles of incorporation</td>" in html and ">ein_letter<" not in html
    assert 'id="dir-reasons"' not in html


def test_detail_page_links_to_the_dirs_numbers_and_batches(make_dir, client_as, member_a, viewer_a):
    """Members of a verified DIR may add numbers; everyone sees the numbers and batches pages."""
    dir_, _ = make_dir("verified")
    numbers = reverse("numbers:number_list", args=["acme", dir_.pk])
    batches = reverse("numbers:batch_list", args=["acme", dir_.pk])
    add = reverse("numbers:number_add", args=["acme", dir_.pk])
    member_page = client_as(member_a).get(url("dir_detail", dir_)).text
    assert numbers in member_page and batches in member_page and add in member_page
    viewer_page = client_as(viewer_a).get(url("dir_detail", dir_)).text
    assert numbers in viewer_page and add not in viewer_page
    rejected, _ = make_dir("rejected")
    assert (
        reverse("numbers:number_add", args=["acme", rejected.pk])
        not in client_as(member_a).get(url("dir_detail", rejected)).text
    )


def test_status_partial_polls_while_in_review_and_not_once_verified(make_dir, client_as, member_a):
    """hx-trigger every 5s only on a transitional status (STYLE.md rule 7)."""
    dir_, _ = make_dir("in_review")
    client = client_as(member_a)
    polling = client.get(url("dir_status", dir_), **HX)
    assert polling.status_code == 200
    assert "<html" not in polling.text
    assert 'id="dir-status"' in polling.text and 'hx-trigger="every 5s"' in polling.text
    assert 'hx-trigger="every 5s"' in client.get(url("dir_detail", dir_)).text

    Dir.objects.filter(pk=dir_.pk).update(status=Dir.Status.VERIFIED)
    final = client.get(url("dir_status", dir_), **HX)
    assert 'id="dir-status"' in final.text
    assert "hx-trigger" not in final.text


def test_status_poll_reloads_the_page_once_decided(make_dir, client_as, member_a):
    """A poller that showed in_review gets HX-Refresh when the mirror says verified."""
    dir_, _ = make_dir("verified")
    response = client_as(member_a).get(url("dir_status", dir_) + "?shown=in_review", **HX)
    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"


def test_status_poll_queues_a_refresh_that_moves_the_mirror(
    make_dir, sim, client_as, member_a, django_capture_on_commit_callbacks
):
    """The poll reads the mirror, and queues one throttled sync of the DIR (tasks run inline in tests)."""
    dir_, remote = make_dir("in_review")
    sim.ok("POST", f"/_sim/dir/{remote['id']}/transition", json={"to": "verified"})
    Dir.objects.filter(pk=dir_.pk).update(refresh_requested_at=timezone.now() - timedelta(seconds=30))
    client = client_as(member_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = client.get(url("dir_status", dir_) + "?shown=in_review", **HX)
    assert len(callbacks) == 1
    assert 'hx-trigger="every 5s"' in first.text  # rendered from the mirror as it was
    dir_.refresh_from_db()
    assert dir_.status == Dir.Status.VERIFIED
    assert client.get(url("dir_status", dir_) + "?shown=in_review", **HX).headers["HX-Refresh"] == "true"


def test_status_refresh_is_throttled_per_dir(make_dir, django_capture_on_commit_callbacks):
    """At most one refresh per 10 s per DIR; none for decided DIRs."""
    dir_, _ = make_dir("in_review")
    Dir.objects.filter(pk=dir_.pk).update(refresh_requested_at=timezone.now() - timedelta(seconds=11))
    dir_.refresh_from_db()
    synced_at = dir_.synced_at
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.dir_status_refresh(dir=dir_) is True
        assert services.dir_status_refresh(dir=dir_) is False
    assert len(callbacks) == 1
    dir_.refresh_from_db()
    assert dir_.synced_at == synced_at  # asking for a refresh is not a sync ("Last synced" stays true)
    Dir.objects.filter(pk=dir_.pk).update(refresh_requested_at=timezone.now() - timedelta(seconds=9))
    assert services.dir_status_refresh(dir=dir_) is False
    Dir.objects.filter(pk=dir_.pk).update(status=Dir.Status.VERIFIED, refresh_requested_at=None)
    dir_.refresh_from_db()
    assert services.dir_status_refresh(dir=dir_) is False


# --- rejection guidance


def test_rejected_dir_shows_guidance_for_a_known_code(make_dir, client_as, member_a):
    """Cause, fix, retry and the vetting team's message for a catalogued code."""
    dir_, _ = make_dir("rejected", reasons=["documentation_incomplete"])
    html = client_as(member_a).get(url("dir_detail", dir_)).text
    assert 'id="dir-reasons"' in html
    assert 'data-code="documentation_incomplete"' in html
    assert "Your documents don&#x27;t prove that the company exists" in html
    assert "Edit the DIR › Documents" in html
    assert "Can be resubmitted" in html
    assert "Message from the vetting team" in html


def test_rejected_dir_shows_raw_fields_for_an_unknown_code(make_dir, client_as, member_a):
    """An unknown code still shows its code, title, detail and message."""
    reason = {
        "code": "mystery_check",
        "title": "Mystery check",
        "detail": "Odd finding.",
        "message": "Call us.",
    }
    dir_, _ = make_dir("rejected", reasons=[reason])
    html = client_as(member_a).get(url("dir_detail", dir_)).text
    for text in ("mystery_check", "Mystery check", "Odd finding.", "Call us.", "no guidance for this reason"):
        assert text in html


def test_permanently_rejected_says_it_is_final(make_dir, client_as, member_a):
    dir_, _ = make_dir("permanently_rejected", reasons=["infringement_claim_upheld"])
    html = client_as(member_a).get(url("dir_detail", dir_)).text
    assert "Final — cannot be retried" in html
    assert "Why it was permanently rejected" in html


# --- comments


def test_comments_partial_lists_the_vetting_thread(make_dir, client_as, member_a):
    """The rejection posts a comment on the simulator; the fragment shows it."""
    dir_, _ = make_dir("rejected", reasons=["documentation_incomplete"])
    response = client_as(member_a).get(url("dir_comments", dir_), **HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="dir-comments"' in response.text
    assert "Rejection reason" in response.text
    assert 'hx-trigger="dir-comments-changed from:body"' in response.text


def test_comment_reply_posts_to_telnyx_and_is_audited(make_dir, sim, client_as, member_a):
    """A reply reaches the simulator, the form comes back empty, and the thread is told to reload."""
    dir_, remote = make_dir("rejected", reasons=["documentation_incomplete"])
    response = client_as(member_a).post(
        url("dir_comment_create", dir_), {"content": "Uploaded the EIN letter just now."}, **HX
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="dir-comment-form"' in response.text and "Sent to the vetting team" in response.text
    assert "dir-comments-changed" in response.headers["HX-Trigger-After-Settle"]
    thread = sim.ok("GET", f"/v2/dir/{remote['id']}/comments")["data"]
    assert [c["content"] for c in thread if c["author_role"] == "customer"] == [
        "Uploaded the EIN letter just now."
    ]
    event = AuditEvent.objects.get(verb="dir_comment_posted")
    assert event.actor == member_a and event.target_id == str(dir_.pk)


def test_comment_reply_shows_errors_inline(make_dir, client_as, member_a):
    """A blank reply and a remote 400 (unknown parent) re-render the form with the error, status 200."""
    dir_, _ = make_dir("rejected", reasons=["documentation_incomplete"])
    client = client_as(member_a)
    blank = client.post(url("dir_comment_create", dir_), {"content": "   "}, **HX)
    assert blank.status_code == 200 and "is-invalid" in blank.text
    remote_error = client.post(
        url("dir_comment_create", dir_), {"content": "Hello", "parent_comment_id": str(uuid.uuid4())}, **HX
    )
    assert remote_error.status_code == 200
    assert 'id="form-errors"' in remote_error.text
    assert "HX-Trigger-After-Settle" not in remote_error.headers
    assert not AuditEvent.objects.filter(verb="dir_comment_posted").exists()


def test_remote_failure_on_comments_says_it_could_not_load(make_dir, sim, client_as, member_a):
    """A 503 from Telnyx gives the card a retry, never a 500."""
    dir_, _ = make_dir("verified")
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "error", "status": 503, "pattern": "/comments", "method": "GET"},
    )
    response = client_as(member_a).get(url("dir_comments", dir_), **HX)
    assert response.status_code == 200
    assert "Couldn't load the conversation" in response.text
    assert "Telnyx is having trouble right now (HTTP 503). Try again in a moment." in response.text
    assert f'hx-get="{url("dir_comments", dir_)}"' in response.text  # the retry button


def test_rate_limit_on_claims_says_it_could_not_load(make_dir, sim, client_as, member_a):
    dir_, _ = make_dir("verified")
    sim.ok(
        "POST",
        "/_sim/faults",
        201,
        json={"kind": "rate_limit", "pattern": "infringement_claims", "retry_after": 1},
    )
    response = client_as(member_a).get(url("dir_claims", dir_), **HX)
    assert response.status_code == 200
    assert "Couldn't load the claims" in response.text
    assert (
        "Telnyx is rate-limiting this account: too many requests (HTTP 429). Try again in 1 second."
        in response.text
    )


# --- claims


@pytest.fixture
def claimed(make_dir, sim):
    dir_, remote = make_dir("verified")
    claim = sim.ok("POST", f"/_sim/dir/{remote['id']}/claims", 201, json={"claimant_name": "Contoso Ltd."})[
        "data"
    ]
    return dir_, claim


def test_claims_partial_shows_open_claims_with_a_contest_form(claimed, client_as, member_a, viewer_a):
    dir_, claim = claimed
    response = client_as(member_a).get(url("dir_claims", dir_), **HX)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="dir-claims"' in response.text
    assert "Contoso Ltd." in response.text
    assert f'id="dir-claim-contest-{claim["id"]}"' in response.text
    viewer = client_as(viewer_a).get(url("dir_claims", dir_), **HX)
    assert "Contoso Ltd." in viewer.text and "dir-claim-contest" not in viewer.text


def test_contest_a_claim(claimed, sim, client_as, member_a):
    """The contest reaches Telnyx (pending → contested), is audited, and the card reloads."""
    dir_, claim = claimed
    response = client_as(member_a).post(
        url("dir_claim_contest", dir_, claim["id"]),
        {"contest_notes": "We have used this name since 2009; US trademark 1234567."},
        **HX,
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "Contest sent to Telnyx" in response.text
    assert "dir-claims-changed" in response.headers["HX-Trigger-After-Settle"]
    assert sim.ok("GET", f"/v2/infringement_claims/{claim['id']}")["data"]["status"] == "contested"
    assert AuditEvent.objects.get(verb="dir_claim_contested").details["claim"] == claim["id"]


def test_contest_errors_are_inline(claimed, sim, client_as, member_a):
    """Too-short notes fail locally; a resolved claim's 400 shows above the form."""
    dir_, claim = claimed
    client = client_as(member_a)
    short = client.post(url("dir_claim_contest", dir_, claim["id"]), {"contest_notes": "no"}, **HX)
    assert short.status_code == 200 and "is-invalid" in short.text
    sim.ok("POST", f"/_sim/claims/{claim['id']}/resolve", json={"resolution": "rejected"})
    resolved = client.post(
        url("dir_claim_contest", dir_, claim["id"]), {"contest_notes": "We still disagree with it."}, **HX
    )
    assert resolved.status_code == 200
    assert "resolved and cannot be contested" in resolved.text
    assert not AuditEvent.objects.filter(verb="dir_claim_contested").exists()


def test_a_claim_of_another_dir_cannot_be_contested_through_this_one(
    claimed, make_dir, sim, client_as, member_a
):
    """The claim id comes from the browser: only a claim against this DIR may be contested here."""
    _claimed_dir, claim = claimed
    other, _ = make_dir("verified")
    response = client_as(member_a).post(
        url("dir_claim_contest", other, claim["id"]),
        {"contest_notes": "We have used this name since 2009."},
        **HX,
    )
    assert response.status_code == 200
    assert "not against this DIR" in response.text
    assert sim.ok("GET", f"/v2/infringement_claims/{claim['id']}")["data"]["status"] == "pending"
    assert not AuditEvent.objects.filter(verb="dir_claim_contested").exists()
    assert (
        client_as(member_a).post(f"/t/acme/dirs/{other.pk}/claims/..%2F..%2Fdir/contest/").status_code == 404
    )


# --- numbers


def test_number_summary_counts_attached_numbers_by_status(make_dir, client_as, member_a):
    from portal.numbers.models import DirNumber, NumberStatus

    dir_, _ = make_dir("verified")
    for i, status in enumerate([NumberStatus.VERIFIED, NumberStatus.VERIFIED, NumberStatus.IN_REVIEW]):
        DirNumber.objects.create(dir=dir_, remote_id=f"n{i}", phone_number=f"+1312555010{i}", status=status)
    DirNumber.objects.create(
        dir=dir_, remote_id="gone", phone_number="+13125550199", status="verified", removed_at=timezone.now()
    )
    html = client_as(member_a).get(url("dir_detail", dir_)).text
    assert "3 numbers attached" in html
    assert 'id="dir-number-counts"' in html


# --- access


def test_viewer_and_support_see_everything_but_cannot_act(make_dir, client_as, viewer_a, support_agent):
    dir_, _ = make_dir("rejected", reasons=["documentation_incomplete"])
    for user in (viewer_a, support_agent):
        client = client_as(user)
        response = client.get(url("dir_detail", dir_))
        assert response.status_code == 200
        assert 'data-code="documentation_incomplete"' in response.text
        assert 'id="dir-comment-form"' not in response.text
        assert client.post(url("dir_comment_create", dir_), {"content": "hi"}, **HX).status_code == 403
        assert (
            client.post(
                url("dir_claim_contest", dir_, "00000000-0000-4000-8000-000000000000"),
                {"contest_notes": "x" * 20},
            ).status_code
            == 403
        )


def test_another_teams_dir_is_404(make_dir, client_as, admin_b, member_a, team_b):
    dir_, _ = make_dir("verified")
    assert client_as(admin_b).get(url("dir_detail", dir_)).status_code == 404
    assert client_as(admin_b).get(url("dir_detail", dir_, team="globex")).status_code == 404
    assert client_as(admin_b).get(url("dir_comments", dir_, team="globex"), **HX).status_code == 404
    assert client_as(member_a).get(reverse("dirs:dir_detail", args=["acme", 999999])).status_code == 404


def test_detail_page_query_count_is_bounded(make_dir, client_as, member_a, django_assert_max_num_queries):
    from portal.numbers.models import DirNumber

    dir_, _ = make_dir("rejected", reasons=["documentation_incomplete", "website_unverifiable"])
    for i in range(5):
        DirNumber.objects.create(
            dir=dir_, remote_id=f"q{i}", phone_number=f"+1312555020{i}", status="verified"
        )
    client = client_as(member_a)
    client.get(url("dir_detail", dir_))  # warm the session
    with django_assert_max_num_queries(10):
        assert client.get(url("dir_detail", dir_)).status_code == 200
    with django_assert_max_num_queries(7):  # auth, session, membership, the DIR; no remote call
        assert client.get(url("dir_status", dir_), **HX).status_code == 200
