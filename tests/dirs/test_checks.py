"""Local pre-submit checks (REJECTIONS.md §3): each rule's block and warn cases at their boundaries."""

from __future__ import annotations

import pytest

from portal.dirs.checks import Finding, blocking, dir_checks

ENTERPRISE = {
    "legal_name": "Acme Plumbing LLC",
    "doing_business_as": "Acme Pipes",
    "website": "https://www.acmeplumbing.com",
    "industry": "business",
}


def good(**overrides) -> dict:
    values = {
        "display_name": "Acme Plumbing",
        "call_reasons": ["Appointment Reminder", "Billing Inquiry"],
        "logo_url": "https://cdn.acmeplumbing.com/logos/v3.bmp",
        "authorizer_name": "Jane Roe",
        "authorizer_email": "jane.roe@acmeplumbing.com",
        "documents": [
            {"document_id": "d1", "document_type": "articles_of_incorporation", "description": ""},
            {"document_id": "d2", "document_type": "ein_letter", "description": ""},
            {"document_id": "d3", "document_type": "trademark_registration", "description": ""},
        ],
        "reselling": False,
        "certify_brand_is_accurate": True,
        "certify_no_shaft_content": True,
        "certify_ip_ownership": True,
    }
    values.update(overrides)
    return values


def run(stage="submit", enterprise=ENTERPRISE, **overrides) -> list[Finding]:
    return dir_checks(values=good(**overrides), enterprise=enterprise, stage=stage)


def codes(findings, level=None, field=None) -> list[str]:
    return [
        f.code
        for f in findings
        if (level is None or f.level == level) and (field is None or f.field == field)
    ]


def test_a_good_dir_has_no_findings():
    """The baseline DIR passes every check at both stages."""
    assert run("submit") == []
    assert run("save") == []


def test_blocking_keeps_only_blocks():
    """blocking() drops warnings."""
    findings = run(display_name="Acme Plumbing Billing Dept")  # > 15 chars: warn only
    assert findings and blocking(findings) == []
    findings = run(display_name="")
    assert blocking(findings) == [f for f in findings if f.level == "block"] != []


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError):
        dir_checks(values=good(), enterprise=ENTERPRISE, stage="publish")


def test_findings_are_frozen_and_carry_what_they_prevent():
    f = run(display_name="Acme!!!")[0]
    assert f.prevents == ("display_name_not_compliant",)
    with pytest.raises(AttributeError):
        f.level = "warn"  # type: ignore[misc]


# --- P5 display name


@pytest.mark.parametrize("name", ["", "   ", None])
def test_p5_blank_name_blocks(name):
    assert codes(run(display_name=name), "block", "display_name") == ["P5"]


def test_p5_35_chars_pass_36_block():
    """1–35 characters; 36 is refused."""
    name35 = "Acme Plumbing " + "x" * 21
    assert len(name35) == 35
    assert codes(run(display_name=name35), "block") == []
    assert codes(run(display_name=name35 + "x"), "block", "display_name") == ["P5"]


def test_p5_15_chars_pass_16_warn():
    """Longer than 15 characters is allowed with a truncation warning."""
    assert run(display_name="Acme Plumbing 1") == []  # 15 chars
    findings = run(display_name="Acme Plumbing Co")  # 16 chars
    assert [(f.code, f.level) for f in findings] == [("P5", "warn")]


@pytest.mark.parametrize("name", ["Acme Plumbing 🔧", "Acme ⭐ Plumbing", "Acme Plumbing ✔", "Acme 🇺🇸"])
def test_p5_emoji_blocks(name):
    assert "P5" in codes(run(display_name=name), "block", "display_name")


@pytest.mark.parametrize(
    "name",
    ["Acme 212-555-0100", "Acme (212) 555 0100", "+1 212 555 0100", "Acme 2125550100", "Acme 123456"],
)
def test_p5_phone_number_blocks(name):
    assert "P5" in codes(run(display_name=name), "block")


def test_p5_short_digits_are_fine():
    """A house number or year is not a phone number."""
    assert codes(run(display_name="Acme Plumbing 1999"), "block") == []
    assert codes(run(display_name="Acme 12345"), "block") == []


@pytest.mark.parametrize("name", ["acmeplumbing.com", "www.acme.test", "https://acme", "Acme jane@acme.com"])
def test_p5_url_or_email_blocks(name):
    assert "P5" in codes(run(display_name=name), "block", "display_name")


@pytest.mark.parametrize("name", ["Acme!!!", "Acme???", "Acme...", "Acme!?!"])
def test_p5_three_repeated_punctuation_marks_block(name):
    assert "P5" in codes(run(display_name=name), "block", "display_name")


def test_p5_two_punctuation_marks_pass():
    assert codes(run(display_name="Acme!! Plumbing"), "block") == []


