"""Building one round (pure: no database): which stops, in which order, and whether they fit.

Stops are dicts with at least `kind` (home_delivery, truck_stop, supplier_pickup), `items_count`
(crates / parcels) and `latitude`/`longitude` (None when unknown); anything else is carried along.

- Load: the sum of the stops' items; above the vehicle's capacity the round is refused
  (Conflict `round_over_capacity`, field `capacity`, with the load and the overflow).
- Order: supplier pick-ups first (the goods are loaded on the way out), then the other stops
  along the way: nearest neighbour from the depot village, improved by 2-opt on the tour that
  comes back to the depot. Stops whose coordinates are unknown go last, in the order given.
- Distance: as the crow flies (haversine), depot → stops → depot, in km.
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
    """Reverse segments while it shortens the tour (never makes it longer)."""
    order = list(order)
    improved = True
    while improved:
        improved = False
        for i in range(len(order) - 1):
            for j in range(i + 1, len(order)):
                candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                if tour_length(depot, [points[k] for k in candidate]) + 1e-9 < tour_length(
                    depot, [points[k] for k in order]
                ):
                    order, improved = candidate, True
    return order


def build_round(depot: Point | None, stops: list[dict], capacity: int) -> dict:
    """{"stops": [... each with `sequence` from 1], "load", "distance_km"}; raises Conflict when the
    load exceeds `capacity`."""
    load = sum(int(stop["items_count"]) for stop in stops)
    if load > capacity:
        raise Conflict(
            "round_over_capacity",
            field="capacity",
            details={"capacity": capacity, "load": load, "overflow": load - capacity},
        )
    pickups = [s for s in stops if s["kind"] == "supplier_pickup"]
    others = [s for s in stops if s["kind"] != "supplier_pickup"]
    placed = [s for s in others if _where(s) is not None]
    unplaced = [s for s in others if _where(s) is None]
    distance = 0.0
    if depot is not None and placed:
        points = [_where(s) for s in placed]
        order = two_opt(depot, points, nearest_neighbour(depot, points))
        placed = [placed[i] for i in order]
        distance = tour_length(depot, [points[i] for i in order])
    else:
        unplaced = placed + unplaced
        placed = []
    ordered = [
        dict(stop, sequence=n) for n, stop in enumerate(pickups + placed + unplaced, start=1)
    ]
    return {"stops": ordered, "load": load, "distance_km": round(distance, 1)}
