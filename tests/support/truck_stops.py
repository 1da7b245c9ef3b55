"""A round through an itinerant village names the truck's stop there (one of its « Horaires et
lieux »): the first of them, read through the API as a coordinator or its concierge reads it."""

import requests


def truck_stop(stack, headers, village_id, arrives_at="10:30", duration_minutes=45) -> dict:
    """The `truck_stops` row of a round body for `village_id`'s first stop."""
    answer = requests.get(
        stack.url(f"/api/villages/{village_id}/opening-hours"), headers=headers, timeout=15
    )
    assert answer.status_code == 200, answer.text
    [first, *_] = answer.json()["stops"]
    return {
        "village_id": village_id,
        "place_id": first["id"],
        "arrives_at": arrives_at,
        "duration_minutes": duration_minutes,
        "name": first["name"],  # for the test's own checks: dropped before it is sent
    }


def sent(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "name"}
