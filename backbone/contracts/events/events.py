"""Events published by the events service (animations, suggestions).

Defined ahead of their publisher: the members service already consumes `animation.attended`
(volunteer roles credit the time bank)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backbone.contracts.registry import registry


class AnimationVolunteer(Schema):
    member_id = fields.String(required=True, metadata={"description": "Member id of the volunteer."})
    role = fields.String(required=True, validate=validate.Length(min=1, max=60),
                         metadata={"description": "What they did (accueil, atelier, buvette…)."})
    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60),
                             metadata={"description": "Time given, in minutes."})


@registry.register("animation.attended", 1, publisher="events",
                   description="An animation took place; the volunteers who held a role are credited "
                               "their minutes (time bank).")
class AnimationAttendedV1(Schema):
    animation_id = fields.String(required=True, metadata={"description": "Id of the animation (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village where it took place."})
    volunteers = fields.List(fields.Nested(AnimationVolunteer), required=True,
                             metadata={"description": "Each volunteer once, with role and minutes."})

    @validates_schema
    def each_volunteer_once(self, data, **_kwargs):
        seen = [v["member_id"] for v in data.get("volunteers") or []]
        if len(seen) != len(set(seen)):
            raise ValidationError("Each volunteer appears once.", "volunteers")
