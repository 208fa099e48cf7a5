"""Rejection reasons the simulator hands out, from shared/telnyx-api/REJECTIONS.md (§1 DIRs, §2 numbers).

Generated once from that catalogue; only the fields Telnyx sends (code, title, detail, message) and the
status each reason leads to are kept. The portal keeps its own remediation table (it must not import this).
"""

from __future__ import annotations

from typing import NamedTuple


class Reason(NamedTuple):
    code: str
    title: str
    detail: str
    message: str
    outcome: str  # rejected | unsuccessful | permanently_rejected

    def wire(self, *, with_message: bool = True) -> dict:
        """The RejectionReason object; only the first reason of a DIR carries a message."""
        return {
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "message": self.message if with_message else None,
        }


DIR_REASONS: list[Reason] = [
    Reason(
        "documentation_incomplete",
        "Documentation incomplete",
        "Provided documents do not establish business identity.",
        "Please upload your certificate of formation or the IRS EIN letter showing Acme Plumbing LLC.",
        "rejected",
    ),
    Reason(
        "document_unreadable",
        "Document unreadable",
        "A supporting document is blurred, cropped, password-protected or missing pages.",
        "Please re-upload a clearer scan of the certificate.",
        "rejected",
    ),
    Reason(
        "document_entity_mismatch",
        "Documents name a different business",
        "The documents are issued to a legal name, EIN or address that differs from the enterprise record.",
        "The articles list Acme Holdings Inc.; the enterprise is Acme Plumbing LLC. Send documents for the registering entity or a DBA filing linking them.",
        "rejected",
    ),
    Reason(
        "business_identity_unverified",
        "Business identity not verified",
        "The legal name, EIN, jurisdiction or address could not be matched in state or IRS records.",
        "We found no active registration for this EIN in Delaware. Please confirm the jurisdiction and attach a certificate of good standing.",
        "rejected",
    ),
    Reason(
        "website_unverifiable",
        "Website does not verify the business",
        "The enterprise website is unreachable or parked, or does not identify this business, and the contact e-mail domain is unrelated to it.",
        "acmeplumbing.example.com does not load. Provide a live site that names your business, or attach proof of website ownership.",
        "rejected",
    ),
    Reason(
        "display_name_not_associated",
        "Display name not associated with the business",
        "The display name is not the legal name, a registered DBA, or a brand the enterprise owns or may use.",
        "'QuickFix Pros' does not match Acme Plumbing LLC. Use your legal or DBA name, or attach the trademark or assumed-name filing.",
        "rejected",
    ),
    Reason(
        "display_name_not_compliant",
        "Display name format not allowed",
        "The display name is a phone number, or contains a URL, slogan, advert, repeated punctuation, third-party personal data, or a person's name without the business.",
        "Please remove 'Call Now!!!'. The display name should simply identify the business.",
        "rejected",
    ),
    Reason(
        "prohibited_content",
        "Prohibited content",
        'The name, logo or call reason contains SHAFT content (sex, hate, alcohol, firearms, tobacco) where it is prohibited, government-agency terms ("FBI", "Medicare"…) or offensive language.',
        "'Medicare Benefits Update' implies a government program. Please remove government terms.",
        "rejected",
    ),
    Reason(
        "logo_not_representative",
        "Logo does not represent the business",
        "The logo is a photo, stock art, mostly text, unreadable at small size, or not the business's mark.",
        "The image is a photo of a van. Please submit your company logo.",
        "rejected",
    ),
    Reason(
        "logo_ownership_unverified",
        "Logo ownership not shown",
        "The logo looks like another party's trademark, or the enterprise has no documented right to use it.",
        "This logo matches a mark registered to another company. Provide your trademark registration or licence.",
        "rejected",
    ),
    Reason(
        "logo_unreachable",
        "Logo could not be retrieved",
        "At submission the logo URL did not return the validated BMP: a timeout, a 4xx/5xx, a redirect to a login page, or a file that changed after validation.",
        "We could not download the logo during review. Make sure the URL is public, then resubmit.",
        "unsuccessful",
    ),
    Reason(
        "call_reason_unclear",
        "Call reason unclear or unsupported",
        "A custom call reason is too generic or misleading, or does not fit the business's use case.",
        "'Important Call' doesn't explain the purpose. Consider 'Appointment Reminder' from the pre-approved list.",
        "rejected",
    ),
    Reason(
        "call_reason_disallowed_content",
        "Call reason contains disallowed content",
        "A call reason contains a URL, phone number, personal data (a name or account number) or promotional wording.",
        "Please remove the link and the customer name from the call reason.",
        "rejected",
    ),
    Reason(
        "authorizer_unverified",
        "Authorizer could not be verified",
        "The authorizer is not an identifiable person at the business (e.g. a role account, or an unrelated or free-mail e-mail domain) or did not confirm.",
        "'Compliance Team' is not a person. Name an officer or employee, with a company e-mail.",
        "rejected",
    ),
    Reason(
        "references_unconfirmed",
        "References not confirmed",
        "A business or financial reference could not be reached in their calling window after every attempt, or did not confirm the relationship.",
        "Business reference 2 did not answer after three attempts. Please provide another contact.",
        "rejected",
    ),
    Reason(
        "reference_ineligible",
        "Reference does not qualify",
        "A reference is not senior enough or works at the registering business itself, or the financial reference is not a bank, financial institution or CPA.",
        "Your financial reference is an employee. Please give your bank contact or CPA.",
        "rejected",
    ),
    Reason(
        "third_party_brand_unauthorized",
        "Third-party brand not authorized",
        "The name or logo belongs to another company (a reseller or BPO calling for a client) and the brand owner has not given written authorization.",
        "The DIR shows 'Contoso Bank' but the enterprise is a call centre. Provide the brand owner's authorization.",
        "rejected",
    ),
    Reason(
        "ineligible_business_category",
        "Business category not eligible",
        "The business or its reason for calling falls in a category carriers will not brand: illegal products or services, deceptive or threatening practices.",
        "Branded Calling cannot be offered for this line of business.",
        "permanently_rejected",
    ),
    Reason(
        "infringement_claim_upheld",
        "Infringement claim upheld",
        "A trademark or copyright claim against this DIR's name or logo was resolved as `upheld`.",
        "The claim filed by Contoso Ltd. was upheld; this identity cannot be used again.",
        "permanently_rejected",
    ),
    Reason(
        "vetting_system_error",
        "Vetting could not be completed",
        "A system error interrupted vetting or the registry submission; nothing is wrong with the content.",
        "A temporary error interrupted review. Please resubmit; no changes are needed.",
        "unsuccessful",
    ),
]

