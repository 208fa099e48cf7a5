"""Status names for every mirrored kind, registered by the apps that own them (core imports none).

Each domain app registers its status choices from its AppConfig.ready(); the `status_label`
template filter and the pages that list statuses read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

_labels: dict[str, object] = {}
_badges: dict[str, tuple[str, object]] = {}
PLAIN_BADGE = ("bg-secondary-lt", "")


@dataclass(frozen=True)
class Badge:
    """How a status looks everywhere (DESIGN.md "Status language"): text, colour class, meaning on hover."""

    label: str
    css: str
    hint: str


def status_labels_register(choices, *, badges: dict | None = None) -> None:
    """Add (value, label) pairs and their badges, {value: (css class, hint)}; the first registration wins."""
    for value, label in choices:
        _labels.setdefault(str(value), label)
    for value, badge in (badges or {}).items():
        _badges.setdefault(str(value), badge)


def status_label(value: str) -> str:
    """The human name of a status ("in_review" → "In review"); an unknown one is made readable."""
    if not value:
        return "—"
    label = _labels.get(value)
    return str(label) if label is not None else value.replace("_", " ").capitalize()


def status_badge(value: str) -> Badge:
    """The badge of a status; an unknown one is a plain grey badge with its readable name."""
    css, hint = _badges.get(value, PLAIN_BADGE)
    return Badge(label=status_label(value), css=css, hint=str(hint))


def status_order(values) -> list[str]:
    """The values in the order their statuses were registered (the lifecycle order); unknown ones last."""
    place = {value: index for index, value in enumerate(_labels)}
    return sorted(values, key=lambda v: (place.get(v, len(place)), v))


# The timeline's own word for a number that left its DIR.
status_labels_register(
    [("removed", _("Removed"))],
    badges={"removed": ("bg-secondary-lt text-decoration-line-through", _("Removed from the DIR"))},
)
