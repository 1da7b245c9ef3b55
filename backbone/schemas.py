"""Helpers for validating input at every boundary with marshmallow.

`Schema` is the project's base schema: every message its fields and validators can give is a code
of the catalogue (`backbone.messages`), so a field error carries its French from the start.
"""

import marshmallow
from marshmallow import ValidationError, fields, validate

from backbone.errors import InvalidInput
from backbone.messages import Text, template

# marshmallow's own messages, by field class (the nearest in the field's class hierarchy) and key
FIELD_CODES = {
    ("Field", "required"): "required",
    ("Field", "null"): "null",
    ("Field", "validator_failed"): "validator_failed",
    ("Nested", "type"): "invalid_type",
    ("List", "invalid"): "invalid_list",
    ("Tuple", "invalid"): "invalid_tuple",
    ("String", "invalid"): "invalid_string",
    ("String", "invalid_utf8"): "invalid_utf8",
    ("UUID", "invalid_uuid"): "invalid_uuid",
    ("Number", "invalid"): "invalid_number",
    ("Number", "too_large"): "number_too_large",
    ("Integer", "invalid"): "invalid_integer",
    ("Float", "special"): "special_number",
    ("Decimal", "special"): "special_number",
    ("Boolean", "invalid"): "invalid_boolean",
    ("DateTime", "invalid"): "invalid_datetime",
    ("NaiveDateTime", "invalid_awareness"): "naive_datetime",
    ("AwareDateTime", "invalid_awareness"): "aware_datetime",
    ("Date", "invalid"): "invalid_date",
    ("_TemporalField", "invalid_awareness"): "wrong_time_zone",
    ("_TemporalField", "format"): "cannot_format",
    ("TimeDelta", "format"): "cannot_format",
    ("Time", "invalid"): "invalid_time",
    ("TimeDelta", "invalid"): "invalid_timedelta",
    ("Mapping", "invalid"): "invalid_mapping",
    ("Url", "invalid"): "invalid_url",
    ("Email", "invalid"): "invalid_email",
    ("Enum", "unknown"): "invalid_enum",
}
# the messages a validator's class gives when the schema names none (`error=`)
VALIDATOR_CODES = {
    validate.Email: "invalid_email",
    validate.URL: "invalid_url",
    validate.OneOf: "one_of",
    validate.Regexp: "pattern_mismatch",
    validate.Predicate: "validator_failed",
    validate.NoneOf: "validator_failed",
}


def _coded_messages(field) -> None:
    """Replace each of marshmallow's English messages of `field` by its code's `Text`."""
    for key, message in list(field.error_messages.items()):
        if isinstance(message, Text):
            continue
        if not any(
            getattr(cls, "default_error_messages", {}).get(key) == message
            for cls in type(field).__mro__
        ):
            continue  # a message the schema gave: it must be a `Text` already
        code = next(
            (
                FIELD_CODES[(cls.__name__, key)]
                for cls in type(field).__mro__
                if (cls.__name__, key) in FIELD_CODES
            ),
            None,
        )
        if code:
            field.error_messages[key] = template(code)
    for validator in field.validators:
        _coded_validator(validator, field)
    for inner in (
        [getattr(field, "inner", None), getattr(field, "key_field", None)]
        + [getattr(field, "value_field", None)]
        + list(getattr(field, "tuple_fields", None) or [])
    ):
        if isinstance(inner, fields.Field):
            _coded_messages(inner)


def _coded_validator(validator, field) -> None:
    if isinstance(validator, validate.Length) and validator.error is None:
        validator.message_min = template("length_min")
        validator.message_max = template("length_max")
        validator.message_all = template("length_between")
        validator.message_equal = template("length_equal")
    elif isinstance(validator, validate.Range) and validator.error is None:
        low = "range_min" if validator.min_inclusive else "range_above"
        high = "range_max" if validator.max_inclusive else "range_below"
        validator.message_min, validator.message_max = template(low), template(high)
        if validator.min_inclusive and validator.max_inclusive:
            validator.message_all = template("range_between")
    elif isinstance(getattr(validator, "error", None), str) and not isinstance(
        validator.error, Text
    ):
        if validator.error == field.error_messages.get("invalid"):  # fields.Email's, fields.Url's
            validator.error = field.error_messages["invalid"]
        for cls, code in VALIDATOR_CODES.items():
            if isinstance(validator, cls) and validator.error == cls.default_message:
                validator.error = template(code)
                break


class Schema(marshmallow.Schema):
    """The base of every schema: marshmallow's messages come from the catalogue, by code."""

    error_messages = {"unknown": template("unknown_field"), "type": template("invalid_input_type")}

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        _coded_messages(field_obj)


MAX_PAGE = (
    10_000  # 2 million rows at the largest page size: past it, a number is a mistake or a probe
)
MAX_PER_PAGE = 200


class PageQuery(Schema):
    """`?page=&per_page=` of a paginated list, bounded both ways (a page of 10**20 would overflow
    the database's OFFSET: a 500 instead of a 400 naming `page`)."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "page (1, 2…)"},
    )
    per_page = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": "lignes par page / rows per page"},
    )


def load(schema: Schema, data, **kwargs):
    """Validate `data` with `schema`; raise InvalidInput naming every bad field."""
    if data is None:
        data = {}
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None


def occurred_at_field() -> fields.AwareDateTime:
    """`occurred_at` of an action done offline and replayed (backbone/offline_actions.py)."""
    return fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "When the action happened, if earlier than now (an action done "
            "offline and replayed): at most 3 days ago, not in the future (5 minutes of clock "
            "skew allowed). The action counts on that day; the time it was received is kept "
            "beside it."
        },
    )
