"""Events published by the members service."""

import re
import unicodedata

from marshmallow import fields, validate

from backbone.contracts.registry import registry
from backbone.messages import msg
from backbone.schemas import Schema

VILLAGE_KINDS = ("fixed", "itinerant", "locker")
# how a skill is named everywhere (help requests, volunteers, the list): the list's own codes and
# the needs a request names outside it
SKILL_CODE = validate.Regexp(
    r"^[a-z][a-z0-9_]{1,39}$", error=msg("skill_code_format", example="jardinage")
)


def skill_code(text: str) -> str:
    """The code a label or a typed need is known by: « Plomberie » and « plomberie » are one
    need, « Petits travaux d'électricité » is `petits_travaux_d_electricite` (40 characters at
    most); "" when nothing readable is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if code and not code[0].isalpha():
        code = "besoin_" + code
    return code[:40].rstrip("_")


VILLAGE_STATUSES = ("preparing", "open", "paused", "closed")


@registry.register(
    "village.opened",
    1,
    publisher="members",
    description="A village hub joined the network. Every service records it in its read model.",
)
class VillageOpenedV1(Schema):
    village_id = fields.String(required=True, metadata={"description": "Id of the village (UUID)."})
    slug = fields.String(
        required=True, metadata={"description": "Short readable name used in addresses."}
    )
    name = fields.String(required=True, metadata={"description": "Name of the village hub."})
    commune = fields.String(required=True, metadata={"description": "Commune where it stands."})
    insee_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^(\d{5}|2[AB]\d{3})$"),
        metadata={"description": "INSEE code of the commune."},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(VILLAGE_KINDS),
        metadata={"description": "fixed hub, itinerant truck or locker box."},
    )
    population = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Inhabitants."}
    )
    # optional, no load_default: an event written before they existed reads back exactly as written
    latitude = fields.Float(
        allow_none=True,
        metadata={"description": "Latitude of the hub (WGS 84), when known (rounds, distances)."},
    )
    longitude = fields.Float(
        allow_none=True, metadata={"description": "Longitude of the hub (WGS 84), when known."}
    )
    services = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        metadata={
            "description": "Codes of what the hub offers (grocery, cafe, parcel_relay, lockers, "
            "help_at_home, animations, bread_depot, local_products, postal_services…)."
        },
    )


@registry.register(
    "village.updated",
    1,
    publisher="members",
    description="A village's description changed (its name, commune, population, position or the "
    "services the hub offers): "
    "the whole description as `village.opened` gives it, with when it opened, so "
    "a reader that missed the opening can still record it. Readers keep the "
    "latest by `occurred_at`.",
)
class VillageUpdatedV1(VillageOpenedV1):
    opened_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the village joined the network."}
    )


# --- volunteers (services/members/volunteers.py) ----------------------------------------------

SKILL_LEVELS = ("debutant", "confirme", "expert")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HHMM = validate.Regexp(
    r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", error=msg("weekday_time", example="09:30")
)


class VolunteerSkillV1(Schema):
    skill = fields.String(
        required=True, metadata={"description": "Skill code from the network taxonomy."}
    )
    level = fields.String(
        required=True,
        validate=validate.OneOf(SKILL_LEVELS),
        metadata={"description": "débutant, confirmé or expert."},
    )


class AvailabilitySlotV1(Schema):
    day = fields.String(
        required=True,
        validate=validate.OneOf(WEEKDAYS),
        metadata={"description": "Day of the week."},
    )
    start = fields.String(
        required=True, validate=HHMM, metadata={"description": "Start, local time HH:MM."}
    )
    end = fields.String(
        required=True, validate=HHMM, metadata={"description": "End, local time HH:MM."}
    )


@registry.register(
    "volunteer.available",
    1,
    publisher="members",
    description="A volunteer's profile as matching needs it, sent when they join and "
    "whenever it changes (the latest one wins). No contact details: "
    "those stay in the members service.",
)
class VolunteerAvailableV1(Schema):
    volunteer_id = fields.String(
        required=True, metadata={"description": "Id of the volunteer (UUID)."}
    )
    member_id = fields.String(
        required=True, metadata={"description": "Member id of the volunteer."}
    )
    home_village_id = fields.String(required=True, metadata={"description": "Their home village."})
    village_ids = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Every village they serve, home village included."},
    )
    skills = fields.List(
        fields.Nested(VolunteerSkillV1),
        required=True,
        metadata={"description": "Skills with their level."},
    )
    availability = fields.List(
        fields.Nested(AvailabilitySlotV1),
        required=True,
        metadata={"description": "Weekly availability slots."},
    )
    max_distance_km = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Distance they accept to travel, in km."},
    )
    has_licence = fields.Boolean(
        required=True, metadata={"description": "Holds a driving licence."}
    )
    has_vehicle = fields.Boolean(required=True, metadata={"description": "Has a vehicle (rounds)."})
    network_visible = fields.Boolean(
        required=True, metadata={"description": "Opted in to be visible to other villages."}
    )
    active = fields.Boolean(
        required=True, metadata={"description": "False once they stop volunteering."}
    )


# "from" is a Python keyword: the contract is built from a dict so its fields keep their names.
VillageStatusChangedV1 = registry.register(
    "village.status_changed",
    1,
    publisher="members",
    description="A village's status changed (preparing → open ↔ paused → closed; closed is final). "
    "Readers keep the latest by `occurred_at`.",
)(
    Schema.from_dict(
        {
            "village_id": fields.String(
                required=True, metadata={"description": "Id of the village (UUID)."}
            ),
            "from": fields.String(
                required=True,
                allow_none=True,
                validate=validate.OneOf(VILLAGE_STATUSES),
                metadata={"description": "Status before; null when the village was just created."},
            ),
            "to": fields.String(
                required=True,
                validate=validate.OneOf(VILLAGE_STATUSES),
                metadata={"description": "Status now."},
            ),
            "reason": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Why (free text from the coordinator), or null."},
            ),
        },
        name="VillageStatusChangedV1",
    )
)


MEMBER_SERVICE_TAGS = (
    "reduced_mobility",
    "fragile",
    "living_alone",
    "no_car",
    "hearing_impaired",
    "commuter",
)


@registry.register(
    "member.registered",
    1,
    publisher="members",
    description="An inhabitant joined a village. Carries only what other services need to "
    "serve them (no phone, email or address).",
)
class MemberRegisteredV1(Schema):
    member_id = fields.String(required=True, metadata={"description": "Id of the member (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Home village."})
    display_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=170),
        metadata={"description": "First and last name, as shown at the counter."},
    )
    tags = fields.List(
        fields.String(validate=validate.OneOf(MEMBER_SERVICE_TAGS)),
        required=True,
        metadata={
            "description": "Profile tags that matter for deliveries and home help: "
            + ", ".join(MEMBER_SERVICE_TAGS)
            + "."
        },
    )


MEMBER_CONSENT_PURPOSES = ("contact", "share_with_network", "photos", "newsletter")


@registry.register(
    "member.updated",
    1,
    publisher="members",
    description="An inhabitant's record changed (name, profile tags, address, consents): the whole "
    "description other services keep, sent whenever a part of it changes. Phone and e-mail stay "
    "in the members service (it sends every notice); the address travels because home "
    "deliveries need it. Readers keep the latest by `occurred_at` and never bring an erased "
    "member back.",
)
class MemberUpdatedV1(MemberRegisteredV1):
    # added within v1 (optional, null when not told): where the home is, for home deliveries
    latitude = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=-90, max=90),
        metadata={"description": "The home's latitude, when entered or imported (rounds)."},
    )
    longitude = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=-180, max=180),
        metadata={"description": "The home's longitude, with the latitude."},
    )
    address = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(max=330),
        metadata={
            "description": "Where they live, as a delivery needs it (street, postcode and town on "
            "one line), or null when unknown."
        },
    )
    consents = fields.List(
        fields.String(validate=validate.OneOf(MEMBER_CONSENT_PURPOSES)),
        required=True,
        metadata={
            "description": "Purposes they consent to now (withdrawn ones left out): "
            + ", ".join(MEMBER_CONSENT_PURPOSES)
            + "."
        },
    )


@registry.register(
    "member.erased",
    1,
    publisher="members",
    description="RGPD erasure: every service anonymises what it holds about this member "
    "(idempotently; the id stays so history keeps its shape).",
)
class MemberErasedV1(Schema):
    member_id = fields.String(required=True, metadata={"description": "Id of the erased member."})
    village_id = fields.String(required=True, metadata={"description": "Home village."})


# --- the network's skills list (members owns it; the coordinator changes it) -------------------


class SkillV1(Schema):
    code = fields.String(
        required=True,
        validate=SKILL_CODE,
        metadata={"description": "The skill's code, as help requests and volunteers name it."},
    )
    label = fields.String(
        required=True,
        validate=validate.Length(min=2, max=120),
        metadata={"description": "Its name in French, as people read it."},
    )
    category = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Its category (maison, jardin, mobilite, numerique…)."},
    )


@registry.register(
    "skill.added",
    1,
    publisher="members",
    village_scoped=False,
    description="A skill joined the network's list (or a retired one came back): volunteers may "
    "offer it and help requests name it. A need asked for before it was listed now counts as it.",
)
class SkillAddedV1(SkillV1):
    pass


@registry.register(
    "skill.renamed",
    1,
    publisher="members",
    village_scoped=False,
    description="A skill of the list changed its label or its category; its code stays.",
)
class SkillRenamedV1(SkillV1):
    pass


@registry.register(
    "skill.retired",
    1,
    publisher="members",
    village_scoped=False,
    description="A skill is no longer offered; volunteers and past requests that name it keep it.",
)
class SkillRetiredV1(SkillV1):
    pass


# --- grappes: villages that pool their supplier orders and their rounds ------------------------


class GrappeV1(Schema):
    grappe_id = fields.String(required=True, metadata={"description": "Id of the grappe (UUID)."})
    name = fields.String(
        required=True,
        validate=validate.Length(min=2, max=120),
        metadata={"description": "Its name, as the coordinator gave it."},
    )
    village_ids = fields.List(
        fields.String(),
        required=True,
        validate=validate.Length(min=2),
        metadata={"description": "The villages of the grappe (two at least)."},
    )
    supplier_partner_ids = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "The shared suppliers whose orders the grappe pools: one purchase "
            "order per supplier, delivery day and grappe."
        },
    )
    depot_village_id = fields.String(
        required=True, metadata={"description": "The village of the grappe where goods arrive."}
    )
    depot_place = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Where in that village (a barn, the hall's back door), if said."},
    )


@registry.register(
    "grappe.created",
    1,
    publisher="members",
    village_scoped=False,
    description="The coordinator gathered villages in a grappe: they pool the orders of its shared "
    "suppliers and the goods arrive at its depot.",
)
class GrappeCreatedV1(GrappeV1):
    pass


@registry.register(
    "grappe.updated",
    1,
    publisher="members",
    village_scoped=False,
    description="A grappe changed (name, villages, shared suppliers or depot): its whole "
    "description; the latest by `occurred_at` wins. Purchase orders already open stay as they are.",
)
class GrappeUpdatedV1(GrappeV1):
    pass


# --- the stops of an itinerant village's truck (« Horaires et lieux ») -------------------------


class VillageStopV1(Schema):
    stop_id = fields.String(required=True, metadata={"description": "Id of the stop (UUID)."})
    name = fields.String(
        required=True, metadata={"description": "Where the truck parks (« Place de l'église »)."}
    )
    commune = fields.String(required=True, metadata={"description": "Commune of the stop."})
    latitude = fields.Float(
        required=True, allow_none=True, metadata={"description": "Latitude (WGS 84), if known."}
    )
    longitude = fields.Float(
        required=True, allow_none=True, metadata={"description": "Longitude (WGS 84), if known."}
    )


@registry.register(
    "village.stops_changed",
    1,
    publisher="members",
    description="The stops of an itinerant village's truck changed (one added, moved, renamed or "
    "removed): every stop of the village, in the order the concierge keeps them. Readers keep the "
    "newest list by `occurred_at` (a round's truck stop names one of them).",
)
class VillageStopsChangedV1(Schema):
    village_id = fields.String(required=True, metadata={"description": "The itinerant village."})
    stops = fields.List(
        fields.Nested(VillageStopV1),
        required=True,
        metadata={"description": "Every stop of its truck (none: the truck has no stop left)."},
    )
