"""Forms for the enterprise pages: the list filters and the create/edit form (CONTRACT.md §5.2).

The edit form is the create form minus the fields Telnyx fixes at creation (organization_type,
country_code, role_type); those are shown read-only. Nested API objects (contacts, addresses) are
flat fields named `<object>__<key>`, which is also how a remote `source.pointer` finds its field.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.forms import ListFilterForm
from portal.enterprises.models import Country, LegalType, OrganizationType

ORGANIZATION_TYPES = OrganizationType.choices
LEGAL_TYPES = LegalType.choices
ROLE_TYPES = [
    ("enterprise", _("Enterprise — owns its own display identities")),
    ("bpo", _("BPO — calls on behalf of other enterprises (can never own a DIR)")),
]
COUNTRIES = Country.choices
CHOOSE = [("", _("Choose…"))]
INDUSTRIES = [
    (value, value.capitalize())
    for value in (
        "accounting", "finance", "billing", "collections", "business", "charity", "nonprofit",
        "communications", "telecom", "customer service", "support", "delivery", "shipping",
        "logistics", "education", "financial", "banking", "government", "public", "healthcare",
        "health", "pharmacy", "medical", "insurance", "legal", "law", "notifications", "scheduling",
        "real estate", "property", "retail", "ecommerce", "sales", "marketing", "software",
        "technology", "tech", "media", "surveys", "market research", "travel", "hospitality", "hotel",
    )
]  # fmt: skip
EMPLOYEES = [(v, v) for v in ("1-10", "11-50", "51-200", "201-500", "501-2000", "2001-10000", "10001+")]

IMMUTABLE = ("organization_type", "country_code", "role_type")
OPTIONAL_NULLABLE = (
    "corporate_registration_number",
    "dun_bradstreet_number",
    "primary_business_domain_sic_code",
    "professional_license_number",
)
CONTACT_KEYS = {
    "organization_contact": ("first_name", "last_name", "email", "job_title", "phone_number"),
    "billing_contact": ("first_name", "last_name", "email", "phone_number"),
}
ADDRESS_KEYS = ("street_address", "extended_address", "city", "administrative_area", "postal_code", "country")
ADDRESSES = ("organization_physical_address", "billing_address")

FEIN = re.compile(r"^\d{2}-\d{7}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Legal-name suffixes and the organization_legal_type they belong to (REJECTIONS.md §3 P3).
SUFFIXES = {
    "llc": re.compile(r"\b(l\.?\s?l\.?\s?c\.?|limited liability company)$", re.I),
    "corporation": re.compile(r"\b(inc\.?|incorporated|corp\.?|corporation)$", re.I),
    "partnership": re.compile(r"\b(l\.?\s?l\.?\s?p\.?|l\.?\s?p\.?|partnership)$", re.I),
}


def _text(label, *, max_length=255, required=True, help_text="", **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, help_text=help_text, **kwargs
    )


class EnterpriseFilterForm(ListFilterForm):
    SORTS = [
        ("legal_name", _("Name (A–Z)")),
        ("-legal_name", _("Name (Z–A)")),
        ("-created_at", _("Newest first")),
        ("-dir_count", _("Most DIRs")),
    ]

    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)


class EnterpriseForm(forms.Form):
    """Every field of an enterprise; `editing=True` drops the fields fixed at creation."""

    # --- organization
    legal_name = _text(
        _("Legal name"),
        max_length=64,
        min_length=3,
        help_text=_("Exactly as registered with the state, suffix included (e.g. “Acme Plumbing LLC”)."),
    )
    doing_business_as = _text(
        _("Doing business as"), required=False, help_text=_("The trade name, if it differs. May be empty.")
    )
    organization_type = forms.ChoiceField(label=_("Organization type"), choices=CHOOSE + ORGANIZATION_TYPES)
    organization_legal_type = forms.ChoiceField(label=_("Legal form"), choices=CHOOSE + LEGAL_TYPES)
    role_type = forms.ChoiceField(
        label=_("Role"), choices=ROLE_TYPES, initial="enterprise", help_text=_("Cannot be changed later.")
    )
    country_code = forms.ChoiceField(
        label=_("Country"),
        choices=COUNTRIES,
        initial="US",
        help_text=_("Cannot be changed later. Branded Calling can only be activated for US enterprises."),
    )
    jurisdiction_of_incorporation = _text(
        _("Jurisdiction of incorporation"), help_text=_("The state of incorporation, e.g. Delaware.")
    )
    fein = _text(_("FEIN"), max_length=20, help_text=_("Federal employer identification number: NN-NNNNNNN."))
    industry = forms.ChoiceField(label=_("Industry"), choices=CHOOSE + INDUSTRIES)
    number_of_employees = forms.ChoiceField(label=_("Number of employees"), choices=CHOOSE + EMPLOYEES)
    website = _text(
        _("Website"),
        required=False,
        help_text=_("The public site that names your business; vetting checks it."),
    )
    corporate_registration_number = _text(_("Corporate registration number"), max_length=100, required=False)
    dun_bradstreet_number = _text(
        _("D-U-N-S number"), max_length=20, required=False, help_text=_("9 digits, if you have one.")
    )
    primary_business_domain_sic_code = _text(
        _("SIC code"),
        max_length=10,
        required=False,
        help_text=_("4-digit Standard Industrial Classification."),
    )
    professional_license_number = _text(_("Professional license number"), max_length=100, required=False)
    customer_reference = _text(
        _("Your reference"),
        required=False,
        help_text=_("Your own label for this enterprise; Telnyx ignores it."),
    )

    # --- organization contact
    organization_contact__first_name = _text(_("First name"))
    organization_contact__last_name = _text(_("Last name"))
    organization_contact__job_title = _text(_("Job title"))
    organization_contact__email = forms.EmailField(label=_("E-mail"), max_length=255)
    organization_contact__phone_number = _text(
        _("Phone"), max_length=20, help_text=_("E.164, e.g. +13125550100.")
    )

    # --- billing contact
    billing_contact__first_name = _text(_("First name"))
    billing_contact__last_name = _text(_("Last name"))
    billing_contact__email = forms.EmailField(label=_("E-mail"), max_length=255)
    billing_contact__phone_number = _text(_("Phone"), max_length=20, help_text=_("E.164, e.g. +13125550100."))

    # --- addresses
    organization_physical_address__street_address = _text(_("Street address"))
    organization_physical_address__extended_address = _text(_("Suite, floor (optional)"), required=False)
    organization_physical_address__city = _text(_("City"), max_length=100)
    organization_physical_address__administrative_area = _text(
        _("State / province"), max_length=100, help_text=_("Two-letter code, e.g. IL.")
    )
    organization_physical_address__postal_code = _text(_("ZIP / postal code"), max_length=20)
    organization_physical_address__country = forms.ChoiceField(
        label=_("Country"), choices=COUNTRIES, initial="US"
    )
    billing_same = forms.BooleanField(
        label=_("The billing address is the same as the physical address"), required=False
    )
    billing_address__street_address = _text(_("Street address"), required=False)
    billing_address__extended_address = _text(_("Suite, floor (optional)"), required=False)
    billing_address__city = _text(_("City"), max_length=100, required=False)
    billing_address__administrative_area = _text(_("State / province"), max_length=100, required=False)
    billing_address__postal_code = _text(_("ZIP / postal code"), max_length=20, required=False)
    billing_address__country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="US")

    # Ticked by the user after reading the warnings (REJECTIONS.md §3 "Warn" rows).
    confirm_warnings = forms.BooleanField(
        label=_("I checked the warnings and want to save anyway"), required=False
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.warnings: dict[str, list[str]] = {}
        if editing:
            for name in IMMUTABLE:
                del self.fields[name]
            self.fields["legal_name"].help_text = _("Exactly as registered with the state, suffix included.")

    # --- grouping for the template ------------------------------------------------------------

    def group(self, *names: str) -> list[forms.BoundField]:
        return [self[n] for n in names if n in self.fields]

    def organization_fields(self):
        return self.group(
            "legal_name", "doing_business_as", "organization_type", "organization_legal_type", "role_type",
            "country_code", "jurisdiction_of_incorporation", "fein", "industry", "number_of_employees", "website",
        )  # fmt: skip

    def registration_fields(self):
        return self.group(
            "corporate_registration_number", "dun_bradstreet_number", "primary_business_domain_sic_code",
            "professional_license_number", "customer_reference",
        )  # fmt: skip

    def organization_contact_fields(self):
        return self.group(*(f"organization_contact__{key}" for key in CONTACT_KEYS["organization_contact"]))

    def billing_contact_fields(self):
        return self.group(*(f"billing_contact__{key}" for key in CONTACT_KEYS["billing_contact"]))

    def physical_address_fields(self):
        return self.group(*(f"organization_physical_address__{key}" for key in ADDRESS_KEYS))

    def billing_address_fields(self):
        return self.group(*(f"billing_address__{key}" for key in ADDRESS_KEYS))

    # --- checks (REJECTIONS.md §3 P3) ----------------------------------------------------------

    def clean_fein(self) -> str:
        fein = self.cleaned_data["fein"].strip()
        if re.fullmatch(r"\d{9}", fein):
            fein = f"{fein[:2]}-{fein[2:]}"
        if not FEIN.match(fein):
            raise forms.ValidationError(_("Enter the FEIN as NN-NNNNNNN (two digits, a dash, seven digits)."))
        return fein

    def clean_jurisdiction_of_incorporation(self) -> str:
        value = self.cleaned_data["jurisdiction_of_incorporation"].strip()
        if not value:
            raise forms.ValidationError(_("Name the state the business is incorporated in."))
        return value

    def clean(self):
        data = super().clean()
        for prefix in CONTACT_KEYS:
            name = f"{prefix}__phone_number"
            phone = (data.get(name) or "").replace(" ", "").replace("-", "")
            if phone and not E164.match(phone):
                self.add_error(name, _("Enter the number in E.164 format, e.g. +13125550100."))
            elif phone:
                data[name] = phone
        if data.get("billing_same"):
            for key in ADDRESS_KEYS:
                data[f"billing_address__{key}"] = data.get(f"organization_physical_address__{key}", "")
        else:
            for key in ("street_address", "city", "administrative_area", "postal_code"):
                if not data.get(f"billing_address__{key}"):
                    self.add_error(
                        f"billing_address__{key}",
                        _("Required, or tick “same as the physical address”."),
                    )
        self._warn_legal_suffix(data.get("legal_name") or "", data.get("organization_legal_type") or "")
        if self.warnings and not data.get("confirm_warnings") and not self.errors:
            self.add_error(
                "confirm_warnings", _("Check the warnings marked below, then tick this box to save anyway.")
            )
        return data

    def _warn_legal_suffix(self, name: str, legal_type: str) -> None:
        name = name.strip().rstrip(",")
        found = next((kind for kind, rx in SUFFIXES.items() if rx.search(name)), None)
        if found and legal_type in SUFFIXES and found != legal_type:
            message = _("The name ends like a %(found)s, but the legal form says %(chosen)s.") % {
                "found": dict(LEGAL_TYPES)[found],
                "chosen": dict(LEGAL_TYPES)[legal_type],
            }
        elif legal_type in ("llc", "corporation") and not found:
            message = _(
                "Registered %(kind)s names usually end with their suffix (%(example)s); "
                "vetting compares the exact registered name."
            ) % {
                "kind": dict(LEGAL_TYPES)[legal_type],
                "example": "LLC" if legal_type == "llc" else "Inc., Corp.",
            }
        else:
            return
        self.warnings.setdefault("legal_name", []).append(message)

    # --- conversion to and from the API body ---------------------------------------------------

    def to_body(self) -> dict:
        """The API body (create: every field; edit: every mutable field)."""
        data = self.cleaned_data
        body: dict = {}
        for name in (
            "legal_name", "doing_business_as", "organization_legal_type", "jurisdiction_of_incorporation",
            "fein", "industry", "number_of_employees", "website", "customer_reference", *IMMUTABLE,
        ):  # fmt: skip
            if name in self.fields:
                body[name] = data.get(name) or ""
        for name in OPTIONAL_NULLABLE:
            body[name] = data.get(name) or None
        for prefix, keys in CONTACT_KEYS.items():
            body[prefix] = {key: data.get(f"{prefix}__{key}") or "" for key in keys}
        for prefix in ADDRESSES:
            address = {key: data.get(f"{prefix}__{key}") or "" for key in ADDRESS_KEYS}
            address["extended_address"] = address["extended_address"] or None
            body[prefix] = address
        return body

    @classmethod
    def initial_from(cls, remote: dict) -> dict:
        """Form initial values from a remote enterprise object (the mirror's `data`)."""
        initial = {k: v for k, v in remote.items() if not isinstance(v, dict) and v is not None}
        for prefix, keys in CONTACT_KEYS.items():
            for key in keys:
                initial[f"{prefix}__{key}"] = (remote.get(prefix) or {}).get(key) or ""
        for prefix in ADDRESSES:
            for key in ADDRESS_KEYS:
                initial[f"{prefix}__{key}"] = (remote.get(prefix) or {}).get(key) or ""
        physical = remote.get("organization_physical_address") or {}
        billing = remote.get("billing_address") or {}
        initial["billing_same"] = bool(physical) and all(
            (physical.get(k) or "") == (billing.get(k) or "") for k in ADDRESS_KEYS
        )
        return initial
