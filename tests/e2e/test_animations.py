"""Issue 6 end to end over HTTP, on the demo network: an animation full at capacity puts the next
person on the waiting list and promotes them when someone cancels; attendance credits the
volunteers' hours in `members` once (taken twice); a suggestion raised in three villages is a
network signal for the coordinator; bad input in French."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.support.network import get, post, wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"


@pytest.fixture(scope="module")
def villages(stack):
    return {v["slug"]: v["id"] for v in get(stack, "/api/villages", stack.login(COORDINATOR))}


def new_member(stack, village_id, headers) -> str:
    """An inhabitant registered over HTTP, once the events service has heard of them."""
    created = post(
        stack,
        f"/api/villages/{village_id}/members",
        headers,
        {
            "first_name": "Test",
            "last_name": f"Anim{uuid.uuid4().hex[:6]}",
            "phone": f"06 39 98 {uuid.uuid4().int % 90 + 10} {uuid.uuid4().int % 90 + 10}",
            "preferred_channel": "phone",
            "confirm_duplicate": True,
        },
        201,
    )
    return created["id"]


def animation_body(**change):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    body = {
        "kind": "beaute",
        "title": "Après-midi beauté",
        "place": "Salle des fêtes",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 2,
        "roles": [{"role": "accueil", "needed": 1}],
    }
    body.update(change)
    return body


def begun(**change):
    """An animation that began an hour ago: its roll call may be taken."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return animation_body(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat(), **change
    )


def register(stack, path, headers, body):
    """Registration retried while the events service has not yet heard of a new member (400)."""

    def attempt():
        response = requests.post(
            stack.url(path + "/registrations"), headers=headers, json=body, timeout=10
        )
        return response if response.status_code != 400 else None

    response = wait_until(attempt)
    assert response.status_code == 201, response.text
    return response.json()


