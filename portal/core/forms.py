"""Forms for the shared pages (activity log)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.models import AuditEvent


class AuditFilterForm(forms.Form):
    verb = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("All events")), *AuditEvent.Verb.choices]
    )
    actor = forms.CharField(label=_("Person"), required=False, max_length=100)
    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        choices=[(25, "25"), (50, "50"), (100, "100")],
        empty_value=25,
    )
