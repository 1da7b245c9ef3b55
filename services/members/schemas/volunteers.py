"""Shapes of volunteers, skills, the time bank and the skills map at the members service's boundary.

What a schema can check alone is checked here (levels, days, HH:MM, inverted or overlapping slots,
a skill listed twice); what needs the database (unknown skill, unknown village, the member) is
checked by the service layer (services/members/volunteers.py), with the same field-naming shape."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.members import (
    HHMM,
    SKILL_CODE,
    SKILL_LEVELS,
    WEEKDAYS,
    skill_code,
)
from backbone.messages import msg
from backbone.schemas import Schema

DAY_LABELS = {
    "monday": "lundi",
    "tuesday": "mardi",
    "wednesday": "mercredi",
    "thursday": "jeudi",
    "friday": "vendredi",
    "saturday": "samedi",
    "sunday": "dimanche",
}
LEVEL_LABELS = {"debutant": "débutant", "confirme": "confirmé", "expert": "expert"}
CATEGORY_LABELS = {
    "maison": "Maison",
    "jardin": "Jardin",
    "mobilite": "Mobilité",
    "numerique": "Numérique",
    "administratif": "Démarches",
    "cuisine_couture": "Cuisine et couture",
    "lien_social": "Lien social",
}
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error=msg("month_format", example="2026-11"))


class SkillLevelInput(Schema):
    skill = fields.String(required=True, validate=validate.Length(min=1, max=40))
    level = fields.String(required=True, validate=validate.OneOf(SKILL_LEVELS))


class AvailabilitySlotInput(Schema):
    day = fields.String(required=True, validate=validate.OneOf(WEEKDAYS))
    start = fields.String(required=True, validate=HHMM)
    end = fields.String(required=True, validate=HHMM)

    @validates_schema
    def end_after_start(self, data, **_kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError(msg("end_after_start"), "end")


def _check_skills(skills):
    errors = {}
    seen = set()
    for index, item in enumerate(skills or []):
        if item["skill"] in seen:
            errors[index] = {"skill": [msg("skill_listed_twice")]}
        seen.add(item["skill"])
    if errors:
        raise ValidationError(errors, "skills")


def _check_slots(slots):
    """Slots of the same day may touch (09:00–12:00, 12:00–14:00) but not overlap."""
    errors = {}
    for index, slot in enumerate(slots or []):
        for earlier in (slots or [])[:index]:
            if (
                earlier["day"] == slot["day"]
                and slot["start"] < earlier["end"]
                and earlier["start"] < slot["end"]
            ):
                errors[index] = {
                    "start": [msg("slot_overlaps", slot=f"{earlier['start']}–{earlier['end']}")]
                }
                break
    if errors:
        raise ValidationError(errors, "availability")


class _VolunteerFields(Schema):
    @validates_schema
    def consistent_lists(self, data, **_kwargs):
        _check_skills(data.get("skills"))
        _check_slots(data.get("availability"))
        village_ids = data.get("village_ids") or []
        if len(village_ids) != len(set(village_ids)):
            raise ValidationError(msg("village_listed_twice"), "village_ids")


class VolunteerInput(_VolunteerFields):
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    skills = fields.List(
        fields.Nested(SkillLevelInput), load_default=list, validate=validate.Length(max=30)
    )
    availability = fields.List(
        fields.Nested(AvailabilitySlotInput), load_default=list, validate=validate.Length(max=28)
    )
    village_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Other villages served (the home village always is)."},
    )
    max_distance_km = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=200)
    )
    has_licence = fields.Boolean(load_default=False)
    has_vehicle = fields.Boolean(load_default=False)
    network_visible = fields.Boolean(
        load_default=False,
        metadata={"description": "Visible to the other villages and the coordination."},
    )


class VolunteerUpdateInput(_VolunteerFields):
    """Every field optional: what is given replaces what was there (lists replace whole lists)."""

    skills = fields.List(fields.Nested(SkillLevelInput), validate=validate.Length(max=30))
    availability = fields.List(
        fields.Nested(AvailabilitySlotInput), validate=validate.Length(max=28)
    )
    village_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)), validate=validate.Length(max=20)
    )
    max_distance_km = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=200))
    has_licence = fields.Boolean()
    has_vehicle = fields.Boolean()
    network_visible = fields.Boolean()
    active = fields.Boolean()


class VolunteerFiltersInput(Schema):
    skill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    village_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))


SKILL_CATEGORY = validate.OneOf(
    list(CATEGORY_LABELS), error=msg("one_of", choices=", ".join(CATEGORY_LABELS))
)
SKILL_LABEL = validate.Length(min=2, max=120)


class SkillInput(Schema):
    """A skill added by the coordinator; its code is made from its label when none is given."""

    code = fields.String(load_default=None, allow_none=True, validate=SKILL_CODE)
    label = fields.String(required=True, validate=SKILL_LABEL)
    category = fields.String(required=True, validate=SKILL_CATEGORY)

    @validates_schema
    def _a_code_comes_of_it(self, data, **kwargs):
        """With no code given, the label's letters make one (« Plomberie » → plomberie): a label
        without two of them needs its code given."""
        if data.get("code") or "label" not in data:
            return
        try:
            SKILL_CODE(skill_code(data["label"]))
        except ValidationError as exc:
            raise ValidationError(msg("skill_label_without_code"), "label") from exc


class SkillChangeInput(Schema):
    label = fields.String(validate=SKILL_LABEL)
    category = fields.String(validate=SKILL_CATEGORY)


class SkillListInput(Schema):
    include_retired = fields.Boolean(load_default=False)


class MonthInput(Schema):
    month = fields.String(load_default=None, allow_none=True, validate=MONTH)


# --- outputs ---------------------------------------------------------------------------------


class SkillOutput(Schema):
    code = fields.String()
    label = fields.String()
    category = fields.String()
    category_label = fields.String()
    retired_at = fields.AwareDateTime(allow_none=True)


class VolunteerSkillOutput(Schema):
    skill = fields.String()
    label = fields.String()
    level = fields.String()
    level_label = fields.String()


class AvailabilitySlotOutput(Schema):
    day = fields.String()
    day_label = fields.String()
    start = fields.String()
    end = fields.String()


class VolunteerOutput(Schema):
    id = fields.String()
    member_id = fields.String()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    home_village_id = fields.String()
    village_ids = fields.List(
        fields.String(), metadata={"description": "Every village served, home included."}
    )
    skills = fields.List(fields.Nested(VolunteerSkillOutput))
    availability = fields.List(fields.Nested(AvailabilitySlotOutput))
    max_distance_km = fields.Integer(allow_none=True)
    has_licence = fields.Boolean()
    has_vehicle = fields.Boolean()
    network_visible = fields.Boolean()
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class TimeBankLineOutput(Schema):
    village_id = fields.String()
    minutes = fields.Integer()
    source_type = fields.String()
    source_ref = fields.String()
    skill = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    occurred_at = fields.AwareDateTime()


class VolunteerHoursOutput(Schema):
    volunteer_id = fields.String()
    member_id = fields.String()
    minutes = fields.Integer()
    hours = fields.Float()
    history = fields.List(fields.Nested(TimeBankLineOutput))


class TimeBankTotalOutput(Schema):
    village_id = fields.String()
    village_name = fields.String(allow_none=True)
    month = fields.String(
        allow_none=True, metadata={"description": "YYYY-MM; null for the all-time total."}
    )
    minutes = fields.Integer()
    hours = fields.Float()
    volunteers = fields.Integer(metadata={"description": "Distinct volunteers credited."})
    entries = fields.Integer()


class SkillSupplyOutput(Schema):
    volunteers = fields.Integer()
    levels = fields.Dict(keys=fields.String(), values=fields.Integer())
    partners = fields.List(
        fields.Dict(),
        metadata={
            "description": "Partners of a service kind offering the skill where they serve "
            "({partner_id, name, kind})."
        },
    )


class SkillDemandOutput(Schema):
    requested = fields.Integer(metadata={"description": "Help requests asking for it."})
    unmatched = fields.Integer(
        metadata={"description": "Requests for which no volunteer was found."}
    )
    open_unmatched = fields.Integer(metadata={"description": "Unmatched and still not completed."})


class SkillMapLineOutput(Schema):
    skill = fields.String()
    label = fields.String()
    category = fields.String(allow_none=True)
    listed = fields.Boolean(
        metadata={"description": "In the network's list; false: a need asked for outside it."}
    )
    supply = fields.Nested(SkillSupplyOutput)
    demand = fields.Nested(SkillDemandOutput)
    status = fields.String(
        metadata={
            "description": "missing (demand, no supply within reach), short "
            "(unanswered requests despite supply), covered, available."
        }
    )


class VillageSkillsMapOutput(Schema):
    village_id = fields.String()
    village_name = fields.String()
    skills = fields.List(fields.Nested(SkillMapLineOutput))
    missing = fields.List(
        fields.String(), metadata={"description": "Skill codes with demand and no supply."}
    )


class NetworkSkillsMapOutput(Schema):
    skills = fields.List(fields.Nested(SkillMapLineOutput))
    missing = fields.List(fields.String())
    villages = fields.List(fields.Nested(VillageSkillsMapOutput))
