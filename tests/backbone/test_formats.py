"""Dates, numbers, money and plurals read the French way (Babel's rules for fr_FR)."""

from datetime import UTC, date, datetime

from backbone import formats


def test_a_date_reads_with_its_weekday_and_month_in_words():
    assert formats.long_date(date(2026, 12, 2)) == "mercredi 2 décembre 2026"
    assert formats.long_date("2026-12-02T10:00:00+00:00") == "mercredi 2 décembre 2026"
    assert formats.long_date(None) == "" and formats.long_date("bientôt") == "bientôt"


def test_a_time_reads_in_paris():
    winter = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert formats.clock_time(winter) == "11 h 00"
    assert formats.day_and_time(winter) == "02/12 à 11h00"
    assert formats.day_and_time(winter, weekday=True) == "mercredi 02/12 à 11h00"


def test_numbers_group_thousands_with_a_narrow_space_and_use_a_decimal_comma():
    assert formats.number(1234567) == "1\u202f234\u202f567"
    assert formats.number(1234.5) == "1\u202f234,50"
    assert formats.number(None) == "—"


def test_money_is_given_in_cents_and_read_in_euros():
    assert formats.money(4550) == "45,50\u00a0€"
    assert formats.money(11131800) == "111\u202f318,00\u00a0€"
    assert formats.money(0) == "0,00\u00a0€"


def test_minutes_read_as_hours():
    assert formats.hours(150) == "2,5\u00a0h" and formats.hours(180) == "3\u00a0h"


def test_plurals_follow_each_language():
    assert [formats.counted(n, "commande", "commandes") for n in (0, 1, 2)] == [
        "0 commande",
        "1 commande",
        "2 commandes",
    ]
    assert formats.counted(0, "problem", "problems", formats.ENGLISH) == "0 problems"
    assert formats.counted(1, "problem", "problems", formats.ENGLISH) == "1 problem"
