"""Numbers typed in the consoles' forms, read without surprises: "12" is 12; anything else ("²",
which str.isdigit accepts, a 5,000-digit number, which int() refuses) goes to the service as typed,
whose schema answers "Not a valid integer." beside the field instead of a 500 here. Amounts in
euros are read the same way."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from backbone.clock import PARIS

MAX_DIGITS = 9


def whole_number(raw: str | None):
    """An int for plain ASCII digits (at most MAX_DIGITS), else the text as typed, stripped."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS:
        return int(raw)
    return raw


EURO_FORMAT = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")


def cents(raw: str | None):
    """Euros as people type them ("1 500", "12,50", "12.5 €") in cents; anything else as typed
    (None when empty), for the service's schema to refuse beside the field."""
    text = (raw or "").replace("€", "").replace("\u00a0", "").replace("\u202f", "").strip()
    compact = text.replace(" ", "")
    found = EURO_FORMAT.match(compact) if compact.isascii() else None
    if found is None:
        return text or None
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def euros(value) -> str:
    """Cents as typed back into a form ("12,50", "1500")."""
    whole, rest = divmod(int(value), 100)
    return f"{whole},{rest:02d}" if rest else str(whole)


def end_of_day(raw: str | None) -> str | None:
    """The last second of a day typed as YYYY-MM-DD, in Europe/Paris, as an aware ISO datetime
    (None when unreadable)."""
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59, 59), PARIS).isoformat()


PRICE_EXAMPLE = "Indiquez un prix en euros supérieur à zéro, par exemple 3,50."


def price_cents(raw: str | None) -> int:
    """A price read as `cents` reads it, refused here with the French message (a ValueError)
    unless it is more than zero: a price is what an inhabitant pays at the counter, never
    nothing."""
    amount = cents(raw)
    if not isinstance(amount, int) or amount <= 0:
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


def aware(day: str, clock: str) -> str | None:
    """A date and a wall-clock time in Europe/Paris as an aware ISO datetime (None when
    unreadable: what was typed then goes as it is, and the service names the field)."""
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), PARIS
        ).isoformat()
    except ValueError:
        return None