@pytest.mark.parametrize("name", ["Acme Call Now", "Acme FREE Quote", "Acme 20% off", "Acme Sale"])
def test_p5_advertising_words_block(name):
    assert "P5" in codes(run(display_name=name), "block", "display_name")


def test_p5_free_inside_a_word_is_fine():
    """Whole words only: 'Freeman' is a name, not an offer."""
    ent = {**ENTERPRISE, "legal_name": "Freeman Plumbing LLC"}
    assert codes(run(display_name="Freeman Plumbing", enterprise=ent), "block") == []


# --- P6 association with the business


def test_p6_legal_name_dba_and_department_suffix_pass():
    for name in ("Acme Plumbing", "Acme Pipes", "Acme Billing", "ACME", "AcmePlumbing"):
        assert "P6" not in codes(run(display_name=name)), name


def test_p6_legal_suffix_alone_is_not_a_shared_word():
    """Sharing only 'LLC' or 'The' does not associate the name."""
    findings = run(display_name="The Quick LLC", documents=[])
    assert codes(findings, "block", "display_name") == ["P6"]


def test_p6_unrelated_name_blocks_without_documents():
    docs = [{"document_id": "d1", "document_type": "articles_of_incorporation", "description": ""}]
    findings = run("save", display_name="QuickFix Pros", documents=docs)
    assert codes(findings, "block") == ["P6"]
    assert findings[0].prevents == ("display_name_not_associated", "third_party_brand_unauthorized")


def test_p6_trademark_or_dba_filing_allows_an_unrelated_name():
    trademark = [{"document_id": "t", "document_type": "trademark_registration", "description": ""}]
    dba = [
        {
            "document_id": "b",
            "document_type": "business_registration",
            "description": "DBA filing for QuickFix",
        }
    ]
    plain = [
        {"document_id": "b", "document_type": "business_registration", "description": "State registration"}
    ]
    assert "P6" not in codes(run("save", display_name="QuickFix Pros", documents=trademark))
    assert "P6" not in codes(run("save", display_name="QuickFix Pros", documents=dba))
    assert "P6" in codes(run("save", display_name="QuickFix Pros", documents=plain))


def test_p6_reselling_needs_the_brand_owners_letter():
    no_letter = run("save", display_name="Contoso Bank", reselling=True, documents=[])
    assert [(f.code, f.field, f.prevents) for f in blocking(no_letter)] == [
        ("P6", "documents", ("third_party_brand_unauthorized",))
    ]
    letter = [{"document_id": "l", "document_type": "letter_of_authorization", "description": "Contoso"}]
    assert "P6" not in codes(run("save", display_name="Contoso Bank", reselling=True, documents=letter))


def test_p6_accents_and_case_are_normalized():
    ent = {**ENTERPRISE, "legal_name": "Café Olé Inc", "doing_business_as": ""}
    assert "P6" not in codes(run(display_name="CAFE OLE", enterprise=ent))


# --- P7 prohibited content and certifications


@pytest.mark.parametrize("name", ["Acme Medicare Help", "Acme IRS Relief", "Acme Police", "FBI Acme"])
def test_p7_government_terms_in_the_name_block(name):
    assert "P7" in codes(run(display_name=name), "block", "display_name")


def test_p7_government_term_in_a_call_reason_blocks():
    findings = run(call_reasons=["Social Security Administration update"])
    assert codes(findings, "block", "call_reasons") == ["P7"]
    assert findings[0].prevents == ("prohibited_content",)


def test_p7_term_inside_a_word_is_fine():
    """'First' contains 'irs', 'Policeman' is not 'Police' as a word… whole words only."""
    assert codes(run(display_name="Acme First"), "block") == []


@pytest.mark.parametrize("name", ["Acme Wine", "Acme Guns", "Acme Tobacco"])
def test_p7_shaft_keywords_warn(name):
    findings = run(display_name=name)
    assert ("P7", "warn") in [(f.code, f.level) for f in findings]
    assert "P7" not in codes(findings, "block")


@pytest.mark.parametrize(
    "field", ["certify_brand_is_accurate", "certify_no_shaft_content", "certify_ip_ownership"]
)
@pytest.mark.parametrize("value", [False, None, "true"])
def test_p7_each_certification_must_be_true(field, value):
    for stage in ("save", "submit"):
        assert codes(run(stage, **{field: value}), "block", field) == ["P7"]


# --- P8 call reasons


@pytest.mark.parametrize("reasons", [[], None, [""], ["   "]])
def test_p8_at_least_one_reason(reasons):
    assert "P8" in codes(run(call_reasons=reasons), "block", "call_reasons")


