"""Forms of the numbers app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.core.forms import ListFilterForm, search_field
from portal.documents import selectors as document_selectors
from portal.numbers.models import NumberStatus
from portal.numbers.selectors import add_loa_choices

# --- Numbers and batches pages, removal

NUMBER_SORT_CHOICES = [
    ("number", _("Number, ascending")),
    ("-number", _("Number, descending")),
    ("status", _("Status")),
    ("-added", _("Newest first")),
    ("added", _("Oldest first")),
]


class NumberFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *NumberStatus.choices]
    )
    q = search_field(max_length=32, placeholder=_("Digits, e.g. 5551234"), inputmode="tel")
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=NUMBER_SORT_CHOICES)


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

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        # The list searches digits only, so "abc" would match every number: never a removal's filter.
        if q and not any(c.isdigit() for c in q):
            raise ValidationError(_("Type at least one digit to search by."), code="no_digits")
        return q


# --- Add flow


class AddNumbersForm(forms.Form):
    """The add page's one form: the numbers (typed, pasted, CSV, picked), the LOA and other documents."""

    numbers = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "Paste or type US numbers separated by commas, spaces, semicolons, tabs or new lines; "
            "(312) 555-0100, 3125550100 and +13125550100 all work."
        ),
    )
    csv = forms.FileField(
        label=_("…or upload a CSV"),
        required=False,
        help_text=_(
            "Up to 10,000 numbers; the phone column is found by its header, or the first column of digits "
            "is used. UTF-8, UTF-16 (“Unicode text”) and Latin-1; commas, semicolons or tabs."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    picked = forms.MultipleChoiceField(required=False)  # filled from the inventory search
    loa = forms.ModelChoiceField(
        label=_("Signed LOA"), queryset=None, required=False, widget=forms.RadioSelect, empty_label=None
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Supporting documents"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only what the page offers: an LOA Telnyx has deleted meanwhile is refused here, not by Telnyx.
        self.fields["loa"].queryset = add_loa_choices(team=team, limit=None)
        self.fields["documents"].queryset = document_selectors.document_list(team=team, loa=False, limit=None)
        # Any E.164-looking value may come back from the picker; the pre-flight judges it.
        picked = (
            self.data.getlist("picked") if hasattr(self.data, "getlist") else self.data.get("picked") or []
        )
        self.fields["picked"].choices = [(v, v) for v in picked]
