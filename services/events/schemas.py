"""Shapes crossing the events service's boundary."""

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone import network_facts_schemas
from backbone.messages import msg
from backbone.schemas import Schema, occurred_at_field


class KnownVillageOutput(network_facts_schemas.KnownVillageOutput):
    commune = fields.String()


class KnownPartnerOutput(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    village_ids = fields.List(
        fields.String(), allow_none=True, metadata={"description": "Empty: the whole network."}
    )
    joined_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the partnership ended (null: it lasts)."}
    )


# --- animations --------------------------------------------------------------------------------

KIND_LABELS = {
    "atelier": "Atelier",
    "cafe": "Café",
    "marche": "Marché",
    "beaute": "Beauté avec vendeuses à domicile",
    "aide_numerique": "Aide numérique",
    "sortie": "Sortie",
    "repas": "Repas partagé",
    "autre": "Autre",
}
ANIMATION_STATUS_LABELS = {"scheduled": "Prévue", "held": "Tenue", "cancelled": "Annulée"}
REGISTRATION_STATUS_LABELS = {
    "registered": "Inscrit·e",
    "waiting": "Liste d'attente",
    "cancelled": "Désinscrit·e",
}

_id = fields.String(validate=validate.Length(min=1, max=36))


class VolunteerRoleInput(Schema):
    role = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "accueil, buvette, animation…"},
    )
    needed = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50))


MAX_OCCURRENCES = 52


class RecurrenceInput(Schema):
    """Weekly or monthly, ending on a date (`until`) or after a number of occurrences (`count`):
    a recurrence that never ends is refused."""

    frequency = fields.String(required=True, validate=validate.OneOf(["weekly", "monthly"]))
    until = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Last day it may happen."}
    )
    count = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=2, max=MAX_OCCURRENCES),
        metadata={"description": "Number of occurrences, the first included."},
    )

    @validates_schema
    def _ends(self, data, **_kwargs):
        if data.get("until") is None and data.get("count") is None:
            raise ValidationError(msg("recurrence_without_end"), "until")
        if data.get("until") is not None and data.get("count") is not None:
            raise ValidationError(msg("recurrence_end_twice"), "count")


class AnimationInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(KIND_LABELS)))
    title = fields.String(required=True, validate=validate.Length(min=2, max=160))
    place = fields.String(required=True, validate=validate.Length(min=2, max=200))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    co_organiser_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Known partners co-organising it."},
    )
    roles = fields.List(
        fields.Nested(VolunteerRoleInput),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Volunteer roles needed."},
    )
    invited_village_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={
            "description": "Other villages whose inhabitants may register from "
            "their own hub (it shows on their calendar too)."
        },
    )
    recurrence = fields.Nested(
        RecurrenceInput,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Repeat it (each occurrence is an animation of its own, "
            "with its own registrations)."
        },
    )

    @validates_schema
    def _dates(self, data, **_kwargs):
        recurrence = data.get("recurrence")
        if (
            recurrence
            and recurrence.get("until")
            and data.get("starts_at")
            and recurrence["until"] < data["starts_at"].date()
        ):
            raise ValidationError(msg("recurrence_ends_before_start"), "recurrence")
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError(msg("end_after_start"), "ends_at")
        if (
            data.get("ends_at")
            and data.get("starts_at")
            and data["ends_at"] - data["starts_at"] > timedelta(days=7)
        ):
            raise ValidationError(msg("animation_too_long", days=7), "ends_at")
        roles = [r["role"] for r in data.get("roles") or []]
        if len(roles) != len(set(roles)):
            raise ValidationError(msg("role_listed_twice"), "roles")
        ids = data.get("co_organiser_ids") or []
        if len(ids) != len(set(ids)):
            raise ValidationError(msg("co_organiser_listed_twice"), "co_organiser_ids")
        invited = data.get("invited_village_ids") or []
        if len(invited) != len(set(invited)):
            raise ValidationError(msg("village_listed_twice"), "invited_village_ids")


class DayInput(Schema):
    on_date = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD (default today)."}
    )


class CapacityInput(Schema):
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))


