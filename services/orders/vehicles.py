"""The network's vehicles (a small table): name, depot village, capacity in crates/parcels, and
who drives: a volunteer holding a licence (from the volunteers' read model)
or a logistics partner."""

from __future__ import annotations

from sqlalchemy import select

from backbone.errors import Conflict, InvalidInput
from backbone.messages import msg
from services.orders.models import KnownMember, KnownVillage, KnownVolunteer, Vehicle
from services.orders.schemas.rounds import VehicleOutput


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
                    "driver_member_id",
                    "driver_partner_id",
                    "active",
                    "created_at",
                )
            },
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
