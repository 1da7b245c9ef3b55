"""Events published by the events service (animations, suggestions).

The members service consumes `animation.attended` (volunteer roles credit the time bank)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.orders import VolunteerBookingV1
from backbone.contracts.registry import registry
from backbone.messages import msg
from backbone.schemas import Schema


class AnimationVolunteer(Schema):
    member_id = fields.String(
        required=True, metadata={"description": "Member id of the volunteer."}
    )
    role = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "What they did (accueil, atelier, buvette…)."},
    )
    minutes = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "Time given, in minutes."},
    )


@registry.register(
    "animation.attended",
    1,
    publisher="events",
    description="An animation took place; the volunteers who held a role are credited "
    "their minutes (time bank).",
)
class AnimationAttendedV1(Schema):
    animation_id = fields.String(
        required=True, metadata={"description": "Id of the animation (UUID)."}
    )
    village_id = fields.String(
        required=True, metadata={"description": "Village where it took place."}
    )
    volunteers = fields.List(
        fields.Nested(AnimationVolunteer),
        required=True,
        metadata={"description": "Each volunteer once, with role and minutes."},
    )
    people_reached = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "People who came (members present + guests present); "
            "null when it was not counted."
        },
    )
    guests = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "Of whom guests (not members): registered guests present and "
            "people who came without registering; null when not counted."
        },
    )
    attended_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "When attendance was taken (UTC): the time it happened, also when "
            "the counter recorded it offline and sent it later; null from older publishers "
            "(then the envelope's occurred_at)."
        },
    )

    @validates_schema
    def each_volunteer_once(self, data, **_kwargs):
        seen = [v["member_id"] for v in data.get("volunteers") or []]
        if len(seen) != len(set(seen)):
            raise ValidationError(msg("volunteer_listed_twice"), "volunteers")


def _d(text):
    return {"description": text}


@registry.register(
    "animation.scheduled",
    1,
    publisher="events",
    description="An animation was put on a village's calendar.",
)
class AnimationScheduledV1(Schema):
    animation_id = fields.String(required=True, metadata=_d("Id of the animation (UUID)."))
    village_id = fields.String(required=True, metadata=_d("Village where it takes place."))
    kind = fields.String(
        required=True,
        metadata=_d("atelier, cafe, marche, beaute, aide_numerique, sortie, repas or autre."),
    )
    title = fields.String(required=True, metadata=_d("Title shown on the calendar."))
    place = fields.String(required=True, metadata=_d("Where it takes place."))
    starts_at = fields.AwareDateTime(required=True, metadata=_d("Start (timezone-aware)."))
    ends_at = fields.AwareDateTime(
        required=True, metadata=_d("End (timezone-aware), after the start.")
    )
    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1), metadata=_d("Places offered.")
    )
    co_organiser_ids = fields.List(
        fields.String(), required=True, metadata=_d("Partners co-organising it.")
    )
    invited_village_ids = fields.List(
        fields.String(),
        load_default=list,
        metadata=_d(
            "Other villages whose inhabitants may register from their own "
            "hub (the host village is `village_id`)."
        ),
    )


@registry.register(
    "animation.cancelled",
    1,
    publisher="events",
    description="An animation was cancelled; the members registered (or waiting) are listed so "
    "that whoever contacts them can tell them.",
)
class AnimationCancelledV1(Schema):
    animation_id = fields.String(required=True, metadata=_d("Id of the animation (UUID)."))
    village_id = fields.String(required=True, metadata=_d("Village where it was to take place."))
    title = fields.String(required=True, metadata=_d("Title of the animation."))
    starts_at = fields.AwareDateTime(required=True, metadata=_d("When it was to start."))
    reason = fields.String(
        required=True, allow_none=True, metadata=_d("Why, when the concierge said.")
    )
    member_ids = fields.List(
        fields.String(),
        required=True,
        metadata=_d(
            "Members registered or on the waiting list (guests are called by the concierge)."
        ),
    )


class AnimationRegistrationV1(Schema):
    animation_id = fields.String(required=True, metadata=_d("Id of the animation (UUID)."))
    village_id = fields.String(required=True, metadata=_d("Village where it takes place."))
    title = fields.String(required=True, metadata=_d("Title of the animation."))
    place = fields.String(required=True, metadata=_d("Where it takes place."))
    starts_at = fields.AwareDateTime(required=True, metadata=_d("Start (timezone-aware)."))
    registration_id = fields.String(required=True, metadata=_d("Id of the registration."))
    member_id = fields.String(
        required=True, metadata=_d("The member registered (guests are not announced).")
    )
    position = fields.Integer(
        required=True,
        strict=True,
        metadata=_d(
            "Rank of the registration in the animation's queue: coming back after a "
            "cancellation gives a new one (and a new notice)."
        ),
    )


@registry.register(
    "animation.registered",
    1,
    publisher="events",
    description="A member was registered for an animation, with a place or on the waiting list "
    "(`status`); the members service confirms it to them. Guests are not announced.",
)
class AnimationRegisteredV1(AnimationRegistrationV1):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["registered", "waiting"]),
        metadata=_d("registered (a place) or waiting (the waiting list)."),
    )


@registry.register(
    "animation.promoted",
    1,
    publisher="events",
    description="A place freed up and a member waiting for it got it (first come, first "
    "served); the members service tells them.",
)
class AnimationPromotedV1(AnimationRegistrationV1):
    pass


@registry.register(
    "animation.reminder_due",
    1,
    publisher="events",
    description="An animation takes place tomorrow (announced once, from 10:00 Paris the day "
    "before); the members registered are listed so that they are reminded.",
)
class AnimationReminderDueV1(Schema):
    animation_id = fields.String(required=True, metadata=_d("Id of the animation (UUID)."))
    village_id = fields.String(required=True, metadata=_d("Village where it takes place."))
    title = fields.String(required=True, metadata=_d("Title of the animation."))
    place = fields.String(required=True, metadata=_d("Where it takes place."))
    starts_at = fields.AwareDateTime(required=True, metadata=_d("Start (timezone-aware)."))
    member_ids = fields.List(
        fields.String(), required=True, metadata=_d("Members with a place (not those waiting).")
    )


@registry.register(
    "suggestion.made",
    1,
    publisher="events",
    description="An inhabitant's need or idea was recorded by a hub.",
)
class SuggestionMadeV1(Schema):
    suggestion_id = fields.String(required=True, metadata=_d("Id of the suggestion (UUID)."))
    village_id = fields.String(required=True, metadata=_d("Village where it was raised."))
    category = fields.String(
        required=True,
        metadata=_d(
            "commerce, sante, mobilite, numerique, services_publics, "
            "animation, aide_domicile or autre."
        ),
    )
    text = fields.String(required=True, metadata=_d("The need or idea, as recorded."))


class AnsweredBy(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["offer", "animation", "partner"]),
        metadata={"description": "offer, animation or partner."},
    )
    id = fields.String(
        required=True, metadata={"description": "Id of the offer, animation or partner."}
    )


@registry.register(
    "suggestion.answered",
    1,
    publisher="events",
    description="A suggestion moved along its workflow (under_study, planned, done or declined).",
)
class SuggestionAnsweredV1(Schema):
    suggestion_id = fields.String(required=True, metadata=_d("Id of the suggestion (UUID)."))
    village_id = fields.String(required=True, metadata=_d("Village where it was raised."))
    category = fields.String(required=True, metadata=_d("Its category."))
    status = fields.String(
        required=True,
        validate=validate.OneOf(["under_study", "planned", "done", "declined"]),
        metadata=_d("The new state."),
    )
    reason = fields.String(
        required=True, allow_none=True, metadata=_d("Why it was declined (else null).")
    )
    answered_by = fields.Nested(
        AnsweredBy,
        load_default=None,
        allow_none=True,
        metadata=_d(
            "What answered it (planned or done): an offer, an animation or a partner; "
            "null when not said."
        ),
    )


@registry.register(
    "animation.volunteer_booking",
    1,
    publisher="events",
    description="An animation role holds a volunteer's time (the role filled), or no longer does "
    "(the animation cancelled): the orders service keeps it so that a coup de main never "
    "overlaps it. Readers keep the latest by `occurred_at`.",
)
class AnimationVolunteerBookingV1(VolunteerBookingV1):
    pass
