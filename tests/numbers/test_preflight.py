"""Reading, normalizing and pre-flighting numbers before an add: every reason a number is held back."""

from __future__ import annotations

import time

import pytest

from portal import telnyx
from portal.core.exceptions import ServiceError
from portal.numbers import checks, services
from portal.numbers.models import Batch, DirNumber, NumberStatus
from tests.numbers import addflow
from tests.numbers.addflow import numbers

# --- pure functions


def test_tokens_split_on_every_separator_but_keep_spaced_numbers_whole():
    """Commas, semicolons, tabs, newlines and spaces separate; a number written with spaces stays one."""
    text = "3125550100, 3125550101;3125550102\t3125550103\n3125550104 3125550105\r\n+1 (312) 555-0106"
    assert checks.tokens(text) == [
        "3125550100",
        "3125550101",
        "3125550102",
        "3125550103",
        "3125550104",
        "3125550105",
        "+1 (312) 555-0106",
    ]
    assert checks.tokens("  \n ,, ;") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3125550100", "+13125550100"),
        ("13125550100", "+13125550100"),
        ("+13125550100", "+13125550100"),
        ("(312) 555-0100", "+13125550100"),
        ("312.555.0100", "+13125550100"),
        ("+1 312 555 0100", "+13125550100"),
        ("+442071234567", "+442071234567"),
        ("555-0100", None),  # 7 digits
        ("23125550100", None),  # 11 digits not starting with 1
        ("1125550100", None),  # area code starting with 1
        ("3121550100", None),  # exchange starting with 1
        ("+1312555010", None),  # +1 with 9 digits
        ("31255501OO", None),  # letters
        ("+0123456789", None),
        ("", None),
        ("١٢٣٤٥٦٧٨٩٠", None),  # non-ASCII digits
    ],
)
def test_normalize(raw, expected):
    """10-digit US → +1…, 11-digit starting with 1 → +…, punctuation stripped, anything else refused."""
    assert checks.normalize(raw) == expected


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("+13125550100", None),
        ("+18005550100", "toll_free"),
        ("+18885550100", "toll_free"),
        ("+18335550100", "toll_free"),
        ("+14165550100", "not_us"),  # Toronto
        ("+16045550100", "not_us"),  # Vancouver
        ("+442071234567", "not_us"),
    ],
)
def test_locale_problem_p13(number, problem):
    """P13: only US +1 numbers that are not toll-free can be branded."""
    assert checks.locale_problem(number) == problem


def test_classify_every_reason_in_order():
    """Each number lands under the first reason it meets; ok numbers keep their order; a duplicate keeps one copy."""
    raw = [
        "3125550100",  # ok
        "nonsense",  # invalid
        "8005550100",  # toll-free
        "4165550100",  # Canadian
        "312-555-0100",  # duplicate of the first
        "3125550101",  # not in inventory
        "3125550102",  # permanently rejected
        "3125550103",  # on another DIR
        "3125550104",  # already here
        "3125550105",  # ok
    ]
    inventory = {f"+1312555010{i}" for i in (0, 2, 3, 4, 5)}
    result = checks.classify(
        raw,
        here={"+13125550104"},
        elsewhere={"+13125550103"},
        rejected={"+13125550102"},
        inventory=inventory,
    )
    assert result.ok == ["+13125550100", "+13125550105"]
    assert result.problems == {
        "invalid_format": ["nonsense"],
        "toll_free": ["+18005550100"],
        "not_us": ["+14165550100"],
        "duplicate": ["+13125550100"],
        "not_in_inventory": ["+13125550101"],
        "permanently_rejected": ["+13125550102"],
        "on_other_dir": ["+13125550103"],
        "already_on_this_dir": ["+13125550104"],
    }
    assert [g["reason"] for g in result.groups] == list(checks.REASONS)
    assert result.flagged == 8
    # Dropping one reason keeps the others in the input for the next check.
    assert "+13125550101" not in result.without(["not_in_inventory"])
    assert "+13125550102" in result.without(["not_in_inventory"])


def test_classify_without_an_inventory_answer_skips_that_check():
    result = checks.classify(["3125550100"], here=set(), elsewhere=set(), rejected=set(), inventory=None)
    assert result.ok == ["+13125550100"]
    assert result.inventory_checked is False


@pytest.mark.parametrize(("count", "chunks"), [(1, 1), (15, 1), (16, 2), (100, 7), (1000, 67)])
def test_chunks_of_fifteen(count, chunks):
    parts = checks.chunks(numbers(2000, count))
    assert len(parts) == chunks
    assert all(1 <= len(p) <= 15 for p in parts)
    assert sum(parts, []) == numbers(2000, count)


