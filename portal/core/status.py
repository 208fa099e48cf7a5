"""Status names for every mirrored kind, registered by the apps that own them (core imports none).

Each domain app registers its status choices from its AppConfig.ready(); the `status_label`
template filter and the pages that list statuses read them from here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_labels: dict[str, object] = {}


def status_labels_register(choices) -> None:
    """Add (value, label) pairs; the first registration of a value fixes its label and its place."""
    for value, label in choices:
        _labels.setdefault(str(value), label)


def status_label(value: str) -> str:
    """The human name of a status ("in_review" → "In review"); an unknown one is made readable."""
    if not value:
        return "—"
    label = _labels.get(value)
    return str(label) if label is not None else value.replace("_", " ").capitalize()


def status_order(values) -> list[str]:
    """The values in the order their statuses were registered (the lifecycle order); unknown ones last."""
    place = {value: index for index, value in enumerate(_labels)}
    return sorted(values, key=lambda v: (place.get(v, len(place)), v))


# The timeline's own word for a number that left its DIR.
status_labels_register([("removed", _("Removed"))])
