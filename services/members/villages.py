"""Service layer for villages: what may be created or changed, and the events it causes.

Places: the village itself (address, coordinates, services offered), its status lifecycle
(`Village.LIFECYCLE`: preparing → open ↔ paused → closed, closed is final, published as
`village.status_changed`), the stops of an itinerant truck, and opening hours (weekly slots and
exceptions), the permanences others hold at the hub (La Poste, a social worker: a weekday and
times each, shown to the public, never counted as the hub's own hours). "Is it open?" is
answered by the pure `opening_hours.opening_status`.

Exceptions apply to the whole village: a closure closes the counter and every stop of the truck;
special hours replace the village's own hours (for a truck, its combined hours) but not each
stop's times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, NotFound
from backbone.paging import windowed
from backbone.state_machine import record_events
from services.members.models import (
    OpeningException,
    OpeningSlot,
    Permanence,
    Village,
    VillageStop,
)
from services.members.opening_hours import DAYS, ScheduleException, Slot, opening_status
from services.members.schemas import (
    OpeningExceptionOutput,
    OpeningHoursOutput,
    OpeningStatusOutput,
    PermanenceOutput,
    StopOutput,
    VillageNameOutput,
    VillageOutput,
)

_out = VillageOutput()
_name_out = VillageNameOutput()


def _apply_coordinates(target, data: dict) -> None:
    if "coordinates" in data:
        coordinates = data.pop("coordinates") or {}
        target.latitude = coordinates.get("latitude")
        target.longitude = coordinates.get("longitude")


def _described(village: Village) -> dict:
    """The village as the other services keep it (`village.opened`, `village.updated`)."""
    return {
        "village_id": village.id,
        "slug": village.slug,
        "name": village.name,
        "commune": village.commune,
        "insee_code": village.insee_code,
        "kind": village.kind,
        "population": village.population,
        "latitude": village.latitude,
        "longitude": village.longitude,
        "services": list(village.services or []),
    }


def open_village(uow, data: dict) -> dict:
    """Create a village hub and announce it (`village.opened`) in the same transaction; a village
    created `preparing` also announces that status (`village.status_changed` from null)."""
    if uow.session.scalar(select(Village).where(Village.slug == data["slug"])) is not None:
        raise Conflict("slug_taken", "slug")
    data = dict(data)
    status = data.pop("status", "open")
    village = Village(status=status, **{k: v for k, v in data.items() if k != "coordinates"})
    _apply_coordinates(village, data)
    uow.session.add(village)
    uow.session.flush()
    uow.record_event("village.opened", _described(village), village_id=village.id)
    if status != "open":
        village.status_changed_at = utcnow()
        uow.record_event(
            "village.status_changed",
            {"village_id": village.id, "from": None, "to": status, "reason": None},
            village_id=village.id,
        )
    uow.commit()
    return _out.dump(village)


def _village(uow, village_id: str) -> Village:
    village = uow.session.get(Village, village_id)
    if village is None:
        raise NotFound("village", village_id)
    return village


def get_village(uow, village_id: str) -> dict:
    return _out.dump(_village(uow, village_id))


def list_villages(uow, village_ids=None, window: dict | None = None) -> list[dict]:
    """By name; `window`: one page of them, cut in the query (backbone/paging.py)."""
    query = select(Village)
    if village_ids is not None:
        query = query.where(Village.id.in_(village_ids))
    return _out.dump(
        uow.session.scalars(windowed(query, window, Village.name, Village.id)).all(), many=True
    )


def village_names(uow, village_ids=None) -> list[dict]:
    """Id, slug, name and status of the villages, by name: for pages listing every village."""
    query = select(Village.id, Village.slug, Village.name, Village.status).order_by(Village.name)
    if village_ids is not None:
        query = query.where(Village.id.in_(village_ids))
    return _name_out.dump([row._asdict() for row in uow.session.execute(query)], many=True)


def update_village(uow, village_id: str, changes: dict) -> dict:
    """Address, coordinates, population, services offered… (slug, kind and status change elsewhere).
    A change to what the other services keep of the village is told them (`village.updated`)."""
    village = _village(uow, village_id)
    before = _described(village)
    changes = dict(changes)
    _apply_coordinates(village, changes)
    for name, value in changes.items():
        setattr(village, name, list(value) if name == "services" else value)
    if _described(village) != before:
        uow.record_event(
            "village.updated",
            _described(village) | {"opened_at": village.created_at},
            village_id=village.id,
        )
    uow.commit()
    return _out.dump(village)


def change_status(uow, village_id: str, status: str, reason: str | None = None) -> dict:
    """Along `Village.LIFECYCLE`: a wrong transition is a Conflict naming both states."""
    village = _village(uow, village_id)
    record_events(uow, village.move_to(status, utcnow(), reason=reason))
    uow.commit()
    return _out.dump(village)


# --- opening hours and stops -------------------------------------------------------------------


def _slot_rows(village_id: str, stop_id: str | None, weekly: list[dict]) -> list[OpeningSlot]:
    return [
        OpeningSlot(
            village_id=village_id,
            stop_id=stop_id,
            day=DAYS.index(s["day"]),
            opens=s["opens"],
            closes=s["closes"],
        )
        for s in weekly
    ]


def _weekly_out(slots) -> list[dict]:
    ordered = sorted(slots, key=lambda s: (s.day, s.opens))
    return [{"day": DAYS[s.day], "opens": s.opens, "closes": s.closes} for s in ordered]


def _exception_row(village_id: str, data: dict) -> OpeningException:
    return OpeningException(
        village_id=village_id,
        start_date=data["start"],
        end_date=data.get("end") or data["start"],
        closed=data["closed"],
        label=data.get("label"),
        slots=[{"opens": s["opens"], "closes": s["closes"]} for s in data.get("slots") or []],
    )


def _exception_data(row: OpeningException) -> dict:
    return {
        "id": row.id,
        "start": row.start_date,
        "end": row.end_date,
        "closed": row.closed,
        "label": row.label,
        "slots": row.slots or [],
    }


def _exception_out(row: OpeningException) -> dict:
    return OpeningExceptionOutput().dump(_exception_data(row))


def _slots(uow, village_id: str):
    return uow.session.scalars(
        select(OpeningSlot).where(OpeningSlot.village_id == village_id)
    ).all()


def _stops(uow, village_id: str):
    return uow.session.scalars(
        select(VillageStop)
        .where(VillageStop.village_id == village_id)
        .order_by(VillageStop.position, VillageStop.name)
    ).all()


def _exceptions(uow, village_id: str):
    return uow.session.scalars(
        select(OpeningException)
        .where(OpeningException.village_id == village_id)
        .order_by(OpeningException.start_date)
    ).all()


def _stop_out(stop: VillageStop, slots) -> dict:
    coordinates = (
        None if stop.latitude is None else {"latitude": stop.latitude, "longitude": stop.longitude}
    )
    return StopOutput().dump(
        {
            "id": stop.id,
            "village_id": stop.village_id,
            "name": stop.name,
            "commune": stop.commune,
            "coordinates": coordinates,
            "position": stop.position,
            "weekly": _weekly_out(s for s in slots if s.stop_id == stop.id),
        }
    )


def _schedule(uow, village_id: str) -> tuple:
    """A village's slots, exceptions and stops, read once for its hours and its "open now?"."""
    return _slots(uow, village_id), _exceptions(uow, village_id), _stops(uow, village_id)


