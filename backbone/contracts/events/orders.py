"""Events published by the orders service (help requests: "coups de main").

The members service consumes the help requests' events (time bank, skills map); orders records
them with `uow.record_event(...)` in the unit of work that changes the help request."""

from marshmallow import fields, validate

from backbone.contracts.events.members import SKILL_CODE
from backbone.contracts.events.partners import HHMM
from backbone.contracts.registry import registry
from backbone.schemas import Schema


@registry.register(
    "help_request.requested",
    1,
    publisher="orders",
    description="Someone asked for a hand (a coup de main) needing one skill. "
    "Demand signal of the skills map.",
)
class HelpRequestRequestedV1(Schema):
    help_request_id = fields.String(
        required=True, metadata={"description": "Id of the help request (UUID)."}
    )
    village_id = fields.String(
        required=True, metadata={"description": "Village where the help is needed."}
    )
    skill = fields.String(
        required=True,
        validate=SKILL_CODE,
        metadata={"description": "Skill code from the network taxonomy (`GET /api/skills`)."},
    )
    requested_at = fields.AwareDateTime(
        required=True, metadata={"description": "When it was asked (UTC)."}
    )


@registry.register(
    "help_request.unmatched",
    1,
    publisher="orders",
    description="No volunteer could be found for a help request. Signal of a missing skill.",
)
class HelpRequestUnmatchedV1(Schema):
    help_request_id = fields.String(
        required=True, metadata={"description": "Id of the help request (UUID)."}
    )
    village_id = fields.String(
        required=True, metadata={"description": "Village where the help is needed."}
    )
    skill = fields.String(
        required=True, validate=SKILL_CODE, metadata={"description": "Skill code needed."}
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Why (no volunteer with the skill, none available…)."},
    )


@registry.register(
    "help_request.completed",
    1,
    publisher="orders",
    description="A volunteer gave a hand: the members service credits their hours (time bank).",
)
class HelpRequestCompletedV1(Schema):
    help_request_id = fields.String(
        required=True, metadata={"description": "Id of the help request (UUID)."}
    )
    village_id = fields.String(
        required=True, metadata={"description": "Village where the help was given."}
    )
    member_id = fields.String(
        required=True, metadata={"description": "Member id of the volunteer who helped."}
    )
    skill = fields.String(
        required=True, validate=SKILL_CODE, metadata={"description": "Skill code used."}
    )
    minutes = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "Time given, in minutes."},
    )
    completed_at = fields.AwareDateTime(
        required=True, metadata={"description": "When it was done (UTC)."}
    )


# --- rounds (tournées mutualisées): services/orders/rounds.py -------------------------------------

# hub_drop: a village's share of a pooled supplier order, left at its hub (added within v1: the
# stop kinds are an open list a reader shows as it can)
ROUND_STOP_KINDS = ("home_delivery", "truck_stop", "supplier_pickup", "hub_drop")
ROUND_STOP_OUTCOMES = ("done", "missed")


class RoundStopV1(Schema):
    stop_id = fields.String(required=True, metadata={"description": "Id of the stop (UUID)."})
    sequence = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Position along the way, from 1."},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(ROUND_STOP_KINDS),
        metadata={
            "description": "home_delivery, truck_stop (itinerant village), supplier_pickup or "
            "hub_drop (a village's share of a pooled supplier order, left at its hub)."
        },
    )
    trip = fields.Integer(
        load_default=1,
        strict=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "The trip from the depot this stop belongs to (several when the load "
            "exceeds the vehicle's capacity)."
        },
    )
    village_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Village of the stop (null for a supplier pick-up)."},
    )
    order_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "The order delivered (home_delivery)."},
    )
    purchase_order_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The pooled supplier order picked up (supplier_pickup) or whose share "
            "is dropped (hub_drop)."
        },
    )
    supplier_name = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Where to pick up (supplier_pickup)."},
    )
    address = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"description": "Delivery address (home_delivery only; never a phone)."},
    )
    items_count = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Crates or parcels loaded for this stop."},
    )
    # added within v1 (optional, null when not told: a truck stop planned before places, or
    # another kind of stop): where and when the truck parks in an itinerant village
    place_name = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "truck_stop: the village's place where the truck parks."},
    )
    place_commune = fields.String(
        load_default=None, allow_none=True, metadata={"description": "truck_stop: its commune."}
    )
    arrives_at = fields.String(
        load_default=None,
        allow_none=True,
        validate=HHMM,
        metadata={"description": "truck_stop: planned arrival, local time (Europe/Paris) HH:MM."},
    )
    duration_minutes = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "truck_stop: how long the truck stays, in minutes."},
    )