def test_p8_ten_reasons_pass_eleven_block():
    ten = [f"Appointment Reminder {chr(65 + i)}" for i in range(10)]
    assert codes(run(call_reasons=ten), "block") == []
    assert codes(run(call_reasons=[*ten, "Delivery Update"]), "block") == ["P8"]


def test_p8_64_chars_pass_65_block():
    reason = "Appointment Reminder " + "x" * 43
    assert len(reason) == 64
    assert codes(run(call_reasons=[reason]), "block") == []
    assert codes(run(call_reasons=[reason + "x"]), "block") == ["P8"]


def test_p8_response_shape_is_accepted():
    """Responses carry {"reason": …} objects; they are checked like strings."""
    assert run(call_reasons=[{"reason": "Delivery Update", "created_at": "2026-01-01T00:00:00Z"}]) == []


@pytest.mark.parametrize(
    "reason", ["Visit acme.com for details", "Reply to help@acme.com", "See https://x.y"]
)
def test_p8_links_and_emails_block(reason):
    findings = run(call_reasons=[reason])
    assert "P8" in codes(findings, "block", "call_reasons")
    assert ("call_reason_disallowed_content",) in [f.prevents for f in findings]


def test_p8_six_digit_run_blocks_five_passes():
    assert "P8" in codes(run(call_reasons=["Order 123456 shipped"]), "block")
    assert codes(run(call_reasons=["Order 12345 shipped"]), "block") == []


def test_p8_phone_number_blocks():
    assert "P8" in codes(run(call_reasons=["Call us at 212-555-0100"]), "block")


@pytest.mark.parametrize("reason", ["Important", "Urgent call", "Call", "Important Billing Notice"])
def test_p8_generic_words_warn(reason):
    findings = run(call_reasons=[reason])
    assert codes(findings, "block") == []
    assert [(f.code, f.level, f.prevents) for f in findings] == [("P8", "warn", ("call_reason_unclear",))]


def test_p8_specific_reason_with_the_word_call_passes():
    assert run(call_reasons=["Appointment Reminder Call"]) == []


def test_p8_duplicates_warn():
    findings = run(call_reasons=["Delivery Update", "delivery update"])
    assert [(f.code, f.level) for f in findings] == [("P8", "warn")]


# --- P9 logo


def test_p9_no_logo_is_fine():
    assert run(logo_url="") == []
    assert run(logo_url=None) == []


@pytest.mark.parametrize(
    "url",
    ["http://cdn.acme.com/l.bmp", "ftp://cdn.acme.com/l.bmp", "https:///l.bmp", "https://[::1/logo.bmp"],
)
def test_p9_logo_must_be_https(url):
    assert "P9" in codes(run(logo_url=url), "block", "logo_url")


def test_p9_https_waived_only_for_the_portals_own_local_logo(settings):
    from portal.dirs import services

    url = "http://localhost:8000/logos/0b1f.bmp"
    assert codes(run(logo_url=url), "block", "logo_url") == ["P9"]
    waived = dir_checks(values=good(logo_url=url), enterprise=ENTERPRISE, stage="submit", http_logo_ok=True)
    assert codes(waived, "block", "logo_url") == []
    # The services decide the waiver from settings: the simulator's loopback rule, our own URL.
    settings.PORTAL_PUBLIC_URL, settings.SIMULATOR_ALLOW_HTTP_LOOPBACK = "http://localhost:8000", True
    settings.TELNYX_API_BASE_URL = "http://127.0.0.1:8765/v2"
    assert codes(services.dir_findings(values=good(logo_url=url), enterprise_data=ENTERPRISE, stage="submit"),
                 "block", "logo_url") == []  # fmt: skip
    settings.TELNYX_API_BASE_URL = "https://api.telnyx.com/v2"
    assert codes(services.dir_findings(values=good(logo_url=url), enterprise_data=ENTERPRISE, stage="submit"),
                 "block", "logo_url") == ["P9"]  # fmt: skip


def test_p9_logo_url_128_pass_129_block():
    base = "https://cdn.acme.com/"
    url128 = base + "a" * (128 - len(base) - 4) + ".bmp"
    assert len(url128) == 128
    assert codes(run(logo_url=url128), "block") == []
    assert codes(run(logo_url=url128[:-4] + "a.bmp"), "block", "logo_url") == ["P9"]


@pytest.mark.parametrize("url", ["https://cdn.acme.com/logo.png", "https://cdn.acme.com/logo.jpg"])
def test_p9_logo_must_be_a_bmp(url):
    assert "P9" in codes(run(logo_url=url), "block", "logo_url")


def test_p9_submit_suggests_a_trademark_registration():
    docs = good()["documents"][:2]
    assert run("save", documents=docs) == []
    findings = run("submit", documents=docs)
    assert [(f.code, f.level, f.field) for f in findings] == [("P9", "warn", "logo_url")]


