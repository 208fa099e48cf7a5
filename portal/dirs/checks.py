"""Local pre-submit checks for a DIR (REJECTIONS.md §3: P1, P5–P10, P12).

Pure functions over the API's request/response shapes, so the form, the submit flow and the detail
page can all run them without a database or a remote call. "block" stops the action; "warn" asks
the user to confirm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

BLOCK = "block"
WARN = "warn"
SAVE = "save"
SUBMIT = "submit"

NAME_MAX = 35
NAME_SHORT = 15  # some networks truncate longer names (Verizon shows 15)
REASONS_MAX = 10
REASON_MAX = 64
LOGO_URL_MAX = 128
CERTIFICATIONS = ("certify_brand_is_accurate", "certify_no_shaft_content", "certify_ip_ownership")

ENTITY_DOCUMENTS = {"business_registration", "articles_of_incorporation", "certificate_of_good_standing"}
EIN_DOCUMENTS = {"ein_letter", "tax_document"}

GOVERNMENT_TERMS = (
    "fbi",
    "police",
    "government",
    "medicare",
    "medicaid",
    "social security administration",
    "social security",
    "irs",
    "sheriff",
    "homeland security",
)
SHAFT_TERMS = (
    "sex",
    "sexy",
    "adult",
    "escort",
    "porn",
    "xxx",
    "hate",
    "alcohol",
    "beer",
    "wine",
    "liquor",
    "vodka",
    "whiskey",
    "brewery",
    "firearm",
    "firearms",
    "gun",
    "guns",
    "ammo",
    "ammunition",
    "rifle",
    "tobacco",
    "cigar",
    "cigars",
    "cigarette",
    "cigarettes",
    "vape",
    "vaping",
    "cannabis",
    "marijuana",
    "cbd",
)
PROMO_TERMS = (
    "call now",
    "call today",
    "free",
    "act now",
    "limited time",
    "winner",
    "prize",
    "sale",
    "discount",
)
GENERIC_REASON_WORDS = {"important", "urgent", "call", "calls", "calling", "message", "info", "general"}
ROLE_WORDS = {
    "team",
    "admin",
    "administrator",
    "support",
    "info",
    "compliance",
    "department",
    "dept",
    "office",
    "staff",
    "sales",
    "billing",
    "helpdesk",
    "noreply",
    "no-reply",
}
FREE_MAIL = {
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
}
# Words that never make a display name "associated" with the business on their own.
NAME_STOPWORDS = {
    "the",
    "and",
    "of",
    "a",
    "an",
    "llc",
    "l",
    "c",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "lp",
    "llp",
    "plc",
    "pllc",
    "pc",
}
DBA_HINTS = ("dba", "d/b/a", "doing business as", "assumed name", "fictitious", "trade name")

EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols & pictographs extended
    "\U0001f1e6-\U0001f1ff"  # regional indicators (flags)
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2b00-\u2bff"  # arrows and stars (⭐)
    "\u2190-\u21ff"  # arrows
    "\ufe0f\u200d\u20e3"  # variation selector, zero-width joiner, keycap
    "]"
)
_URL = re.compile(r"(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|io|co|us|biz|info|app)\b)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}")
_DIGIT_RUN = re.compile(r"\d{6,}")
_REPEATED_PUNCT = re.compile(r"([!?.,*#$~_\-])\1{2,}|[!?]{3,}")
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Finding:
    code: str  # the §3 rule, e.g. "P5"
    level: str  # "block" | "warn"
    field: str | None  # form field name, or None for the whole DIR
    message: str
    prevents: tuple[str, ...]  # rejection codes this check prevents


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop the action."""
    return [f for f in findings if f.level == BLOCK]


def dir_checks(
    *,
    values: dict[str, Any],
    enterprise: dict[str, Any],
    stage: str,
    claims: Iterable[dict[str, Any]] = (),
    upheld: Iterable[dict[str, Any]] = (),
    http_logo_ok: bool = False,
) -> list[Finding]:
    """Run the local checks for one DIR; stage "save" runs the editing checks, "submit" all of them.

    ``claims`` are this DIR's infringement claims (remote dicts); ``upheld`` are other DIRs of the
    team (``display_name``, ``logo_url``) whose claim was upheld. ``http_logo_ok`` waives the HTTPS
    rule for a logo URL (the portal's own logo on a local http portal, which the simulator accepts).
    """
    if stage not in (SAVE, SUBMIT):
        raise ValueError(f"unknown stage {stage!r}")
    values = values or {}
    enterprise = enterprise or {}
    documents = [d for d in (values.get("documents") or []) if isinstance(d, dict)]
    findings: list[Finding] = []
    findings += _display_name(values.get("display_name"))
    findings += _association(values, enterprise, documents)
    findings += _prohibited(values)
    findings += _call_reasons(values.get("call_reasons"))
    findings += _logo(values.get("logo_url"), documents, stage, http_ok=http_logo_ok)
    findings += _reuse(values, list(upheld))
    if stage == SUBMIT:
        findings += _documents(documents)
        findings += _authorizer(values, enterprise)
        findings += _open_claims(list(claims))
    return findings


