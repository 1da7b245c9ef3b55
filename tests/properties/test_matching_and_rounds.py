"""Matching volunteers to a help request (services/orders/matching.py) and building a round
(services/orders/round_building.py), both pure, under random inputs (hypothesis):

matching: the candidates are exactly the volunteers who are active, have the skill, are free some of
the window and are in reach; ranked 1..n by the documented order; coverage within 1..100 %; when
nobody matches, the reason is the first filter nobody passed.

rounds: a stop that cannot be split and exceeds the capacity is a Conflict with the overflow; else
several trips when the load calls for it, none over capacity; every stop exactly once (a pick-up
maybe in parts), numbered 1..n, supplier pick-ups first in each trip, stops without coordinates
last in the order given, each trip's distance its tour's and never longer than the
nearest-neighbour tour; each village's hub drop-off of a pooled order is its share, picked up
before it is dropped, in the same trip.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.errors import Conflict
from services.orders import matching, round_building

VILLAGES = ["v1", "v2", "v3", "v4"]
COORDINATES = {"v1": (45.70, 2.00), "v2": (45.75, 2.05), "v3": (45.90, 2.40), "v4": (46.50, 3.00)}
SKILLS = ["jardinage", "bricolage", "informatique"]
LEVELS = list(matching.LEVELS)


@st.composite
def availability(draw):
    slots = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, 46)) * 30
        end = draw(st.integers(start // 30 + 1, 48)) * 30
        slots.append(
            {
                "day": draw(st.sampled_from(matching.DAYS)),
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": "24:00" if end == 1440 else f"{end // 60:02d}:{end % 60:02d}",
            }
        )
    return slots


@st.composite
def volunteer(draw, n):
    return {
        "volunteer_id": f"vol-{n}",
        "member_id": f"mem-{n}",
        "active": draw(st.booleans()),
        "home_village_id": draw(st.sampled_from(VILLAGES)),
        "village_ids": draw(st.lists(st.sampled_from(VILLAGES), max_size=2, unique=True)),
        "max_distance_km": draw(st.one_of(st.none(), st.integers(1, 120))),
        "skills": [
            {"skill": s, "level": draw(st.sampled_from(LEVELS))}
            for s in draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True))
        ],
        "availability": draw(availability()),
    }


volunteers = st.integers(0, 6).flatmap(
    lambda k: st.tuples(*[volunteer(n) for n in range(k)]).map(list)
)
windows = st.tuples(
    st.datetimes(datetime(2026, 3, 25), datetime(2026, 11, 1), timezones=st.just(UTC)),
    st.integers(30, 6 * 60),
).map(
    lambda t: (
        t[0].replace(second=0, microsecond=0),
        t[0].replace(second=0, microsecond=0) + timedelta(minutes=t[1]),
    )
)


@settings(max_examples=300, deadline=None)
@given(
    people=volunteers,
    window=windows,
    village=st.sampled_from(VILLAGES),
    skill=st.sampled_from(SKILLS),
    recent=st.dictionaries(st.sampled_from([f"mem-{n}" for n in range(6)]), st.integers(0, 600)),
)
def test_candidates_are_exactly_the_eligible_ranked_as_documented(
    people, window, village, skill, recent
):
    request = {"village_id": village, "skill": skill, "starts_at": window[0], "ends_at": window[1]}
    found, reason = matching.rank_candidates(request, people, COORDINATES, recent)
    length = (window[1] - window[0]).total_seconds() / 60

    def eligible(v):
        free = matching.available_minutes(v["availability"], *window)
        assert 0 <= free <= length
        return (
            v["active"]
            and any(s["skill"] == skill for s in v["skills"])
            and free > 0
            and matching._reach(v, village, COORDINATES) is not None
        )

    assert {c["volunteer_id"] for c in found} == {v["volunteer_id"] for v in people if eligible(v)}
    assert [c["rank"] for c in found] == list(range(1, len(found) + 1))
    keys = [
        (
            c["recent_minutes"],
            -c["coverage_percent"],
            c["distance_km"],
            -matching.LEVELS[c["level"]],
            c["volunteer_id"],
        )
        for c in found
    ]
    assert keys == sorted(keys) or _rounding_only(found)
    assert all(
        0 <= c["coverage_percent"] <= 100 and c["serves_village"] == (c["distance_km"] == 0)
        for c in found
    )
    if found:
        assert reason is None
    else:
        active = [v for v in people if v["active"]]
        with_skill = [v for v in active if any(s["skill"] == skill for s in v["skills"])]
        free = [v for v in with_skill if matching.available_minutes(v["availability"], *window) > 0]
        assert reason == (
            "no_skill" if not with_skill else "not_available" if not free else "out_of_reach"
        )


def _rounding_only(found) -> bool:
    """Ranking uses the exact distance; the output shows it rounded to 0.1 km."""
    return all(
        (a["recent_minutes"], -a["coverage_percent"])
        <= (b["recent_minutes"], -b["coverage_percent"])
        for a, b in zip(found, found[1:])
    )


# --- rounds --------------------------------------------------------------------------------------


@st.composite
def stop(draw, n):
    placed = draw(st.booleans())
    return {
        "name": f"stop-{n}",
        "kind": draw(st.sampled_from(["home_delivery", "truck_stop", "supplier_pickup"])),
        "items_count": draw(st.integers(0, 6)),
        "latitude": draw(st.floats(45.0, 46.5)) if placed else None,
        "longitude": draw(st.floats(1.5, 3.5)) if placed else None,
    }


stops = st.integers(0, 7).flatmap(lambda k: st.tuples(*[stop(n) for n in range(k)]).map(list))


@settings(max_examples=200, deadline=None)
@given(
    given_stops=stops,
    capacity=st.integers(0, 30),
    depot=st.one_of(st.none(), st.tuples(st.floats(45.0, 46.5), st.floats(1.5, 3.5))),
)
def test_a_round_holds_every_stop_once_in_a_sensible_order(given_stops, capacity, depot):
    unsplittable = [s["items_count"] for s in given_stops if s["kind"] != "supplier_pickup"] + [
        s["items_count"] for s in given_stops if capacity < 1
    ]
    if any(n > capacity for n in unsplittable):
        with pytest.raises(Conflict) as refused:
            round_building.build_round(depot, given_stops, capacity)
        assert refused.value.field == "capacity" and refused.value.details["overflow"] > 0
        return
    built = round_building.build_round(depot, given_stops, capacity)
    out = built["stops"]
    assert built["load"] == sum(s["items_count"] for s in given_stops)
    assert [s["sequence"] for s in out] == list(range(1, len(out) + 1))
    others_out = sorted(s["name"] for s in out if s["kind"] != "supplier_pickup")
    assert others_out == sorted(s["name"] for s in given_stops if s["kind"] != "supplier_pickup")
    for pickup in (s for s in given_stops if s["kind"] == "supplier_pickup"):  # maybe in parts
        parts = [s for s in out if s["name"] == pickup["name"]]
        assert sum(s["items_count"] for s in parts) == pickup["items_count"]
    total = 0.0
    for trip in built["trips"]:
        on_board = [s for s in out if s["trip"] == trip["trip"]]
        assert sum(s["items_count"] for s in on_board) == trip["load"] <= max(capacity, 0)
        kinds = [s["kind"] == "supplier_pickup" for s in on_board]
        assert kinds == sorted(kinds, reverse=True)  # pick-ups first
        others = [s for s in on_board if s["kind"] != "supplier_pickup"]
        given_order = [s["name"] for s in given_stops]
        if depot is None:  # nothing to start from: as given, those without coordinates last
            assert [s["name"] for s in others] == sorted(
                (s["name"] for s in others),
                key=lambda n: (
                    given_stops[given_order.index(n)]["latitude"] is None,
                    given_order.index(n),
                ),
            )
            assert trip["distance_km"] == 0
            continue
        placed = [s for s in others if s["latitude"] is not None]
        unplaced = [s for s in others if s["latitude"] is None]
        assert others == placed + unplaced
        assert [s["name"] for s in unplaced] == sorted(
            (s["name"] for s in unplaced), key=given_order.index
        )
        points = [(s["latitude"], s["longitude"]) for s in placed]
        length = round_building.tour_length(depot, points)
        assert trip["distance_km"] == round(length, 1)
        total += length
        greedy = round_building.nearest_neighbour(depot, sorted(points))
        assert (
            length <= round_building.tour_length(depot, [sorted(points)[i] for i in greedy]) + 1e-6
        )
    assert built["distance_km"] == round(total, 1)


@st.composite
def pooled_round(draw):
    """Home deliveries and pooled orders of a grappe, each with its villages' shares."""
    homes = [
        {
            "name": f"home-{n}",
            "kind": "home_delivery",
            "items_count": draw(st.integers(0, 8)),
            "latitude": draw(st.floats(45.0, 46.5)),
            "longitude": draw(st.floats(1.5, 3.5)),
        }
        for n in range(draw(st.integers(0, 6)))
    ]
    pooled, stops = {}, list(homes)
    for p in range(draw(st.integers(0, 3))):
        shares = {
            v: draw(st.integers(0, 25))
            for v in draw(st.sets(st.sampled_from(VILLAGES), min_size=1))
        }
        pooled[f"po-{p}"] = shares
        stops.append(
            {
                "name": f"po-{p}",
                "kind": "supplier_pickup",
                "purchase_order_id": f"po-{p}",
                "items_count": sum(shares.values()),
                "latitude": None,
                "longitude": None,
            }
        )
        for village, items in shares.items():
            lat, lon = COORDINATES[village]
            stops.append(
                {
                    "name": f"po-{p}-{village}",
                    "kind": "hub_drop",
                    "village_id": village,
                    "purchase_order_id": f"po-{p}",
                    "items_count": items,
                    "latitude": lat,
                    "longitude": lon,
                }
            )
    return draw(st.permutations(stops)), pooled


