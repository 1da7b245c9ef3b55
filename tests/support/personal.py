"""Helpers of the tests of the personal pages (/moi) on a whole network (tests/support/network.py):
a member with an e-mail of their own, made a volunteer and proposed a coup de main; asking for a
sign-in link as the page does; reading the link from the trial run's notices file."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import requests

from tests.support.network import wait_until

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def new_member(stack, village_id, headers, **extra) -> tuple[str, str]:
    """(member id, e-mail) of a new member of the village."""
    email = f"moi-{uuid.uuid4().hex[:10]}@example.org"
    response = requests.post(
        stack.url(f"/api/villages/{village_id}/members"),
        headers=headers,
        timeout=10,
        json={
            "first_name": "Navetteuse",
            "last_name": f"Test{uuid.uuid4().hex[:6]}",
            "email": email,
            "preferred_channel": "email",
            "confirm_duplicate": True,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], email


def make_volunteer(stack, headers, member_id, skill="bricolage") -> str:
    response = requests.post(
        stack.url("/api/volunteers"),
        headers=headers,
        timeout=10,
        json={
            "member_id": member_id,
            "skills": [{"skill": skill, "level": "confirme"}],
            "availability": [{"day": d, "start": "08:00", "end": "20:00"} for d in DAYS],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def propose_help(stack, village_id, headers, requester_id, volunteer_id, skill="bricolage"):
    """A coup de main for `requester_id` in a week, assigned to the volunteer once orders knows
    them (volunteer.available); its id."""
    day = datetime.now(UTC).astimezone(PARIS).date() + timedelta(days=7)
    starts = datetime.combine(day, clock(10), PARIS)
    body = {
        "idempotency_key": uuid.uuid4().hex,
        "requester_member_id": requester_id,
        "skill": skill,
        "place": "2 place de l'Église",
        "description": "Monter une étagère",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }

    def asked():
        """Sent again (same key) until orders knows the inhabitant just registered
        (member.registered): refused before, naming requester_member_id."""
        response = requests.post(
            stack.url(f"/api/villages/{village_id}/help-requests"),
            headers=headers,
            timeout=10,
            json=body,
        )
        fields = response.json().get("error", {}).get("fields", {})
        unknown = response.status_code == 400 and "requester_member_id" in fields
        return None if unknown else [response]  # in a list: a 4xx Response is falsy

    (created,) = wait_until(asked, timeout=60)
    assert created.status_code == 201, created.text
    path = f"/api/villages/{village_id}/help-requests/{created.json()['id']}"

    def assigned():
        response = requests.post(
            stack.url(path + "/assign"),
            headers=headers,
            timeout=10,
            json={"volunteer_id": volunteer_id},
        )
        return response.json() if response.status_code == 200 else None

    return wait_until(assigned, timeout=60)["id"]


def ask_link(session: requests.Session, stack, contact: str) -> requests.Response:
    """The request form of /moi sent as a browser sends it (its cookie and token first)."""
    page = session.get(stack.url("/moi"), timeout=10)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    return session.post(stack.url("/moi"), data={"contact": contact, "csrf": token}, timeout=10)


def links_sent(stack, to: str) -> list[str]:
    """The sign-in links sent to `to` (the trial run's notices file), oldest first, as paths."""
    outbox = stack.data_dir / "notices-outbox.jsonl"
    if not outbox.exists():
        return []
    found = []
    for line in outbox.read_text().splitlines():
        entry = json.loads(line)
        match = re.search(r"/moi/lien\?jeton=[\w\-]+", entry.get("text") or "")
        if entry.get("to") == to and match:
            found.append(match.group(0))
    return found


def next_link(stack, to: str, already: int = 0, timeout=30.0) -> str:
    """The link sent to `to` after the `already` first ones."""
    return wait_until(lambda: links_sent(stack, to)[already:], timeout)[0]
