"""ServiceError, and putting one on a form: each (field, message) on its field, the rest at the top."""

from __future__ import annotations

import pytest
from django import forms

from portal.core.exceptions import ServiceError
from portal.core.forms import ListFilterForm, form_add_service_error, form_field_for, search_field


class ContactForm(forms.Form):
    name = forms.CharField(required=False)
    billing_contact__email = forms.EmailField(required=False)
    documents = forms.CharField(required=False)


def bound_form() -> ContactForm:
    form = ContactForm({"name": "Ada"})
    assert form.is_valid() is True
    return form


def test_a_service_error_is_one_error_at_its_field_by_default():
    """Without `errors`, the error list is the message at `field` (None: the whole form); code defaults."""
    exc = ServiceError("Too long.", field="name")
    assert (exc.message, exc.field, exc.errors, exc.code) == (
        "Too long.",
        "name",
        [("name", "Too long.")],
        "invalid",
    )
    assert str(exc) == "Too long."
    assert ServiceError("Refused.").errors == [(None, "Refused.")]


def test_a_service_error_keeps_every_error_given():
    """`errors` lists several problems; the message stays the summary and `field` is not guessed."""
    exc = ServiceError("Two problems.", errors=[("name", "Too long."), (None, "Refused.")], code="refused")
    assert exc.errors == [("name", "Too long."), (None, "Refused.")]
    assert (exc.message, exc.field, exc.code) == ("Two problems.", None, "refused")


def test_the_form_helper_puts_field_errors_on_fields_and_the_others_at_the_top():
    form = bound_form()
    exc = ServiceError(
        "Refused.",
        errors=[("name", "Too long."), (None, "Telnyx refused this: busy"), ("unknown_field", "Odd value.")],
    )
    form_add_service_error(form, exc)
    assert form.errors["name"] == ["Too long."]
    assert form.non_field_errors() == ["Telnyx refused this: busy", "Odd value."]
    assert "unknown_field" not in form.errors
    assert "name" not in form.cleaned_data  # Django drops a field that has an error


def test_the_form_helper_finds_the_nearest_field_of_a_nested_path():
    """`billing_contact__email` is a field; `documents__0__document_id` belongs to `documents`."""
    form = bound_form()
    form_add_service_error(
        form,
        ServiceError(
            "Refused.",
            errors=[("billing_contact__email", "Bad domain."), ("documents__0__document_id", "Gone.")],
        ),
    )
    assert form.errors["billing_contact__email"] == ["Bad domain."]
    assert form.errors["documents"] == ["Gone."]
    assert form.non_field_errors() == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("name", "name"),
        ("name__first", "name"),
        ("billing_contact__email", "billing_contact__email"),
        ("billing_contact__phone", None),
        ("billing_contact", None),
        ("", None),
        (None, None),
    ],
)
def test_form_field_for(path, field):
    assert form_field_for(bound_form(), path) == field


class ThingFilterForm(ListFilterForm):
    q = search_field(max_length=8, placeholder="Digits…", inputmode="tel")
    colour = forms.ChoiceField(required=False, choices=[("", "All"), ("red", "Red")])


def test_the_list_filter_base_gives_search_and_page_size():
    """Every list: `q` and `per_page` (25/50/100, 25 when absent); a subclass adds only its own fields."""
    form = ListFilterForm({})
    assert form.is_valid() is True
    assert form.cleaned_data == {"q": "", "per_page": 25}
    assert [c for c, _label in form.fields["per_page"].choices] == [25, 50, 100]
    assert ListFilterForm({"per_page": "100"}).is_valid() is True
    assert ListFilterForm({"per_page": "1000"}).is_valid() is False
    thing = ThingFilterForm({"q": "123456789", "per_page": "50", "colour": "red"})
    assert thing.is_valid() is False and list(thing.errors) == ["q"]  # the subclass's own limit
    assert list(ThingFilterForm().fields) == ["q", "per_page", "colour"]
    widget = str(ThingFilterForm()["q"])
    assert 'type="search"' in widget and 'placeholder="Digits…"' in widget and 'inputmode="tel"' in widget
    assert 'autocomplete="off"' in widget and 'maxlength="8"' in widget