def _hours_out(village_id: str, slots, exceptions, stops) -> dict:
    return OpeningHoursOutput().dump(
        {
            "village_id": village_id,
            "timezone": PARIS.key,
            "weekly": _weekly_out(s for s in slots if s.stop_id is None),
            "exceptions": [_exception_data(e) for e in exceptions],
            "stops": [_stop_out(stop, slots) for stop in stops],
        }
    )


def get_opening_hours(uow, village_id: str) -> dict:
    _village(uow, village_id)
    return _hours_out(village_id, *_schedule(uow, village_id))


def set_opening_hours(uow, village_id: str, data: dict) -> dict:
    """Replace the village's weekly slots; and its exceptions when `exceptions` is given."""
    _village(uow, village_id)
    uow.session.execute(
        delete(OpeningSlot).where(
            OpeningSlot.village_id == village_id, OpeningSlot.stop_id.is_(None)
        )
    )
    uow.session.add_all(_slot_rows(village_id, None, data["weekly"]))
    if data.get("exceptions") is not None:
        uow.session.execute(
            delete(OpeningException).where(OpeningException.village_id == village_id)
        )
        uow.session.add_all([_exception_row(village_id, e) for e in data["exceptions"]])
    uow.commit()
    return get_opening_hours(uow, village_id)


def add_exception(uow, village_id: str, data: dict) -> dict:
    _village(uow, village_id)
    row = _exception_row(village_id, data)
    uow.session.add(row)
    uow.commit()
    return _exception_out(row)


