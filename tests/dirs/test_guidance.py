"""The remediation table covers every catalogued rejection code and explains unknown ones raw."""

from __future__ import annotations

import pytest

from portal.dirs.guidance import GUIDANCE, Guidance, explain, guidance_for

DIR_CODES = [
    "documentation_incomplete",
    "document_unreadable",
    "document_entity_mismatch",
    "business_identity_unverified",
    "website_unverifiable",
    "display_name_not_associated",
    "display_name_not_compliant",
    "prohibited_content",
    "logo_not_representative",
    "logo_ownership_unverified",
    "logo_unreachable",
    "call_reason_unclear",
    "call_reason_disallowed_content",
    "authorizer_unverified",
    "references_unconfirmed",
    "reference_ineligible",
    "third_party_brand_unauthorized",
    "ineligible_business_category",
    "infringement_claim_upheld",
    "vetting_system_error",
]
NUMBER_CODES = [
    "loa_missing",
    "loa_unsigned",
    "loa_numbers_mismatch",
    "loa_entity_mismatch",
    "number_not_owned",
    "number_not_in_service",
    "number_type_ineligible",
    "number_registered_elsewhere",
    "number_reputation_high_risk",
    "number_abuse_confirmed",
    "carrier_registration_failed",
    "dir_not_verified",
]
TERMINAL = {
    "ineligible_business_category",
    "infringement_claim_upheld",
    "number_type_ineligible",
    "number_abuse_confirmed",
}
SYSTEM_SIDE = {"logo_unreachable", "vetting_system_error"}


def test_the_table_holds_exactly_the_catalogued_codes():
    """20 DIR codes and 12 number codes, nothing else."""
    assert len(DIR_CODES) == 20
    assert len(NUMBER_CODES) == 12
    assert set(GUIDANCE) == set(DIR_CODES) | set(NUMBER_CODES)


@pytest.mark.parametrize("code", DIR_CODES + NUMBER_CODES)
def test_every_code_has_plain_language_cause_and_fix(code):
    """Each entry is keyed by its own code and has a title, a cause and a fix."""
    g = guidance_for(code)
    assert isinstance(g, Guidance)
    assert g.code == code
    for text in (g.title, g.cause, g.fix):
        assert str(text).strip()
    assert "POST " not in str(g.fix) and "/v2/" not in str(g.fix)  # written for people, not API calls
    assert g.outcome in {"rejected", "unsuccessful", "permanently_rejected"}
    assert g.applies_to in {"dir", "number", "both"}


@pytest.mark.parametrize("code", DIR_CODES)
def test_dir_codes_apply_to_dirs(code):
    """DIR codes are for DIRs (the generic system error for both)."""
    assert GUIDANCE[code].applies_to == ("both" if code == "vetting_system_error" else "dir")


@pytest.mark.parametrize("code", NUMBER_CODES)
def test_number_codes_never_say_rejected(code):
    """Numbers have no `rejected` status: they fail as unsuccessful or permanently_rejected."""
    g = GUIDANCE[code]
    assert g.applies_to == "number"
    assert g.outcome in {"unsuccessful", "permanently_rejected"}


@pytest.mark.parametrize("code", DIR_CODES + NUMBER_CODES)
def test_retry_follows_the_outcome(code):
    """Only terminal reasons say they cannot be retried."""
    g = GUIDANCE[code]
    assert g.retry is (code not in TERMINAL)
    assert (g.outcome == "permanently_rejected") is (code in TERMINAL)
    if code in SYSTEM_SIDE:
        assert g.outcome == "unsuccessful"


def test_fixes_name_portal_pages():
    """DIR fixes point at a page of the portal the user can open."""
    assert "Edit the DIR › Documents" in str(GUIDANCE["documentation_incomplete"].fix)
    assert "Enterprise › Identity" in str(GUIDANCE["website_unverifiable"].fix)
    assert "Edit the DIR › Logo" in str(GUIDANCE["logo_unreachable"].fix)
    assert "Numbers › Add" in str(GUIDANCE["loa_unsigned"].fix)


def test_unknown_code_has_no_guidance():
    """guidance_for answers None for codes it does not know, and tolerates blanks."""
    assert guidance_for("brand_new_code") is None
    assert guidance_for("") is None
    assert guidance_for(" documentation_incomplete ") is GUIDANCE["documentation_incomplete"]


def test_explain_known_code_keeps_the_vetting_message():
    """A known code brings cause, fix and retry, plus the API's detail and reviewer message."""
    out = explain(
        {
            "code": "documentation_incomplete",
            "title": "Documentation incomplete",
            "detail": "Provided documents do not establish business identity.",
            "message": "Please re-upload a clearer scan of the certificate.",
        }
    )
    assert out["known"] is True
    assert out["code"] == "documentation_incomplete"
    assert str(out["title"]) == "Documentation incomplete"
    assert out["detail"] == "Provided documents do not establish business identity."
    assert out["message"] == "Please re-upload a clearer scan of the certificate."
    assert str(out["cause"]).startswith("Your documents")
    assert "Edit the DIR › Documents" in str(out["fix"])
    assert out["retry"] is True
    assert out["outcome"] == "rejected"
    assert out["guidance"] is GUIDANCE["documentation_incomplete"]


def test_explain_unknown_code_shows_everything_raw():
    """An unknown code still shows its code, title, detail and message."""
    out = explain(
        {"code": "mystery_check", "title": "Mystery", "detail": "Something odd.", "message": "Call us."}
    )
    assert out["known"] is False
    assert out["guidance"] is None
    assert (out["code"], out["title"], out["detail"], out["message"]) == (
        "mystery_check",
        "Mystery",
        "Something odd.",
        "Call us.",
    )
    assert out["cause"] == "" and out["fix"] == ""
    assert out["retry"] is None


def test_explain_tolerates_missing_fields():
    """null message, missing title and a non-dict reason never raise."""
    out = explain({"code": "odd", "title": None, "detail": None, "message": None})
    assert out["title"] == "odd"
    assert out["detail"] == "" and out["message"] == ""
    assert explain(None)["code"] == ""  # type: ignore[arg-type]
