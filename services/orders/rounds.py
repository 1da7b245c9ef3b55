"""Service layer for pooled delivery rounds (tournées mutualisées): for a date and a vehicle, one
round covering several villages' home deliveries, the truck stops of itinerant villages and the
pick-ups of pooled supplier orders; stops ordered along the way (round_building.py), capacity
respected; `round.planned` reaches the driver (a volunteer, or a logistics partner through its
subscription). Stops are completed one by one (a home delivery → the order is delivered, in the
same transaction); the round is completed with its last stop.

Candidates come from the orders themselves (`ordering.orders_for_round`,
`ordering.purchase_orders_for_pickup`); an order or a pick-up already on a round is not taken twice.

Visibility: `village_ids` is what the caller may see (None: all). A round is seen by whoever may see
one of its villages; a concierge sees the address and name of their own village's deliveries only.
A partner sees the rounds it drives.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, cast, false, or_, select
from sqlalchemy.exc import IntegrityError

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.orders import ordering, truck_stops
from services.orders.models import (
    KnownMember,
    KnownVillage,
    Round,
    RoundPickup,
    RoundStop,
    Vehicle,
)
from services.orders.round_building import build_round
from services.orders.schemas.rounds import (
    ROUND_STATUS_LABELS,
    STOP_KIND_LABELS,
    STOP_STATUS_LABELS,
    RoundOutput,
)

PLACE_FIELDS = ("place_id", "place_name", "place_commune", "arrives_at", "duration_minutes")

# --- reading -----------------------------------------------------------------------------------


def _dump(uow, round_: Round, village_ids=None, *, partner: bool = False) -> dict:
    """A partner (the driver) gets what the delivery needs, as in `round.planned`:
    addresses, not who lives there."""
    vehicle = uow.session.get(Vehicle, round_.vehicle_id)
    member_ids = [s.member_id for s in round_.stops if s.member_id]
    names = (
        {
            m.id: m.display_name
            for m in uow.session.scalars(select(KnownMember).where(KnownMember.id.in_(member_ids)))
        }
        if member_ids
        else {}
    )
    stops = []
    for stop in round_.stops:
        own = village_ids is None or stop.village_id in village_ids
        stops.append(
            {
                "id": stop.id,
                "sequence": stop.sequence,
                "trip": stop.trip,
                "kind": stop.kind,
                "kind_label": STOP_KIND_LABELS[stop.kind],
                "village_id": stop.village_id,
                "order_id": stop.order_id if own else None,
                "purchase_order_id": stop.purchase_order_id,
                "member_id": stop.member_id if own and not partner else None,
                "display_name": names.get(stop.member_id) if own and not partner else None,
                "supplier_name": stop.supplier_name,
                "address": stop.address if own else None,
                "items_count": stop.items_count,
                "latitude": stop.latitude if own or stop.located != "address" else None,
                "longitude": stop.longitude if own or stop.located != "address" else None,
                "located": stop.located,
                "status": stop.status,
                "status_label": STOP_STATUS_LABELS[stop.status],
                "done_at": stop.done_at,
                "note": stop.note if own else None,
                # a truck stop's place and time are the village's public stop: shown to everyone
                **{name: getattr(stop, name) for name in PLACE_FIELDS},
            }
        )
    return RoundOutput().dump(
        {
            "id": round_.id,
            "date": round_.on_date,
            "vehicle_id": round_.vehicle_id,
            "vehicle_name": vehicle.name,
            "depot_village_id": round_.depot_village_id,
            "village_ids": round_.village_ids,
            "driver_member_id": round_.driver_member_id,
            "driver_partner_id": round_.driver_partner_id,
            "capacity": round_.capacity,
            "load": round_.load,
            "trips": round_.trips,
            "distance_km": round_.distance_km,
            "status": round_.status,
            "status_label": ROUND_STATUS_LABELS[round_.status],
            "planned_at": round_.planned_at,
            "completed_at": round_.completed_at,
            "stops": stops,
        }
    )


def _touching(village_ids):
    """In SQL, what `_visible` says: the depot, or one of the villages served (a JSON list, the same
    text on SQLite and PostgreSQL: `["id", …]`), so that a page is cut in the query."""
    served = cast(Round.village_ids, String)
    return (
        or_(
            Round.depot_village_id.in_(list(village_ids)),
            *(served.like(f'%"{village_id}"%') for village_id in village_ids),
        )
        if village_ids
        else false()
    )


def _visible(round_: Round, village_ids) -> bool:
    return village_ids is None or bool(
        set(village_ids) & ({round_.depot_village_id} | set(round_.village_ids))
    )


def _find(
    uow, round_id, village_ids, *, partner_id: str | None = None, lock: bool = False
) -> Round:
    query = select(Round).where(Round.id == str(round_id))
    if lock:
        query = query.with_for_update()
    round_ = uow.session.scalars(query).first()
    if (
        round_ is None
        or (partner_id is not None and round_.driver_partner_id != partner_id)
        or (partner_id is None and not _visible(round_, village_ids))
    ):
        raise NotFound("round", str(round_id))
    return round_


def get_round(uow, round_id, village_ids=None, partner_id: str | None = None) -> dict:
    return _dump(
        uow,
        _find(uow, round_id, village_ids, partner_id=partner_id),
        village_ids,
        partner=partner_id is not None,
    )


def list_rounds(
    uow,
    village_ids=None,
    on_date: date | None = None,
    partner_id: str | None = None,
    window: dict | None = None,
) -> list[dict]:
    """Rounds touching the villages the caller may see (or driven by `partner_id`), by date."""
    query = select(Round).order_by(Round.on_date.desc(), Round.planned_at)
    if on_date is not None:
        query = query.where(Round.on_date == on_date)
    if partner_id is not None:
        query = query.where(Round.driver_partner_id == partner_id)
    elif village_ids is not None:
        query = query.where(_touching(village_ids))
    rows = uow.session.scalars(windowed(query, window, Round.id)).all()
    return [_dump(uow, r, village_ids, partner=partner_id is not None) for r in rows]


# --- planning ----------------------------------------------------------------------------------


def _where(village: KnownVillage | None) -> dict:
    known = village is not None and village.latitude is not None
    return {
        "latitude": village.latitude if village else None,
        "longitude": village.longitude if village else None,
        "located": "village" if known else None,
    }


def _home(member: KnownMember | None, village: KnownVillage | None) -> dict:
    """A home delivery's stop: the member's home when its position is known, else the village's
    centre (said so: `located`)."""
    if member is not None and member.latitude is not None and member.longitude is not None:
        return {"latitude": member.latitude, "longitude": member.longitude, "located": "address"}
    return _where(village)


def _truck_stop(village: KnownVillage, chosen: dict | None) -> dict:
    """The truck's stop in an itinerant village: at the place chosen (its position when it has one,
    else the village's centre), arriving when said, for as long; without a place, at the centre."""
    if chosen is None:
        return _where(village)
    place = chosen["place"]
    where = (
        {"latitude": place["latitude"], "longitude": place["longitude"], "located": "place"}
        if place.get("latitude") is not None and place.get("longitude") is not None
        else _where(village)
    )
    return {
        **where,
        "place_id": place["stop_id"],
        "place_name": place["name"],
        "place_commune": place["commune"],
        "arrives_at": chosen["arrives_at"],
        "duration_minutes": chosen["duration_minutes"],
    }


