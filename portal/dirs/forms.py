"""Forms for the DIR pages: list filters, compose (create/edit), logo and document uploads."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.core.forms import ListFilterForm, search_field
from portal.dirs import checks
from portal.dirs.models import Dir
from portal.dirs.services import LOGO_MAX_INPUT
from portal.documents.models import DocumentType
from portal.documents.services import CONTENT_TYPES, MAX_BYTES
from portal.enterprises.models import Enterprise

SORT_CHOICES = [
    ("name", _("Name A–Z")),
    ("-name", _("Name Z–A")),
    ("status", _("Status")),
    ("enterprise", _("Enterprise")),
    ("-updated", _("Recently updated")),
    ("expiring", _("Expiring soonest")),
]


class DirFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Dir.Status.choices]
    )
    q = search_field(max_length=64, placeholder=_("Display name…"))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)


# --- compose (create and edit)

# The limits and the emoji rule are the pre-submit checks' own (one definition of each rule).
CERTIFICATIONS, NAME_MAX, NAME_SHORT = checks.CERTIFICATIONS, checks.NAME_MAX, checks.NAME_SHORT
REASONS_MAX, REASON_MAX, EMOJI = checks.REASONS_MAX, checks.REASON_MAX, checks.EMOJI


class CallReasonsField(forms.Field):
    """1–10 reasons of ≤64 characters, from the catalogue or typed; duplicates are dropped."""

    widget = forms.SelectMultiple

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = value.splitlines()
        seen, reasons = set(), []
        for raw in value:
            reason = " ".join(str(raw).split())
            if reason and reason.casefold() not in seen:
                seen.add(reason.casefold())
                reasons.append(reason)
        return reasons

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > REASONS_MAX:
            raise ValidationError(_("Choose at most %(n)d call reasons.") % {"n": REASONS_MAX})
        too_long = [r for r in value if len(r) > REASON_MAX]
        if too_long:
            raise ValidationError(
                _("Each call reason is at most %(n)d characters: “%(r)s” is longer.")
                % {"n": REASON_MAX, "r": too_long[0]}
            )

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial) != self.to_python(data)


class LogoForm(forms.Form):
    """The logo part of the compose form, also used alone by the htmx upload."""

    logo_file = forms.FileField(
        label=_("Upload a logo"),
        required=False,
        help_text=_(
            "PNG, JPEG or BMP up to 5 MB. The portal converts it to the 256×256 BMP Telnyx requires."
        ),
        widget=forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,.bmp,image/png,image/jpeg,image/bmp"}),
    )
    logo_url = forms.CharField(
        label=_("Logo address"),
        required=False,
        max_length=128,
        help_text=_("Filled in by an upload, or paste the https address of a 256×256 BMP you host."),
        widget=forms.TextInput(attrs={"placeholder": "https://…/logo.bmp", "spellcheck": "false"}),
    )

    def clean_logo_file(self):
        # Checked from the upload's size, before anything reads it into memory.
        upload = self.cleaned_data.get("logo_file")
        if upload and upload.size > LOGO_MAX_INPUT:
            raise ValidationError(_("The image is larger than 5 MB; export a smaller one."))
        return upload


class DirForm(LogoForm):
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=Enterprise.objects.none(),
        empty_label=_("Choose an enterprise…"),
        help_text=_("Only enterprises with Branded Calling activated are listed."),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=NAME_MAX,
        help_text=_("Shown on the called phone. Up to 35 characters; some networks cut names after 15."),
        widget=forms.TextInput(
            attrs={"data-char-counter": NAME_MAX, "data-char-warn": NAME_SHORT, "autocomplete": "off"}
        ),
    )
    call_reasons = CallReasonsField(
        label=_("Call reasons"),
        help_text=_("Pick from Telnyx's pre-vetted list or type your own (1–10, up to 64 characters each)."),
    )
    authorizer_name = forms.CharField(
        label=_("Authorizer name"),
        max_length=255,
        help_text=_("The real person at your business who authorizes this identity (first and last name)."),
    )
    authorizer_email = forms.EmailField(label=_("Authorizer e-mail"), max_length=254)
    reselling = forms.BooleanField(
        label=_("We call on behalf of another brand (reselling)"),
        required=False,
        help_text=_("Changes take effect at the next submission."),
    )
    certify_brand_is_accurate = forms.BooleanField(
        label=_("The brand information is accurate and belongs to this enterprise."),
        error_messages={"required": _("Telnyx requires this certification.")},
    )
    certify_no_shaft_content = forms.BooleanField(
        label=_("Calls will not carry sex, hate, alcohol, firearms or tobacco (SHAFT) content."),
        error_messages={"required": _("Telnyx requires this certification.")},
    )
    certify_ip_ownership = forms.BooleanField(
        label=_("We own, or are licensed to use, the name and logo."),
        error_messages={"required": _("Telnyx requires this certification.")},
    )
    webhook_url = forms.URLField(
        label=_("Webhook URL"),
        required=False,
        max_length=2048,
        assume_scheme="https",
        help_text=_(
            "Telnyx reports vetting outcomes here. Prefilled with this portal's receiver; clear it to unsubscribe."
        ),
    )
    confirm_draft = forms.BooleanField(
        label=_(
            "I understand that saving changes sends this verified DIR back to draft, and it must be submitted and vetted again."
        ),
        required=False,
    )
    confirm_warnings = forms.BooleanField(label=_("Save anyway, despite the warnings above."), required=False)

    def __init__(self, *args, enterprises=None, catalogue=(), dir: Dir | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dir = dir
        self.warnings = []  # local-check findings of level "warn", shown next to their field
        self.general_warnings = []  # the ones about no single field, shown at the top
        if dir is None:
            self.fields["enterprise"].queryset = enterprises
        else:
            del self.fields["enterprise"]
        if dir is None or dir.status != Dir.Status.VERIFIED:
            del self.fields["confirm_draft"]
        current = self["call_reasons"].value() or []
        if isinstance(current, str):
            current = [current]
        reasons = list(dict.fromkeys([*catalogue, *current]))
        self.fields["call_reasons"].widget.choices = [(r, r) for r in reasons]
        self.fields["call_reasons"].widget.attrs.update(
            {"data-tom-select": "", "data-max-items": REASONS_MAX, "data-max-length": REASON_MAX}
        )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"]
        if not name.strip():
            raise ValidationError(_("The display name cannot be only spaces."))
        if EMOJI.search(name):
            raise ValidationError(_("Telnyx does not accept emoji in display names."))
        return name.strip()

    def clean_logo_url(self) -> str:
        return self.cleaned_data["logo_url"].strip()

    @classmethod
    def initial_for(cls, dir: Dir) -> dict:
        """The form's starting values from the mirrored DIR."""
        data = dir.data
        initial = {name: data.get(name) for name in (*CERTIFICATIONS, "authorizer_name", "authorizer_email")}
        return {
            **initial,
            "display_name": dir.display_name,
            "call_reasons": list(dir.call_reasons),
            "logo_url": dir.logo_url,
            "reselling": bool(data.get("reselling")),
            "webhook_url": data.get("webhook_url") or "",
        }

    def api_values(self) -> dict:
        """The request body for create, from the cleaned data."""
        data = self.cleaned_data
        values = {
            "display_name": data["display_name"],
            "call_reasons": data["call_reasons"],
            "authorizer_name": data["authorizer_name"].strip(),
            "authorizer_email": data["authorizer_email"],
            "reselling": data["reselling"],
            "webhook_url": data["webhook_url"] or None,
            **{name: data[name] for name in CERTIFICATIONS},
        }
        if data.get("logo_url"):
            values["logo_url"] = data["logo_url"]
        return values

    def api_changes(self) -> dict:
        """The PATCH body for edit: only the fields that differ from the mirrored DIR."""
        values = self.api_values()
        values.setdefault("logo_url", None)
        known = {**self.dir.data, "call_reasons": list(self.dir.call_reasons)}
        return {k: v for k, v in values.items() if _blank_none(known.get(k)) != _blank_none(v)}


