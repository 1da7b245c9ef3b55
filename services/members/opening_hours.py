"""Opening hours: "is it open now, until when, when does it open next?" Pure domain, no database.

A schedule is a weekly list of slots per day (times "HH:MM" on the wall clock of Europe/Paris,
"24:00" allowed as a closing time) plus exceptions over a date or a date range: closed, or special
hours that replace the day's usual slots. When exceptions overlap on a day, a closure wins; else
the exception that starts latest (the most specific) gives the day's hours.

Every comparison is made in UTC: two aware datetimes with the same `ZoneInfo` compare by wall time,
which is wrong across a change of daylight saving time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from backbone.clock import PARIS

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HORIZON_DAYS = 400  # how far ahead "next opening" looks (a closure may last a season)


@dataclass(frozen=True)
class Slot:
    opens: str  # "HH:MM"
    closes: str  # "HH:MM" or "24:00", after `opens`


@dataclass(frozen=True)
class ScheduleException:
    start: date
    end: date
    closed: bool
    slots: tuple[Slot, ...] = field(default=())


Weekly = dict  # weekday (0 = Monday) -> list of Slot


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def _instant(day: date, at_minutes: int) -> datetime:
    """The UTC instant of a wall-clock time in Paris (`24:00` is the next day's midnight)."""
    day = day + timedelta(days=at_minutes // 1440)
    at_minutes %= 1440
    local = datetime.combine(day, time(at_minutes // 60, at_minutes % 60), tzinfo=PARIS)
    return local.astimezone(UTC)


def slots_on(day: date, weekly: Weekly, exceptions: Iterable[ScheduleException]) -> list[Slot]:
    """The slots of one day, exceptions applied."""
    matching = [e for e in exceptions if e.start <= day <= e.end]
    if any(e.closed for e in matching):
        return []
    if matching:
        return list(max(matching, key=lambda e: e.start).slots)
    return list(weekly.get(day.weekday(), ()))


def _intervals(weekly, exceptions, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
    day = first
    while day <= last:
        for slot in sorted(slots_on(day, weekly, exceptions), key=lambda s: minutes(s.opens)):
            start, end = _instant(day, minutes(slot.opens)), _instant(day, minutes(slot.closes))
            if end > start:
                yield start, end
        day += timedelta(days=1)


def _merged(intervals) -> Iterator[tuple[datetime, datetime]]:
    """Touching or overlapping intervals as one (12:00–14:00 then
    14:00–18:00 is open until 18:00)."""
    current = None
    for start, end in intervals:
        if current and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current:
            yield current
        current = (start, end)
    if current:
        yield current


def opening_status(
    weekly: Weekly,
    exceptions: Iterable[ScheduleException],
    at: datetime,
    horizon_days: int = HORIZON_DAYS,
) -> dict:
    """{"open": bool, "until": datetime | None, "next_opening": datetime | None} at `at`.

    `until` is when it closes (None when no closing is planned within the horizon);
    `next_opening` the next time it opens after `at` (after `until` when open now). Datetimes
    are in Europe/Paris.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("opening_status needs an aware datetime")
    exceptions = list(exceptions)
    now = at.astimezone(UTC)
    today = at.astimezone(PARIS).date()
    last = today + timedelta(days=horizon_days)
    horizon_end = _instant(last, 1440)
    merged = _merged(_intervals(weekly, exceptions, today - timedelta(days=1), last))
    for start, end in merged:
        if end <= now:
            continue
        if start <= now:
            following = next(merged, None)
            return {
                "open": True,
                "until": None if end >= horizon_end else end.astimezone(PARIS),
                "next_opening": following[0].astimezone(PARIS) if following else None,
            }
        return {"open": False, "until": None, "next_opening": start.astimezone(PARIS)}
    return {"open": False, "until": None, "next_opening": None}


def overlapping(slots: Iterable[Slot]) -> tuple[Slot, Slot] | None:
    """The first two slots of one day that overlap (touching is fine), or None."""
    ordered = sorted(slots, key=lambda s: minutes(s.opens))
    for before, after in zip(ordered, ordered[1:]):
        if minutes(after.opens) < minutes(before.closes):
            return before, after
    return None