def candidate_stops(
    uow, on_date: date, village_ids: list[str], supplier_pickups: bool, places=None
) -> list[dict]:
    """Home deliveries of those villages due that day, a truck stop per itinerant village (at the
    place `places` gives it: truck_stops.chosen_places), and the pooled supplier orders to pick up
    — none already on a round."""
    villages = {
        v.id: v
        for v in uow.session.scalars(select(KnownVillage).where(KnownVillage.id.in_(village_ids)))
    }
    that_day = (
        select(RoundStop)
        .join(Round, Round.id == RoundStop.round_id)
        .where(Round.on_date == on_date)
    )
    on_rounds = uow.session.scalars(that_day).all()
    taken_orders = {s.order_id for s in on_rounds if s.order_id}
    taken_pickups = set(uow.session.scalars(select(RoundPickup.purchase_order_id)))
    stops = []
    deliveries = ordering.orders_for_round(uow, on_date, village_ids)
    members = {
        m.id: m
        for m in uow.session.scalars(
            select(KnownMember).where(KnownMember.id.in_({o["member_id"] for o in deliveries}))
        )
    }
    for order in deliveries:
        if order["order_id"] not in taken_orders:
            stops.append(
                {
                    "kind": "home_delivery",
                    "village_id": order["village_id"],
                    "order_id": order["order_id"],
                    "member_id": order["member_id"],
                    "address": order["address"],
                    "items_count": order["items_count"],
                    **_home(members.get(order["member_id"]), villages.get(order["village_id"])),
                }
            )
    for village_id in village_ids:
        if villages[village_id].kind == "itinerant":
            stops.append(
                {
                    "kind": "truck_stop",
                    "village_id": village_id,
                    "items_count": 0,
                    **_truck_stop(villages[village_id], (places or {}).get(village_id)),
                }
            )
    if supplier_pickups:
        pickups = [
            p
            for p in ordering.purchase_orders_for_pickup(uow, on_date)
            if p["purchase_order_id"] not in taken_pickups
        ]
        sharing = {v for p in pickups for v in p["villages"]} - set(villages)
        if sharing:  # villages of a pooled order not served otherwise: their hubs get their share
            villages.update(
                (v.id, v)
                for v in uow.session.scalars(
                    select(KnownVillage).where(KnownVillage.id.in_(sharing))
                )
            )
        for pickup in pickups:
            stops.append(
                {
                    "kind": "supplier_pickup",
                    "village_id": None,
                    "purchase_order_id": pickup["purchase_order_id"],
                    "supplier_name": pickup["supplier_name"],
                    "items_count": pickup["items_count"],
                    "latitude": None,
                    "longitude": None,
                }
            )
            for village_id, items in pickup["villages"].items():
                stops.append(
                    {
                        "kind": "hub_drop",
                        "village_id": village_id,
                        "purchase_order_id": pickup["purchase_order_id"],
                        "supplier_name": pickup["supplier_name"],
                        "items_count": items,
                        **_where(villages.get(village_id)),
                    }
                )
    return stops


