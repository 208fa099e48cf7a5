"""Forms of the numbers app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.numbers.models import NumberStatus

# --- Numbers and batches pages, removal

NUMBER_SORT_CHOICES = [
    ("number", _("Number, ascending")),
    ("-number", _("Number, descending")),
    ("status", _("Status")),
    ("-added", _("Newest first")),
    ("added", _("Oldest first")),
]
PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]


class NumberFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *NumberStatus.choices]
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=32,
        widget=forms.SearchInput(
            attrs={"placeholder": _("Digits, e.g. 5551234"), "autocomplete": "off", "inputmode": "tel"}
        ),
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=NUMBER_SORT_CHOICES)
    per_page = forms.TypedChoiceField(
        label=_("Per page"), required=False, coerce=int, choices=PER_PAGE_CHOICES, empty_value=25
    )


class PkListField(forms.Field):
    """Ticked rows: repeated `numbers=<pk>` values."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("The selection is not valid; reload the page."), code="invalid") from exc


class NumberRemoveForm(NumberFilterForm):
    """What to remove: the ticked rows, or every row matching the filter (status and search)."""

    numbers = PkListField(required=False)
    all_matching = forms.BooleanField(required=False)
    confirm = forms.BooleanField(required=False)