@settings(max_examples=200, deadline=None)
@given(round_=pooled_round(), capacity=st.integers(8, 40))
def test_trips_never_exceed_capacity_and_hub_drop_offs_match_the_pooled_orders(round_, capacity):
    given_stops, pooled = round_
    built = round_building.build_round((45.5, 2.0), given_stops, capacity)
    out = built["stops"]
    homes = sorted(s["name"] for s in out if s["kind"] == "home_delivery")
    assert homes == sorted(s["name"] for s in given_stops if s["kind"] == "home_delivery")
    for trip in built["trips"]:  # never more on board than the vehicle holds
        on_board = [s for s in out if s["trip"] == trip["trip"] and s["kind"] != "hub_drop"]
        assert sum(s["items_count"] for s in on_board) == trip["load"] <= capacity
    for po, shares in pooled.items():
        dropped = {}
        for s in out:
            if s["kind"] == "hub_drop" and s["purchase_order_id"] == po:
                dropped[s["village_id"]] = dropped.get(s["village_id"], 0) + s["items_count"]
        assert dropped == shares, "each village gets its share of the pooled order, once"
        for trip in {s["trip"] for s in out if s.get("purchase_order_id") == po}:
            in_trip = [s for s in out if s["trip"] == trip and s.get("purchase_order_id") == po]
            picked = [s for s in in_trip if s["kind"] == "supplier_pickup"]
            assert len(picked) == 1 and in_trip[0] is picked[0], "picked up before dropped"
            assert picked[0]["items_count"] == sum(
                s["items_count"] for s in in_trip if s["kind"] == "hub_drop"
            )
    assert [s["sequence"] for s in out] == list(range(1, len(out) + 1))