def _blank_none(value):
    """Empty strings, empty lists and None all mean "not set" when comparing with the mirror."""
    return None if value is None or value == "" or value == [] else value


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG, CSV, TXT, JSON, DOC(X) or XLS(X), up to 20 MB."),
        widget=forms.FileInput(attrs={"accept": ",".join(f".{ext}" for ext in CONTENT_TYPES)}),
    )
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    description = forms.CharField(label=_("Description"), required=False, max_length=255)
    confirm_draft = forms.BooleanField(
        label=_("I understand that attaching a document sends this verified DIR back to draft."),
        required=False,
    )

    def __init__(self, *args, dir: Dir, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dir = dir
        if dir.status != Dir.Status.VERIFIED:
            del self.fields["confirm_draft"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_BYTES:
            raise ValidationError(_("The file is larger than 20 MB, the Documents API's limit."))
        return upload

    def clean(self):
        data = super().clean()
        if "confirm_draft" in self.fields and not data.get("confirm_draft"):
            self.add_error("confirm_draft", _("Confirm that the DIR goes back to draft."))
        return data


# --- Detail page: status, comments, claims


class CommentForm(forms.Form):
    content = forms.CharField(
        label=_("Reply to the vetting team"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visible to Telnyx's vetting team. Don't include passwords or card numbers."),
    )
    parent_comment_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_content(self) -> str:
        content = self.cleaned_data["content"].strip()
        if not content:
            raise ValidationError(_("Write a reply first."))
        return content


class ClaimContestForm(forms.Form):
    contest_notes = forms.CharField(
        label=_("Why the claim is wrong"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("10–2000 characters: e.g. when you started using the name, and your trademark number."),
    )
