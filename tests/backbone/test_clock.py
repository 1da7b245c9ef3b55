"""The day-before reminders' window (help requests and animations share it)."""

from datetime import UTC, datetime

from backbone.clock import PARIS, tomorrow_if_reminding


def test_before_ten_in_paris_nothing_is_reminded_yet():
    # 09:59 in Paris on a summer day is 07:59 UTC
    assert tomorrow_if_reminding(datetime(2026, 6, 10, 7, 59, tzinfo=UTC)) is None


def test_from_ten_in_paris_tomorrow_is_reminded_from_midnight_to_midnight():
    starts, ends = tomorrow_if_reminding(datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    assert (starts, ends) == (
        datetime(2026, 6, 11, tzinfo=PARIS),
        datetime(2026, 6, 12, tzinfo=PARIS),
    )


def test_the_night_the_clocks_go_back_tomorrow_lasts_twenty_five_hours():
    starts, ends = tomorrow_if_reminding(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert starts == datetime(2026, 10, 25, tzinfo=PARIS)
    assert (ends.astimezone(UTC) - starts.astimezone(UTC)).total_seconds() == 25 * 3600