@st.composite
def timed_stop(draw, n):
    """A home delivery, or a truck stop at a place with its arrival (or without: a stop planned
    before places had times)."""
    placed = draw(st.booleans())
    truck = draw(st.booleans())
    return {
        "name": f"stop-{n}",
        "kind": "truck_stop" if truck else "home_delivery",
        "items_count": 0 if truck else draw(st.integers(0, 4)),
        "latitude": draw(st.floats(45.0, 46.5)) if placed else None,
        "longitude": draw(st.floats(1.5, 3.5)) if placed else None,
        "arrives_at": (
            f"{draw(st.integers(6, 20)):02d}:{draw(st.sampled_from([0, 15, 30, 45])):02d}"
            if truck and draw(st.booleans())
            else None
        ),
    }


timed_stops = st.integers(0, 8).flatmap(
    lambda k: st.tuples(*[timed_stop(n) for n in range(k)]).map(list)
)


@settings(max_examples=200, deadline=None)
@given(
    given_stops=timed_stops,
    capacity=st.integers(4, 12),
    depot=st.one_of(st.none(), st.tuples(st.floats(45.0, 46.5), st.floats(1.5, 3.5))),
)
def test_the_trucks_stops_are_visited_in_the_order_of_their_arrival_times(
    given_stops, capacity, depot
):
    built = round_building.build_round(depot, given_stops, capacity)
    out = built["stops"]
    assert sorted(s["name"] for s in out) == sorted(s["name"] for s in given_stops)
    total = 0.0
    for trip in built["trips"]:
        on_board = [s for s in out if s["trip"] == trip["trip"]]
        times = [s["arrives_at"] for s in on_board if s["arrives_at"]]
        assert times == sorted(times)
        # the stops without a time stay where the tour put them: the same places as without times
        untimed = round_building.build_round(
            depot, [dict(s, arrives_at=None) for s in given_stops], capacity
        )["stops"]
        same_trip = [s for s in untimed if s["trip"] == trip["trip"]]
        assert [s["name"] for s in on_board if not s["arrives_at"]] == [
            s["name"]
            for s in same_trip
            if not next(g for g in given_stops if g["name"] == s["name"])["arrives_at"]
        ]
        if depot is not None:
            points = [
                (s["latitude"], s["longitude"]) for s in on_board if s["latitude"] is not None
            ]
            length = round_building.tour_length(depot, points)
            assert trip["distance_km"] == round(length, 1)
            total += length
    if depot is not None:
        assert built["distance_km"] == round(total, 1)
