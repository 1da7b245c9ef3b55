"""The coordinator's period, one shape for every service's `village_figures`
(backbone/figures.py)."""

from datetime import UTC, date, datetime

import pytest

from backbone.errors import InvalidInput
from backbone.figures import parse_period, period_bounds


@pytest.mark.parametrize(
    "query, field",
    [
        (("2026-03-31", "2026-03-01"), "date_to"),
        (("2026-13-01", "2026-03-01"), "date_from"),
        (("hier", "2026-03-01"), "date_from"),
        (("2020-01-01", "2026-03-01"), "date_to"),
        ((None, "2026-03-01"), "date_from"),
        (("2026-03-01", "2026-03-31", "a village"), "village_ids"),
        (("2026-03-01", "2026-03-31", None, "sales_by_partner"), "details"),
        (("2026-03-01", "2026-03-31", None, [""]), "details"),
        (("2026-03-01", "2026-03-31", None, ["x"] * 11), "details"),
    ],
)
def test_a_bad_period_names_its_field(query, field):
    with pytest.raises(InvalidInput) as err:
        parse_period(*query)
    assert field in err.value.errors


def test_a_period_is_read_as_dates_and_villages():
    assert parse_period("2026-03-01", "2026-03-31", ["v1"]) == {
        "date_from": date(2026, 3, 1),
        "date_to": date(2026, 3, 31),
        "village_ids": ["v1"],
        "details": [],
    }
    assert parse_period("2026-03-01", "2026-03-01")["village_ids"] is None
    assert parse_period("2026-03-01", "2026-03-01", None, ["sales_by_partner"])["details"] == [
        "sales_by_partner"
    ]


def test_a_period_runs_from_local_midnight_to_local_midnight_across_the_clock_change():
    start, end = period_bounds(date(2026, 3, 29), date(2026, 3, 29))  # 23 hours long in Paris
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, tzinfo=UTC)