def remove_exception(uow, village_id: str, exception_id: str) -> None:
    row = uow.session.get(OpeningException, exception_id)
    if row is None or row.village_id != village_id:
        raise NotFound("opening_exception", exception_id)
    uow.session.delete(row)
    uow.commit()


def _itinerant(uow, village_id: str) -> Village:
    village = _village(uow, village_id)
    if village.kind != "itinerant":
        raise Conflict("village_not_itinerant", None, {"kind": village.kind})
    return village


def _stop(uow, village_id: str, stop_id: str) -> VillageStop:
    stop = uow.session.get(VillageStop, stop_id)
    if stop is None or stop.village_id != village_id:
        raise NotFound("stop", stop_id)
    return stop


def list_stops(uow, village_id: str) -> list[dict]:
    _village(uow, village_id)
    slots = _slots(uow, village_id)
    return [_stop_out(stop, slots) for stop in _stops(uow, village_id)]


def _tell_stops(uow, village_id: str) -> None:
    """Every stop of the village's truck, told to the services that plan rounds with them
    (`village.stops_changed`: orders names one in a round's truck stop).

    The village's row is locked first (PostgreSQL): two tellings of one village's stops (two
    edits, an edit and `tell_every_village_stops`) read the stops one after the other, so the
    list told last (newest `occurred_at`, the one orders keeps) is the one read last. FOR NO KEY
    UPDATE: a stop inserted holds a KEY SHARE lock on its village, which FOR UPDATE would wait on
    (two stops added at once would deadlock)."""
    uow.session.flush()
    uow.session.get(
        Village, village_id, with_for_update={"key_share": True}, populate_existing=True
    )
    uow.record_event(
        "village.stops_changed",
        {
            "village_id": village_id,
            "stops": [
                {
                    "stop_id": stop.id,
                    "name": stop.name,
                    "commune": stop.commune,
                    "latitude": stop.latitude,
                    "longitude": stop.longitude,
                }
                for stop in _stops(uow, village_id)
            ],
        },
        village_id=village_id,
    )


def _write_stop(uow, stop: VillageStop, data: dict) -> dict:
    data = dict(data)
    _apply_coordinates(stop, data)
    weekly = data.pop("weekly", [])
    for name, value in data.items():
        setattr(stop, name, value)
    uow.session.add(stop)
    uow.session.flush()
    uow.session.execute(delete(OpeningSlot).where(OpeningSlot.stop_id == stop.id))
    slots = _slot_rows(stop.village_id, stop.id, weekly)
    uow.session.add_all(slots)
    _tell_stops(uow, stop.village_id)
    uow.commit()
    return _stop_out(stop, slots)


def add_stop(uow, village_id: str, data: dict) -> dict:
    _itinerant(uow, village_id)
    return _write_stop(uow, VillageStop(village_id=village_id), data)


def update_stop(uow, village_id: str, stop_id: str, data: dict) -> dict:
    _itinerant(uow, village_id)
    return _write_stop(uow, _stop(uow, village_id, stop_id), data)


def remove_stop(uow, village_id: str, stop_id: str) -> None:
    stop = _stop(uow, village_id, stop_id)
    uow.session.execute(delete(OpeningSlot).where(OpeningSlot.stop_id == stop.id))
    uow.session.delete(stop)
    _tell_stops(uow, village_id)
    uow.commit()


def tell_every_village_stops(uow) -> dict:
    """Tell again the stops of every itinerant village (and of any village that has stops), one
    `village.stops_changed` each through the outbox, in one transaction: what a network from
    before `village.stops_changed` never told orders (`maillage announce-stops`). Harmless to
    repeat: orders keeps the newest list of each village, the same as it had."""
    village_ids = uow.session.scalars(
        select(Village.id)
        .where(
            (Village.kind == "itinerant")
            | Village.id.in_(select(VillageStop.village_id).distinct())
        )
        .order_by(Village.id)
    ).all()
    for village_id in village_ids:
        _tell_stops(uow, village_id)
    uow.commit()
    return {"villages": len(village_ids)}


# --- permanences: services held at the hub by others (La Poste, a social worker) --------------

_permanence_out = PermanenceOutput()


def _permanence_data(row: Permanence) -> dict:
    return _permanence_out.dump(
        {
            "id": row.id,
            "village_id": row.village_id,
            "name": row.name,
            "day": DAYS[row.day],
            "opens": row.opens,
            "closes": row.closes,
            "note": row.note,
        }
    )


