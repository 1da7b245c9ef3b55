"""The coordinator's period, the same for every service's `village_figures(date_from, date_to,
village_ids=None, details=None)` RPC: two dates ("YYYY-MM-DD", inclusive) on the network's wall
clock (Europe/Paris), at most about three years apart, the villages asked for (None: all), and the
names of the optional (large) details wanted, which a service gives when it has them.

What each service counts stays in `services/<svc>/figures.py`; only the shape of the question is
shared, so that every figure of one report covers exactly the same moments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import Length

from backbone.clock import PARIS
from backbone.messages import msg
from backbone.schemas import Schema, load

MAX_DAYS = 3 * 366


class PeriodQuery(Schema):
    date_from = fields.Date(required=True, metadata={"description": "First day (YYYY-MM-DD)."})
    date_to = fields.Date(
        required=True, metadata={"description": "Last day, included (YYYY-MM-DD)."}
    )
    village_ids = fields.List(
        fields.String(),
        load_default=None,
        allow_none=True,
        metadata={"description": "Villages asked for; null for all."},
    )
    details = fields.List(
        fields.String(validate=Length(1, 60)),
        load_default=(),
        allow_none=False,
        validate=Length(max=10),
        metadata={
            "description": "Optional details wanted (e.g. sales_by_partner); a service "
            "ignores a name it does not have."
        },
    )

    @validates_schema
    def _period(self, data, **_kwargs):
        if data["date_to"] < data["date_from"]:
            raise ValidationError(msg("end_before_start_date"), "date_to")
        if (data["date_to"] - data["date_from"]).days > MAX_DAYS:
            raise ValidationError(msg("period_too_long", days=MAX_DAYS), "date_to")


def parse_period(date_from, date_to, village_ids=None, details=None) -> dict:
    """{"date_from": date, "date_to": date, "village_ids": list | None, "details": list}, or
    InvalidInput naming the field."""
    return load(
        PeriodQuery(),
        {
            "date_from": date_from,
            "date_to": date_to,
            "village_ids": village_ids,
            "details": details if details is not None else [],
        },
    )


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC: local midnight of the first day to local midnight after the last."""
    start = datetime.combine(first, time.min, PARIS).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, PARIS).astimezone(UTC)
    return start, end
