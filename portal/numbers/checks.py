"""The add flow's local checks as pure functions: reading input, normalizing, sorting into reasons.

No database and no Telnyx here: services pass in what the mirror and the inventory say, so the
rules are unit-tested on their own and a pre-flight of 10,000 numbers costs microseconds per number.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from django.utils.translation import gettext_lazy as _

MAX_NUMBERS = 10_000  # per add: 667 batches (Hiya's per-file limit, too)
INVENTORY_CHUNK = 1_000  # numbers per ownership check (Inferred: CONTRACT.md names no limit)
GROUP_SHOWN = 60  # flagged numbers listed per reason on the page; the CSV download has them all
CHUNK_SIZE = 15  # numbers per batch (CONTRACT.md §5.10.1)
TOLL_FREE_NPAS = frozenset({"800", "833", "844", "855", "866", "877", "888"})

# Reasons in the order a number is checked; a number is reported under the first it meets
# (the same order Telnyx uses for its categories, with the local P13 rules after the format).
REASONS: dict[str, str] = {
    "invalid_format": _("not a valid phone number"),
    "not_us": _("not a US number (Canadian and international numbers cannot be branded)"),
    "toll_free": _("toll-free (800, 833, 844, 855, 866, 877, 888) numbers cannot be branded"),
    "duplicate": _("listed more than once (one copy is kept)"),
    "not_in_inventory": _("not in your Telnyx inventory (or not active)"),
    "permanently_rejected": _("permanently rejected: it can never be added again"),
    "on_other_dir": _("already attached to another of your DIRs"),
    "already_on_this_dir": _("already attached to this DIR"),
}

# Telnyx's categories for a refused add (CONTRACT.md §5.10.1), in the user's words.
REMOTE_CATEGORIES: dict[str, str] = {
    "invalid_format": _("not valid E.164 numbers"),
    "duplicate_in_request": _("listed more than once in the request"),
    "not_in_inventory": _("not in your Telnyx inventory"),
    "permanently_rejected": _("permanently rejected and cannot be added to any DIR"),
    "attached_to_another_dir": _("already attached to another DIR"),
    "already_attached_to_this_dir": _("already attached to this DIR"),
    "not_attached": _("not attached (the add was only partly applied)"),
}

_SEPARATORS = re.compile(r"[,;\t\r\n]+")
_PUNCTUATION = str.maketrans("", "", " ()-./\u00a0")
# The fullwidth plus and separators a phone number may be typed with (CJK input methods).
_FULLWIDTH_PUNCTUATION = str.maketrans("＋（）－．／\u3000", "+()-./ ")
_HEADER_WORDS = ("phone", "number", "tel", "did", "e164", "msisdn", "tn")


def tokens(text: str) -> list[str]:
    """Split pasted text on commas, semicolons, tabs, newlines — and spaces, unless they sit inside one number."""
    return [token for _line, token in tokens_by_line(text)]


def tokens_by_line(text: str) -> list[tuple[int, str]]:
    """tokens(), each with its 1-based line in the text (the flagged-rows CSV points at it)."""
    return [(n, token) for n, line in enumerate((text or "").splitlines(), 1) for token in _line_tokens(line)]


def _line_tokens(text: str) -> list[str]:
    found = []
    for piece in _SEPARATORS.split(text):
        piece = piece.strip()
        if not piece:
            continue
        digits = sum(ch.isdigit() for ch in piece)
        if " " in piece and not 10 <= digits <= 15:
            # "+1 (312) 555-0100" is one number; "3125550100 3125550101" is two.
            found.extend(p for p in piece.split() if p)
        else:
            found.append(piece)
    return found


def _ascii(text: str) -> str:
    """Fullwidth forms (＋１３１２…) and any script's decimal digits (٣١٢…) as ASCII, as libphonenumber reads them."""
    if text.isascii():
        return text
    text = text.translate(_FULLWIDTH_PUNCTUATION)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def normalize(raw: str) -> str | None:
    """+E.164 for a US-style input (10 digits → +1…, 11 starting with 1 → +…), or None if not a number."""
    value = _ascii(raw.strip()).translate(_PUNCTUATION)
    plus = value.startswith("+")
    digits = value[1:] if plus else value
    if not digits.isdigit() or not digits.isascii():
        return None
    if plus:
        number = digits
    elif len(digits) == 10:
        number = "1" + digits
    elif len(digits) == 11 and digits.startswith("1"):
        number = digits
    else:
        return None
    if not 10 <= len(number) <= 15 or number[0] == "0":
        return None
    if number[0] == "1" and (len(number) != 11 or number[1] in "01" or number[4] in "01"):
        return None  # NANP: 10 digits after the 1, area code and exchange start with 2-9
    return "+" + number