# --- helpers


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _reasons(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    out = []
    for item in value or []:
        # Responses carry {"reason": ...} objects, requests plain strings; accept both.
        text = item.get("reason") if isinstance(item, dict) else item
        out.append(text if isinstance(text, str) else "")
    return out


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded.replace("&", " and "))


def _contains_term(text: str, terms: Iterable[str]) -> str | None:
    """The first term found as whole words in text (case-insensitive), if any."""
    haystack = " " + " ".join(_words(text)) + " "
    for term in terms:
        needle = " " + " ".join(_words(term)) + " "
        if needle.strip() and needle in haystack:
            return term
    return None


def _hostname(website: str) -> str:
    if website and "//" not in website:
        website = "//" + website
    try:
        return (urlsplit(website).hostname or "").removeprefix("www.")
    except ValueError:  # e.g. "http://[x": not an address at all
        return ""


def _core_words(text: str) -> set[str]:
    return {w for w in _words(text) if w not in NAME_STOPWORDS}


# --- P5 display name format


def _display_name(raw: Any) -> list[Finding]:
    prevents = ("display_name_not_compliant",)
    name = _text(raw)
    f = []

    def block(message: str) -> None:
        f.append(Finding("P5", BLOCK, "display_name", message, prevents))

    if not name:
        block(_("Enter a display name."))
        return f
    if len(name) > NAME_MAX:
        block(_("Use at most %(max)d characters (this one has %(n)d).") % {"max": NAME_MAX, "n": len(name)})
    if EMOJI.search(name):
        block(_("Remove emoji and symbols: carriers show plain text only."))
    if _PHONE.search(name) or _DIGIT_RUN.search(name):
        block(_("Don't put a phone number in the display name."))
    if _URL.search(name) or _EMAIL.search(name):
        block(_("Don't put a web address or e-mail in the display name."))
    if _REPEATED_PUNCT.search(name):
        block(_("Remove repeated punctuation such as “!!!”."))
    promo = _contains_term(name, PROMO_TERMS) or ("% off" if re.search(r"%\s*off\b", name, re.I) else None)
    if promo:
        block(
            _("Remove advertising wording (“%(term)s”): the name should simply identify the business.")
            % {"term": promo}
        )
    if not f and len(name) > NAME_SHORT:
        f.append(
            Finding(
                "P5",
                WARN,
                "display_name",
                _(
                    "Some networks cut names after %(n)d characters; check that the first %(n)d still make sense."
                )
                % {"n": NAME_SHORT},
                prevents,
            )
        )
    return f


# --- P6 name associated with the business


def _association(values: dict, enterprise: dict, documents: list[dict]) -> list[Finding]:
    name = _text(values.get("display_name"))
    if not name:
        return []
    names = [_text(enterprise.get("legal_name")), _text(enterprise.get("doing_business_as"))]
    own = set().union(*(_core_words(n) for n in names if n))
    mine = _core_words(name)
    # "AcmePlumbing" is still Acme Plumbing: look for the business's words inside the squashed name.
    squashed = "".join(_words(name))
    if mine & own or any(len(w) >= 4 and w in squashed for w in own):
        return []
    types = {d.get("document_type") for d in documents}
    dba_filed = any(
        d.get("document_type") == "business_registration"
        and any(h in (d.get("description") or "").lower() for h in DBA_HINTS)
        for d in documents
    )
    if values.get("reselling"):
        if "letter_of_authorization" in types:
            return []
        return [
            Finding(
                "P6",
                BLOCK,
                "documents",
                _(
                    "You resell this brand: attach the brand owner's signed letter of authorization under "
                    "Documents, or have the brand owner authorize you."
                ),
                ("third_party_brand_unauthorized",),
            )
        ]
    if "trademark_registration" in types or dba_filed:
        return []
    legal = names[0] or _("your legal name")
    return [
        Finding(
            "P6",
            BLOCK,
            "display_name",
            _(
                "“%(name)s” shares no word with %(legal)s or your DBA. Use your business name, attach a "
                "trademark registration or DBA filing, or mark the DIR as reselling."
            )
            % {"name": name, "legal": legal},
            ("display_name_not_associated", "third_party_brand_unauthorized"),
        )
    ]


