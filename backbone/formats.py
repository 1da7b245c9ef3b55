"""Dates, numbers, money and plurals as people read them, in French (English where the API gives
both), by Babel's rules for the locale: the one place the consoles, exports and notices format them.

Money is integer cents in the code (`*_cents`) and euros on screen.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from backbone.clock import PARIS

FRENCH = "fr_FR"
ENGLISH = "en_GB"
_LOCALES = {FRENCH: Locale.parse(FRENCH), ENGLISH: Locale.parse(ENGLISH)}


def local(value):
    """A date or a datetime (or its ISO text) as it reads in Paris; other values unchanged."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(PARIS)
    return value


def long_date(value) -> str:
    """« mercredi 2 décembre 2026 »; what is not a date is returned as it is ("" for None)."""
    value = local(value)
    if isinstance(value, (date, datetime)):
        return format_date(value, "EEEE d MMMM y", locale=FRENCH)
    return value or ""


def clock_time(value) -> str:
    """« 14 h 05 » for a datetime, "" otherwise."""
    value = local(value)
    return format_datetime(value, "HH 'h' mm", locale=FRENCH) if isinstance(value, datetime) else ""


def day_and_time(value, *, weekday: bool = False) -> str:
    """« 05/12 à 14h00 », or « samedi 05/12 à 14h00 » with the weekday: a notice's short form."""
    pattern = "EEEE dd/MM 'à' HH'h'mm" if weekday else "dd/MM 'à' HH'h'mm"
    return format_datetime(local(value), pattern, locale=FRENCH)


def number(value, decimals: int | None = None) -> str:
    """« 1 234 » for an integer, « 1 234,50 » for a fraction (two decimals unless told), "—" for
    nothing."""
    if value is None:
        return "—"
    if decimals is None:
        decimals = 2 if isinstance(value, float) and not value.is_integer() else 0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value if decimals else int(value), format=pattern, locale=FRENCH)


def money(cents) -> str:
    """« 1 234,50 € » for 123450 cents."""
    return format_currency(Decimal(str(cents)) / 100, "EUR", locale=FRENCH)


def hours(minutes) -> str:
    """« 2,5 h », « 3 h » for a number of minutes."""
    value = minutes / 60
    text = number(value, 1) if value % 1 else number(int(value))
    return f"{text}\u00a0h"


def plural(count: int, one: str, other: str, locale: str = FRENCH) -> str:
    """`one` or `other` as the language's rule wants for `count` (French: 0 and 1 are singular)."""
    return one if _LOCALES[locale].plural_form(abs(count)) == "one" else other


def counted(count: int, one: str, other: str, locale: str = FRENCH) -> str:
    """« 1 commande », « 3 commandes »."""
    return f"{count} {plural(count, one, other, locale)}"