@lru_cache(maxsize=1024)
def _npa_region(npa: str) -> str | None:
    """The NANP region of an area code (US, CA, PR, …), from libphonenumber's metadata."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{npa}2345678"))


def locale_problem(number: str) -> str | None:
    """The P13 rule a normalized number breaks: not a US number, or toll-free (REJECTIONS.md §3)."""
    if not number.startswith("+1"):
        return "not_us"
    npa = number[2:5]
    if npa in TOLL_FREE_NPAS:
        return "toll_free"
    if _npa_region(npa) == "CA":
        return "not_us"
    return None


@dataclass
class Given:
    """The numbers as the user gave them, each with where it came from ("CSV line 12")."""

    values: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)

    def add(self, value: str, origin: str) -> None:
        self.values.append(value)
        self.origins.append(origin)

    def __len__(self) -> int:
        return len(self.values)


class Entry(NamedTuple):
    """One number as checked: its value (E.164, or the input when not a number), reason, and origin."""

    value: str
    reason: str | None
    given: str = ""  # as typed, pasted or read from the CSV
    origin: str = ""  # where: "CSV line 12", "line 3", "picked"


@dataclass
class Preflight:
    """The outcome of checking an add: every input entry with its reason (None: may be sent)."""

    entries: list[Entry] = field(default_factory=list)
    inventory_checked: bool = True

    @property
    def ok(self) -> list[str]:
        return [e.value for e in self.entries if e.reason is None]

    @property
    def problems(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for e in self.entries:
            if e.reason is not None:
                found.setdefault(e.reason, []).append(e.value)
        return found

    @property
    def flagged(self) -> int:
        return sum(1 for e in self.entries if e.reason is not None)

    def flagged_rows(self) -> list[dict[str, str]]:
        """Every flagged entry, in input order, as a row of the downloadable CSV."""
        return [
            {"origin": e.origin, "given": e.given or e.value, "number": e.value if e.value.startswith("+") else "",
             "reason": e.reason, "explanation": str(REASONS[e.reason])}
            for e in self.entries
            if e.reason is not None
        ]  # fmt: skip

    @property
    def groups(self) -> list[dict]:
        """The problems in check order, for the template (the first GROUP_SHOWN numbers of each shown)."""
        problems = self.problems
        return [
            {"reason": key, "label": REASONS[key], "numbers": problems[key],
             "shown": problems[key][:GROUP_SHOWN], "more": max(0, len(problems[key]) - GROUP_SHOWN)}
            for key in REASONS
            if key in problems
        ]  # fmt: skip

    @property
    def batches(self) -> int:
        return -(-len(self.ok) // CHUNK_SIZE)

    def without(self, reasons: Iterable[str]) -> list[str]:
        """The input, in order, minus the entries of these reasons (a duplicate keeps its first copy)."""
        gone = set(reasons)
        return [e.value for e in self.entries if e.reason not in gone]

    def dropping(self, reasons: Iterable[str]) -> Preflight:
        """The same check with these reasons' numbers dropped ("drop these and continue")."""
        gone = set(reasons)
        return Preflight(
            entries=[e for e in self.entries if e.reason not in gone],
            inventory_checked=self.inventory_checked,
        )


