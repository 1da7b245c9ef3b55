"""Places end to end over HTTP: the demo villages' details and hours, a truck's stops, "open now /
next opening", bad input in French and English, a concierge kept to their own village, and the
status lifecycle refusing a transition from the wrong state."""

import uuid

import pytest
import requests

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"


def _villages(stack, headers):
    return {
        v["slug"]: v
        for v in requests.get(stack.url("/api/villages"), headers=headers, timeout=10).json()
    }


def test_demo_villages_have_places_hours_and_the_truck_its_stops(stack):
    coordinator = stack.login(COORDINATOR)
    villages = _villages(stack, coordinator)
    bourg = villages["bourg-aux-chenes"]
    assert bourg["address"]["street"] and bourg["coordinates"]["latitude"] > 45
    assert {"code": "grocery", "label": "Épicerie"} in bourg["services"]

    hours = requests.get(
        stack.url(f"/api/villages/{bourg['id']}/opening-hours"), headers=coordinator, timeout=10
    )
    assert hours.status_code == 200, hours.text
    body = hours.json()
    assert body["timezone"] == "Europe/Paris" and not any(
        s["day"] == "monday" for s in body["weekly"]
    )
    assert [e["label"] for e in body["exceptions"]] == ["Noël : fermé"]

    truck = villages["montcalvel"]
    stops = requests.get(
        stack.url(f"/api/villages/{truck['id']}/stops"), headers=coordinator, timeout=10
    ).json()
    assert len(stops) == 3 and all(stop["weekly"] for stop in stops)
    # a Tuesday at 10:00 in 2025: at the church square, next at the hamlet
    status = requests.get(
        stack.url(f"/api/villages/{truck['id']}/opening-status"),
        headers=coordinator,
        params={"at": "2025-06-03T10:00:00+02:00"},
        timeout=10,
    )
    assert status.status_code == 200, status.text
    by_name = {s["name"]: s for s in status.json()["stops"]}
    assert (
        by_name["Place de l'église"]["open"]
        and by_name["Place de l'église"]["until"] == "2025-06-03T11:00:00+02:00"
    )
    assert by_name["Hameau de Chadebec"]["next_opening"] == "2025-06-03T11:30:00+02:00"
    now = requests.get(
        stack.url(f"/api/villages/{bourg['id']}/opening-status"), headers=coordinator, timeout=10
    )
    assert now.status_code == 200 and (now.json()["open"] or now.json()["next_opening"])


