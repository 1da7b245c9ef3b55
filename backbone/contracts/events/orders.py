"""Events published by the orders service (help requests: "coups de main").

Defined ahead of their publisher: the members service already consumes them (time bank, skills
map), so orders only has to `uow.record_event(...)` them when it handles help requests."""
from marshmallow import Schema, fields, validate

from backbone.contracts.registry import registry

SKILL_CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error="A skill code is lowercase, e.g. jardinage.")


@registry.register("help_request.requested", 1, publisher="orders",
                   description="Someone asked for a hand (a coup de main) needing one skill. "
                               "Demand signal of the skills map.")
class HelpRequestRequestedV1(Schema):
    help_request_id = fields.String(required=True, metadata={"description": "Id of the help request (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village where the help is needed."})
    skill = fields.String(required=True, validate=SKILL_CODE,
                          metadata={"description": "Skill code from the network taxonomy (`GET /api/skills`)."})
    requested_at = fields.AwareDateTime(required=True, metadata={"description": "When it was asked (UTC)."})


@registry.register("help_request.unmatched", 1, publisher="orders",
                   description="No volunteer could be found for a help request. Signal of a missing skill.")
class HelpRequestUnmatchedV1(Schema):
    help_request_id = fields.String(required=True, metadata={"description": "Id of the help request (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village where the help is needed."})
    skill = fields.String(required=True, validate=SKILL_CODE, metadata={"description": "Skill code needed."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": "Why (no volunteer with the skill, none available…)."})


@registry.register("help_request.completed", 1, publisher="orders",
                   description="A volunteer gave a hand: the members service credits their hours (time bank).")
class HelpRequestCompletedV1(Schema):
    help_request_id = fields.String(required=True, metadata={"description": "Id of the help request (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village where the help was given."})
    member_id = fields.String(required=True, metadata={"description": "Member id of the volunteer who helped."})
    skill = fields.String(required=True, validate=SKILL_CODE, metadata={"description": "Skill code used."})
    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60),
                             metadata={"description": "Time given, in minutes."})
    completed_at = fields.AwareDateTime(required=True, metadata={"description": "When it was done (UTC)."})
