"""Matching volunteers to a help request (services/orders/matching.py) and building a round
(services/orders/round_building.py), both pure, under random inputs (hypothesis):

matching: the candidates are exactly the volunteers who are active, have the skill, are free some of
the window and are in reach; ranked 1..n by the documented order; coverage within 1..100 %; when
nobody matches, the reason is the first filter nobody passed.

rounds: above capacity a Conflict with the overflow; else every stop exactly once, numbered 1..n,
supplier pick-ups first, stops without coordinates last in the order given, the distance is the
tour's and never longer than the nearest-neighbour tour it started from.
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
    load = sum(s["items_count"] for s in given_stops)
    if load > capacity:
        with pytest.raises(Conflict) as refused:
            round_building.build_round(depot, given_stops, capacity)
        assert (
            refused.value.field == "capacity"
            and refused.value.details["overflow"] == load - capacity
        )
        return
    built = round_building.build_round(depot, given_stops, capacity)
    out = built["stops"]
    assert built["load"] == load
    assert [s["sequence"] for s in out] == list(range(1, len(given_stops) + 1))
    assert sorted(s["name"] for s in out) == sorted(s["name"] for s in given_stops)
    kinds = [s["kind"] == "supplier_pickup" for s in out]
    assert kinds == sorted(kinds, reverse=True)  # pick-ups first
    others = [s for s in out if s["kind"] != "supplier_pickup"]
    if depot is None:  # no depot to start from: in the order given, those without coordinates last
        rest = [s for s in given_stops if s["kind"] != "supplier_pickup"]
        assert [s["name"] for s in others] == [
            s["name"] for s in rest if s["latitude"] is not None
        ] + [s["name"] for s in rest if s["latitude"] is None]
        assert built["distance_km"] == 0
        return
    placed = [s for s in others if s["latitude"] is not None]
    unplaced = [s for s in others if s["latitude"] is None]
    assert others == placed + unplaced
    assert [s["name"] for s in unplaced] == [
        s["name"] for s in given_stops if s["kind"] != "supplier_pickup" and s["latitude"] is None
    ]
    points = [(s["latitude"], s["longitude"]) for s in placed]
    length = round_building.tour_length(depot, points)
    assert built["distance_km"] == round(length, 1)
    originals = [
        (s["latitude"], s["longitude"])
        for s in given_stops
        if s["kind"] != "supplier_pickup" and s["latitude"] is not None
    ]
    greedy = round_building.nearest_neighbour(depot, originals)
    assert length <= round_building.tour_length(depot, [originals[i] for i in greedy]) + 1e-6
