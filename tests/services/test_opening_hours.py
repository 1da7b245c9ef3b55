"""Opening hours as a pure function (no database): weekly slots,
exceptions, daylight saving time."""

from datetime import UTC, date, datetime

import pytest

from services.members.opening_hours import (
    PARIS,
    ScheduleException,
    Slot,
    opening_status,
    overlapping,
)

# a village counter: morning and afternoon permanences, closed Sunday afternoon and Monday
COUNTER = {
    1: [Slot("09:00", "12:00"), Slot("14:00", "18:30")],  # Tuesday
    2: [Slot("09:00", "12:00"), Slot("14:00", "18:30")],
    3: [Slot("09:00", "12:00"), Slot("14:00", "18:30")],
    4: [Slot("09:00", "12:00"), Slot("14:00", "18:30")],
    5: [Slot("09:00", "12:30")],  # Saturday
    6: [Slot("09:00", "12:00")],  # Sunday morning
}


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


def test_open_in_a_permanence_until_its_end_then_the_afternoon():
    status = opening_status(COUNTER, [], paris(2025, 6, 3, 10, 15))  # a Tuesday
    assert status == {
        "open": True,
        "until": paris(2025, 6, 3, 12, 0),
        "next_opening": paris(2025, 6, 3, 14, 0),
    }
    assert status["until"].isoformat() == "2025-06-03T12:00:00+02:00"


def test_closed_at_lunch_and_the_closing_minute_is_closed():
    assert opening_status(COUNTER, [], paris(2025, 6, 3, 12, 0)) == {
        "open": False,
        "until": None,
        "next_opening": paris(2025, 6, 3, 14, 0),
    }


def test_sunday_afternoon_and_monday_closed_next_opening_tuesday():
    status = opening_status(COUNTER, [], paris(2025, 6, 1, 15, 0))  # Sunday afternoon
    assert status == {"open": False, "until": None, "next_opening": paris(2025, 6, 3, 9, 0)}


def test_any_timezone_in_paris_out():
    status = opening_status(COUNTER, [], datetime(2025, 6, 3, 8, 15, tzinfo=UTC))  # 10:15 in Paris
    assert status["open"] and status["until"].isoformat() == "2025-06-03T12:00:00+02:00"


def test_next_opening_across_the_spring_dst_night_keeps_the_wall_clock():
    # Saturday 29 March 2025 after closing (CET, +01:00); Sunday 30 March is in CEST (+02:00)
    status = opening_status(COUNTER, [], paris(2025, 3, 29, 13, 0))
    assert status["next_opening"].isoformat() == "2025-03-30T09:00:00+02:00"
    assert status["next_opening"].astimezone(UTC) == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)


def test_a_slot_over_the_spring_dst_change_is_an_hour_shorter():
    night = {6: [Slot("01:00", "04:00")]}  # a Sunday night slot (e.g. a bread depot's delivery)
    at = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # 01:30 CET
    status = opening_status(night, [], at)
    assert status["open"] and status["until"].isoformat() == "2025-03-30T04:00:00+02:00"
    assert status["until"].astimezone(UTC) - at == (datetime(2025, 3, 30, 2, 0, tzinfo=UTC) - at)


def test_the_repeated_hour_of_the_autumn_dst_change_is_open_until_wall_clock_closing():
    night = {6: [Slot("01:00", "04:00")]}
    second_half_past_two = datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET (second time)
    status = opening_status(night, [], second_half_past_two)
    assert status["open"] and status["until"].isoformat() == "2025-10-26T04:00:00+01:00"
    assert status["until"].astimezone(UTC) == datetime(2025, 10, 26, 3, 0, tzinfo=UTC)
    # before the slot on that night: it opens at 01:00 CEST = 23:00 UTC the day before
    early = opening_status(night, [], datetime(2025, 10, 25, 22, 0, tzinfo=UTC))
    assert early["next_opening"].astimezone(UTC) == datetime(2025, 10, 25, 23, 0, tzinfo=UTC)


def test_a_closure_over_a_normal_day():
    may_day = ScheduleException(date(2025, 5, 1), date(2025, 5, 1), closed=True)  # a Thursday
    status = opening_status(COUNTER, [may_day], paris(2025, 5, 1, 10, 0))
    assert status == {"open": False, "until": None, "next_opening": paris(2025, 5, 2, 9, 0)}
    # the day before: open until 18:30, then next opening skips the holiday
    before = opening_status(COUNTER, [may_day], paris(2025, 4, 30, 17, 0))
    assert before["open"] and before["next_opening"] == paris(2025, 5, 2, 9, 0)


def test_special_hours_replace_the_day():
    christmas_eve = ScheduleException(
        date(2025, 12, 24), date(2025, 12, 24), closed=False, slots=(Slot("08:00", "13:00"),)
    )
    status = opening_status(COUNTER, [christmas_eve], paris(2025, 12, 24, 12, 30))
    assert status["open"] and status["until"] == paris(2025, 12, 24, 13, 0)
    assert opening_status(COUNTER, [christmas_eve], paris(2025, 12, 24, 15, 0))["open"] is False


def test_a_summer_closure_range_and_a_closure_wins_over_special_hours():
    summer = ScheduleException(date(2025, 8, 4), date(2025, 8, 17), closed=True)
    special = ScheduleException(
        date(2025, 8, 10), date(2025, 8, 10), closed=False, slots=(Slot("10:00", "11:00"),)
    )
    status = opening_status(COUNTER, [summer, special], paris(2025, 8, 5, 10, 0))
    assert status == {
        "open": False,
        "until": None,
        "next_opening": paris(2025, 8, 19, 9, 0),
    }  # 18th: a Monday


def test_a_truck_stop_is_just_its_own_weekly_times():
    stop = {2: [Slot("10:00", "11:30")], 5: [Slot("15:00", "16:00")]}  # Wednesday, Saturday
    assert opening_status(stop, [], paris(2025, 6, 4, 10, 30)) == {
        "open": True,
        "until": paris(2025, 6, 4, 11, 30),
        "next_opening": paris(2025, 6, 7, 15, 0),
    }


def test_touching_slots_are_one_opening_and_a_locker_open_all_the_time_never_closes():
    assert opening_status(
        {1: [Slot("09:00", "12:00"), Slot("12:00", "14:00")]}, [], paris(2025, 6, 3, 11, 0)
    )["until"] == paris(2025, 6, 3, 14, 0)
    always = {day: [Slot("00:00", "24:00")] for day in range(7)}
    assert opening_status(always, [], paris(2025, 6, 3, 3, 0)) == {
        "open": True,
        "until": None,
        "next_opening": None,
    }


def test_never_open_and_naive_datetimes():
    assert opening_status({}, [], paris(2025, 6, 3, 10, 0)) == {
        "open": False,
        "until": None,
        "next_opening": None,
    }
    with pytest.raises(ValueError):
        opening_status(COUNTER, [], datetime(2025, 6, 3, 10, 0))


def test_overlap_detection_lets_touching_slots_be():
    assert overlapping([Slot("09:00", "12:00"), Slot("12:00", "13:00")]) is None
    assert overlapping([Slot("14:00", "16:00"), Slot("09:00", "14:30")]) == (
        Slot("09:00", "14:30"),
        Slot("14:00", "16:00"),
    )
