"""A contract's marshmallow schema as JSON Schema (draft 2020-12), for readers in other languages.

What the writer dumps is what the schema describes: names as written (`data_key`), types and
formats, what is required, nullable, chosen from a list, bounded or matched by a pattern. A check
written as a Python function (e.g. a VAT rate among French ones) has no JSON Schema form and is
left to the contract. Objects accept fields they do not name: a reader tolerates fields added later
(a change that breaks readers is a new version, DESIGN.md). Only keywords that mean the same in
draft-07 are used, so an AsyncAPI document may embed the same schemas.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_SCALARS = [  # most specific first: UUID and AwareDateTime are Strings, Date is a DateTime
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Float, {"type": "number"}),
    (fields.String, {"type": "string"}),
    (fields.Dict, {"type": "object"}),
]


def object_schema(schema: Schema, *, leave_out: tuple[str, ...] = ()) -> dict:
    """The JSON Schema of what `schema` dumps, without the fields named in `leave_out`."""
    properties, required = {}, []
    for name, field in schema.fields.items():
        if field.load_only or name in leave_out:
            continue
        key = field.data_key or name
        properties[key] = field_schema(field)
        if field.required:
            required.append(key)
    result = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    return result


def field_schema(field: fields.Field) -> dict:
    if isinstance(field, fields.Nested):
        inner = object_schema(field.schema)
        result = {"type": "array", "items": inner} if field.many else inner
    elif isinstance(field, fields.List):
        result = {"type": "array", "items": field_schema(field.inner)}
    else:
        result = next((dict(shape) for cls, shape in _SCALARS if isinstance(field, cls)), None)
        if result is None:
            raise TypeError(f"no JSON Schema for {type(field).__name__}: add it to _SCALARS")
    for validator in _validators(field):
        _constrain(result, validator)
    if field.metadata.get("description"):
        result = {"description": field.metadata["description"], **result}
    if field.allow_none:
        result["type"] = [result["type"], "null"]
        if "enum" in result:
            result["enum"] = [*result["enum"], None]
    return result


def _validators(field) -> list:
    if field.validate is None:
        return []
    return list(field.validators)


def _constrain(result: dict, validator) -> None:
    kind = result["type"]
    if isinstance(validator, validate.OneOf):
        result["enum"] = list(validator.choices)
    elif isinstance(validator, validate.Regexp):
        result["pattern"] = validator.regex.pattern
    elif isinstance(validator, validate.Length):
        low, high = (
            ("minItems", "maxItems")
            if kind == "array"
            else ("minProperties", "maxProperties")
            if kind == "object"
            else ("minLength", "maxLength")
        )
        if validator.equal is not None:
            result[low] = result[high] = validator.equal
        else:
            if validator.min is not None:
                result[low] = validator.min
            if validator.max is not None:
                result[high] = validator.max
    elif isinstance(validator, validate.Range):
        if validator.min is not None:
            key = "minimum" if validator.min_inclusive else "exclusiveMinimum"
            result[key] = validator.min
        if validator.max is not None:
            key = "maximum" if validator.max_inclusive else "exclusiveMaximum"
            result[key] = validator.max