def plan_round(
    uow, village_id: str, data: dict, village_ids=None, now: datetime | None = None
) -> dict:
    """A round for `data["date"]` (today or later, Europe/Paris) with a vehicle, serving
    `data["village_ids"]` (default: `village_id`), all of them villages the caller may act on.
    One round per vehicle and day (409); nothing to carry (409); over the vehicle's capacity (409
    naming `capacity`, with the overflow). Publishes `round.planned`."""
    now = now or utcnow()
    if data["date"] < now.astimezone(PARIS).date():
        raise InvalidInput({"date": [msg("date_in_past")]})
    served = data["village_ids"] or [village_id]
    if village_id not in served:
        served = [village_id, *served]
    for other in served:
        if village_ids is not None and other not in village_ids:
            raise NotFound("village", other)
    known = set(uow.session.scalars(select(KnownVillage.id).where(KnownVillage.id.in_(served))))
    unknown = [v for v in served if v not in known]
    if unknown:
        raise InvalidInput({"village_ids": [msg("unknown_village", village=", ".join(unknown))]})
    vehicle = uow.session.get(Vehicle, data["vehicle_id"])
    if vehicle is None or not vehicle.active:
        raise InvalidInput({"vehicle_id": [msg("unknown_vehicle", vehicle=data["vehicle_id"])]})
    if (
        uow.session.scalar(
            select(Round.id).where(Round.vehicle_id == vehicle.id, Round.on_date == data["date"])
        )
        is not None
    ):
        raise Conflict(
            "vehicle_already_on_round",
            field="vehicle_id",
            details={"vehicle": vehicle.name, "date": data["date"].isoformat()},
        )
    places = truck_stops.chosen_places(uow, served, data.get("truck_stops") or [])
    stops = candidate_stops(uow, data["date"], served, data["supplier_pickups"], places)
    if not stops:
        raise Conflict(
            "round_without_stops", field="date", details={"date": data["date"].isoformat()}
        )
    depot = uow.session.get(KnownVillage, vehicle.depot_village_id)
    depot_point = (
        (depot.latitude, depot.longitude) if depot and depot.latitude is not None else None
    )
    built = build_round(depot_point, stops, vehicle.capacity)
    # the villages whose hubs get a share of a pooled order are served too (and see the round)
    served = served + sorted(
        {s["village_id"] for s in stops if s["kind"] == "hub_drop"} - set(served)
    )
    round_ = Round(
        vehicle_id=vehicle.id,
        on_date=data["date"],
        depot_village_id=vehicle.depot_village_id,
        village_ids=served,
        driver_member_id=vehicle.driver_member_id,
        driver_partner_id=vehicle.driver_partner_id,
        capacity=vehicle.capacity,
        load=built["load"],
        trips=len(built["trips"]),
        distance_km=built["distance_km"],
        status="planned",
        planned_at=now,
    )
    round_.stops = [
        RoundStop(
            status="pending",
            **{
                k: s.get(k)
                for k in (
                    "sequence",
                    "trip",
                    "kind",
                    "village_id",
                    "order_id",
                    "purchase_order_id",
                    "member_id",
                    "supplier_name",
                    "address",
                    "items_count",
                    "latitude",
                    "longitude",
                    "located",
                    *PLACE_FIELDS,
                )
            },
        )
        for s in built["stops"]
    ]
    uow.session.add(round_)
    try:
        uow.session.flush()
        for purchase_order_id in {
            s["purchase_order_id"] for s in stops if s.get("purchase_order_id")
        }:
            uow.session.add(RoundPickup(purchase_order_id=purchase_order_id, round_id=round_.id))
        uow.session.flush()
    except IntegrityError:  # another round took the vehicle or one of these stops meanwhile
        raise Conflict(
            "round_changed_meanwhile", details={"date": data["date"].isoformat()}
        ) from None
    uow.record_event(
        "round.planned",
        {
            "round_id": round_.id,
            "date": round_.on_date,
            "vehicle_id": vehicle.id,
            "vehicle_name": vehicle.name,
            "capacity": round_.capacity,
            "load": round_.load,
            "driver_member_id": round_.driver_member_id,
            "driver_partner_id": round_.driver_partner_id,
            "village_ids": served,
            "distance_km": round_.distance_km,
            "stops": [
                {
                    "stop_id": s.id,
                    "sequence": s.sequence,
                    "trip": s.trip,
                    "kind": s.kind,
                    "village_id": s.village_id,
                    "order_id": s.order_id,
                    "purchase_order_id": s.purchase_order_id,
                    "supplier_name": s.supplier_name,
                    "address": s.address,
                    "items_count": s.items_count,
                    **(
                        {name: getattr(s, name) for name in PLACE_FIELDS if name != "place_id"}
                        if s.place_id
                        else {}
                    ),
                }
                for s in round_.stops
            ],
        },
        village_id=vehicle.depot_village_id,
    )
    uow.commit()
    return _dump(uow, round_, village_ids)