# --- P7 prohibited content and certifications


def _prohibited(values: dict) -> list[Finding]:
    prevents = ("prohibited_content",)
    f = []
    sources = [("display_name", _text(values.get("display_name")))]
    sources += [("call_reasons", r) for r in _reasons(values.get("call_reasons"))]
    for field, text in sources:
        term = _contains_term(text, GOVERNMENT_TERMS)
        if term:
            f.append(
                Finding(
                    "P7",
                    BLOCK,
                    field,
                    _("“%(term)s” implies a government agency or programme; remove it.") % {"term": term},
                    prevents,
                )
            )
            continue
        term = _contains_term(text, SHAFT_TERMS)
        if term:
            f.append(
                Finding(
                    "P7",
                    WARN,
                    field,
                    _(
                        "“%(term)s” may count as restricted content (sex, hate, alcohol, firearms, tobacco); "
                        "carriers often refuse to brand it."
                    )
                    % {"term": term},
                    prevents,
                )
            )
    for field in CERTIFICATIONS:
        if values.get(field) is not True:
            f.append(Finding("P7", BLOCK, field, _("This certification must be confirmed."), prevents))
    return f


# --- P8 call reasons


def _call_reasons(raw: Any) -> list[Finding]:
    reasons = _reasons(raw)
    field = "call_reasons"
    content = ("call_reason_disallowed_content",)
    f = []
    if not [r for r in reasons if r.strip()]:
        return [Finding("P8", BLOCK, field, _("Add at least one call reason."), ("call_reason_unclear",))]
    if len(reasons) > REASONS_MAX:
        f.append(Finding("P8", BLOCK, field, _("Use at most %(n)d call reasons.") % {"n": REASONS_MAX}, ()))
    seen = set()
    for reason in reasons:
        text = reason.strip()
        if not text:
            f.append(Finding("P8", BLOCK, field, _("Remove the empty call reason."), ()))
            continue
        label = {"reason": text}
        if len(text) > REASON_MAX:
            f.append(
                Finding(
                    "P8",
                    BLOCK,
                    field,
                    _("“%(reason)s” is longer than %(n)d characters.") % {**label, "n": REASON_MAX},
                    (),
                )
            )
        if _URL.search(text) or _EMAIL.search(text):
            f.append(
                Finding(
                    "P8", BLOCK, field, _("“%(reason)s”: remove the link or e-mail address.") % label, content
                )
            )
        if _DIGIT_RUN.search(text) or _PHONE.search(text):
            f.append(
                Finding(
                    "P8", BLOCK, field, _("“%(reason)s”: remove phone or account numbers.") % label, content
                )
            )
        words = _words(text)
        if any(w in ("important", "urgent") for w in words) or not [
            w for w in words if w not in GENERIC_REASON_WORDS
        ]:
            f.append(
                Finding(
                    "P8",
                    WARN,
                    field,
                    _("“%(reason)s” is too generic; say why you call (e.g. “Appointment Reminder”).") % label,
                    ("call_reason_unclear",),
                )
            )
        key = text.casefold()
        if key in seen:
            f.append(Finding("P8", WARN, field, _("“%(reason)s” is listed twice.") % label, ()))
        seen.add(key)
    return f


# --- P9 logo (what can be checked without fetching it)


def _logo(raw: Any, documents: list[dict], stage: str, *, http_ok: bool = False) -> list[Finding]:
    url = _text(raw)
    if not url:
        return []
    field = "logo_url"
    f = []
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "https://[::1/logo.bmp": treated as not HTTPS at all
        parts = urlsplit("")
    if (parts.scheme != "https" or not parts.netloc) and not http_ok:
        f.append(
            Finding(
                "P9", BLOCK, field, _("The logo must be served over public HTTPS."), ("logo_unreachable",)
            )
        )
    if len(url) > LOGO_URL_MAX:
        f.append(
            Finding(
                "P9",
                BLOCK,
                field,
                _("The logo address is longer than %(n)d characters.") % {"n": LOGO_URL_MAX},
                ("logo_unreachable",),
            )
        )
    if not parts.path.lower().endswith(".bmp"):
        f.append(
            Finding(
                "P9",
                BLOCK,
                field,
                _("The logo must be a 256×256 BMP; upload it again so the portal converts it."),
                ("logo_not_representative",),
            )
        )
    if stage == SUBMIT and not any(d.get("document_type") == "trademark_registration" for d in documents):
        f.append(
            Finding(
                "P9",
                WARN,
                field,
                _("Make sure the logo is your own mark; attaching a trademark registration helps vetting."),
                ("logo_ownership_unverified",),
            )
        )
    return f


