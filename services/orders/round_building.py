"""Building one round (pure: no database): which stops, in which trips, in which order.

Stops are dicts with at least `kind` (home_delivery, truck_stop, supplier_pickup, hub_drop),
`items_count` (crates / parcels) and `latitude`/`longitude` (None when unknown); anything else is
carried along. A `hub_drop` is one village's share of a pooled supplier order, left at its hub: it
names the `purchase_order_id` of its `supplier_pickup`, whose goods it unloads.

- Load: what the vehicle takes on board: the home deliveries' and truck stops' items, and each
  pick-up's (the sum of its drop-offs when it has some; a drop-off adds nothing, it unloads).
- Trips: when the load exceeds the vehicle's capacity the round makes several trips, each leaving
  from the depot with at most `capacity` on board (first fit, the largest first). A pick-up and its
  drop-offs travel together; a pooled order larger than the vehicle is picked up in parts, each
  with the drop-offs it carries (a village's share split when it must). A home delivery or a truck
  stop larger than the vehicle cannot be split: the round is refused (Conflict
  `round_over_capacity`, field `capacity`, with that stop's load and the overflow).
- Order, per trip: pick-ups first (the goods are loaded on the way out), then the other stops along
  the way: nearest neighbour from the depot, improved by 2-opt on the tour that comes back to the
  depot. Stops whose coordinates are unknown go last, in the order given. The truck's stops given an
  arrival time (`arrives_at`, "HH:MM") are then visited in the order of their times: the places the
  tour gave them are handed out again, the earliest first (the others stay where they were), and
  the trip's distance is that of the tour so changed.
- Distance: as the crow flies (haversine), depot → stops → depot for each trip, in km.
"""

from __future__ import annotations

from backbone.errors import Conflict
from backbone.volunteer_bookings import haversine_km

Point = tuple[float, float]


def _where(stop: dict) -> Point | None:
    if stop.get("latitude") is None or stop.get("longitude") is None:
        return None
    return (stop["latitude"], stop["longitude"])


def tour_length(depot: Point, points: list[Point]) -> float:
    """depot → each point in order → depot, in km."""
    path = [depot, *points, depot]
    return sum(haversine_km(a, b) for a, b in zip(path, path[1:]))


def nearest_neighbour(depot: Point, points: list[Point]) -> list[int]:
    """Indexes of `points` in visiting order, always going to the nearest one left (ties: first)."""
    left, order, here = list(range(len(points))), [], depot
    while left:
        best = min(left, key=lambda i: (haversine_km(here, points[i]), i))
        order.append(best)
        left.remove(best)
        here = points[best]
    return order


def two_opt(depot: Point, points: list[Point], order: list[int]) -> list[int]:
    """Reverse segments while it shortens the tour (never makes it longer). Each candidate is judged
    by the two edges it changes, from a table of distances: O(n²) a pass, not O(n³)."""
    n = len(order)
    if n < 3:
        return list(order)
    where = [depot, *points]  # 0 is the depot, k + 1 the point k
    table = [[haversine_km(a, b) for b in where] for a in where]
    tour = [0, *(k + 1 for k in order), 0]
    improved = True
    while improved:
        improved = False
        for i in range(1, n):
            a, b = tour[i - 1], tour[i]
            for j in range(i + 1, n + 1):
                c, e = tour[j], tour[j + 1]
                if table[a][c] + table[b][e] < table[a][b] + table[c][e] - 1e-9:
                    tour[i : j + 1] = tour[i : j + 1][::-1]
                    b = tour[i]
                    improved = True
    return [k - 1 for k in tour[1:-1]]


def _over(load: int, capacity: int) -> Conflict:
    return Conflict(
        "round_over_capacity",
        field="capacity",
        details={"capacity": capacity, "load": load, "overflow": load - capacity},
    )


