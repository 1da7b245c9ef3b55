"""Who can give a hand: ranking the volunteers for a help request (pure: no database, no clock).

A volunteer is a candidate when they are active, have the skill, are available during the requested
window (their weekly slots, in Europe/Paris, overlap it) and are in reach of the village (they serve
it, or their home village is within their `max_distance_km`, as the crow flies between the villages'
coordinates). Candidates are ranked:

1. fewer minutes already given recently first (spreading the effort, nobody is worn out);
2. then the larger share of the window they are available for;
3. then the nearer (serving the village counts as 0 km);
4. then the higher skill level (expert, confirmé, débutant);
5. then the volunteer id (a stable order).

Each candidate carries its reasons, in French, as shown to the concierge. When there is none,
`unmatched_reason` says why (nobody with the skill, nobody free then, nobody in reach).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from backbone.clock import PARIS
from backbone.volunteer_bookings import haversine_km

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LEVELS = {"debutant": 1, "confirme": 2, "expert": 3}
LEVEL_LABELS = {"debutant": "débutant", "confirme": "confirmé", "expert": "expert"}

UNMATCHED_REASONS = {
    "no_skill": "Aucun·e bénévole n'a cette compétence.",
    "not_available": "Personne n'est disponible sur ce créneau.",
    "out_of_reach": "Aucun·e bénévole disponible ne dessert ce village ni n'habite assez près.",
}


def _at(day: date, hhmm: str) -> datetime:
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=PARIS)
    hours, minutes = hhmm.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=PARIS)


def available_minutes(slots: list[dict], starts_at: datetime, ends_at: datetime) -> int:
    """Minutes of [starts_at, ends_at) covered by weekly slots ({day, start, end}, local time);
    overlapping slots count once."""
    start, end = starts_at.astimezone(PARIS), ends_at.astimezone(PARIS)
    pieces = []
    day = start.date()
    while day <= end.date():
        weekday = DAYS[day.weekday()]
        for slot in slots:
            if slot["day"] != weekday:
                continue
            lo, hi = max(start, _at(day, slot["start"])), min(end, _at(day, slot["end"]))
            if hi > lo:
                pieces.append((lo, hi))
        day += timedelta(days=1)
    covered, reached = 0.0, None
    for lo, hi in sorted(pieces):  # the union of the pieces
        if reached is not None and lo < reached:
            lo = reached
        if hi > lo:
            covered += (hi - lo).total_seconds() / 60
            reached = hi
    return int(covered)


def _reach(volunteer: dict, village_id: str, coordinates: dict) -> float | None:
    """0 when they serve the village; the distance from their home village when within their
    max distance; None when out of reach (or a village's coordinates are unknown)."""
    if village_id in volunteer["village_ids"]:
        return 0.0
    limit = volunteer.get("max_distance_km")
    here, home = coordinates.get(village_id), coordinates.get(volunteer["home_village_id"])
    if limit is None or here is None or home is None:
        return None
    distance = haversine_km(home, here)
    return distance if distance <= limit else None


def rank_candidates(
    request: dict, volunteers: list[dict], coordinates: dict, recent_minutes: dict
) -> tuple[list[dict], str | None]:
    """`request`: {village_id, skill, starts_at, ends_at}; `volunteers`: the read model's dicts;
    `coordinates`: {village_id: (lat, lon)}; `recent_minutes`: {member_id: minutes given lately}.
    Returns (candidates best first, None) or ([], the code of why nobody matched)."""
    window = max(1, int((request["ends_at"] - request["starts_at"]).total_seconds() // 60))
    with_skill = available = 0
    found = []
    for volunteer in volunteers:
        if not volunteer.get("active", True):
            continue
        level = next(
            (s["level"] for s in volunteer["skills"] if s["skill"] == request["skill"]), None
        )
        if level is None:
            continue
        with_skill += 1
        minutes = available_minutes(
            volunteer["availability"], request["starts_at"], request["ends_at"]
        )
        if minutes <= 0:
            continue
        available += 1
        distance = _reach(volunteer, request["village_id"], coordinates)
        if distance is None:
            continue
        coverage = min(100, round(100 * minutes / window))
        given = int(recent_minutes.get(volunteer["member_id"], 0))
        reasons = [
            f"Compétence {request['skill']} : niveau {LEVEL_LABELS.get(level, level)}.",
            "Disponible sur tout le créneau."
            if coverage >= 100
            else f"Disponible sur {coverage} % du créneau.",
            "Dessert ce village."
            if distance == 0
            else f"Habite à {distance:.1f} km (accepte jusqu'à {volunteer['max_distance_km']} km).",
            "N'a pas encore donné de temps ces dernières semaines."
            if given == 0
            else f"A déjà donné {given} min ces dernières semaines.",
        ]
        found.append(
            {
                "volunteer_id": volunteer["volunteer_id"],
                "member_id": volunteer["member_id"],
                "level": level,
                "coverage_percent": coverage,
                "distance_km": round(distance, 1),
                "serves_village": distance == 0,
                "recent_minutes": given,
                "reasons": reasons,
            }
        )
    found.sort(
        key=lambda c: (
            c["recent_minutes"],
            -c["coverage_percent"],
            c["distance_km"],
            -LEVELS.get(c["level"], 0),
            c["volunteer_id"],
        )
    )
    for rank, candidate in enumerate(found, start=1):
        candidate["rank"] = rank
    if found:
        return found, None
    return (
        [],
        "no_skill" if not with_skill else "not_available" if not available else "out_of_reach",
    )