@registry.register(
    "round.planned",
    1,
    publisher="orders",
    description="A pooled delivery round (tournée) was planned for a date and a vehicle: its stops "
    "in order. Reaches the logistics partner who drives it (`driver_partner_id`).",
)
class RoundPlannedV1(Schema):
    round_id = fields.String(required=True, metadata={"description": "Id of the round (UUID)."})
    date = fields.Date(required=True, metadata={"description": "Day of the round (YYYY-MM-DD)."})
    vehicle_id = fields.String(required=True, metadata={"description": "Vehicle used."})
    vehicle_name = fields.String(required=True, metadata={"description": "Name of the vehicle."})
    capacity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Crates/parcels the vehicle carries."},
    )
    load = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "Crates/parcels loaded, every trip together (each trip within capacity)."
        },
    )
    driver_member_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Member id of the volunteer driver, if a volunteer drives."},
    )
    driver_partner_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Logistics partner who drives, if a partner does."},
    )
    village_ids = fields.List(
        fields.String(), required=True, metadata={"description": "Villages served."}
    )
    distance_km = fields.Float(
        required=True, metadata={"description": "Estimated distance (as the crow flies)."}
    )
    stops = fields.List(
        fields.Nested(RoundStopV1), required=True, metadata={"description": "Stops, in order."}
    )


@registry.register(
    "round.stop_completed",
    1,
    publisher="orders",
    description="A stop of a round was done or missed, as the driver or the hub's concierge "
    "followed it: the counters of its village see it at once, the driving partner is told. No "
    "member data.",
)
class RoundStopCompletedV1(Schema):
    round_id = fields.String(required=True, metadata={"description": "Id of the round (UUID)."})
    stop_id = fields.String(required=True, metadata={"description": "Id of the stop (UUID)."})
    sequence = fields.Integer(
        required=True, strict=True, metadata={"description": "Its position along the way."}
    )
    kind = fields.String(
        required=True, validate=validate.OneOf(ROUND_STOP_KINDS), metadata={"description": "Kind."}
    )
    village_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Village of the stop (null for a supplier pick-up)."},
    )
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(ROUND_STOP_OUTCOMES),
        metadata={"description": "done or missed."},
    )
    items_count = fields.Integer(
        required=True, strict=True, metadata={"description": "Crates or parcels of the stop."}
    )
    at = fields.AwareDateTime(required=True, metadata={"description": "When (UTC)."})
    round_completed = fields.Boolean(
        required=True, metadata={"description": "True when it was the round's last stop to do."}
    )
    driver_partner_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "The logistics partner driving the round, if a partner does."},
    )


# --- the counter (guichet unique): orders, parcels, pooled supplier orders ------------------------
# services/orders/ordering.py, parcels.py, supplier_orders.py. No member data travels: ids of orders
# and parcels, never a name, an address or a phone; `partner_ids` / `supplier_partner_id` say which
# partners an event concerns (the partner feed tells them).

FULFILMENTS = ("counter", "locker", "truck_stop", "home_delivery")
ORDER_STATUSES = ("placed", "confirmed", "ready", "collected", "delivered", "cancelled", "refused")


class OrderLineV1(Schema):
    line_id = fields.String(required=True, metadata={"description": "Id of the order line (UUID)."})
    item_id = fields.String(required=True, metadata={"description": "Catalogue item ordered."})
    partner_id = fields.String(required=True, metadata={"description": "Partner supplying it."})
    name = fields.String(required=True, metadata={"description": "What is ordered."})
    unit = fields.String(required=True, metadata={"description": "Unit (piece, kg…)."})
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "How many units."},
    )
    unit_price_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Local price per unit when ordered, VAT included."},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(("pending", "confirmed", "refused")),
        metadata={"description": "pending (the supplier has not answered), confirmed, refused."},
    )