def complete_stop(
    uow,
    round_id,
    stop_id,
    village_ids=None,
    partner_id: str | None = None,
    now: datetime | None = None,
) -> dict:
    """A stop done (once: again is a 409). A concierge completes the stops of their own village (and
    the pick-ups of a round leaving from it); the coordinator and the driving partner any. A home
    delivery marks its order delivered in the same transaction (`order.delivered`); the last stop
    completes the round. Told as `round.stop_completed` (the counters' pages follow it live)."""
    return record_stop_outcome(
        uow, round_id, stop_id, {"outcome": "done", "note": None}, village_ids, partner_id, now
    )


def record_stop_outcome(
    uow,
    round_id,
    stop_id,
    data: dict,
    village_ids=None,
    partner_id: str | None = None,
    now: datetime | None = None,
) -> dict:
    """How a stop went, as it is followed: `done` (as `complete_stop`) or `missed`, with a note
    (why it was missed; what to know of one done). A done stop stays done (409); a missed one may
    still be done later (the driver came back), never missed twice (409). The round is completed
    once none of its stops is left to do: a missed home delivery leaves its order as it was."""
    now = now or utcnow()
    round_ = _find(uow, round_id, village_ids, partner_id=partner_id, lock=True)
    stop = next((s for s in round_.stops if s.id == str(stop_id)), None)
    where = (
        stop.village_id or round_.depot_village_id if stop is not None else None
    )  # a pick-up: the depot's
    if stop is None or (
        partner_id is None and village_ids is not None and where not in village_ids
    ):
        raise NotFound("round_stop", str(stop_id))
    if stop.status == "done":
        raise Conflict("round_stop_done", details={"sequence": stop.sequence})
    if stop.status == "missed" and data["outcome"] == "missed":
        raise Conflict("round_stop_missed", details={"sequence": stop.sequence})
    if data["outcome"] == "done" and stop.kind == "home_delivery":
        ordering.mark_delivered(uow, stop.order_id, now)
    note = (data.get("note") or "").strip() or None
    stop.status, stop.done_at = data["outcome"], now
    if note is not None or data["outcome"] == "missed":
        stop.note = note
    if all(s.status != "pending" for s in round_.stops):
        round_.status, round_.completed_at = "completed", round_.completed_at or now
    uow.record_event(
        "round.stop_completed",
        {
            "round_id": round_.id,
            "stop_id": stop.id,
            "sequence": stop.sequence,
            "kind": stop.kind,
            "village_id": stop.village_id,
            "outcome": data["outcome"],
            "items_count": stop.items_count,
            "at": now,
            "round_completed": round_.status == "completed",
            "driver_partner_id": round_.driver_partner_id,
        },
        village_id=where,
    )
    uow.commit()
    return _dump(uow, round_, village_ids, partner=partner_id is not None)