def _permanences(uow, village_id: str) -> list[dict]:
    rows = uow.session.scalars(
        select(Permanence)
        .where(Permanence.village_id == village_id)
        .order_by(Permanence.day, Permanence.opens, Permanence.name)
    ).all()
    return [_permanence_data(row) for row in rows]


def list_permanences(uow, village_id: str) -> list[dict]:
    _village(uow, village_id)
    return _permanences(uow, village_id)


def add_permanence(uow, village_id: str, data: dict) -> dict:
    _village(uow, village_id)
    row = Permanence(
        village_id=village_id,
        name=data["name"],
        day=DAYS.index(data["day"]),
        opens=data["opens"],
        closes=data["closes"],
        note=data.get("note"),
    )
    uow.session.add(row)
    uow.commit()
    return _permanence_data(row)


def remove_permanence(uow, village_id: str, permanence_id: str) -> None:
    row = uow.session.get(Permanence, permanence_id)
    if row is None or row.village_id != village_id:
        raise NotFound("permanence", permanence_id)
    uow.session.delete(row)
    uow.commit()


def _weekly(slots) -> dict:
    weekly: dict[int, list[Slot]] = {}
    for s in slots:
        weekly.setdefault(s.day, []).append(Slot(s.opens, s.closes))
    return weekly


def _iso(value):
    return value.isoformat() if value is not None else None


def get_opening_status(uow, village_id: str, at: datetime | None = None) -> dict:
    """Open now? until when? next opening? for the village and each stop of its truck. A village
    that is not `open` (preparing, paused, closed) is closed whatever its hours."""
    village = _village(uow, village_id)
    return _status_out(village, *_schedule(uow, village_id), at or utcnow())


def _status_out(village: Village, slots, exception_rows, stop_rows, at: datetime) -> dict:
    exceptions = [
        ScheduleException(
            e.start_date,
            e.end_date,
            e.closed,
            tuple(Slot(s["opens"], s["closes"]) for s in e.slots or []),
        )
        for e in exception_rows
    ]
    closures = [e for e in exceptions if e.closed]
    active = village.status == "open"
    closed = {"open": False, "until": None, "next_opening": None}

    def answer(weekly, which):
        status = opening_status(weekly, which, at) if active else closed
        return {
            "open": status["open"],
            "until": _iso(status["until"]),
            "next_opening": _iso(status["next_opening"]),
        }

    # the village's own hours; a truck's are its stops' times together with its own
    own = [s for s in slots if s.stop_id is None or village.kind == "itinerant"]
    stops = [
        {
            "stop_id": stop.id,
            "name": stop.name,
            "commune": stop.commune,
            **answer(_weekly(s for s in slots if s.stop_id == stop.id), closures),
        }
        for stop in stop_rows
    ]
    return OpeningStatusOutput().dump(
        {
            "village_id": village.id,
            "status": village.status,
            "at": at.astimezone(PARIS).isoformat(),
            **answer(_weekly(own), exceptions),
            "stops": stops,
        }
    )


# --- what anyone may read: the public page of a village and the network's list -----------------

# a village's public face: no status reason (written for the staff), no population nor INSEE code
PUBLIC_FIELDS = (
    "id",
    "slug",
    "name",
    "commune",
    "postcode",
    "kind",
    "status",
    "address",
    "coordinates",
    "services",
    "public_phone",
    "public_email",
)
_public_out = VillageOutput(only=PUBLIC_FIELDS)


def public_villages(uow) -> list[dict]:
    """The network's villages as the public sees them, by name; closed ones are no longer listed
    (their page still says so)."""
    rows = uow.session.scalars(
        select(Village).where(Village.status != "closed").order_by(Village.name, Village.id)
    ).all()
    return _public_out.dump(rows, many=True)


def public_village(uow, slug: str, at: datetime | None = None) -> dict:
    """Everything a village's public page shows of the members service in one answer: the village,
    its weekly hours, the exceptions not yet over, its truck's stops, the permanences held at the
    hub, and "open now / next opening"
    at `at` (default: now). Nothing about people."""
    village = uow.session.scalar(select(Village).where(Village.slug == slug))
    if village is None:
        raise NotFound("village", slug)
    at = at or utcnow()
    schedule = _schedule(uow, village.id)
    hours = _hours_out(village.id, *schedule)
    today = at.astimezone(PARIS).date().isoformat()
    return {
        "village": _public_out.dump(village),
        "weekly": hours["weekly"],
        "exceptions": [e for e in hours["exceptions"] if e["end"] >= today],
        "stops": hours["stops"],
        "permanences": _permanences(uow, village.id),
        "opening": _status_out(village, *schedule, at),
    }