class OrderEventV1(Schema):
    order_id = fields.String(required=True, metadata={"description": "Id of the order (UUID)."})
    village_id = fields.String(
        required=True, metadata={"description": "Village where it was ordered."}
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(ORDER_STATUSES),
        metadata={"description": "The order's status after this change."},
    )
    fulfilment = fields.String(
        required=True,
        validate=validate.OneOf(FULFILMENTS),
        metadata={"description": "counter, locker, truck_stop or home_delivery."},
    )
    delivery_date = fields.Date(
        required=True, metadata={"description": "Day the goods are wanted (YYYY-MM-DD)."}
    )
    partner_ids = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Partners supplying its lines (whom it concerns)."},
    )
    total_cents = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "Total of the lines not refused, VAT included, in cents."},
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Why (cancelled or refused orders)."},
    )
    # optional, so version 1 stays compatible: a line its supplier refused after the order was
    # placed drops out of what the hub sold (producers' statements: partners/consignment.py)
    refused_line_ids = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "Lines refused by their supplier (they are not sold)."},
    )
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the change happened (UTC)."}
    )


@registry.register(
    "order.placed",
    1,
    publisher="orders",
    description="An inhabitant placed an order at the counter: its lines, priced from the "
    "village's catalogue. Suppliers of its lines are in `partner_ids`.",
)
class OrderPlacedV1(OrderEventV1):
    lines = fields.List(
        fields.Nested(OrderLineV1), required=True, metadata={"description": "The order's lines."}
    )


@registry.register(
    "order.confirmed",
    1,
    publisher="orders",
    description="Every line of an order is confirmed (by its supplier, at placement for local "
    "partners, or when the pooled supplier order was sent).",
)
class OrderConfirmedV1(OrderEventV1):
    pass


@registry.register(
    "order.ready",
    1,
    publisher="orders",
    description="An order is prepared: at the counter, in a locker compartment, on the truck, "
    "or ready to go on a round.",
)
class OrderReadyV1(OrderEventV1):
    # optional, so version 1 stays compatible: what the members service needs to tell the
    # inhabitant; dropped from what partners receive (services/partners/audience.py)
    member_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The inhabitant who ordered (member id): told by the "
            "members service, never sent to partners."
        },
    )
    locker_compartment = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "Locker compartment it waits in (locker)."},
    )
    locker_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=12),
        metadata={
            "description": "Code that opens the compartment (for the inhabitant's notice only)."
        },
    )
    truck_stop = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=120),
        metadata={"description": "The truck's stop where it is handed over (truck_stop)."},
    )


@registry.register(
    "order.collected",
    1,
    publisher="orders",
    description="An inhabitant collected their order (counter, locker or truck stop).",
)
class OrderCollectedV1(OrderEventV1):
    pass


@registry.register(
    "order.delivered",
    1,
    publisher="orders",
    description="An order was delivered at home on a round.",
)
class OrderDeliveredV1(OrderEventV1):
    pass


@registry.register(
    "order.cancelled",
    1,
    publisher="orders",
    description="An order was cancelled at the counter (reason given).",
)
class OrderCancelledV1(OrderEventV1):
    pass


@registry.register(
    "order.refused",
    1,
    publisher="orders",
    description="Every line of an order was refused by its suppliers (reason given).",
)
class OrderRefusedV1(OrderEventV1):
    pass


PARCEL_SENDERS = ("carrier", "la_poste", "neighbour", "other")
PARCEL_PLACES = ("shelf", "locker")


