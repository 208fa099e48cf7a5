"""The electronic-signature disclosure and consent (ESIGN Act, UETA), versioned: a ceremony records the version."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Consent:
    version: str
    title: str
    paragraphs: tuple[str, ...]
    agreement: str


CONSENT = Consent(
    version="2026-12-07",
    title="Consent to sign electronically",
    paragraphs=(
        "You are about to sign Letters of Authorization electronically. Your electronic signature "
        "has the same legal effect as a handwritten one.",
        "Each letter authorizes Telnyx to display the brand named on it on calls from the telephone "
        "numbers it lists, and confirms that the business named on it has the right to use them.",
        "You may use paper instead, at no cost: download the unsigned letter, sign it by hand and "
        'upload it with "upload a letter signed elsewhere" below, or ask the person who sent you '
        "here. You may withdraw this consent at any time before you sign by closing this page.",
        "When you sign, you will receive by e-mail a copy of the signed letters and a certificate "
        "recording when and how you signed. To open them you need a PDF reader.",
    ),
    agreement="I have read this notice, I agree to sign electronically, and I am authorized to sign for "
    "the business named on the letters.",
)