class CancelInput(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class RegistrationInput(Schema):
    """A known member (`member_id`) or a guest (`guest_name` and `guest_phone`)."""

    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )
    guest_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=2, max=120)
    )
    guest_phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=6, max=30)
    )

    @validates_schema
    def _who(self, data, **_kwargs):
        if data.get("member_id"):
            if data.get("guest_name") or data.get("guest_phone"):
                raise ValidationError(msg("member_or_guest"), "member_id")
            return
        errors = {}
        if not data.get("guest_name"):
            errors["guest_name"] = [msg("guest_needs_name_and_phone")]
        phone = data.get("guest_phone") or ""
        if not phone:
            errors["guest_phone"] = [msg("guest_needs_name_and_phone")]
        elif sum(c.isdigit() for c in phone) < 6 or not set(phone) <= set("0123456789 +.-()"):
            errors["guest_phone"] = [msg("invalid_phone")]
        if errors:
            raise ValidationError(errors)


class RoleFillInput(Schema):
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    role = fields.String(required=True, validate=validate.Length(min=1, max=60))


class AttendanceVolunteerInput(Schema):
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=24 * 60)
    )


class AttendanceInput(Schema):
    """Either the people present (`present`: registration ids, and `walk_ins` who came without
    registering): people reached and guests are counted from them; or a head count
    (`people_reached`) alone."""

    people_reached = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=100000),
        metadata={"description": "A head count, when the people present are not listed."},
    )
    present = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=10000),
        metadata={"description": "Registrations of the people who came."},
    )
    walk_ins = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0, max=100000),
        metadata={"description": "Guests who came without registering."},
    )
    volunteers = fields.List(
        fields.Nested(AttendanceVolunteerInput),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Minutes given by each volunteer who held a role; when "
            "left out, every volunteer holding a role is credited the "
            "animation's duration."
        },
    )
    idempotency_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=8, max=80),
        metadata={
            "description": "Optional; chosen by the caller once per roll call: the same key "
            "sent again answers the animation as it now is, never a second roll call."
        },
    )
    occurred_at = occurred_at_field()

    @validates_schema
    def _counted(self, data, **_kwargs):
        if data.get("present") is None and data.get("people_reached") is None:
            raise ValidationError(msg("presence_missing"), "people_reached")
        if data.get("present") is not None and data.get("people_reached") is not None:
            raise ValidationError(msg("presence_twice"), "people_reached")
        if data.get("present") is None and data.get("walk_ins"):
            raise ValidationError(
                msg("walk_ins_without_present"),
                "walk_ins",
            )
        present = data.get("present") or []
        if len(present) != len(set(present)):
            raise ValidationError(msg("registration_listed_twice"), "present")


class RegistrationOutput(Schema):
    """Names and phones show only to the hub that registered the person (and the coordinator); the
    host village sees the others' registrations without them."""

    id = fields.String()
    village_id = fields.String(
        allow_none=True, metadata={"description": "The hub that registered them."}
    )
    present = fields.Boolean(allow_none=True)
    guest_erased = fields.Boolean(
        metadata={"description": "A guest whose name and phone were erased."}
    )
    member_id = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    guest_name = fields.String(allow_none=True)
    guest_phone = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    registered_at = fields.AwareDateTime()
    promoted_at = fields.AwareDateTime(allow_none=True)


class GuestToCallOutput(Schema):
    registration_id = fields.String()
    village_id = fields.String(allow_none=True)
    guest_name = fields.String(allow_none=True)
    guest_phone = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()


class VolunteerRoleOutput(Schema):
    role = fields.String()
    needed = fields.Integer()
    member_ids = fields.List(fields.String())


class AnimationOutput(Schema):
    id = fields.String()
    series_id = fields.String(
        allow_none=True, metadata={"description": "Shared by the occurrences of a recurrence."}
    )
    occurrences = fields.List(
        fields.AwareDateTime(),
        metadata={
            "description": "On creation of a recurrence: the start of every occurrence created."
        },
    )
    village_id = fields.String(
        metadata={"description": "The host village (the only one that changes it)."}
    )
    invited_village_ids = fields.List(
        fields.String(),
        metadata={
            "description": "Other villages whose inhabitants may register from their own hub."
        },
    )
    kind = fields.String()
    kind_label = fields.String()
    title = fields.String()
    place = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    capacity = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    cancel_reason = fields.String(allow_none=True)
    people_reached = fields.Integer(allow_none=True)
    guests = fields.Integer(
        allow_none=True, metadata={"description": "Of the people reached, guests (not members)."}
    )
    co_organiser_ids = fields.List(fields.String())
    registered = fields.Integer(metadata={"description": "Places taken."})
    waiting = fields.Integer(metadata={"description": "People on the waiting list."})
    registrations = fields.List(fields.Nested(RegistrationOutput))
    roles = fields.List(fields.Nested(VolunteerRoleOutput))
    guests_to_call = fields.List(
        fields.Nested(GuestToCallOutput),
        metadata={
            "description": "On cancellation: the guests registered from this hub, to call (they "
            "are not members: nobody else tells them)."
        },
    )