def test_full_animation_waiting_list_promotion_and_attendance_credited_once(stack, villages):
    lucie = stack.login("lucie@maillage.test")
    bourg = villages["bourg-aux-chenes"]
    people = [new_member(stack, bourg, lucie) for _ in range(3)]
    created = post(stack, f"/api/villages/{bourg}/animations", lucie, begun(), 201)
    assert created["kind_label"] == "Beauté avec vendeuses à domicile"
    path = f"/api/villages/{bourg}/animations/{created['id']}"

    first = register(stack, path, lucie, {"member_id": people[0]})["registration"]
    assert first["status"] == "registered"
    assert (
        register(stack, path, lucie, {"guest_name": "Mme Faure", "guest_phone": "06 39 98 11 22"})[
            "registration"
        ]["status"]
        == "registered"
    )
    waiting = register(stack, path, lucie, {"member_id": people[1]})
    assert waiting["registration"]["status"] == "waiting" and (
        waiting["registered"],
        waiting["waiting"],
    ) == (2, 1)

    twice = requests.post(
        stack.url(path + "/registrations"), headers=lucie, json={"member_id": people[0]}, timeout=10
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_registered"
    assert "déjà inscrite" in twice.json()["error"]["message"]
    below = requests.put(
        stack.url(path + "/capacity"), headers=lucie, json={"capacity": 1}, timeout=10
    )
    assert (
        below.status_code == 409 and below.json()["error"]["code"] == "capacity_below_registrations"
    )

    cancelled = requests.delete(
        stack.url(f"{path}/registrations/{first['id']}"), headers=lucie, timeout=10
    )
    assert cancelled.status_code == 200, cancelled.text
    promoted = {r["member_id"]: r for r in cancelled.json()["registrations"]}[people[1]]
    assert promoted["status"] == "registered" and promoted["promoted_at"]

    # another village's concierge sees nothing of it
    karim = stack.login("karim@maillage.test")
    assert requests.get(stack.url(path), headers=karim, timeout=10).status_code == 403

    # a volunteer (a new one: the stack is shared) holds a role; attendance taken twice credits
    # their hours once
    volunteer = post(stack, "/api/volunteers", lucie, {"member_id": people[2]}, 201)
    filled = post(
        stack, path + "/volunteers", lucie, {"member_id": volunteer["member_id"], "role": "accueil"}
    )
    assert filled["roles"] == [
        {"role": "accueil", "needed": 1, "member_ids": [volunteer["member_id"]]}
    ]
    held = post(
        stack,
        path + "/attendance",
        lucie,
        {
            "people_reached": 14,
            "volunteers": [{"member_id": volunteer["member_id"], "minutes": 135}],
        },
    )
    assert held["status"] == "held"
    again = requests.post(
        stack.url(path + "/attendance"), headers=lucie, json={"people_reached": 14}, timeout=10
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "attendance_already_taken"

    def lines():
        hours = get(stack, f"/api/volunteers/{volunteer['id']}/hours", lucie)
        return [line for line in hours["history"] if line["source_ref"] == created["id"]]

    credited = wait_until(lines)
    time.sleep(1.5)  # give a duplicate every chance to arrive
    assert lines() == credited and len(credited) == 1
    assert credited[0]["minutes"] == 135 and credited[0]["role"] == "accueil"


def test_bad_animation_input_is_a_400_naming_each_field_in_french(stack, villages):
    lucie = stack.login("lucie@maillage.test")
    bourg = villages["bourg-aux-chenes"]
    start = animation_body()["starts_at"]
    response = requests.post(
        stack.url(f"/api/villages/{bourg}/animations"),
        headers=lucie,
        timeout=10,
        json=animation_body(capacity=0, kind="rave", starts_at="2026-12-05T14:00:00"),
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"capacity", "kind", "starts_at"}
    response = requests.post(
        stack.url(f"/api/villages/{bourg}/animations"),
        headers=lucie,
        timeout=10,
        json=animation_body(ends_at=start),
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"ends_at": ["La fin doit être après le début."]}
    response = requests.post(
        stack.url(f"/api/villages/{bourg}/animations"),
        headers=lucie,
        timeout=10,
        json=animation_body(recurrence={"frequency": "weekly"}),
    )  # never ends
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["recurrence"]["until"][0].startswith(
        "Une répétition doit avoir une fin"
    )
    series = post(
        stack,
        f"/api/villages/{bourg}/animations",
        lucie,
        animation_body(recurrence={"frequency": "monthly", "count": 3}),
        201,
    )
    assert len(series["occurrences"]) == 3 and series["series_id"]
    unknown = str(uuid.uuid4())
    response = requests.post(
        stack.url(f"/api/villages/{bourg}/animations"),
        headers=lucie,
        timeout=10,
        json=animation_body(co_organiser_ids=[unknown]),
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["co_organiser_ids"] == [
        f"Partenaire inconnu : {unknown}."
    ]


def test_a_suggestion_raised_in_three_villages_is_a_network_signal(stack, villages):
    coordinator = stack.login(COORDINATOR)
    lucie = stack.login("lucie@maillage.test")
    made = [
        post(
            stack,
            f"/api/villages/{villages[slug]}/suggestions",
            coordinator,
            {"category": "numerique", "text": "De l'aide pour les démarches en ligne"},
            201,
        )
        for slug in ("bourg-aux-chenes", "saint-aubin-des-pres", "montcalvel")
    ]
    bourg = villages["bourg-aux-chenes"]
    path = f"/api/villages/{bourg}/suggestions/{made[0]['id']}"

    jump = requests.put(
        stack.url(path + "/status"), headers=lucie, json={"status": "done"}, timeout=10
    )
    assert jump.status_code == 409
    assert jump.json()["error"]["message"].startswith(
        "Changement d'état refusé : une suggestion « nouvelle »"
    )
    stranger = requests.post(
        stack.url(path + "/supports"),
        headers=lucie,
        json={"member_id": str(uuid.uuid4())},
        timeout=10,
    )
    assert stranger.status_code == 400 and "member_id" in stranger.json()["error"]["fields"]
    answered = requests.put(
        stack.url(path + "/status"), headers=lucie, json={"status": "under_study"}, timeout=10
    )
    assert answered.status_code == 200 and answered.json()["status_label"] == "À l'étude"

    assert (
        requests.get(stack.url("/api/suggestions/overview"), headers=lucie, timeout=10).status_code
        == 403
    )
    overview = get(stack, "/api/suggestions/overview", coordinator)
    signal = {s["category"]: s for s in overview["signals"]}["numerique"]
    assert signal["villages"] >= 3 and {villages["montcalvel"], bourg} <= set(signal["village_ids"])
    assert overview["median_answer_hours"] is not None


def test_the_demo_has_a_calendar_and_suggestions(stack, villages):
    lucie = stack.login("lucie@maillage.test")
    calendar = get(
        stack, f"/api/villages/{villages['bourg-aux-chenes']}/animations?upcoming=1", lucie
    )
    beauty = next(
        a for a in calendar if a["title"] == "Après-midi beauté avec les vendeuses à domicile"
    )
    assert beauty["registered"] == 2 and beauty["co_organiser_ids"]
    overview = get(stack, "/api/suggestions/overview", stack.login(COORDINATOR))
    assert "mobilite" in {s["category"] for s in overview["signals"]}


def test_a_village_calendar_is_public_as_icalendar(stack, villages):
    response = requests.get(
        stack.url(f"/api/villages/{villages['bourg-aux-chenes']}/calendar.ics"), timeout=10
    )
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "text/calendar"
    )
    text = response.text.replace("\r\n ", "")
    assert (
        text.startswith("BEGIN:VCALENDAR")
        and "SUMMARY:Aide numérique : vos démarches en ligne" in text
    )
    assert "Marcelle" not in text and "01 99 00" not in text  # nobody's registration shows
    unknown = requests.get(stack.url(f"/api/villages/{uuid.uuid4()}/calendar.ics"), timeout=10)
    assert unknown.status_code == 404


def test_an_animation_open_to_other_villages(stack, villages):
    """The demo's market in Saint-Aubin is open to Le Bourg and Montcalvel: on their calendars and
    feeds; Le Bourg's concierge registers her inhabitants from her hub but cannot change it."""
    lucie, karim = stack.login("lucie@maillage.test"), stack.login("karim@maillage.test")
    bourg, host = villages["bourg-aux-chenes"], villages["saint-aubin-des-pres"]
    market = next(
        a
        for a in get(stack, f"/api/villages/{bourg}/animations", lucie)
        if a["title"] == "Petit marché des producteurs"
    )
    assert market["village_id"] == host
    assert set(market["invited_village_ids"]) == {bourg, villages["montcalvel"]}
    assert (
        requests.get(
            stack.url(f"/api/villages/{villages['vialle-sur-lac']}/animations/{market['id']}"),
            headers=stack.login("paul@maillage.test"),
            timeout=10,
        ).status_code
        == 404
    )

    person = new_member(stack, bourg, lucie)
    path = f"/api/villages/{bourg}/animations/{market['id']}"
    mine = register(stack, path, lucie, {"member_id": person})["registration"]
    assert mine["village_id"] == bourg and mine["display_name"].startswith("Test Anim")
    seen_by_host = get(stack, f"/api/villages/{host}/animations/{market['id']}", karim)
    theirs = next(r for r in seen_by_host["registrations"] if r["id"] == mine["id"])
    assert (
        theirs["display_name"] is None and theirs["village_id"] == bourg
    )  # not Karim's inhabitant

    refused = requests.put(
        stack.url(path + "/capacity"), headers=lucie, json={"capacity": 80}, timeout=10
    )
    assert (
        refused.status_code == 409
        and refused.json()["error"]["code"] == "animation_hosted_elsewhere"
    )
    assert refused.json()["error"]["message"].startswith("Seul le village qui accueille")
    changed = requests.put(
        stack.url(f"/api/villages/{host}/animations/{market['id']}/capacity"),
        headers=karim,
        json={"capacity": 80},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text

    unknown = str(uuid.uuid4())
    response = requests.post(
        stack.url(f"/api/villages/{host}/animations"),
        headers=karim,
        timeout=10,
        json=animation_body(invited_village_ids=[unknown]),
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "invited_village_ids": [f"Village inconnu : {unknown}."]
    }

    feed = requests.get(
        stack.url(f"/api/villages/{villages['montcalvel']}/calendar.ics"), timeout=10
    )
    assert "SUMMARY:Petit marché des producteurs" in feed.text.replace("\r\n ", "")
    network = requests.get(stack.url("/api/calendar.ics"), timeout=10)  # public: no login
    assert network.status_code == 200 and network.headers["Content-Type"].startswith(
        "text/calendar"
    )
    text = network.text.replace("\r\n ", "")
    assert "SUMMARY:Petit marché des producteurs" in text and "SUMMARY:Après-midi beauté" in text
    assert "Saint-Aubin-des-Prés\\, " in text
    assert "Test" not in text and "06 39 98" not in text


def test_a_cancellation_tells_members_and_lists_guests_to_call(stack, villages):
    lucie = stack.login("lucie@maillage.test")
    bourg = villages["bourg-aux-chenes"]
    person = new_member(stack, bourg, lucie)  # no consent to be contacted: the concierge calls
    created = post(
        stack,
        f"/api/villages/{bourg}/animations",
        lucie,
        animation_body(title="Atelier annulé"),
        201,
    )
    path = f"/api/villages/{bourg}/animations/{created['id']}"
    register(stack, path, lucie, {"member_id": person})
    guest = register(
        stack, path, lucie, {"guest_name": "M. Invité", "guest_phone": "06 39 98 77 66"}
    )["registration"]

    cancelled = post(stack, path + "/cancel", lucie, {"reason": "Salle indisponible"})
    assert cancelled["status"] == "cancelled"
    assert [(g["guest_name"], g["guest_phone"]) for g in cancelled["guests_to_call"]] == [
        ("M. Invité", "06 39 98 77 66")
    ]
    assert [g["registration_id"] for g in get(stack, path + "/guests-to-call", lucie)] == [
        guest["id"]
    ]

    def notice():
        rows = get(stack, f"/api/villages/{bourg}/notices?status=to_send", lucie)
        return next((n for n in rows if n["source_ref"] == created["id"]), None)

    told = wait_until(notice)
    assert told["member_id"] == person and told["channel"] == "call" and told["phone"]
    assert "« Atelier annulé »" in told["message"] and "Salle indisponible" in told["message"]
    done = post(stack, f"/api/villages/{bourg}/notices/{told['id']}/done", lucie, {})
    assert done["status"] == "done"
    again = requests.post(
        stack.url(f"/api/villages/{bourg}/notices/{told['id']}/done"), headers=lucie, timeout=10
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "notice_already_done"
    karim = stack.login("karim@maillage.test")
    assert (
        requests.get(
            stack.url(f"/api/villages/{bourg}/notices"), headers=karim, timeout=10
        ).status_code
        == 403
    )
    coordinator = stack.login(COORDINATOR)  # aggregates, not people's phones and e-mails
    refused = requests.get(
        stack.url(f"/api/villages/{bourg}/notices"), headers=coordinator, timeout=10
    )
    assert (
        refused.status_code == 403
        and "06 39" not in refused.text
        and told["phone"] not in refused.text
    )
    assert (
        requests.post(
            stack.url(f"/api/villages/{bourg}/notices/{told['id']}/done"),
            headers=coordinator,
            timeout=10,
        ).status_code
        == 403
    )

    # the guest asks to be forgotten: once
    erased = requests.delete(
        stack.url(f"{path}/registrations/{guest['id']}/guest"), headers=lucie, timeout=10
    )
    assert erased.status_code == 200, erased.text
    twice = requests.delete(
        stack.url(f"{path}/registrations/{guest['id']}/guest"), headers=lucie, timeout=10
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "guest_already_erased"
    assert get(stack, path + "/guests-to-call", lucie) == []


def test_attendance_counts_people_reached_and_a_suggestion_names_its_answer(stack, villages):
    lucie = stack.login("lucie@maillage.test")
    bourg = villages["bourg-aux-chenes"]
    person = new_member(stack, bourg, lucie)
    early = post(stack, f"/api/villages/{bourg}/animations", lucie, animation_body(capacity=5), 201)
    refused = requests.post(
        stack.url(f"/api/villages/{bourg}/animations/{early['id']}/attendance"),
        headers=lucie,
        json={"people_reached": 3},
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["present"][0].startswith(
        "Présents : l'appel se fait à partir du début"
    )
    created = post(stack, f"/api/villages/{bourg}/animations", lucie, begun(capacity=5), 201)
    path = f"/api/villages/{bourg}/animations/{created['id']}"
    came = register(stack, path, lucie, {"member_id": person})["registration"]
    guest = register(
        stack, path, lucie, {"guest_name": "Mme Passante", "guest_phone": "06 39 98 55 44"}
    )
    held = post(
        stack,
        path + "/attendance",
        lucie,
        {"present": [came["id"], guest["registration"]["id"]], "walk_ins": 1},
    )
    assert (held["people_reached"], held["guests"]) == (3, 2)

    suggestion = post(
        stack,
        f"/api/villages/{bourg}/suggestions",
        lucie,
        {"category": "animation", "text": "Des ateliers pour se retrouver"},
        201,
    )
    spath = f"/api/villages/{bourg}/suggestions/{suggestion['id']}/status"
    assert (
        requests.put(
            stack.url(spath), headers=lucie, json={"status": "under_study"}, timeout=10
        ).status_code
        == 200
    )
    nothing = str(uuid.uuid4())
    response = requests.put(
        stack.url(spath),
        headers=lucie,
        timeout=10,
        json={"status": "planned", "answered_by": {"kind": "animation", "id": nothing}},
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "answered_by": {"id": [f"Animation inconnue : {nothing}."]}
    }
    planned = requests.put(
        stack.url(spath),
        headers=lucie,
        timeout=10,
        json={"status": "planned", "answered_by": {"kind": "animation", "id": created["id"]}},
    )
    assert planned.status_code == 200 and planned.json()["answered_by"] == {
        "kind": "animation",
        "id": created["id"],
    }