def _csv(text: str, size: int = 7):
    """An upload's chunks that do not end on line breaks (like Django's)."""
    data = text.encode()
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_csv_with_a_header_uses_the_phone_column():
    text = "name,Phone Number,notes\nAda,(312) 555-0100,first\nMax,312.555.0101,\n\nVera,,none\n"
    assert checks.csv_numbers(_csv(text)) == ["(312) 555-0100", "312.555.0101"]


def test_csv_without_a_header_takes_the_first_column_of_digits():
    text = "\ufeffAda,3125550100,x\nMax,3125550101,y\n"
    assert checks.csv_numbers(_csv(text)) == ["3125550100", "3125550101"]
    assert checks.csv_numbers(_csv("3125550100\r\n3125550101")) == ["3125550100", "3125550101"]


def test_csv_saved_as_unicode_text_by_a_spreadsheet_is_read():
    """Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF; chunks cut mid-character."""
    text = "Name\tPhone number\r\nZoë\t(312) 555-0100\r\nMax\t312.555.0101\r\n"
    data = text.encode("utf-16")
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert checks.csv_numbers(chunks) == ["(312) 555-0100", "312.555.0101"]
    no_bom = "phone\n3125550100\n".encode("utf-16-le")
    assert checks.csv_numbers([no_bom]) == ["3125550100"]


def test_csv_in_windows_latin_1_with_semicolons_is_read():
    text = "Nom;Téléphone\nZoë;3125550100\nRené;3125550101\n"
    assert checks.csv_numbers(_csv_bytes(text.encode("cp1252"))) == ["3125550100", "3125550101"]


def _csv_bytes(data: bytes, size: int = 7):
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_digits_of_any_script_and_fullwidth_forms_are_normalized():
    """What libphonenumber accepts: fullwidth ＋ and digits, Arabic-Indic and other decimal digits."""
    assert checks.normalize("＋１ (３１２) ５５５-０１００") == "+13125550100"
    assert checks.normalize("٣١٢٥٥٥٠١٠٠") == "+13125550100"
    assert checks.normalize("३१२५५५०१००") == "+13125550100"  # Devanagari
    assert checks.normalize("³¹²5550100") is None  # superscripts are not decimal digits


def test_csv_over_the_cap_stops_reading():
    """A huge file is never read past the cap: the reader stops at the first number too many."""
    read = []

    def stream():
        for i in range(1_000_000):  # ~12 MB if it were all read
            read.append(i)
            yield f"312555{i % 10000:04d}\n".encode()

    with pytest.raises(checks.TooManyNumbers):
        checks.csv_numbers(stream(), limit=1000)
    assert len(read) == 1001


def test_csv_that_is_not_a_list_of_numbers():
    with pytest.raises(checks.NotACsv):
        checks.csv_numbers([b"x" * (checks.MAX_LINE + 10)])


def test_csv_with_an_unterminated_quote_is_not_a_csv():
    """The quote swallows the rest of the file into one field over the csv module's limit: not a 500."""
    body = b'phone\n"' + (b"a" * 60_000 + b"\n") * 4
    with pytest.raises(checks.NotACsv):
        checks.csv_numbers(_csv(body.decode(), size=8192))


# --- the service: mirror (three queries) and one inventory call


pytestmark = pytest.mark.django_db(databases=["default", "simulator"])
verified = addflow.verified  # the shared fixture


def _attach(dir_, number: str, status: str = NumberStatus.VERIFIED, removed: bool = False) -> DirNumber:
    from django.utils import timezone

    batch = Batch.objects.create(dir=dir_, remote_id=f"b-{number}-{status}", status=status, total_count=1)
    return DirNumber.objects.create(
        dir=dir_,
        batch=batch,
        remote_id=f"n-{number}-{status}",
        phone_number=number,
        status=status,
        removed_at=timezone.now() if removed else None,
    )


