"""Numbers typed in the consoles' forms, read without surprises: "12" is 12; anything else ("²",
which str.isdigit accepts, a 5,000-digit number, which int() refuses) goes to the service as typed,
whose schema answers "Not a valid integer." beside the field instead of a 500 here."""

from __future__ import annotations

import re

MAX_DIGITS = 9


def whole_number(raw: str | None):
    """An int for plain ASCII digits (at most MAX_DIGITS), else the text as typed, stripped."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS:
        return int(raw)
    return raw


EUROS = re.compile(r"^(\d{1,7})(?:[.,](\d{1,2}))?$")
PRICE_EXAMPLE = "Indiquez un prix en euros supérieur à zéro, par exemple 3,50."


def cents(raw: str | None) -> int:
    """A price typed as a person writes it ("3,50", "3.5", "12 €", "1 234,50") in cents; a
    ValueError carrying the French message otherwise. Zero is refused too: a form's price is
    what an inhabitant pays at the counter, never nothing."""
    text = (raw or "").replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    match = EUROS.match(text)
    if not match:
        raise ValueError(PRICE_EXAMPLE)
    amount = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if amount <= 0:
        raise ValueError(PRICE_EXAMPLE)
    return amount


CLOCK = re.compile(r"^(\d{1,2})(?:\s*[:hH]\s*(\d{2})?)?$")


def clock(raw: str | None) -> str:
    """A time as typed ("9", "9h", "9h30", "9:30", "09:30") as the services' "HH:MM"; anything
    else as typed, for the service's own message beside the field."""
    text = (raw or "").strip()
    match = CLOCK.match(text)
    if not match:
        return text
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"
