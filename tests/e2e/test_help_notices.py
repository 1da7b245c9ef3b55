"""Issue 25 end to end over HTTP, on the demo network and its real broker: a volunteer assigned to a
coup de main by the API is told (`help_request.assigned` → members → an e-mail, written to the trial
run's file here) with the link of their personal space to accept or decline; once they accepted,
the person helped is told who comes."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support import network
from tests.support.network import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

PARIS = ZoneInfo("Europe/Paris")
EVERYDAY = [
    {"day": d, "start": "08:00", "end": "20:00"}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]


def call(stack, method, path, headers, body=None, expected=(200, 201)):
    return network.call(stack, method, path, headers, body, expected)


def someone(stack, village, headers, first_name):
    address = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    member = call(
        stack,
        "POST",
        f"/api/villages/{village}/members",
        headers,
        {
            "first_name": first_name,
            "last_name": f"Coup{uuid.uuid4().hex[:6]}",
            "email": address,
            "preferred_channel": "email",
            "consents": ["contact"],
            "confirm_duplicate": True,
        },
    )["id"]
    return member, address


def mails_to(stack, address):
    path = stack.data_dir / "notices-outbox.jsonl"
    rows = path.read_text().splitlines() if path.exists() else []
    return [entry for entry in map(json.loads, rows) if entry["to"] == address]


def test_the_volunteer_assigned_is_asked_and_the_requester_told_who_comes(stack):
    paul = stack.login("paul@maillage.test")
    vialle = next(
        v["id"] for v in call(stack, "GET", "/api/villages", paul) if v["slug"] == "vialle-sur-lac"
    )
    helper, helper_address = someone(stack, vialle, paul, "Odile")
    volunteer = call(
        stack,
        "POST",
        "/api/volunteers",
        paul,
        {
            "member_id": helper,
            "skills": [{"skill": "lavage_vitres", "level": "expert"}],
            "availability": EVERYDAY,
            "max_distance_km": 5,
            "has_licence": False,
        },
    )
    requester, requester_address = someone(stack, vialle, paul, "Albert")
    start = (datetime.now(UTC).astimezone(PARIS) + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    body = {
        "requester_member_id": requester,
        "skill": "lavage_vitres",
        "place": "Route du Lac",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }

    def create():  # orders learns of the new members through the broker
        response = requests.post(
            stack.url(f"/api/villages/{vialle}/help-requests"), headers=paul, json=body, timeout=10
        )
        return response.json() if response.status_code == 201 else None

    created = wait_until(create, timeout=60)
    path = f"/api/villages/{vialle}/help-requests/{created['id']}"
    wait_until(
        lambda: any(
            c["volunteer_id"] == volunteer["id"]
            for c in call(stack, "GET", path, paul)["candidates"]
        ),
        timeout=60,
    )
    call(stack, "POST", path + "/assign", paul, {"volunteer_id": volunteer["id"]})

    [asked] = wait_until(lambda: mails_to(stack, helper_address), timeout=60)
    assert asked["subject"].startswith("Un coup de main vous est demandé")
    assert "/moi/coups-de-main" in asked["text"]
    assert f"{start:%d/%m} de 10h00 à 12h00" in asked["text"]

    call(stack, "POST", path + "/accept", paul, {})
    [told] = wait_until(lambda: mails_to(stack, requester_address), timeout=60)
    assert "Odile viendra" in told["text"]
    time.sleep(1.0)  # a second notice would have had the time to come
    assert (
        len(mails_to(stack, helper_address)) == 1 and len(mails_to(stack, requester_address)) == 1
    )