# --- P12 identities lost to an upheld claim; open claims


def _reuse(values: dict, upheld: list[dict]) -> list[Finding]:
    name = _core_words(_text(values.get("display_name")))
    logo = _text(values.get("logo_url"))
    f = []
    for other in upheld:
        if name and name == _core_words(_text(other.get("display_name"))):
            f.append(
                Finding(
                    "P12",
                    WARN,
                    "display_name",
                    _(
                        "An infringement claim against this name was upheld on another DIR; choose a different name."
                    ),
                    ("infringement_claim_upheld",),
                )
            )
        if logo and logo == _text(other.get("logo_url")):
            f.append(
                Finding(
                    "P12",
                    WARN,
                    "logo_url",
                    _(
                        "An infringement claim against this logo was upheld on another DIR; use a different logo."
                    ),
                    ("infringement_claim_upheld",),
                )
            )
    return f


def _open_claims(claims: list[dict]) -> list[Finding]:
    if any(c.get("status") in ("pending", "contested") for c in claims):
        return [
            Finding(
                "P12",
                BLOCK,
                None,
                _(
                    "An infringement claim on this DIR is still open; resolve or contest it before resubmitting."
                ),
                ("infringement_claim_upheld",),
            )
        ]
    return []


# --- P1 documents (local part: the right kinds are attached)


def _documents(documents: list[dict]) -> list[Finding]:
    types = {d.get("document_type") for d in documents}
    prevents = ("documentation_incomplete", "document_unreadable")
    f = []
    if not types & ENTITY_DOCUMENTS:
        f.append(
            Finding(
                "P1",
                BLOCK,
                "documents",
                _(
                    "Attach a document that proves the company exists: business registration, articles of "
                    "incorporation or certificate of good standing."
                ),
                prevents,
            )
        )
    if not types & EIN_DOCUMENTS:
        f.append(
            Finding(
                "P1",
                BLOCK,
                "documents",
                _("Attach proof of your EIN: the IRS EIN letter or a tax document."),
                prevents,
            )
        )
    return f


# --- P10 authorizer


def _authorizer(values: dict, enterprise: dict) -> list[Finding]:
    prevents = ("authorizer_unverified",)
    name = _text(values.get("authorizer_name"))
    email = _text(values.get("authorizer_email"))
    f = []
    words = name.split()
    if len(words) < 2:
        f.append(
            Finding(
                "P10",
                BLOCK,
                "authorizer_name",
                _("Enter the authorizer's full name (first and last name)."),
                prevents,
            )
        )
    role = next((w for w in _words(name) if w in ROLE_WORDS), None)
    if role:
        f.append(
            Finding(
                "P10",
                BLOCK,
                "authorizer_name",
                _("The authorizer must be a named person, not a role or team (“%(word)s”).") % {"word": role},
                prevents,
            )
        )
    if not _EMAIL_SHAPE.match(email):
        f.append(
            Finding("P10", BLOCK, "authorizer_email", _("Enter the authorizer's e-mail address."), prevents)
        )
        return f
    local, _sep, domain = email.lower().rpartition("@")
    if local in ROLE_WORDS or local.split("+")[0] in ROLE_WORDS:
        f.append(
            Finding(
                "P10",
                WARN,
                "authorizer_email",
                _("Use the authorizer's personal work address, not a shared mailbox."),
                prevents,
            )
        )
    site = _hostname(_text(enterprise.get("website")))
    if domain in FREE_MAIL:
        f.append(
            Finding(
                "P10",
                WARN,
                "authorizer_email",
                _("Use an address on your business domain, not a free mail provider."),
                prevents,
            )
        )
    elif site and domain != site and not domain.endswith("." + site) and not site.endswith("." + domain):
        f.append(
            Finding(
                "P10",
                WARN,
                "authorizer_email",
                _("The e-mail domain (%(domain)s) differs from your website (%(site)s).")
                % {"domain": domain, "site": site},
                prevents,
            )
        )
    return f
