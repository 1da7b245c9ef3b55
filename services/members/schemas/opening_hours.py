"""Shapes of opening hours, exceptions and truck stops at the members service's boundary."""

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.messages import msg
from backbone.schemas import Schema
from services.members.opening_hours import DAYS, Slot, minutes, overlapping

OPENS = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error=msg("time_format", example="09:30"))
CLOSES = validate.Regexp(
    r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", error=msg("time_format", example="09:30")
)
MAX_EXCEPTION_DAYS = 366


class CoordinatesInput(Schema):
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class SlotInput(Schema):
    opens = fields.String(required=True, validate=OPENS)
    closes = fields.String(required=True, validate=CLOSES)

    @validates_schema
    def closes_after_opening(self, data, **_kwargs):
        if (
            "opens" in data
            and "closes" in data
            and minutes(data["closes"]) <= minutes(data["opens"])
        ):
            raise ValidationError(msg("closes_after_opens"), "closes")


class WeeklySlotInput(SlotInput):
    day = fields.String(required=True, validate=validate.OneOf(DAYS))


def _pair(clash) -> dict:
    return {
        "first": f"{clash[0].opens}-{clash[0].closes}",
        "second": f"{clash[1].opens}-{clash[1].closes}",
    }


def _check_weekly(slots, field="weekly"):
    for day in DAYS:
        clash = overlapping(Slot(s["opens"], s["closes"]) for s in slots if s["day"] == day)
        if clash:
            raise ValidationError(msg("slots_overlap_on", day=day, **_pair(clash)), field)


def _check_day(slots, field="slots"):
    clash = overlapping(Slot(s["opens"], s["closes"]) for s in slots)
    if clash:
        raise ValidationError(msg("slots_overlap", **_pair(clash)), field)


WEEKLY = dict(validate=validate.Length(max=7 * 6))


class OpeningExceptionInput(Schema):
    """A date (`start`) or a range (`start`..`end`, inclusive): closed, or open at `slots` only."""

    start = fields.Date(required=True)
    end = fields.Date(load_default=None, allow_none=True)
    closed = fields.Boolean(load_default=True)
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    slots = fields.List(
        fields.Nested(SlotInput), load_default=list, validate=validate.Length(max=6)
    )

    @validates_schema
    def consistent(self, data, **_kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(msg("end_before_start_date"), "end")
            if end - start >= timedelta(days=MAX_EXCEPTION_DAYS):
                raise ValidationError(msg("exception_too_long", days=MAX_EXCEPTION_DAYS), "end")
        slots = data.get("slots") or []
        if data.get("closed", True) and slots:
            raise ValidationError(msg("closed_day_has_no_hours"), "slots")
        if not data.get("closed", True) and not slots:
            raise ValidationError(msg("special_hours_missing"), "slots")
        _check_day(slots)


class OpeningHoursInput(Schema):
    """The weekly schedule of a village; `exceptions`, when given, replace the existing ones."""

    weekly = fields.List(fields.Nested(WeeklySlotInput), required=True, **WEEKLY)
    exceptions = fields.List(
        fields.Nested(OpeningExceptionInput),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
    )

    @validates_schema
    def no_overlap(self, data, **_kwargs):
        _check_weekly(data.get("weekly") or [])


class StopInput(Schema):
    """A stop of an itinerant truck and its weekly times."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    commune = fields.String(required=True, validate=validate.Length(min=2, max=120))
    coordinates = fields.Nested(CoordinatesInput, load_default=None, allow_none=True)
    position = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))
    weekly = fields.List(fields.Nested(WeeklySlotInput), load_default=list, **WEEKLY)

    @validates_schema
    def no_overlap(self, data, **_kwargs):
        _check_weekly(data.get("weekly") or [])


class PermanenceInput(WeeklySlotInput):
    """A service held at the hub by someone else, on a weekday (La Poste, a social worker)."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=160))


class OpeningStatusQuery(Schema):
    at = fields.AwareDateTime(load_default=None, allow_none=True)


# --- outputs -----------------------------------------------------------------------------------


class SlotOutput(Schema):
    opens = fields.String()
    closes = fields.String()


class WeeklySlotOutput(SlotOutput):
    day = fields.String()


class CoordinatesOutput(Schema):
    latitude = fields.Float()
    longitude = fields.Float()


class OpeningExceptionOutput(Schema):
    id = fields.String()
    start = fields.Date()
    end = fields.Date()
    closed = fields.Boolean()
    label = fields.String(allow_none=True)
    slots = fields.List(fields.Nested(SlotOutput))


class PermanenceOutput(WeeklySlotOutput):
    id = fields.String()
    village_id = fields.String()
    name = fields.String()
    note = fields.String(allow_none=True)


class StopOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    name = fields.String()
    commune = fields.String()
    coordinates = fields.Nested(CoordinatesOutput, allow_none=True)
    position = fields.Integer()
    weekly = fields.List(fields.Nested(WeeklySlotOutput))


class OpeningHoursOutput(Schema):
    village_id = fields.String()
    timezone = fields.String()
    weekly = fields.List(fields.Nested(WeeklySlotOutput))
    exceptions = fields.List(fields.Nested(OpeningExceptionOutput))
    stops = fields.List(fields.Nested(StopOutput))


class OpenStatusOutput(Schema):
    open = fields.Boolean()
    until = fields.String(allow_none=True)
    next_opening = fields.String(allow_none=True)


class StopStatusOutput(OpenStatusOutput):
    stop_id = fields.String()
    name = fields.String()
    commune = fields.String()


class OpeningStatusOutput(OpenStatusOutput):
    village_id = fields.String()
    status = fields.String()
    at = fields.String()
    stops = fields.List(fields.Nested(StopStatusOutput))
