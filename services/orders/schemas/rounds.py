"""Vehicles and rounds (tournées mutualisées) at the boundary."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.partners import HHMM
from backbone.messages import msg
from backbone.schemas import Schema

ROUND_STATUS_LABELS = {"planned": "Prévue", "completed": "Terminée"}
STOP_KIND_LABELS = {
    "home_delivery": "Livraison à domicile",
    "truck_stop": "Arrêt du camion",
    "supplier_pickup": "Enlèvement chez le fournisseur",
    "hub_drop": "Dépôt à la conciergerie (commande groupée)",
}
STOP_STATUS_LABELS = {"pending": "À faire", "done": "Fait", "missed": "Manqué"}
MAX_CAPACITY = 1000
VEHICLE_KINDS = {
    "van": "Fourgon",
    "truck": "Camion",
    "car": "Voiture",
    "cargo_bike": "Vélo cargo",
}


class VehicleInput(Schema):
    """Driven by a volunteer (`driver_member_id`, a member holding a licence) or a logistics partner
    (`driver_partner_id`): exactly one of them."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    depot_village_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "Village where the vehicle starts and ends."},
    )
    capacity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_CAPACITY),
        metadata={"description": "Crates / parcels it carries."},
    )
    kind = fields.String(
        load_default="van",
        validate=validate.OneOf(list(VEHICLE_KINDS)),
        metadata={"description": "van, truck, car or cargo_bike."},
    )
    driver_member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )
    driver_partner_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )

    @validates_schema
    def _one_driver(self, data, **_kwargs):
        if bool(data.get("driver_member_id")) == bool(data.get("driver_partner_id")):
            raise ValidationError(msg("one_driver"), "driver_member_id")


class VehicleChangeInput(Schema):
    """What changes on a vehicle in service: its capacity and kind (a round already planned keeps
    the capacity it was planned with)."""

    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_CAPACITY)
    )
    kind = fields.String(required=True, validate=validate.OneOf(list(VEHICLE_KINDS)))


class VehicleOutput(Schema):
    id = fields.String()
    name = fields.String()
    depot_village_id = fields.String()
    capacity = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    driver_member_id = fields.String(allow_none=True)
    driver_partner_id = fields.String(allow_none=True)
    driver_name = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    retired_at = fields.AwareDateTime(allow_none=True)


class TruckStopInput(Schema):
    """Where and when the truck of an itinerant village served stops: one of the village's stops
    (« Horaires et lieux »), its arrival (Europe/Paris, on the round's day) and how long it
    stays."""

    village_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    place_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "A stop of that village's truck (members' stops)."},
    )
    arrives_at = fields.String(
        required=True,
        validate=HHMM,
        metadata={"description": "Planned arrival, local time HH:MM."},
    )
    duration_minutes = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=5, max=600),
        metadata={"description": "How long the truck stays, in minutes."},
    )


class RoundInput(Schema):
    date = fields.Date(
        required=True, metadata={"description": "Day of the round (YYYY-MM-DD), today or later."}
    )
    vehicle_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    village_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=None,
        validate=validate.Length(min=1, max=30),
        metadata={"description": "Villages served (default: the path's village alone)."},
    )
    truck_stops = fields.List(
        fields.Nested(TruckStopInput),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={
            "description": "The truck's stop in each itinerant village served: required for a "
            "village whose truck has stops (« Horaires et lieux »)."
        },
    )
    supplier_pickups = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Pick up the pooled supplier orders due that day (not yet on a round)."
        },
    )

    @validates_schema
    def _villages(self, data, **_kwargs):
        ids = data.get("village_ids") or []
        if len(ids) != len(set(ids)):
            raise ValidationError(msg("village_listed_twice"), "village_ids")


class StopCompleteInput(Schema):
    """Nothing to send: the stop is done now."""


class StopOutcomeInput(Schema):
    """How a stop of the round went, as the concierge follows it: done or missed, with a note."""

    outcome = fields.String(required=True, validate=validate.OneOf(("done", "missed")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))

    @validates_schema
    def _missed_says_why(self, data, **_kwargs):
        if data.get("outcome") == "missed" and not (data.get("note") or "").strip():
            raise ValidationError(msg("missed_stop_needs_note"), "note")


class RoundStopOutput(Schema):
    id = fields.String()
    sequence = fields.Integer()
    trip = fields.Integer(metadata={"description": "The trip from the depot (1, 2…)."})
    kind = fields.String()
    kind_label = fields.String()
    village_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    purchase_order_id = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    supplier_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    items_count = fields.Integer()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    located = fields.String(
        allow_none=True,
        metadata={
            "description": "address (the member's home), place (the truck's stop), village (its "
            "centre: the position of the home or the stop unknown) or null"
        },
    )
    place_id = fields.String(
        allow_none=True, metadata={"description": "A truck stop: the village's stop it is at."}
    )
    place_name = fields.String(allow_none=True)
    place_commune = fields.String(allow_none=True)
    arrives_at = fields.String(
        allow_none=True, metadata={"description": "A truck stop: planned arrival, HH:MM."}
    )
    duration_minutes = fields.Integer(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    done_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When it was done, or found missed."}
    )
    note = fields.String(allow_none=True)


class RoundOutput(Schema):
    id = fields.String()
    date = fields.Date()
    vehicle_id = fields.String()
    vehicle_name = fields.String()
    depot_village_id = fields.String()
    village_ids = fields.List(fields.String())
    driver_member_id = fields.String(allow_none=True)
    driver_partner_id = fields.String(allow_none=True)
    capacity = fields.Integer()
    load = fields.Integer(metadata={"description": "Loaded, every trip together."})
    trips = fields.Integer(metadata={"description": "Trips from the depot (over capacity: 2+)."})
    distance_km = fields.Float()
    status = fields.String()
    status_label = fields.String()
    planned_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    stops = fields.List(fields.Nested(RoundStopOutput))
