"""Matching volunteers to a help request (services/orders/matching.py, pure) and ordering a round's
stops (services/orders/round_building.py, pure): rules by example, then properties."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.errors import Conflict
from services.orders import matching
from services.orders.round_building import build_round, nearest_neighbour, tour_length, two_opt

PARIS = ZoneInfo("Europe/Paris")
BOURG, AUBIN, FAR = "v-bourg", "v-aubin", "v-far"
COORDS = {BOURG: (45.6231, 2.0412), AUBIN: (45.9412, 2.0935), FAR: (48.8566, 2.3522)}
# Saturday 5 December 2026, 10:00–12:00 in Paris (09:00–11:00 UTC)
START = datetime(2026, 12, 5, 10, 0, tzinfo=PARIS)
REQUEST = {
    "village_id": BOURG,
    "skill": "bricolage",
    "starts_at": START,
    "ends_at": START + timedelta(hours=2),
}


def volunteer(
    vid,
    *,
    villages=(BOURG,),
    home=None,
    skills=(("bricolage", "confirme"),),
    slots=(("saturday", "09:00", "12:00"),),
    km=None,
    active=True,
):
    return {
        "volunteer_id": vid,
        "member_id": "m-" + vid,
        "home_village_id": home or villages[0],
        "village_ids": list(villages),
        "skills": [{"skill": s, "level": level} for s, level in skills],
        "availability": [{"day": d, "start": a, "end": b} for d, a, b in slots],
        "max_distance_km": km,
        "active": active,
    }


def test_candidates_have_the_skill_the_time_and_the_reach_fewer_minutes_first():
    volunteers = [
        volunteer("busy", skills=(("bricolage", "expert"),)),
        volunteer("fresh"),
        volunteer("no-skill", skills=(("jardinage", "expert"),)),
        volunteer("sunday-only", slots=(("sunday", "09:00", "12:00"),)),
        volunteer("far-away", villages=(FAR,), km=50),
        volunteer("neighbour", villages=(AUBIN,), km=40),  # ~35 km from the Bourg
        volunteer("retired", active=False),
        volunteer("half", slots=(("saturday", "11:00", "18:00"),)),
    ]
    candidates, why = matching.rank_candidates(REQUEST, volunteers, COORDS, {"m-busy": 300})
    assert why is None
    assert [c["volunteer_id"] for c in candidates] == ["fresh", "neighbour", "half", "busy"]
    fresh, neighbour, half, busy = candidates
    assert fresh["rank"] == 1 and fresh["serves_village"] and fresh["coverage_percent"] == 100
    assert fresh["reasons"] == [
        "Compétence bricolage : niveau confirmé.",
        "Disponible sur tout le créneau.",
        "Dessert ce village.",
        "N'a pas encore donné de temps ces dernières semaines.",
    ]
    assert not neighbour["serves_village"] and 30 < neighbour["distance_km"] < 40
    assert "Habite à" in neighbour["reasons"][2] and "jusqu'à 40 km" in neighbour["reasons"][2]
    assert (
        half["coverage_percent"] == 50 and half["reasons"][1] == "Disponible sur 50 % du créneau."
    )
    assert (
        busy["recent_minutes"] == 300
        and busy["reasons"][3] == "A déjà donné 300 min ces dernières semaines."
    )


@pytest.mark.parametrize(
    "volunteers, why",
    [
        ([], "no_skill"),
        ([volunteer("a", skills=(("jardinage", "expert"),))], "no_skill"),
        ([volunteer("a", slots=(("monday", "09:00", "12:00"),))], "not_available"),
        ([volunteer("a", villages=(FAR,), km=100)], "out_of_reach"),
        ([volunteer("a", villages=(AUBIN,), km=None)], "out_of_reach"),
    ],
)
def test_nobody_matched_says_why(volunteers, why):
    assert matching.rank_candidates(REQUEST, volunteers, COORDS, {}) == ([], why)
    assert matching.UNMATCHED_REASONS[why]


def test_unknown_coordinates_only_reach_the_villages_served():
    assert (
        matching.rank_candidates(REQUEST, [volunteer("a", villages=(AUBIN,), km=500)], {}, {})[1]
        == "out_of_reach"
    )


def test_availability_is_read_in_paris_time_across_midnight_and_daylight_saving():
    slots = [
        {"day": "saturday", "start": "22:00", "end": "24:00"},
        {"day": "sunday", "start": "00:00", "end": "01:00"},
    ]
    start = datetime(2026, 12, 5, 21, 30, tzinfo=UTC)  # 22:30 in Paris (winter, UTC+1)
    assert matching.available_minutes(slots, start, start + timedelta(hours=2)) == 90 + 30
    summer = datetime(2026, 7, 4, 8, 0, tzinfo=UTC)  # 10:00 in Paris (summer, UTC+2), a Saturday
    assert (
        matching.available_minutes(
            [{"day": "saturday", "start": "10:00", "end": "11:00"}],
            summer,
            summer + timedelta(hours=3),
        )
        == 60
    )


def test_haversine_is_about_right():
    paris, lyon = (48.8566, 2.3522), (45.7640, 4.8357)
    assert 390 < matching.haversine_km(paris, lyon) < 395
    assert matching.haversine_km(paris, paris) == 0


_days = st.sampled_from(matching.DAYS)
_hours = st.integers(min_value=0, max_value=23)


@st.composite
def volunteers_strategy(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    found = []
    for i in range(n):
        start = draw(_hours)
        end = draw(st.integers(min_value=start + 1, max_value=24))
        found.append(
            volunteer(
                f"v{i}",
                villages=tuple(
                    draw(
                        st.lists(
                            st.sampled_from([BOURG, AUBIN, FAR]),
                            min_size=1,
                            max_size=3,
                            unique=True,
                        )
                    )
                ),
                skills=tuple(
                    (s, draw(st.sampled_from(list(matching.LEVELS))))
                    for s in draw(
                        st.lists(st.sampled_from(["bricolage", "jardinage"]), unique=True)
                    )
                ),
                slots=((draw(_days), f"{start:02d}:00", f"{end:02d}:00" if end < 24 else "24:00"),),
                km=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=500))),
                active=draw(st.booleans()),
            )
        )
    return found


@settings(max_examples=150, deadline=None)
@given(
    volunteers=volunteers_strategy(),
    minutes=st.dictionaries(
        st.sampled_from([f"m-v{i}" for i in range(8)]), st.integers(min_value=0, max_value=2000)
    ),
    order=st.randoms(use_true_random=False),
)
def test_properties_of_the_ranking(volunteers, minutes, order):
    candidates, why = matching.rank_candidates(REQUEST, volunteers, COORDS, minutes)
    by_id = {v["volunteer_id"]: v for v in volunteers}
    for candidate in candidates:  # every candidate qualifies
        v = by_id[candidate["volunteer_id"]]
        assert v["active"] and "bricolage" in {s["skill"] for s in v["skills"]}
        assert (
            matching.available_minutes(v["availability"], REQUEST["starts_at"], REQUEST["ends_at"])
            > 0
        )
        assert BOURG in v["village_ids"] or (
            v["max_distance_km"] is not None
            and candidate["distance_km"] <= v["max_distance_km"] + 0.05
        )
        assert len(candidate["reasons"]) == 4
    given_minutes = [c["recent_minutes"] for c in candidates]
    assert given_minutes == sorted(given_minutes), "fewer minutes already given come first"
    assert [c["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    assert (why is None) == bool(candidates)
    shuffled = list(volunteers)
    order.shuffle(shuffled)
    assert matching.rank_candidates(REQUEST, shuffled, COORDS, minutes)[0] == candidates, (
        "input order is irrelevant"
    )
    for k, candidate in enumerate(candidates):  # giving more time never moves someone up
        more = {**minutes, candidate["member_id"]: candidate["recent_minutes"] + 500}
        again = [
            c["volunteer_id"]
            for c in matching.rank_candidates(REQUEST, volunteers, COORDS, more)[0]
        ]
        assert again.index(candidate["volunteer_id"]) >= k


# --- rounds -------------------------------------------------------------------------------------

DEPOT = (45.6231, 2.0412)


def stop(kind, lat=None, lon=None, items=1, **extra):
    return {"kind": kind, "latitude": lat, "longitude": lon, "items_count": items, **extra}


def test_a_round_goes_along_the_way_pickups_first_unknown_places_last():
    depot = (
        45.0,
        2.0,
    )  # a square: depot, east, north-east, north; the way round is east → north-east → north
    stops = [
        stop("home_delivery", 45.1, 2.0, ref="north"),
        stop("home_delivery", 45.0, 2.1, ref="east"),
        stop("supplier_pickup", items=4, ref="pickup"),
        stop("home_delivery", ref="nowhere"),
        stop("truck_stop", 45.1, 2.1, items=0, ref="north-east"),
    ]
    built = build_round(depot, stops, capacity=10)
    assert [s["ref"] for s in built["stops"]] == [
        "pickup",
        "east",
        "north-east",
        "north",
        "nowhere",
    ]
    assert [s["sequence"] for s in built["stops"]] == [1, 2, 3, 4, 5]
    assert built["load"] == 7 and 30 < built["distance_km"] < 40


def test_2opt_untangles_a_crossing():
    depot = (45.0, 2.0)
    points = [(45.05, 2.11), (45.07, 2.12), (45.13, 2.01), (45.0, 2.17), (45.05, 2.05)]
    greedy = nearest_neighbour(depot, points)
    better = two_opt(depot, points, greedy)
    assert (
        tour_length(depot, [points[i] for i in better])
        < tour_length(depot, [points[i] for i in greedy]) - 5
    )


def test_a_round_over_capacity_makes_two_trips_and_a_stop_too_big_alone_is_refused():
    built = build_round(
        DEPOT,
        [
            stop("home_delivery", 45.7, 2.0, items=6, ref="home"),
            stop("supplier_pickup", items=5, ref="pickup"),
        ],
        10,
    )
    assert [(s["ref"], s["trip"]) for s in built["stops"]] == [("home", 1), ("pickup", 2)]
    assert built["trips"][0]["load"] == 6 and built["trips"][1]["load"] == 5
    assert built["load"] == 11
    with pytest.raises(Conflict) as refused:
        build_round(DEPOT, [stop("home_delivery", 45.7, 2.0, items=11)], 10)
    assert refused.value.reason == "round_over_capacity" and refused.value.field == "capacity"
    assert refused.value.details == {"capacity": 10, "load": 11, "overflow": 1}
    assert build_round(DEPOT, [stop("home_delivery", 45.7, 2.0, items=10)], 10)["load"] == 10


def test_a_pooled_order_larger_than_the_vehicle_is_picked_up_in_parts_with_its_drop_offs():
    stops = [
        stop("supplier_pickup", items=0, ref="pickup", purchase_order_id="po"),
        stop("hub_drop", 45.7, 2.0, items=7, ref="A", purchase_order_id="po"),
        stop("hub_drop", 45.8, 2.1, items=5, ref="B", purchase_order_id="po"),
    ]
    built = build_round(DEPOT, stops, 8)
    trips = {}
    for s in built["stops"]:
        trips.setdefault(s["trip"], []).append((s["ref"], s["items_count"]))
    assert trips == {1: [("pickup", 8), ("A", 7), ("B", 1)], 2: [("pickup", 4), ("B", 4)]}
    assert [t["load"] for t in built["trips"]] == [8, 4] and built["load"] == 12


_points = st.lists(
    st.tuples(st.floats(min_value=45.0, max_value=46.5), st.floats(min_value=1.5, max_value=2.5)),
    min_size=0,
    max_size=9,
)


@settings(max_examples=100, deadline=None)
@given(points=_points)
def test_ordering_visits_each_stop_once_and_2opt_never_lengthens(points):
    greedy = nearest_neighbour(DEPOT, points)
    improved = two_opt(DEPOT, points, greedy)
    assert sorted(greedy) == sorted(improved) == list(range(len(points)))
    assert (
        tour_length(DEPOT, [points[i] for i in improved])
        <= tour_length(DEPOT, [points[i] for i in greedy]) + 1e-6
    )
    built = build_round(
        DEPOT, [stop("home_delivery", lat, lon, ref=i) for i, (lat, lon) in enumerate(points)], 100
    )
    assert sorted(s["ref"] for s in built["stops"]) == list(range(len(points)))


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(
        st.tuples(
            st.sampled_from(["home_delivery", "truck_stop", "supplier_pickup"]),
            st.integers(min_value=0, max_value=20),
        ),
        max_size=8,
    ),
    capacity=st.integers(min_value=1, max_value=60),
)
def test_capacity_is_never_exceeded_and_pickups_come_first(items, capacity):
    stops = [stop(kind, 45.5 + i / 100, 2.0, items=n, ref=i) for i, (kind, n) in enumerate(items)]
    too_big = [n for kind, n in items if kind != "supplier_pickup" and n > capacity]
    if too_big:
        with pytest.raises(Conflict) as refused:
            build_round(DEPOT, stops, capacity)
        assert refused.value.details["overflow"] == too_big[0] - capacity > 0
        return
    built = build_round(DEPOT, stops, capacity)
    assert built["load"] == sum(n for _kind, n in items)
    for trip in built["trips"]:
        on_board = [s for s in built["stops"] if s["trip"] == trip["trip"]]
        assert trip["load"] == sum(s["items_count"] for s in on_board) <= capacity
        kinds = [s["kind"] for s in on_board]
        assert kinds == sorted(kinds, key=lambda k: k != "supplier_pickup")
    assert [s["sequence"] for s in built["stops"]] == list(range(1, len(built["stops"]) + 1))


def test_overlapping_slots_count_once():
    """Found by the property test: two overlapping slots of the same day made more free minutes
    than the window holds."""
    from datetime import datetime

    slots = [
        {"day": "monday", "start": "09:00", "end": "11:00"},
        {"day": "monday", "start": "10:00", "end": "12:00"},
    ]
    window = (
        datetime(2026, 11, 30, 9, tzinfo=UTC),
        datetime(2026, 11, 30, 9, 30, tzinfo=UTC),
    )
    assert (
        matching.available_minutes(slots, *window) == 30
    )  # 10:00–10:30 in Paris, covered by both slots
    whole = (
        datetime(2026, 11, 30, 8, tzinfo=UTC),
        datetime(2026, 11, 30, 11, tzinfo=UTC),
    )
    assert matching.available_minutes(slots, *whole) == 180  # 09:00–12:00, not 240
