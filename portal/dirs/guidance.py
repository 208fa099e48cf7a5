"""Remediation guidance for vetting rejection codes (seeded from REJECTIONS.md §1 and §2).

The table is maintained by hand: a code the portal does not know yet is still shown with the raw
title, detail and message the API sent (see ``explain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

DIR = "dir"
NUMBER = "number"
BOTH = "both"

REJECTED = "rejected"
UNSUCCESSFUL = "unsuccessful"
PERMANENTLY_REJECTED = "permanently_rejected"


@dataclass(frozen=True)
class Guidance:
    code: str
    title: str
    cause: str
    fix: str
    retry: bool
    outcome: str  # the status the code leads to: rejected | unsuccessful | permanently_rejected
    applies_to: str  # "dir" | "number" | "both"


def _g(code, title, cause, fix, *, retry=True, outcome=REJECTED, applies_to=DIR) -> Guidance:
    return Guidance(code, title, cause, fix, retry, outcome, applies_to)


_TABLE = [
    # --- DIR reasons (§1)
    _g(
        "documentation_incomplete",
        _("Documentation incomplete"),
        _("Your documents don't prove that the company exists under the legal name and EIN on your profile."),
        _(
            "Edit the DIR › Documents: add a business registration or articles of incorporation, "
            "plus an IRS EIN letter or tax document. Then resubmit."
        ),
    ),
    _g(
        "document_unreadable",
        _("Document unreadable"),
        _(
            "The vetting team couldn't read one of your documents (blurred, cropped, password-protected or pages missing)."
        ),
        _(
            "Edit the DIR › Documents: upload a complete, legible, unlocked file of the same type and say in "
            "its description which file it replaces. Then resubmit."
        ),
    ),
    _g(
        "document_entity_mismatch",
        _("Documents name a different business"),
        _("Your documents belong to a different company name, EIN or address than your enterprise profile."),
        _(
            "Enterprise › Identity: make the legal name, EIN and address match the documents, or Edit the "
            "DIR › Documents: add documents for the registering company (a DBA or assumed-name filing "
            "counts as a business registration). Then resubmit."
        ),
    ),
    _g(
        "business_identity_unverified",
        _("Business identity not verified"),
        _("The vetting team couldn't find your company in state or IRS records."),
        _(
            "Enterprise › Identity: correct the legal name (with its exact suffix, e.g. LLC), EIN, "
            "jurisdiction and address; Edit the DIR › Documents: add a certificate of good standing. "
            "Then resubmit."
        ),
    ),
    _g(
        "website_unverifiable",
        _("Website does not verify the business"),
        _("Your website is down, parked, or doesn't show that it belongs to your business."),
        _(
            "Enterprise › Identity: correct the website and make sure the site names the business and shows "
            "contact details; if the domain differs from the brand, Edit the DIR › Documents: add proof of "
            "website ownership. Then resubmit."
        ),
    ),
    _g(
        "display_name_not_associated",
        _("Display name not associated with the business"),
        _("The name you want callers to see doesn't match your registered company or brand names."),
        _(
            "Edit the DIR › Display name: use the legal name or DBA (a department suffix is fine, e.g. "
            "“Acme Plumbing Billing”), or Edit the DIR › Documents: add a trademark registration or DBA "
            "filing. Then resubmit."
        ),
    ),
    _g(
        "display_name_not_compliant",
        _("Display name format not allowed"),
        _(
            "Your display name contains things carriers don't allow: a phone number, link, slogan or repeated punctuation."
        ),
        _(
            "Edit the DIR › Display name: use a plain business name without phone numbers, links or "
            "slogans; a person's name only together with the business (“Jane Roe, CPA”). Then resubmit."
        ),
    ),
    _g(
        "prohibited_content",
        _("Prohibited content"),
        _(
            "Some wording or imagery is on the carriers' list of banned content (sex, hate, alcohol, "
            "firearms, tobacco, government-agency terms or offensive language)."
        ),
        _(
            "Edit the DIR › Display name, Logo or Call reasons: remove the term or image and confirm the "
            "“no prohibited content” certification. Then resubmit."
        ),
    ),
    _g(
        "logo_not_representative",
        _("Logo does not represent the business"),
        _(
            "The picture doesn't look like your company's logo (a photo, stock art, mostly text or unreadable when small)."
        ),
        _(
            "Edit the DIR › Logo: upload your real brand mark (square, solid background, readable when "
            "small); the portal converts it to the required format. Then resubmit."
        ),
    ),
    _g(
        "logo_ownership_unverified",
        _("Logo ownership not shown"),
        _("The vetting team couldn't confirm that you own, or may use, this logo."),
        _(
            "Edit the DIR › Documents: add your trademark registration (a license goes in as “other” and is "
            "reviewed by a person), or Edit the DIR › Logo: replace it with your own mark. Confirm the IP "
            "ownership certification, then resubmit."
        ),
    ),
    _g(
        "logo_unreachable",
        _("Logo could not be retrieved"),
        _("The vetting system couldn't download your logo during review."),
        _(
            "Edit the DIR › Logo and save it again (the portal hosts it at a new, stable address). The image "
            "itself doesn't need to change. Then resubmit."
        ),
        outcome=UNSUCCESSFUL,
    ),
    _g(
        "call_reason_unclear",
        _("Call reason unclear or unsupported"),
        _("One of your call reasons doesn't clearly say why you are calling."),
        _(
            "Edit the DIR › Call reasons: pick pre-approved wording from the list or write a specific "
            "phrase that fits your business (e.g. “Appointment Reminder”). Then resubmit."
        ),
    ),
    _g(
        "call_reason_disallowed_content",
        _("Call reason contains disallowed content"),
        _("Call reasons can't contain links, phone or account numbers, personal details or adverts."),
        _("Edit the DIR › Call reasons: remove links, digit strings, names and offers. Then resubmit."),
    ),
    _g(
        "authorizer_unverified",
        _("Authorizer could not be verified"),
        _(
            "A real, named person at your company must approve this registration; a role account doesn't count."
        ),
        _(
            "Edit the DIR › Authorizer: enter a person's full name and an e-mail address on your business "
            "domain, and repeat the e-mail verification. Submit the references again if the portal asks. "
            "Then resubmit."
        ),
    ),
    _g(
        "references_unconfirmed",
        _("References not confirmed"),
        _("One of your references couldn't be reached by phone to vouch for you."),
        _(
            "Edit the DIR › References: replace that reference with a new name, phone, e-mail and time zone, "
            "and tell them to expect a call between 8am and 9pm their time. Then resubmit."
        ),
    ),
    _g(
        "reference_ineligible",
        _("Reference does not qualify"),
        _(
            "One of your references isn't the right kind of person (too junior, works at your company, or not a bank or CPA)."
        ),
        _(
            "Edit the DIR › References: business references must be senior contacts at a vendor, partner or "
            "client; the financial reference must be your bank or CPA. Then resubmit."
        ),
    ),
    _g(
        "third_party_brand_unauthorized",
        _("Third-party brand not authorized"),
        _("You're showing a client's brand without their written permission."),
        _(
            "Edit the DIR › Reselling: turn on reselling, and either have the brand owner register the DIR "
            "themselves and authorize you, or add their signed letter of authorization under Documents. "
            "Then resubmit."
        ),
    ),
    _g(
        "ineligible_business_category",
        _("Business category not eligible"),
        _("Your type of business can't use branded calling."),
        _(
            "Nothing can be fixed in the portal: remove the numbers and delete the DIR. Contact support if "
            "you think the classification is wrong."
        ),
        retry=False,
        outcome=PERMANENTLY_REJECTED,
    ),
    _g(
        "infringement_claim_upheld",
        _("Infringement claim upheld"),
        _("A rights holder proved that your name or logo infringes their brand."),
        _(
            "Remove the numbers, delete this DIR and create a new DIR with a different name or logo (the same "
            "enterprise is fine)."
        ),
        retry=False,
        outcome=PERMANENTLY_REJECTED,
    ),
    _g(
        "vetting_system_error",
        _("Vetting could not be completed"),
        _("Something went wrong on the vetting side; nothing is wrong with what you sent."),
        _(
            "Resubmit the DIR as it is, or re-add the number in a new batch. Contact support if it happens "
            "again."
        ),
        outcome=UNSUCCESSFUL,
        applies_to=BOTH,
    ),
    # --- Number reasons (§2)
    _g(
        "loa_missing",
        _("Letter of Authorization missing"),
        _("The file attached as the Letter of Authorization for these numbers isn't one."),
        _("Numbers › Add › LOA: create the DIR's LOA, sign it, upload it and re-add the numbers."),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "loa_unsigned",
        _("Letter of Authorization is unsigned"),
        _("The Letter of Authorization wasn't signed, or wasn't signed properly."),
        _("Numbers › Add › LOA: sign it in the portal (or sign the PDF by hand and upload it), then re-add."),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "loa_numbers_mismatch",
        _("Number not covered by the LOA"),
        _("The letter you signed doesn't list this number."),
        _(
            "Numbers › Add: create an LOA listing exactly this batch's numbers (at most 15), sign it and re-add."
        ),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "loa_entity_mismatch",
        _("LOA does not match the enterprise"),
        _("The letter comes from a different company or has the wrong details."),
        _(
            "Numbers › Add › LOA: use the LOA the portal fills in from your enterprise and DIR; add a "
            "reseller (agent) only if a reseller manages the numbers; then re-add."
        ),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "number_not_owned",
        _("Number ownership not confirmed"),
        _("This number isn't on your Telnyx account, or no longer is."),
        _("Check that the number is in your Telnyx inventory (or finish the port-in), then re-add it."),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "number_not_in_service",
        _("Number not in service"),
        _("The number can't make outbound calls right now."),
        _(
            "Activate the number in Telnyx and assign it to a SIP connection with an outbound voice profile, "
            "then re-add it."
        ),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "number_type_ineligible",
        _("Number type not eligible"),
        _("Only US local numbers can carry branded calls (not toll-free, Canadian or short codes)."),
        _("Remove it from the DIR and use a US local number instead."),
        retry=False,
        outcome=PERMANENTLY_REJECTED,
        applies_to=NUMBER,
    ),
    _g(
        "number_registered_elsewhere",
        _("Number already branded elsewhere"),
        _("Another company or provider has already branded this number."),
        _("Release it from the other registration (another provider or Telnyx account), then re-add it."),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "number_reputation_high_risk",
        _("Number flagged as spam"),
        _("Phone networks currently label this number as spam."),
        _(
            "Number Reputation: check its spam risk and request a remediation; fix your calling practices; "
            "re-add it once the risk is low, or use a clean number."
        ),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "number_abuse_confirmed",
        _("Number barred for abuse"),
        _("This number was involved in abusive calling and can't be branded."),
        _("Remove it and use a different number; contact support to dispute."),
        retry=False,
        outcome=PERMANENTLY_REJECTED,
        applies_to=NUMBER,
    ),
    _g(
        "carrier_registration_failed",
        _("Carrier registration failed"),
        _("A step on the carrier's side failed; nothing was wrong with what you sent."),
        _("Re-add the number unchanged in a new batch; contact support if it fails twice."),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
    _g(
        "dir_not_verified",
        _("Display identity no longer verified"),
        _("Your DIR changed (edited, suspended, expired or deleted) while these numbers were in review."),
        _("Get the DIR back to verified (resubmit it or resolve the claim), then re-add the numbers."),
        outcome=UNSUCCESSFUL,
        applies_to=NUMBER,
    ),
]

GUIDANCE: dict[str, Guidance] = {g.code: g for g in _TABLE}


def guidance_for(code: str) -> Guidance | None:
    """The guidance for a rejection code, or None when the portal doesn't know it."""
    return GUIDANCE.get((code or "").strip())


def explain(reason: dict[str, Any]) -> dict[str, Any]:
    """What a template needs to show one RejectionReason ({code, title, detail, message})."""
    reason = reason if isinstance(reason, dict) else {}
    code = str(reason.get("code") or "")
    guidance = guidance_for(code)
    return {
        "code": code,
        # The remote title wins only when we have none: our titles are translated.
        "title": guidance.title if guidance else (reason.get("title") or code),
        "detail": reason.get("detail") or "",
        "message": reason.get("message") or "",
        "known": guidance is not None,
        "guidance": guidance,
        "cause": guidance.cause if guidance else "",
        "fix": guidance.fix if guidance else "",
        "retry": guidance.retry if guidance else None,
        "outcome": guidance.outcome if guidance else "",
    }