def _units(stops: list[dict], capacity: int) -> list[tuple[int, list[dict]]]:
    """What must travel together, with its load: a stop alone, or a pick-up with its drop-offs
    (in parts of at most `capacity` when larger)."""
    if capacity < 1 and any(int(s["items_count"]) > 0 for s in stops):
        raise _over(max(int(s["items_count"]) for s in stops), capacity)
    drops: dict[str, list[dict]] = {}
    for stop in stops:
        if stop["kind"] == "hub_drop":
            drops.setdefault(stop["purchase_order_id"], []).append(stop)
    units = []
    for stop in stops:
        items = int(stop["items_count"])
        if stop["kind"] == "hub_drop":
            continue
        if stop["kind"] != "supplier_pickup":
            if items > capacity:
                raise _over(items, capacity)
            units.append((items, [stop]))
            continue
        shares = drops.pop(stop.get("purchase_order_id") or "", None)
        if not shares:  # a pick-up that goes to the depot: in parts when larger than the vehicle
            while items > capacity:
                units.append((capacity, [dict(stop, items_count=capacity)]))
                items -= capacity
            units.append((items, [dict(stop, items_count=items)]))
            continue
        part, part_load = [], 0
        for share in shares:
            left = int(share["items_count"])
            if not left:
                part.append(share)
            while left:
                if part_load == capacity:  # this part is full: picked up on a trip of its own
                    units.append((part_load, [dict(stop, items_count=part_load), *part]))
                    part, part_load = [], 0
                taken = min(left, capacity - part_load)
                part.append(dict(share, items_count=taken))
                part_load += taken
                left -= taken
        units.append((part_load, [dict(stop, items_count=part_load), *part]))
    for orphans in drops.values():  # drop-offs whose pick-up is not on the round: carried as given
        for share in orphans:
            units.append((0, [share]))
    return units


def _trips(units, capacity: int) -> list[list[tuple[int, list[dict]]]]:
    """First fit, the largest first (in the order given among equals)."""
    trips: list[list] = []
    loads: list[int] = []
    for load, unit in sorted(units, key=lambda u: -u[0]):
        for n, used in enumerate(loads):
            if used + load <= capacity:
                trips[n].append((load, unit))
                loads[n] += load
                break
        else:
            trips.append([(load, unit)])
            loads.append(load)
    return trips or [[]]


def _timed(stop: dict) -> bool:
    return stop["kind"] == "truck_stop" and bool(stop.get("arrives_at"))


def in_time_order(visit: list[dict]) -> list[dict]:
    """`visit` with its timed truck stops in the order of their arrival, each taking one of the
    places they held (earliest first; equal times in the order they came); the rest unmoved."""
    places = [n for n, s in enumerate(visit) if _timed(s)]
    timed = sorted((visit[n] for n in places), key=lambda s: s["arrives_at"])
    out = list(visit)
    for n, stop in zip(places, timed):
        out[n] = stop
    return out


def _order_trip(depot: Point | None, stops: list[dict]) -> tuple[list[dict], float]:
    pickups = [s for s in stops if s["kind"] == "supplier_pickup"]
    others = [s for s in stops if s["kind"] != "supplier_pickup"]
    placed = [s for s in others if _where(s) is not None]
    unplaced = [s for s in others if _where(s) is None]
    if depot is not None and placed:
        points = [_where(s) for s in placed]
        order = two_opt(depot, points, nearest_neighbour(depot, points))
        placed = [placed[i] for i in order]
    else:
        unplaced = placed + unplaced
        placed = []
    visit = in_time_order(pickups + placed + unplaced)
    distance = 0.0
    if depot is not None and placed:
        on_tour = [s for s in visit if s["kind"] != "supplier_pickup" and _where(s) is not None]
        distance = tour_length(depot, [_where(s) for s in on_tour])
    return visit, distance


def build_round(depot: Point | None, stops: list[dict], capacity: int) -> dict:
    """{"stops": [... each with `sequence` from 1 and its `trip` from 1], "load", "distance_km",
    "trips": [{"trip", "load", "distance_km"}]}; raises Conflict when one stop alone exceeds
    `capacity`."""
    stops = [dict(s, _at=n) for n, s in enumerate(stops)]  # copies and parts keep their place
    ordered, trips, total_load, total_distance = [], [], 0, 0.0
    for n, trip in enumerate(_trips(_units(stops, capacity), capacity), start=1):
        members = [s for _load, unit in trip for s in unit]
        # within a trip, the stops as given (the largest-first packing is not an order of visit)
        members.sort(key=lambda s: s["_at"])
        visit, distance = _order_trip(depot, members)
        load = sum(load for load, _unit in trip)
        ordered += [{**{k: v for k, v in s.items() if k != "_at"}, "trip": n} for s in visit]
        trips.append({"trip": n, "load": load, "distance_km": round(distance, 1)})
        total_load += load
        total_distance += distance
    for sequence, stop in enumerate(ordered, start=1):
        stop["sequence"] = sequence
    return {
        "stops": ordered,
        "load": total_load,
        "distance_km": round(total_distance, 1),
        "trips": trips,
    }
