"""Numbers typed in the consoles' forms, read without surprises: "12" is 12; anything else ("²",
which str.isdigit accepts, a 5,000-digit number, which int() refuses) goes to the service as typed,
whose schema answers "Not a valid integer." beside the field instead of a 500 here."""

from __future__ import annotations

MAX_DIGITS = 9


def whole_number(raw: str | None):
    """An int for plain ASCII digits (at most MAX_DIGITS), else the text as typed, stripped."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS:
        return int(raw)
    return raw
