"""Periods people choose by name rather than by two dates: a month, a quarter, a year. One select
of concrete periods (« Décembre 2026 », « 4e trimestre 2026 », « Année 2026 ») whose values are
`2026-12`, `2026-T4`, `2026`."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_VALUE = re.compile(r"^(\d{4})(?:-(\d{2})|-T([1-4]))?$")
MONTHS_OFFERED, QUARTERS_OFFERED, YEARS_OFFERED = 12, 8, 3


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def bounds(value: str, today: date) -> tuple[date, date] | None:
    """First and last day of a period (the last capped at today); None for a value not offered."""
    match = _VALUE.match(value or "")
    if not match:
        return None
    year, month, quarter = int(match[1]), match[2], match[3]
    if not 2000 <= year <= today.year:
        return None
    if month:
        if not 1 <= int(month) <= 12:
            return None
        first, last = date(year, int(month), 1), _month_end(year, int(month))
    elif quarter:
        start = (int(quarter) - 1) * 3 + 1
        first, last = date(year, start, 1), _month_end(year, start + 2)
    else:
        first, last = date(year, 1, 1), date(year, 12, 31)
    if first > today:
        return None
    return first, min(last, today)


def choices(today: date) -> list[tuple[str, str]]:
    """(value, French label) of the periods offered, the current month first."""
    out = []
    year, month = today.year, today.month
    for _ in range(MONTHS_OFFERED):
        out.append((f"{year}-{month:02d}", f"{MONTHS[month - 1].capitalize()} {year}"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _ in range(QUARTERS_OFFERED):
        nth = "1er" if quarter == 1 else f"{quarter}e"
        out.append((f"{year}-T{quarter}", f"{nth} trimestre {year}"))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    for n in range(YEARS_OFFERED):
        out.append((str(today.year - n), f"Année {today.year - n}"))
    return out


def default(today: date) -> str:
    return f"{today.year}-{today.month:02d}"
