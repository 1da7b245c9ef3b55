"""The network's vehicles (a small table): name, depot village, capacity in crates/parcels, and
who drives: a volunteer holding a licence (from the volunteers' read model)
or a logistics partner. A vehicle is never deleted: retired, it keeps the rounds it made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from services.orders.models import KnownMember, KnownVillage, KnownVolunteer, Round, Vehicle
from services.orders.schemas.rounds import VEHICLE_KINDS, VehicleOutput


def _dump(uow, vehicle: Vehicle) -> dict:
    name = None
    if vehicle.driver_member_id:
        member = uow.session.get(KnownMember, vehicle.driver_member_id)
        name = member.display_name if member else None
    return VehicleOutput().dump(
        {
            **{
                c: getattr(vehicle, c)
                for c in (
                    "id",
                    "name",
                    "depot_village_id",
                    "capacity",
                    "kind",
                    "driver_member_id",
                    "driver_partner_id",
                    "active",
                    "created_at",
                    "retired_at",
                )
            },
            "kind_label": VEHICLE_KINDS.get(vehicle.kind, vehicle.kind),
            "driver_name": name,
        }
    )


def create_vehicle(uow, data: dict) -> dict:
    """The depot must be a known village; a volunteer driver must be an active volunteer holding a
    driving licence (each refusal names its field); a name is used once (409)."""
    if uow.session.get(KnownVillage, data["depot_village_id"]) is None:
        raise InvalidInput(
            {"depot_village_id": [msg("unknown_village", village=data["depot_village_id"])]}
        )
    if data["driver_member_id"]:
        volunteer = uow.session.scalars(
            select(KnownVolunteer).where(
                KnownVolunteer.member_id == data["driver_member_id"],
                KnownVolunteer.active.is_(True),
            )
        ).first()
        if volunteer is None:
            raise InvalidInput(
                {"driver_member_id": [msg("not_active_volunteer", member=data["driver_member_id"])]}
            )
        if not volunteer.has_licence:
            raise InvalidInput({"driver_member_id": [msg("no_driving_licence")]})
    if uow.session.scalar(select(Vehicle.id).where(Vehicle.name == data["name"])) is not None:
        raise Conflict("vehicle_name_taken", field="name")
    vehicle = Vehicle(active=True, **data)
    uow.session.add(vehicle)
    uow.commit()
    return _dump(uow, vehicle)


def list_vehicles(uow) -> list[dict]:
    return [_dump(uow, v) for v in uow.session.scalars(select(Vehicle).order_by(Vehicle.name))]


def get_vehicle(uow, vehicle_id) -> dict:
    return _dump(uow, _find(uow, vehicle_id))


def _find(uow, vehicle_id, *, lock: bool = False) -> Vehicle:
    query = select(Vehicle).where(Vehicle.id == str(vehicle_id))
    vehicle = uow.session.scalars(query.with_for_update() if lock else query).first()
    if vehicle is None:
        raise NotFound("vehicle", str(vehicle_id))
    return vehicle


def change_vehicle(uow, vehicle_id, data: dict) -> dict:
    """A new capacity or kind counts for the rounds planned from now on; a retired vehicle is not
    changed (409)."""
    vehicle = _find(uow, vehicle_id, lock=True)
    if not vehicle.active:
        raise Conflict("vehicle_retired", details={"vehicle": vehicle.name})
    vehicle.capacity, vehicle.kind = data["capacity"], data["kind"]
    uow.commit()
    return _dump(uow, vehicle)


def retire_vehicle(uow, vehicle_id, now: datetime | None = None) -> dict:
    """No longer offered for rounds. Refused (409) while a round still to come uses it: its driver
    expects it; and for a vehicle already retired."""
    now = now or utcnow()
    vehicle = _find(uow, vehicle_id, lock=True)
    if not vehicle.active:
        raise Conflict("vehicle_retired", details={"vehicle": vehicle.name})
    ahead = uow.session.scalars(
        select(Round.on_date)
        .where(
            Round.vehicle_id == vehicle.id,
            Round.status == "planned",
            Round.on_date >= now.astimezone(PARIS).date(),
        )
        .order_by(Round.on_date)
    ).first()
    if ahead is not None:
        raise Conflict(
            "vehicle_has_rounds", details={"vehicle": vehicle.name, "date": ahead.isoformat()}
        )
    vehicle.active, vehicle.retired_at = False, now
    uow.commit()
    return _dump(uow, vehicle)
