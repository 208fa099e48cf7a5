"""CSV cells that a spreadsheet program opens safely (CSV/formula injection, OWASP)."""

from __future__ import annotations

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text_safe(value: object) -> str:
    """Text from Telnyx or a user, as a cell that is shown, never evaluated (a leading ' keeps it text).

    Only for free text: an E.164 number must stay as it is (`+1…` is a number, not a formula).
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