def classify(
    raw: Iterable[str],
    *,
    here: set[str],
    elsewhere: set[str],
    rejected: set[str],
    inventory: set[str] | None,
    origins: list[str] | None = None,
) -> Preflight:
    """Sort every input token into ok or its first failing reason; `inventory` None means not checked."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, token in enumerate(raw):
        origin = origins[i] if origins and i < len(origins) else ""
        number = normalize(token)
        if number is None:
            entries.append(Entry(token.strip(), "invalid_format", token.strip(), origin))
            continue
        reason = locale_problem(number)
        if reason is None:
            if number in seen:
                reason = "duplicate"
            elif inventory is not None and number not in inventory:
                reason = "not_in_inventory"
            elif number in rejected:
                reason = "permanently_rejected"
            elif number in elsewhere:
                reason = "on_other_dir"
            elif number in here:
                reason = "already_on_this_dir"
            seen.add(number)
        entries.append(Entry(number, reason, token.strip(), origin))
    return Preflight(entries=entries, inventory_checked=inventory is not None)


def normalized_set(raw: Iterable[str]) -> list[str]:
    """The distinct valid numbers of the input, in order (what the mirror and inventory are asked about)."""
    return list(dict.fromkeys(n for n in map(normalize, raw) if n is not None))


def chunks(numbers: list[str], size: int = CHUNK_SIZE) -> list[list[str]]:
    return [numbers[i : i + size] for i in range(0, len(numbers), size)]


class TooManyNumbers(Exception):
    """The input holds more than MAX_NUMBERS numbers."""


class NotACsv(Exception):
    """A line longer than MAX_LINE bytes, or malformed CSV: this is not a list of phone numbers."""


MAX_LINE = 64 * 1024


def _looks_like_number(cell: str) -> bool:
    return 10 <= sum(ch.isdigit() for ch in cell) <= 15


def csv_numbers(stream: Iterable[bytes], *, limit: int = MAX_NUMBERS) -> list[str]:
    """The phone column of a CSV read line by line (any size): a header names it, else the first column of digits.

    UTF-8 (with or without BOM), UTF-16 (what spreadsheet programs save as "Unicode text") and
    Windows Latin-1 are read; commas, semicolons or tabs separate the columns.
    """
    return [cell for _line, cell in csv_rows(stream, limit=limit)]


def csv_rows(stream: Iterable[bytes], *, limit: int = MAX_NUMBERS) -> list[tuple[int, str]]:
    """csv_numbers(), each with the line of the file it was read from."""
    lines = _text_lines(stream)
    first = next(lines, "")
    reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first))
    column: int | None = None
    found: list[tuple[int, str]] = []
    for row in _rows(reader):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if column is None:
            column = _phone_column(cells)
            if column is None:
                continue  # a header without a phone-like name, or a preamble: look at the next row
            if not _looks_like_number(cells[column]):
                continue  # that was the header
        if column < len(cells) and cells[column]:
            found.append((reader.line_num, cells[column]))
            if len(found) > limit:
                raise TooManyNumbers(limit)
    return found


def _delimiter(line: str) -> str:
    """The column separator of the first line: a comma, unless only semicolons or tabs are there."""
    for candidate in (",", "\t", ";"):
        if candidate in line:
            return candidate
    return ","


def _encoding(head: bytes) -> str:
    """The file's encoding from its first bytes: a BOM, NUL bytes between characters, or valid UTF-8."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if sample and sample.count(b"\x00") * 4 > len(sample):  # UTF-16 without a BOM
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample)  # a cut-off last character is fine
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _text_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """The upload's chunks decoded (see _encoding) and re-split into lines (chunks do not end on line breaks)."""
    chunks = iter(stream)
    head = next(chunks, b"")
    decoder = codecs.getincrementaldecoder(_encoding(head))(errors="replace")
    rest = ""
    for chunk in itertools.chain([head], chunks):
        rest += decoder.decode(chunk)
        *complete, rest = rest.split("\n")
        for line in complete:
            yield line + "\n"
        if len(rest) > MAX_LINE:
            raise NotACsv(MAX_LINE)
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def _rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's rows; a malformed CSV (an unterminated quote swallows the rest of the file into one
    field larger than the csv module's limit) is NotACsv, not a 500."""
    try:
        yield from reader
    except csv.Error as exc:
        raise NotACsv(str(exc)) from exc


def _phone_column(cells: list[str]) -> int | None:
    for i, cell in enumerate(cells):
        lowered = cell.lower()
        if not _looks_like_number(cell) and any(word in lowered for word in _HEADER_WORDS):
            return i
    for i, cell in enumerate(cells):
        if _looks_like_number(cell):
            return i
    return None
