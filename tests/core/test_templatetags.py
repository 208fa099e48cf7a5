"""Template helpers shared by every page."""

from __future__ import annotations

from django.template import Context, Template


def test_status_label_names_statuses_as_people_read_them():
    rendered = Template(
        "{{ a|status_label }}|{{ b|status_label }}|{{ c|status_label }}|{{ d|status_label }}"
    ).render(Context({"a": "in_review", "b": "permanently_rejected", "c": "brand_new_state", "d": ""}))
    assert rendered == "In review|Permanently rejected|Brand new state|—"
