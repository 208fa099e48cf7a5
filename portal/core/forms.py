"""Form pieces every app shares: a ServiceError onto a form, and the list pages' filter base."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.exceptions import ServiceError

PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
PER_PAGE_DEFAULT = 25


def form_field_for(form: forms.BaseForm, name: str | None) -> str | None:
    """The form's field for an error's field path: the path itself, else its nearest parent, else None.

    Nested remote fields arrive as `billing_contact__email` or `documents__0__document_id`.
    """
    parts = name.split("__") if name else []
    while parts:
        candidate = "__".join(parts)
        if candidate in form.fields:
            return candidate
        parts.pop()
    return None


def form_add_service_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Put each (field, message) of a ServiceError on that field if the form has it, else at the top."""
    for field, message in exc.errors:
        form.add_error(form_field_for(form, field), message)


def search_field(*, max_length: int = 100, placeholder: str = "", **attrs) -> forms.CharField:
    """The search box of a list page (`q`): optional, a search input the browser does not autocomplete."""
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=max_length,
        widget=forms.SearchInput(attrs={"autocomplete": "off", **attrs}),
    )


class ListFilterForm(forms.Form):
    """A list page's filters: the search box `q` and the page size; subclasses add their own fields."""

    q = search_field()
    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        choices=PER_PAGE_CHOICES,
        empty_value=PER_PAGE_DEFAULT,
    )