NUMBER_REASONS: list[Reason] = [
    Reason(
        "loa_missing",
        "Letter of Authorization missing",
        "The document attached to this batch as `letter_of_authorization` is not an LOA (e.g. a phone bill or a certificate).",
        "The file attached as the LOA is a phone bill. Please attach the signed Letter of Authorization.",
        "unsuccessful",
    ),
    Reason(
        "loa_unsigned",
        "Letter of Authorization is unsigned",
        "The LOA has no signature, a signature that doesn't match the named signer, or an e-signature that is invalid.",
        "The LOA is unsigned. Please sign it and upload it again.",
        "unsuccessful",
    ),
    Reason(
        "loa_numbers_mismatch",
        "Number not covered by the LOA",
        "This number is not listed on the LOA attached to its batch.",
        "+12125550199 is not listed on the attached LOA.",
        "unsuccessful",
    ),
    Reason(
        "loa_entity_mismatch",
        "LOA does not match the enterprise",
        "The LOA names a different business, address, tax ID or display name from the enterprise or DIR, or has an agent block that doesn't apply.",
        "The LOA is issued by Acme Holdings Inc., not Acme Plumbing LLC.",
        "unsuccessful",
    ),
    Reason(
        "number_not_owned",
        "Number ownership not confirmed",
        "At vetting time the number was not on this account (ported out or released), or ownership could not be established.",
        "+13125550100 is no longer on your account.",
        "unsuccessful",
    ),
    Reason(
        "number_not_in_service",
        "Number not in service",
        "The number is disconnected or inactive, or not set up for outbound voice (no connection or outbound profile).",
        "The number is not active for outbound calling.",
        "unsuccessful",
    ),
    Reason(
        "number_type_ineligible",
        "Number type not eligible",
        "The number is not a US local (geographic 10-digit) number: e.g. toll-free, non-US (including Canada) or a short code.",
        "Toll-free numbers cannot be registered for Branded Calling.",
        "permanently_rejected",
    ),
    Reason(
        "number_registered_elsewhere",
        "Number already branded elsewhere",
        "The number is already registered for branded calling under another enterprise or provider.",
        "+12125550123 is registered to a different brand. Release it there first.",
        "unsuccessful",
    ),
    Reason(
        "number_reputation_high_risk",
        "Number flagged as spam",
        "Reputation data shows high spam risk or a spam or fraud label, or an excessive share of calls rejected with SIP 603/608.",
        "This number is currently labelled 'Spam Likely'. Remediate it before branding.",
        "unsuccessful",
    ),
    Reason(
        "number_abuse_confirmed",
        "Number barred for abuse",
        "The number is tied to confirmed illegal robocalling, spoofing or traceback findings.",
        "This number cannot be used for Branded Calling.",
        "permanently_rejected",
    ),
    Reason(
        "carrier_registration_failed",
        "Carrier registration failed",
        "The carrier or registry did not finish enabling branding for this number; nothing was wrong with the submission.",
        "The carrier did not confirm the registration. Please re-add the number.",
        "unsuccessful",
    ),
    Reason(
        "dir_not_verified",
        "Display identity no longer verified",
        "While this batch was in review, the DIR left `verified`: it was edited back to draft, suspended, expired or deleted.",
        "The DIR changed while these numbers were in review. Re-add them once it is verified again.",
        "unsuccessful",
    ),
]

DIR_BY_CODE = {r.code: r for r in DIR_REASONS}
NUMBER_BY_CODE = {r.code: r for r in NUMBER_REASONS}
