"""Status names and badges come from the apps that own the statuses; core knows none of them itself."""

from __future__ import annotations

from django.template import Context, Template

from portal.core import status


def test_each_app_registers_its_statuses_with_labels_and_badges():
    """The DIR app registered its statuses (labels, colours, hints); numbers share them."""
    verified = status.status_badge("verified")
    assert (verified.label, verified.css, verified.hint) == ("Verified", "bg-green-lt", "Approved")
    assert status.status_badge("permanently_rejected").css == "bg-red-lt"
    assert status.status_label("in_review") == "In review"
    assert status.status_label("removed") == "Removed"


def test_an_unknown_status_is_a_plain_readable_badge():
    """A status Telnyx adds one day shows as grey text, never as an error or an empty badge."""
    badge = status.status_badge("awaiting_carrier")
    assert (badge.label, badge.css, badge.hint) == ("Awaiting carrier", "bg-secondary-lt", "")
    assert status.status_label("") == "—"


def test_status_order_follows_the_lifecycle():
    assert status.status_order(["verified", "zz_unknown", "submitted", "in_review"]) == [
        "submitted",
        "in_review",
        "verified",
        "zz_unknown",
    ]


def test_the_shared_badge_partial_renders_the_registered_badge():
    html = Template('{% include "_status_badge.html" with status=s %}').render(Context({"s": "expired"}))
    assert 'class="badge bg-dark-lt"' in html
    assert 'title="Resubmit to renew"' in html
    assert ">Expired</span>" in html
