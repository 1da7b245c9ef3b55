"""Issue 3's volunteers end to end over HTTP, on the demo network: who sees which volunteer, bad
input in French, the time bank credited once from a twice-delivered event, the skills map."""

import time
import uuid
from datetime import UTC, datetime

import pytest
import requests

from backbone.contracts import build_envelope
from backbone.dead_letters import DeadLetterQueue
from tests.support.network import wait_until
from tests.support.reliability import Broker

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"


def get(stack, path, headers):
    response = requests.get(stack.url(path), headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def villages(stack):
    return {v["slug"]: v["id"] for v in get(stack, "/api/villages", stack.login(COORDINATOR))}


def by_name(volunteers):
    return {f"{v['first_name']} {v['last_name']}": v for v in volunteers}


def test_each_sees_the_volunteers_they_should(stack, villages):
    coordinator = stack.login(COORDINATOR)
    skills = {s["code"]: s for s in get(stack, "/api/skills", coordinator)}
    assert skills["lavage_vitres"]["label"] == "Lavage de vitres" and "debarras_meubles" in skills

    network = by_name(get(stack, "/api/volunteers", coordinator))
    bernard = network["Bernard Couderc"]
    assert len(bernard["village_ids"]) == 3, "one person serving three villages"
    assert "Élodie Mazière" not in network, "not opted in: not shown to the coordinator"
    assert "phone" not in bernard

    karim = stack.login("karim@maillage.test")  # Saint-Aubin-des-Prés
    seen = by_name(get(stack, "/api/volunteers", karim))
    assert {"Bernard Couderc", "Thierry Lachaud", "Inès Bourdarias"} <= set(seen)
    assert "Sandrine Rebière" not in seen and "Élodie Mazière" not in seen
    gardeners = by_name(get(stack, "/api/volunteers?skill=jardinage", karim))
    assert set(gardeners) == {"Thierry Lachaud"}

    # Karim sees Bernard (who serves his village) but only Lucie (Bernard's home) manages him
    refused = requests.patch(
        stack.url(f"/api/volunteers/{bernard['id']}"),
        headers=karim,
        timeout=10,
        json={"has_vehicle": False},
    )
    assert refused.status_code == 404
    lucie = stack.login("lucie@maillage.test")
    before = [{k: slot[k] for k in ("day", "start", "end")} for slot in bernard["availability"]]
    try:
        changed = requests.patch(
            stack.url(f"/api/volunteers/{bernard['id']}"),
            headers=lucie,
            timeout=10,
            json={"availability": [{"day": "friday", "start": "09:00", "end": "12:00"}]},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["availability"][0]["day_label"] == "vendredi"
    finally:  # the stack is shared: the demo's help request is matched on Bernard's own hours
        restored = requests.patch(
            stack.url(f"/api/volunteers/{bernard['id']}"),
            headers=lucie,
            timeout=10,
            json={"availability": before},
        )
        assert restored.status_code == 200, restored.text
    sandrine = by_name(get(stack, "/api/volunteers", coordinator))["Sandrine Rebière"]
    assert (
        requests.get(
            stack.url(f"/api/volunteers/{sandrine['id']}"), headers=lucie, timeout=10
        ).status_code
        == 404
    )


def test_volunteer_profiles_reach_orders_and_none_is_a_dead_letter(stack):
    """`volunteer.available` has a subscriber (orders' read model, for matching help requests)."""
    letters = [
        letter
        for letter in DeadLetterQueue(stack.amqp_uri).list()
        if letter.event_type == "volunteer.available"
    ]
    assert letters == []


def test_bad_volunteer_input_is_a_400_naming_each_field_in_french(stack, villages):
    lucie = stack.login("lucie@maillage.test")
    member = requests.post(
        stack.url(f"/api/villages/{villages['bourg-aux-chenes']}/members"),
        headers=lucie,
        timeout=10,
        json={
            "first_name": "Gaston",
            "last_name": f"Test{uuid.uuid4().hex[:6]}",
            "phone": "06 39 98 10 77",
            "preferred_channel": "phone",
            "confirm_duplicate": True,
        },
    )
    assert member.status_code == 201, member.text
    member_id = member.json()["id"]

    def post(**change):
        return requests.post(
            stack.url("/api/volunteers"),
            headers=lucie,
            timeout=10,
            json={"member_id": member_id, **change},
        )

    response = post(skills=[{"skill": "astrologie", "level": "expert"}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["skills"]["0"]["skill"] == [
        "Compétence inconnue : astrologie (voir la liste des compétences du réseau)."
    ]
    assert error["fields_en"]["skills"]["0"]["skill"] == ["Unknown skill: astrologie."]

    response = post(
        availability=[
            {"day": "monday", "start": "09:00", "end": "12:00"},
            {"day": "monday", "start": "10:00", "end": "11:00"},
        ]
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["availability"]["1"]["start"] == [
        "Chevauche le créneau 09:00–12:00 du même jour."
    ]

    response = post(availability=[{"day": "monday", "start": "12:00", "end": "09:00"}])
    assert response.json()["error"]["fields"]["availability"]["0"]["end"] == [
        "La fin doit être après le début."
    ]

    unknown = str(uuid.uuid4())
    response = post(village_ids=[unknown])
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["village_ids"]["0"] == [
        f"Village inconnu : {unknown}."
    ]

    created = post(skills=[{"skill": "tonte", "level": "debutant"}])
    assert created.status_code == 201, created.text
    again = post()
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_volunteer"


def test_a_help_request_delivered_twice_is_credited_once_and_the_skills_map_shows_what_is_missing(
    stack, villages
):
    coordinator = stack.login(COORDINATOR)
    bourg = villages["bourg-aux-chenes"]
    bernard = by_name(get(stack, "/api/volunteers", coordinator))["Bernard Couderc"]
    broker = Broker(stack.amqp_uri)
    try:
        done = build_envelope(
            "help_request.completed",
            {
                "help_request_id": str(uuid.uuid4()),
                "village_id": bourg,
                "member_id": bernard["member_id"],
                "skill": "debarras_meubles",
                "minutes": 150,
                "completed_at": datetime.now(UTC),
            },
            village_id=bourg,
            source="orders",
        )
        broker.publish_envelope(done)
        broker.publish_envelope(done)
        request_id = str(uuid.uuid4())
        for type_, extra in (
            ("help_request.requested", {"requested_at": datetime.now(UTC)}),
            ("help_request.unmatched", {"reason": "personne ne coud au Bourg"}),
        ):
            broker.publish_envelope(
                build_envelope(
                    type_,
                    {
                        "help_request_id": request_id,
                        "village_id": bourg,
                        "skill": "couture",
                        **extra,
                    },
                    village_id=bourg,
                    source="orders",
                )
            )
    finally:
        broker.close()

    hours = wait_until(
        lambda: (
            (h := get(stack, f"/api/volunteers/{bernard['id']}/hours", coordinator))["history"]
            and h
        ),
        timeout=20,
    )
    time.sleep(1.0)  # give the duplicate every chance to be (wrongly) credited
    hours = get(stack, f"/api/volunteers/{bernard['id']}/hours", coordinator)
    assert hours["minutes"] == 150 and hours["hours"] == 2.5 and len(hours["history"]) == 1
    totals = get(stack, "/api/time-bank", coordinator)
    assert any(
        t["village_id"] == bourg and t["month"] is None and t["minutes"] >= 150 for t in totals
    )
    lucie = stack.login("lucie@maillage.test")
    assert {t["village_id"] for t in get(stack, "/api/time-bank", lucie)} <= {bourg}

    network = wait_until(
        lambda: (
            (m := get(stack, "/api/skills-map", coordinator))
            and any("couture" in v["missing"] for v in m["villages"])
            and m
        ),
        timeout=20,
    )
    per_village = {v["village_id"]: v for v in network["villages"]}
    assert "couture" in per_village[bourg]["missing"], "Josette sews, but in Montcalvel only"
    assert "couture" not in network["missing"], (
        "the network has the skill, out of the Bourg's reach"
    )
    assert {line["skill"]: line for line in network["skills"]}["couture"]["status"] == "short"

    own = get(stack, f"/api/villages/{bourg}/skills-map", lucie)
    assert own["missing"] == ["couture"] and own["village_name"] == "Le Bourg-aux-Chênes"
    other = requests.get(
        stack.url(f"/api/villages/{villages['montcalvel']}/skills-map"), headers=lucie, timeout=10
    )
    assert other.status_code == 403
    assert requests.get(stack.url("/api/skills-map"), headers=lucie, timeout=10).status_code == 403