class KindOutput(Schema):
    code = fields.String()
    label = fields.String()


# --- suggestions -------------------------------------------------------------------------------

CATEGORY_LABELS = {
    "commerce": "Commerce et courses",
    "sante": "Santé",
    "mobilite": "Mobilité et transport",
    "numerique": "Numérique",
    "services_publics": "Services publics",
    "animation": "Animation et lien social",
    "aide_domicile": "Aide à domicile",
    "autre": "Autre",
}

# the sources of the coordinator's « Signaux », in the columns' order (signals.py)
SIGNAL_SOURCES = {
    "suggestion": "Suggestions",
    "support": "Soutiens",
    "help_unmatched": "Coups de main sans bénévole",
    "order_refused": "Commandes refusées",
    "item_asked": "Articles demandés, non proposés",
}

SUGGESTION_STATUS_LABELS = {
    "new": "Nouvelle",
    "under_study": "À l'étude",
    "planned": "Prévue",
    "done": "Réalisée",
    "declined": "Refusée",
}


class SuggestionInput(Schema):
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORY_LABELS)))
    text = fields.String(required=True, validate=validate.Length(min=3, max=1000))
    member_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "The inhabitant who asked, when they are a member."},
    )


class SupportInput(Schema):
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


ANSWER_KINDS = ("offer", "animation", "partner")


class AnsweredByInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ANSWER_KINDS))
    id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class SuggestionStatusInput(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf(["under_study", "planned", "done", "declined"])
    )
    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=3, max=300)
    )
    answered_by = fields.Nested(
        AnsweredByInput,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "What answers it (when planned or done): an offer sold in "
            "a catalogue, an animation, or a known partner."
        },
    )

    @validates_schema
    def _reason(self, data, **_kwargs):
        if data.get("status") == "declined" and not data.get("reason"):
            raise ValidationError(msg("decline_reason_missing"), "reason")
        if data.get("answered_by") and data.get("status") not in ("planned", "done"):
            raise ValidationError(msg("answer_needs_planned_or_done"), "answered_by")


class SuggestionOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    category = fields.String()
    category_label = fields.String()
    text = fields.String()
    member_id = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    decline_reason = fields.String(allow_none=True)
    supports = fields.Integer(metadata={"description": "Members who support it."})
    created_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)
    answered_by = fields.Nested(AnsweredByInput, allow_none=True)


class NetworkSignalOutput(Schema):
    category = fields.String()
    category_label = fields.String()
    village_ids = fields.List(fields.String())
    villages = fields.Integer()
    suggestions = fields.Integer()
    supports = fields.Integer()


class SuggestionOverviewOutput(Schema):
    signals = fields.List(
        fields.Nested(NetworkSignalOutput),
        metadata={"description": "Categories raised in at least 3 villages."},
    )
    categories = fields.List(
        fields.Nested(NetworkSignalOutput), metadata={"description": "Every category raised."}
    )
    median_answer_hours = fields.Float(
        allow_none=True, metadata={"description": "Median time from new to a first answer."}
    )
    answered = fields.Integer()
    open = fields.Integer()


class GuestEraseOutput(Schema):
    registration_id = fields.String()
    guest_erased_at = fields.AwareDateTime()


MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error=msg("month_format", example="2026-11"))


class SignalQuery(Schema):
    """The months of the coordinator's « Signaux » (YYYY-MM, both included; a national year at
    most: 24 months), and maybe one grappe."""

    month_from = fields.String(required=True, validate=MONTH)
    month_to = fields.String(required=True, validate=MONTH)
    grappe_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )

    @validates_schema
    def _a_period(self, data, **_kwargs):
        start, end = data.get("month_from"), data.get("month_to")
        if start and end:
            if end < start:
                raise ValidationError(msg("end_after_start"), "month_to")
            months = (int(end[:4]) - int(start[:4])) * 12 + int(end[5:]) - int(start[5:]) + 1
            if months > 24:
                raise ValidationError(msg("signal_period_too_long"), "month_to")
