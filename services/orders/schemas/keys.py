"""The idempotency key a write at the counter carries: chosen by the caller once per thing made (a
UUID made when the form opens), so that the same write sent twice (a double click, a retry after an
answer that never came) answers what the first one made, never a second one."""

from marshmallow import fields, validate


def idempotency_key_field(thing: str, *, required: bool) -> fields.String:
    sent_again = f"the same key sent again answers the same {thing}, never a second one"
    if required:
        return fields.String(
            required=True,
            validate=validate.Length(min=8, max=80),
            metadata={
                "description": f"Chosen by the caller once per {thing} (e.g. a UUID "
                f"made when the form opens): {sent_again}."
            },
        )
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=8, max=80),
        metadata={
            "description": f"Optional; chosen by the caller once per {thing} (e.g. "
            f"a UUID made when the form opens): {sent_again}. "
            f"Without it, each call records a new {thing}."
        },
    )