def test_preflight_reports_each_reason(verified, sim):
    """The mirror's DIRs, the account-wide rejection and the inventory are all consulted."""
    ok, here, elsewhere, rejected, unsuccessful = numbers(2000, 5)
    _attach(verified.dir, here)
    _attach(verified.other_dir, elsewhere)
    _attach(verified.other_dir, rejected, NumberStatus.PERMANENTLY_REJECTED, removed=True)
    _attach(verified.dir, unsuccessful, NumberStatus.UNSUCCESSFUL)  # may be re-added
    raw = [ok, here, elsewhere, rejected, unsuccessful, "+13125559999", "8005550100", "bad", ok]
    result = services.numbers_preflight(dir=verified.dir, raw=raw)
    assert result.ok == [ok, unsuccessful]
    assert result.problems == {
        "already_on_this_dir": [here],
        "on_other_dir": [elsewhere],
        "permanently_rejected": [rejected],
        "not_in_inventory": ["+13125559999"],
        "toll_free": ["+18005550100"],
        "invalid_format": ["bad"],
        "duplicate": [ok],
    }


def test_preflight_inventory_status_must_be_active(verified, sim):
    sim.inventory("+13125558000", status="port-pending")
    result = services.numbers_preflight(dir=verified.dir, raw=["+13125558000"])
    assert result.problems == {"not_in_inventory": ["+13125558000"]}


def test_preflight_uses_three_queries_and_one_inventory_call(
    verified, django_assert_num_queries, monkeypatch
):
    """Set-based: 1,000 numbers cost three mirror queries (plus the account lookup) and one Telnyx call."""
    calls = []
    real = telnyx.TelnyxClient.verify_ownership

    def counting(self, phone_numbers):
        calls.append(len(phone_numbers))
        return real(self, phone_numbers)

    monkeypatch.setattr(telnyx.TelnyxClient, "verify_ownership", counting)
    raw = numbers(2000, 1000)
    with django_assert_num_queries(4):
        result = services.numbers_preflight(dir=verified.dir, raw=raw)
    assert len(result.ok) == 1000
    assert calls == [1000]


def test_preflight_of_a_thousand_numbers_is_fast_locally(verified, monkeypatch):
    """The local part (everything but the inventory call) of 1,000 numbers stays far below 100 ms."""
    raw = numbers(2000, 1000)
    monkeypatch.setattr(telnyx.TelnyxClient, "verify_ownership", lambda self, n: (set(n), []))
    services.numbers_preflight(dir=verified.dir, raw=raw)  # warm caches
    started = time.perf_counter()
    services.numbers_preflight(dir=verified.dir, raw=raw)
    assert time.perf_counter() - started < 0.5  # generous for shared CI; the benchmark prints the real figure


def test_preflight_refuses_more_than_the_cap(verified):
    too_many = [f"+1312{n:07d}" for n in range(2_000_000, 2_010_001)]
    with pytest.raises(ServiceError, match="At most 10,000 numbers"):
        services.numbers_preflight(dir=verified.dir, raw=too_many)


def test_preflight_when_the_inventory_cannot_be_read(verified, sim):
    """Telnyx down: the local checks still run and the page says the inventory was not checked."""
    sim.ok("POST", "/_sim/faults", 201, json={"kind": "error", "status": 503, "pattern": "verify_ownership"})
    result = services.numbers_preflight(dir=verified.dir, raw=["+13125552000", "+13125559999"])
    assert result.inventory_checked is False
    assert result.ok == ["+13125552000", "+13125559999"]


def test_numbers_read_merges_text_csv_and_picks_and_says_where_each_came_from():
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("n.csv", b"phone\n3125550100\n\n3125550101\n", "text/csv")
    given = services.numbers_read(
        text="3125550102\n\n3125550104, 3125550105", csv_file=upload, picked=["+13125550103"]
    )
    assert given.values == [
        "3125550102",
        "3125550104",
        "3125550105",
        "3125550100",
        "3125550101",
        "+13125550103",
    ]
    assert given.origins == [
        "line 1", "line 3", "line 3", "CSV line 2", "CSV line 4", "picked from the inventory"
    ]  # fmt: skip


def test_numbers_read_caps_a_big_csv_with_a_clear_message():
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"".join(f"312{i:07d}\n".encode() for i in range(2_000_000, 2_010_500))
    with pytest.raises(ServiceError, match="At most 10,000 numbers") as exc:
        services.numbers_read(csv_file=SimpleUploadedFile("n.csv", body, "text/csv"))
    assert exc.value.field == "csv"


def test_simulator_agrees_with_the_local_normalization(sim):
    """What the portal calls valid, the simulator's strict E.164 accepts (spot check of the shared rule)."""
    from portal.simulator.validation import normalize_number

    for raw in ("3125550100", "+13125550100", "+442071234567"):
        assert normalize_number(checks.normalize(raw)) == checks.normalize(raw)
