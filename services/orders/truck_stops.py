"""The truck's stops of a round: where the multiservice truck of an itinerant village parks (one
of the village's stops, « Horaires et lieux », as members tells them: `village.stops_changed`), when
it arrives there and for how long.

- A round serving an itinerant village makes one truck stop there. When orders knows stops of that
  village, the round names one (`truck_stops`: village, place, arrival HH:MM, duration) and the
  stop is placed at that place (its coordinates when it has some, else the village's centre).
  A place unknown, or a stop of another village, is refused naming the field; an itinerant village
  served without one is refused too (`truck_stops`).
- A village whose stops orders does not know (none yet, or not told since this came) keeps the
  stop it had before: at the village's centre, without a place or a time. Rounds planned before
  read as they were (round_stops' place columns null).
"""

from __future__ import annotations

from sqlalchemy import select

from backbone.errors import InvalidInput
from backbone.messages import msg
from services.orders.models import KnownVillage, KnownVillageStops


def record_village_stops(uow, event: dict) -> None:
    """`village.stops_changed`: the newest list by `occurred_at` wins (a duplicate or an older
    list arriving late changes nothing)."""
    payload = event["payload"]
    uow.keep_latest(
        KnownVillageStops,
        {
            "village_id": payload["village_id"],
            "stops": [dict(stop) for stop in payload["stops"]],
            "changed_at": event["occurred_at"],
        },
        key="village_id",
    )
    uow.commit()


def village_stops(uow, village_ids) -> dict[str, list[dict]]:
    """{village id: its truck's stops} of those villages orders knows stops of."""
    return {
        row.village_id: row.stops
        for row in uow.session.scalars(
            select(KnownVillageStops).where(KnownVillageStops.village_id.in_(list(village_ids)))
        )
    }


def chosen_places(uow, served: list[str], asked: list[dict]) -> dict[str, dict]:
    """{itinerant village id: `asked`'s row for it, with its `place`} from `asked` (RoundInput's
    `truck_stops`), checked against the stops orders knows; raises InvalidInput naming each bad
    row's field (`truck_stops.<n>.place_id`, `.village_id`), or `truck_stops` for an itinerant
    village served whose stops are known and that was given none."""
    rows = {
        v.id: v
        for v in uow.session.scalars(select(KnownVillage).where(KnownVillage.id.in_(served)))
    }
    itinerant = [v for v in served if v in rows and rows[v].kind == "itinerant"]
    known = village_stops(uow, itinerant)
    errors: dict[int, dict] = {}
    chosen: dict[str, dict] = {}
    for n, row in enumerate(asked):
        village_id, place_id = row["village_id"], row["place_id"]
        if village_id not in itinerant or village_id in chosen:
            errors[n] = {"village_id": [msg("truck_stop_village_not_served")]}
            continue
        place = next((s for s in known.get(village_id, []) if s["stop_id"] == place_id), None)
        if place is None:
            errors[n] = {"place_id": [_elsewhere(uow, place_id, rows[village_id].name)]}
            continue
        chosen[village_id] = {**row, "place": place}
    if errors:
        raise InvalidInput({"truck_stops": errors})
    missing = [rows[v].name for v in itinerant if known.get(v) and v not in chosen]
    if missing:
        raise InvalidInput({"truck_stops": [msg("truck_stop_place_missing", village=missing[0])]})
    return chosen


def _elsewhere(uow, place_id: str, village_name: str):
    """Why `place_id` is not a stop of the village: a stop of another village (named), or none."""
    for row in uow.session.scalars(select(KnownVillageStops)):
        if any(stop["stop_id"] == place_id for stop in row.stops):
            other = uow.session.get(KnownVillage, row.village_id)
            return msg(
                "truck_stop_place_elsewhere",
                place_village=other.name if other else row.village_id,
                village=village_name,
            )
    return msg("unknown_truck_stop_place")
