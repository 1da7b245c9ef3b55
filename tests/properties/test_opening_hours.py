"""Opening hours (services/members/opening_hours.py) under random weekly schedules, exceptions and
moments, many of them around the changes of daylight saving time in Europe/Paris (hypothesis):

- "open now" agrees with a plain reading of the schedule (any slot of yesterday or today, in Paris
  wall time, containing the moment);
- the next opening is never in the past, is a moment when it is open, and falls on an opening
  time of the schedule (wall clock in Paris, also across a change of time);
- when open, it closes after now, and opens again after it closes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.members.opening_hours import (
    PARIS,
    ScheduleException,
    Slot,
    _instant,
    minutes,
    opening_status,
    slots_on,
)


def _hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


@st.composite
def slot(draw):
    # no opening between 02:00 and 03:00: that wall time does not exist on the spring change day
    opens = draw(st.sampled_from([m for m in range(0, 1440, 30) if not 120 <= m < 180]))
    closes = draw(st.integers(opens // 30 + 1, 48)) * 30
    return Slot(_hhmm(opens), _hhmm(closes))


weekly = st.dictionaries(st.integers(0, 6), st.lists(slot(), max_size=3), max_size=7)
DAYS = st.dates(date(2026, 3, 20), date(2027, 4, 5))


@st.composite
def exception(draw):
    start = draw(DAYS)
    end = start + timedelta(days=draw(st.integers(0, 20)))
    closed = draw(st.booleans())
    return ScheduleException(
        start, end, closed, () if closed else tuple(draw(st.lists(slot(), max_size=2)))
    )


# moments anywhere in the year, and many within hours of the changes of time (29
# March, 25 October 2026)
around_dst = st.sampled_from(
    [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    ]
).flatmap(
    lambda change: st.integers(-36 * 60, 36 * 60).map(lambda m: change + timedelta(minutes=m))
)
anywhere = st.datetimes(datetime(2026, 3, 20), datetime(2027, 3, 31), timezones=st.just(UTC))
moments = st.one_of(around_dst, anywhere).map(lambda at: at.replace(second=0, microsecond=0))


def _open_at(schedule, exceptions, at: datetime) -> bool:
    today = at.astimezone(PARIS).date()
    for day in (today - timedelta(days=1), today):
        for s in slots_on(day, schedule, exceptions):
            if _instant(day, minutes(s.opens)) <= at < _instant(day, minutes(s.closes)):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    schedule=weekly,
    exceptions=st.lists(exception(), max_size=3),
    at=moments,
    as_paris=st.booleans(),
)
def test_open_now_and_next_opening(schedule, exceptions, at, as_paris):
    asked = at.astimezone(PARIS) if as_paris else at
    status = opening_status(schedule, exceptions, asked)
    assert status["open"] == _open_at(schedule, exceptions, at)
    following = status["next_opening"]
    if status["open"]:
        assert status["until"] is None or status["until"] > at
        if following is not None and status["until"] is not None:
            assert following > status["until"]
    else:
        assert status["until"] is None
    if following is not None:
        assert following.tzinfo is not None and following > at
        assert opening_status(schedule, exceptions, following)["open"]
        local = following.astimezone(PARIS)
        assert local.strftime("%H:%M") in {
            s.opens for s in slots_on(local.date(), schedule, exceptions)
        }


@settings(max_examples=100, deadline=None)
@given(schedule=weekly.filter(lambda w: any(w.values())), at=moments)
def test_a_weekly_schedule_without_exceptions_always_opens_again_within_a_week(schedule, at):
    status = opening_status(schedule, [], at)
    if status["open"] and status["until"] is None:  # open round the clock, every day: never closes
        assert status["next_opening"] is None
        return
    assert status["next_opening"] is not None and at < status["next_opening"] <= at + timedelta(
        days=8
    )


def test_open_round_the_clock_never_closes_nor_opens_again():
    always = {day: [Slot("00:00", "24:00")] for day in range(7)}
    status = opening_status(always, [], datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert status == {"open": True, "until": None, "next_opening": None}