# --- figures -----------------------------------------------------------------------------------


def round_figures(
    uow, date_from: date, date_to: date, village_ids=None
) -> dict[str, dict[str, int]]:
    """Per village served, rounds_planned: the rounds of [date_from, date_to] that serve it."""
    figures: dict[str, dict[str, int]] = {}
    for round_ in uow.session.scalars(
        select(Round).where(Round.on_date >= date_from, Round.on_date <= date_to)
    ):
        for village_id in round_.village_ids:
            if village_ids is None or village_id in village_ids:
                figures.setdefault(village_id, {"rounds_planned": 0})["rounds_planned"] += 1
    return figures


# --- RGPD: one person's round stops --------------------------------------------------------------


def member_round_stops(uow, member_id: str) -> list[dict]:
    """The home-delivery stops made for one member (RGPD export)."""
    rows = uow.session.execute(
        select(RoundStop, Round.on_date)
        .join(Round, Round.id == RoundStop.round_id)
        .where(RoundStop.member_id == str(member_id))
        .order_by(Round.on_date)
    ).all()
    return [
        {
            "stop_id": stop.id,
            "round_id": stop.round_id,
            "date": on_date.isoformat(),
            "kind": stop.kind,
            "order_id": stop.order_id,
            "address": stop.address,
            "latitude": stop.latitude,
            "longitude": stop.longitude,
            "status": stop.status,
            "done_at": stop.done_at.isoformat() if stop.done_at else None,
            "note": stop.note,
        }
        for stop, on_date in rows
    ]


def scrub_member(uow, member_id: str) -> int:
    """Erase where a member lives from the stops of their home deliveries (address and position)
    and what was noted there; the stop stays in its round. Does not commit. Returns how many stops
    were scrubbed."""
    rows = uow.session.scalars(select(RoundStop).where(RoundStop.member_id == str(member_id))).all()
    for stop in rows:
        stop.address, stop.latitude, stop.longitude, stop.note = None, None, None, None
        stop.located = None
    return len(rows)