class ParcelEventV1(Schema):
    parcel_id = fields.String(required=True, metadata={"description": "Id of the parcel (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village where it waits."})
    sender_kind = fields.String(
        required=True,
        validate=validate.OneOf(PARCEL_SENDERS),
        metadata={"description": "carrier, la_poste, neighbour or other."},
    )
    place_kind = fields.String(
        required=True,
        validate=validate.OneOf(PARCEL_PLACES),
        metadata={"description": "shelf or locker."},
    )
    partner_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The logistics partner who brought it (La Poste, "
            "a carrier of the network), if one did: its feed "
            "and webhooks receive the parcel's events."
        },
    )
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "When it happened (UTC)."}
    )


@registry.register(
    "parcel.received",
    1,
    publisher="orders",
    description="A parcel or goods were left at the counter for an inhabitant. The members "
    "service tells them (SMS, e-mail or a call, as they consented), with the code "
    "to collect it; the partner who brought it (`partner_id`) is told, never "
    "the member or the code.",
)
class ParcelReceivedV1(ParcelEventV1):
    member_id = fields.String(metadata={"description": "The inhabitant it waits for (member id)."})
    pickup_code = fields.String(
        validate=validate.Length(min=4, max=12),
        metadata={"description": "The code they give to collect it (for their notice only)."},
    )


@registry.register(
    "parcel.handed_over",
    1,
    publisher="orders",
    description="A parcel was handed over to its addressee (pickup code checked); the partner "
    "who brought it (`partner_id`) is told.",
)
class ParcelHandedOverV1(ParcelEventV1):
    pass


@registry.register(
    "parcel.returned",
    1,
    publisher="orders",
    description="A parcel nobody collected went back to its sender; the partner who brought it "
    "(`partner_id`) is told.",
)
class ParcelReturnedV1(ParcelEventV1):
    reason = fields.String(
        load_default=None, allow_none=True, metadata={"description": "Why it went back."}
    )


class PurchaseOrderLineV1(Schema):
    offer_id = fields.String(
        required=True, metadata={"description": "The supplier's offer (the same in every village)."}
    )
    name = fields.String(required=True, metadata={"description": "What is ordered."})
    unit = fields.String(required=True, metadata={"description": "Unit."})
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Units, all villages together (or for this village)."},
    )


class PurchaseOrderVillageV1(Schema):
    village_id = fields.String(required=True, metadata={"description": "A village of the cluster."})
    lines = fields.List(
        fields.Nested(PurchaseOrderLineV1),
        required=True,
        metadata={"description": "What this village ordered."},
    )


@registry.register(
    "purchase_order.sent",
    1,
    publisher="orders",
    village_scoped=False,
    description="A pooled supplier order was closed at its cut-off and sent to the shared supplier "
    "(`supplier_partner_id`): every village's lines together, with the breakdown per "
    "village. No member data.",
)
class PurchaseOrderSentV1(Schema):
    purchase_order_id = fields.String(
        required=True, metadata={"description": "Id of the purchase order (UUID)."}
    )
    supplier_partner_id = fields.String(
        required=True, metadata={"description": "The shared supplier."}
    )
    supplier_name = fields.String(required=True, metadata={"description": "Its name."})
    delivery_date = fields.Date(
        required=True, metadata={"description": "Delivery day of the cycle."}
    )
    # added without a new version: optional, readers of the first shape ignore it
    grappe_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The grappe whose villages pool this order (its depot receives the "
            "goods); null: the villages in no grappe for this supplier."
        },
    )
    cutoff_at = fields.AwareDateTime(
        required=True, metadata={"description": "Cut-off of the cycle (UTC)."}
    )
    sent_at = fields.AwareDateTime(
        required=True, metadata={"description": "When it was sent (UTC)."}
    )
    village_ids = fields.List(
        fields.String(), required=True, metadata={"description": "Villages of the cluster."}
    )
    lines = fields.List(
        fields.Nested(PurchaseOrderLineV1),
        required=True,
        metadata={"description": "Totals per item, all villages together."},
    )
    villages = fields.List(
        fields.Nested(PurchaseOrderVillageV1),
        required=True,
        metadata={"description": "The breakdown per village."},
    )


# --- help requests' notices: the volunteer asked, the requester told, both reminded ---------------
# They name members: never exposed to partners (services/partners/audience.py lists what is).


