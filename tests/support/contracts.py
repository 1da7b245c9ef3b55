"""Event payloads the backbone's tests build envelopes from, and `payloads(schema)`, any payload a
contract allows (hypothesis)."""

import uuid
from datetime import UTC, date, datetime

from hypothesis import strategies as st
from marshmallow import fields, validate

# a `village.opened` payload
VILLAGE = {
    "village_id": str(uuid.uuid4()),
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "kind": "fixed",
    "population": 800,
}


def payloads(schema):
    """A hypothesis strategy of payloads for a contract's marshmallow `schema`, as a publisher
    hands them to `build_envelope` (dates and datetimes as Python objects), drawn from its fields'
    own types, choices, bounds and patterns; an optional field is sometimes left out."""
    required, optional = {}, {}
    for name, field in schema.fields.items():
        (required if field.required else optional)[name] = _value(field)
    return st.fixed_dictionaries(required, optional=optional)


def _value(field):
    strategy = _base(field)
    if field.allow_none:
        strategy = st.none() | strategy
    return strategy


def _bounds(field, kind):
    found = next((v for v in field.validators if isinstance(v, kind)), None)
    if found is None:
        return None, None
    if isinstance(found, validate.Length) and found.equal is not None:
        return found.equal, found.equal
    return found.min, found.max


def _base(field):
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    if choices is not None:
        return st.sampled_from(list(choices))
    if isinstance(field, fields.Nested):
        inner = payloads(field.schema)
        return st.lists(inner, max_size=3) if field.many else inner
    if isinstance(field, fields.List):
        low, high = _bounds(field, validate.Length)
        return st.lists(_value(field.inner), min_size=low or 0, max_size=min(high or 3, 3))
    if isinstance(field, fields.UUID):
        return st.uuids().map(str)
    if isinstance(field, fields.AwareDateTime):
        return st.datetimes(
            min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
        )
    if isinstance(field, fields.Date):
        return st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 1, 1))
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Integer):
        low, high = _bounds(field, validate.Range)
        return st.integers(
            min_value=-(10**6) if low is None else low, max_value=10**6 if high is None else high
        )
    if isinstance(field, fields.Float):
        low, high = _bounds(field, validate.Range)
        return st.floats(
            min_value=-(10**6) if low is None else low,
            max_value=10**6 if high is None else high,
            allow_nan=False,
        )
    if isinstance(field, fields.Dict):
        return st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
    pattern = next((v.regex for v in field.validators if isinstance(v, validate.Regexp)), None)
    if pattern is not None:
        return st.from_regex(pattern, fullmatch=True)
    low, high = _bounds(field, validate.Length)
    return st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=low or 0,
        max_size=max(low or 0, min(high or 20, 20)),
    )