# --- P1 documents (submit only)


def test_p1_entity_and_ein_documents_are_required_at_submit():
    assert run("save", documents=[]) == []
    findings = run("submit", documents=[], logo_url="")
    assert [(f.code, f.level, f.field) for f in findings] == [("P1", "block", "documents")] * 2


@pytest.mark.parametrize(
    "entity", ["business_registration", "articles_of_incorporation", "certificate_of_good_standing"]
)
@pytest.mark.parametrize("ein", ["ein_letter", "tax_document"])
def test_p1_any_entity_and_ein_kind_satisfies_it(entity, ein):
    docs = [{"document_id": "a", "document_type": entity}, {"document_id": "b", "document_type": ein}]
    assert "P1" not in codes(run(documents=docs, logo_url=""))


def test_p1_missing_ein_proof_blocks():
    docs = [{"document_id": "a", "document_type": "business_registration"}]
    assert codes(run(documents=docs, logo_url=""), "block") == ["P1"]


# --- P10 authorizer (submit only)


@pytest.mark.parametrize("name", ["Jane", "", "  ", None])
def test_p10_full_name_of_two_words(name):
    assert "P10" in codes(run(authorizer_name=name), "block", "authorizer_name")
    assert "P10" not in codes(run("save", authorizer_name=name))


@pytest.mark.parametrize("name", ["Compliance Team", "Acme Support", "Info Desk", "Jane Admin"])
def test_p10_role_words_block(name):
    assert "P10" in codes(run(authorizer_name=name), "block", "authorizer_name")


def test_p10_a_real_name_passes():
    assert run(authorizer_name="Mary-Jane van der Berg") == []


@pytest.mark.parametrize("email", ["", "jane", "jane@", "jane@acme"])
def test_p10_email_must_look_like_one(email):
    assert "P10" in codes(run(authorizer_email=email), "block", "authorizer_email")


def test_p10_free_mail_role_mailbox_and_foreign_domain_warn():
    assert [(f.level, f.field) for f in run(authorizer_email="jane.roe@gmail.com")] == [
        ("warn", "authorizer_email")
    ]
    assert ("warn", "authorizer_email") in [
        (f.level, f.field) for f in run(authorizer_email="info@acmeplumbing.com")
    ]
    foreign = run(authorizer_email="jane@other.example")
    assert [(f.code, f.level) for f in foreign] == [("P10", "warn")]


def test_p10_subdomains_of_the_website_pass():
    assert run(authorizer_email="jane@mail.acmeplumbing.com") == []
    # A website that is no address at all names no domain (and breaks nothing).
    assert run(enterprise={**ENTERPRISE, "website": "http://[x"}, authorizer_email="jane@other.example") == []
    assert run(enterprise={**ENTERPRISE, "website": "acmeplumbing.com"}) == []
    assert run(enterprise={**ENTERPRISE, "website": ""}, authorizer_email="jane@other.example") == []


# --- P12 claims


def test_p12_open_claim_blocks_submit_only():
    for status in ("pending", "contested"):
        findings = dir_checks(
            values=good(), enterprise=ENTERPRISE, stage="submit", claims=[{"status": status}]
        )
        assert [(f.code, f.level, f.field) for f in findings] == [("P12", "block", None)]
        assert (
            dir_checks(values=good(), enterprise=ENTERPRISE, stage="save", claims=[{"status": status}]) == []
        )
    resolved = [{"status": "resolved", "resolution": "rejected"}]
    assert dir_checks(values=good(), enterprise=ENTERPRISE, stage="submit", claims=resolved) == []


def test_p12_reusing_an_upheld_name_or_logo_warns():
    lost = [{"display_name": "ACME plumbing", "logo_url": "https://cdn.acmeplumbing.com/logos/v3.bmp"}]
    findings = dir_checks(values=good(), enterprise=ENTERPRISE, stage="save", upheld=lost)
    assert sorted((f.code, f.level, f.field) for f in findings) == [
        ("P12", "warn", "display_name"),
        ("P12", "warn", "logo_url"),
    ]
    other = [{"display_name": "Acme Pipes", "logo_url": "https://cdn.acmeplumbing.com/logos/v2.bmp"}]
    assert dir_checks(values=good(), enterprise=ENTERPRISE, stage="save", upheld=other) == []


def test_save_stage_skips_submit_only_checks():
    """Documents, authorizer and open claims are only checked at submit."""
    values = good(documents=[], authorizer_name="", authorizer_email="")
    assert (
        dir_checks(values=values, enterprise=ENTERPRISE, stage="save", claims=[{"status": "pending"}]) == []
    )
    assert {f.code for f in dir_checks(values=values, enterprise=ENTERPRISE, stage="submit")} == {
        "P1",
        "P9",
        "P10",
    }