class HelpRequestPeopleV1(Schema):
    help_request_id = fields.String(
        required=True, metadata={"description": "Id of the help request (UUID)."}
    )
    village_id = fields.String(
        required=True, metadata={"description": "Village where the help is needed."}
    )
    volunteer_member_id = fields.String(
        required=True, metadata={"description": "Member id of the volunteer."}
    )
    requester_member_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Member id of the person helped (null if unknown)."},
    )
    skill = fields.String(
        required=True, validate=SKILL_CODE, metadata={"description": "Skill code needed."}
    )
    starts_at = fields.AwareDateTime(
        required=True, metadata={"description": "Start of the window (timezone-aware)."}
    )
    ends_at = fields.AwareDateTime(
        required=True, metadata={"description": "End of the window (timezone-aware)."}
    )


@registry.register(
    "help_request.assigned",
    1,
    publisher="orders",
    description="The concierge asked a volunteer for a coup de main: the members service tells "
    "them, with the link to accept or decline it.",
)
class HelpRequestAssignedV1(HelpRequestPeopleV1):
    pass


@registry.register(
    "help_request.accepted",
    1,
    publisher="orders",
    description="The volunteer accepted the coup de main: the members service tells the person "
    "helped who comes and when.",
)
class HelpRequestAcceptedV1(HelpRequestPeopleV1):
    pass


@registry.register(
    "help_request.reminder_due",
    1,
    publisher="orders",
    description="An accepted coup de main takes place tomorrow (announced once, from 10:00 Paris "
    "the day before): the volunteer and the person helped are reminded.",
)
class HelpRequestReminderDueV1(HelpRequestPeopleV1):
    pass


# --- a volunteer's time: the missions that hold it, in either service ----------------------------


class VolunteerBookingV1(Schema):
    """One mission holding a volunteer's time (a coup de main in orders, an animation role in
    events): the other service keeps it to refuse booking them twice
    (backbone/volunteer_bookings.py)."""

    booking_id = fields.String(
        required=True,
        metadata={"description": "The mission: `help_request:<id>` or `animation:<id>:<member>`."},
    )
    member_id = fields.String(
        required=True, metadata={"description": "Member id of the volunteer."}
    )
    village_id = fields.String(required=True, metadata={"description": "Where the mission is."})
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "Start (UTC)."})
    ends_at = fields.AwareDateTime(required=True, metadata={"description": "End (UTC)."})
    what = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "What it is, in French, as a refusal names it."},
    )
    booked = fields.Boolean(
        required=True,
        metadata={"description": "False once the mission no longer holds them (cancelled…)."},
    )


@registry.register(
    "help_request.volunteer_booking",
    1,
    publisher="orders",
    description="A coup de main holds a volunteer's time (asked), or no longer does (cancelled, "
    "declined): the events service keeps it so that an animation role never overlaps it. "
    "Readers keep the latest by `occurred_at`.",
)
class HelpRequestVolunteerBookingV1(VolunteerBookingV1):
    pass


ASKED_THEMES = (
    "commerce",
    "sante",
    "mobilite",
    "numerique",
    "services_publics",
    "animation",
    "aide_domicile",
    "autre",
)  # the suggestions' categories (services/events/schemas.py, CATEGORY_LABELS)


@registry.register(
    "item.asked",
    1,
    publisher="orders",
    description="At a counter, an inhabitant asked for an item the village's catalogue does not "
    "offer. Demand signal for the network (what to source next); never names the inhabitant.",
)
class ItemAskedV1(Schema):
    asked_id = fields.String(
        required=True, metadata={"description": "Id of the request noted (UUID)."}
    )
    village_id = fields.String(
        required=True, metadata={"description": "Village whose counter was asked."}
    )
    item = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"description": "What was asked for, as the concierge wrote it."},
    )
    theme = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(ASKED_THEMES),
        metadata={
            "description": "Its theme if the concierge gave one: commerce, sante, mobilite, "
            "numerique, services_publics, animation, aide_domicile or autre."
        },
    )
    asked_at = fields.AwareDateTime(
        required=True, metadata={"description": "When it was asked (UTC)."}
    )