def test_bad_opening_hours_are_a_400_naming_each_field_in_french_and_english(stack):
    lucie = stack.login("lucie@maillage.test")
    village_id = _villages(stack, lucie)["bourg-aux-chenes"]["id"]
    response = requests.put(
        stack.url(f"/api/villages/{village_id}/opening-hours"),
        headers=lucie,
        timeout=10,
        json={
            "weekly": [
                {"day": "monday", "opens": "09:00", "closes": "12:00"},
                {"day": "monday", "opens": "11:00", "closes": "13:00"},
                {"day": "lundi", "opens": "9h", "closes": "08:00"},
            ],
            "exceptions": [{"start": "2025-06-10", "end": "2025-06-01"}],
        },
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == set(error["fields_en"]) == {"weekly", "exceptions"}
    bad_slot = error["fields"]["weekly"]["2"]
    assert bad_slot["day"] == [
        "Valeur attendue parmi : monday, tuesday, wednesday, thursday, friday, saturday, sunday."
    ]
    assert bad_slot["opens"] == ["Une heure s'écrit HH:MM (ex. 09:30)."]
    assert error["fields_en"]["weekly"]["2"]["opens"] == ["A time is written HH:MM (e.g. 09:30)."]
    assert error["fields"]["exceptions"]["0"]["end"] == [
        "La date de fin ne peut pas précéder la date de début."
    ]

    overlap = requests.put(
        stack.url(f"/api/villages/{village_id}/opening-hours"),
        headers=lucie,
        timeout=10,
        json={
            "weekly": [
                {"day": "monday", "opens": "09:00", "closes": "12:00"},
                {"day": "monday", "opens": "11:00", "closes": "13:00"},
            ]
        },
    )
    assert overlap.status_code == 400
    assert overlap.json()["error"]["fields"]["weekly"] == [
        "Des créneaux se chevauchent le lundi : 09:00-12:00 et 11:00-13:00."
    ]
    assert overlap.json()["error"]["fields_en"]["weekly"] == [
        "Slots overlap on monday: 09:00-12:00 and 11:00-13:00."
    ]

    coordinator = stack.login(COORDINATOR)
    patch = requests.patch(
        stack.url(f"/api/villages/{village_id}"),
        headers=coordinator,
        timeout=10,
        json={"coordinates": {"latitude": 123, "longitude": "east"}, "services": ["spa"]},
    )
    assert patch.status_code == 400
    fields = patch.json()["error"]["fields"]
    assert fields["coordinates"] == {
        "latitude": ["Doit être compris entre -90 et 90."],
        "longitude": ["Nombre attendu."],
    }
    assert list(fields["services"]) == ["0"]
    assert fields["services"]["0"][0].startswith("Valeur attendue parmi : grocery")


def test_a_concierge_edits_the_hours_of_their_own_village_only(stack):
    lucie = stack.login("lucie@maillage.test")
    coordinator = stack.login(COORDINATOR)
    villages = _villages(stack, coordinator)
    own, other = villages["bourg-aux-chenes"]["id"], villages["saint-aubin-des-pres"]["id"]
    closure = {"start": "2031-07-14", "label": "Fête nationale"}

    refused = requests.post(
        stack.url(f"/api/villages/{other}/opening-hours/exceptions"),
        headers=lucie,
        json=closure,
        timeout=10,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "village_forbidden"
    refused = requests.put(
        stack.url(f"/api/villages/{other}/opening-hours"),
        headers=lucie,
        json={"weekly": []},
        timeout=10,
    )
    assert refused.status_code == 403
    assert (
        requests.get(
            stack.url(f"/api/villages/{other}/opening-status"), headers=lucie, timeout=10
        ).status_code
        == 403
    )

    added = requests.post(
        stack.url(f"/api/villages/{own}/opening-hours/exceptions"),
        headers=lucie,
        json=closure,
        timeout=10,
    )
    assert added.status_code == 201, added.text
    assert added.json()["end"] == "2031-07-14" and added.json()["closed"] is True
    removed = requests.delete(
        stack.url(f"/api/villages/{own}/opening-hours/exceptions/{added.json()['id']}"),
        headers=lucie,
        timeout=10,
    )
    assert removed.status_code == 204
    # the details of a village and its status are the coordinator's
    assert (
        requests.patch(
            stack.url(f"/api/villages/{own}"), headers=lucie, json={"population": 1}, timeout=10
        ).status_code
        == 403
    )
    assert (
        requests.post(
            stack.url(f"/api/villages/{own}/status"),
            headers=lucie,
            json={"status": "paused"},
            timeout=10,
        ).status_code
        == 403
    )


def test_a_status_transition_from_the_wrong_state_is_a_409_naming_both_states(stack):
    coordinator = stack.login(COORDINATOR)
    slug = f"projet-{uuid.uuid4().hex[:6]}"
    created = requests.post(
        stack.url("/api/villages"),
        headers=coordinator,
        timeout=10,
        json={
            "slug": slug,
            "name": "Projet de conciergerie",
            "commune": "Lacelle",
            "insee_code": "19104",
            "postcode": "19170",
            "kind": "fixed",
            "status": "preparing",
        },
    )
    assert created.status_code == 201, created.text
    village_id = created.json()["id"]
    assert created.json()["status"] == "preparing"

    wrong = requests.post(
        stack.url(f"/api/villages/{village_id}/status"),
        headers=coordinator,
        timeout=10,
        json={"status": "paused"},
    )
    assert wrong.status_code == 409, wrong.text
    error = wrong.json()["error"]
    assert error["code"] == "village_status_transition"
    assert "« en préparation »" in error["message"] and "« en pause »" in error["message"]
    assert "preparing" in error["message_en"] and "paused" in error["message_en"]
    assert error["details"] == {
        "current": "preparing",
        "requested": "paused",
        "allowed": ["open", "closed"],
    }

    for status in ("open", "paused", "closed"):
        changed = requests.post(
            stack.url(f"/api/villages/{village_id}/status"),
            headers=coordinator,
            timeout=10,
            json={"status": status, "reason": "essai"},
        )
        assert changed.status_code == 200 and changed.json()["status"] == status
    final = requests.post(
        stack.url(f"/api/villages/{village_id}/status"),
        headers=coordinator,
        timeout=10,
        json={"status": "open"},
    )
    assert final.status_code == 409 and "(possible : aucun)" in final.json()["error"]["message"]
    bad = requests.post(
        stack.url(f"/api/villages/{village_id}/status"),
        headers=coordinator,
        timeout=10,
        json={"status": "asleep"},
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields_en"]) == {"status"}


def test_stops_belong_to_trucks(stack):
    coordinator = stack.login(COORDINATOR)
    villages = _villages(stack, coordinator)
    refused = requests.post(
        stack.url(f"/api/villages/{villages['vialle-sur-lac']['id']}/stops"),
        headers=coordinator,
        json={"name": "Place", "commune": "Vialle-sur-Lac"},
        timeout=10,
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "village_not_itinerant"
    jeanne = stack.login("jeanne@maillage.test")
    truck = villages["montcalvel"]["id"]
    added = requests.post(
        stack.url(f"/api/villages/{truck}/stops"),
        headers=jeanne,
        timeout=10,
        json={
            "name": "Salle polyvalente",
            "commune": "Montcalvel",
            "position": 9,
            "weekly": [{"day": "thursday", "opens": "16:00", "closes": "17:00"}],
        },
    )
    assert added.status_code == 201, added.text
    assert (
        requests.delete(
            stack.url(f"/api/villages/{truck}/stops/{added.json()['id']}"),
            headers=jeanne,
            timeout=10,
        ).status_code
        == 204
    )
    assert (
        requests.delete(
            stack.url(f"/api/villages/{truck}/stops/{added.json()['id']}"),
            headers=jeanne,
            timeout=10,
        ).status_code
        == 404
    )
