"""People end to end over HTTP (issue 3): a concierge registers, finds and imports inhabitants of
their own village, in French; another village's members are out of reach (403); the coordinator
sees counts, not people; an erasure reaches the other services' read models."""

import uuid

import pytest
import requests

from tests.support.network import COORDINATOR
from tests.support.reliability import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def _phone():
    return "06 39 98 " + " ".join(f"{uuid.uuid4().int % 100:02d}" for _ in range(2))


def test_a_concierge_finds_their_inhabitants_and_cannot_read_another_village(stack):
    villages = stack.villages()
    lucie = stack.login("lucie@maillage.test")  # Le Bourg-aux-Chênes
    own, other = villages["bourg-aux-chenes"], villages["saint-aubin-des-pres"]

    found = requests.get(
        stack.url(f"/api/villages/{own}/members"), params={"q": "VERGNE"}, headers=lucie, timeout=10
    )
    assert found.status_code == 200, found.text
    assert [m["display_name"] for m in found.json()] == ["Marcelle Vergne"], (
        "demo inhabitant, any case"
    )
    by_phone = requests.get(
        stack.url(f"/api/villages/{own}/members"),
        params={"q": "+33 1 99 00 10 01"},
        headers=lucie,
        timeout=10,
    ).json()
    assert [m["display_name"] for m in by_phone] == ["Marcelle Vergne"]

    karim = stack.login("karim@maillage.test")  # Saint-Aubin-des-Prés
    theirs = requests.get(
        stack.url(f"/api/villages/{other}/members"), headers=karim, timeout=10
    ).json()
    refused = requests.get(
        stack.url(f"/api/villages/{other}/members/{theirs[0]['id']}"), headers=lucie, timeout=10
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "village_forbidden"
    listed = requests.get(stack.url(f"/api/villages/{other}/members"), headers=lucie, timeout=10)
    assert listed.status_code == 403
    # through her own village's path, another village's member does not exist
    sideways = requests.get(
        stack.url(f"/api/villages/{own}/members/{theirs[0]['id']}"), headers=lucie, timeout=10
    )
    assert sideways.status_code == 404


def test_register_refuses_a_duplicate_and_bad_input_in_french(stack):
    own = stack.villages()["montcalvel"]
    jeanne = stack.login("jeanne@maillage.test")
    url = stack.url(f"/api/villages/{own}/members")
    bad = requests.post(
        url,
        headers=jeanne,
        timeout=10,
        json={"first_name": "Louis", "last_name": "Barrière", "phone": "06 12", "postcode": "191"},
    )
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert fields["phone"] == [
        "Numéro de téléphone invalide (ex. 05 55 12 34 56 ou +33 5 55 12 34 56)."
    ]
    assert fields["postcode"] == ["Un code postal compte 5 chiffres."]

    duplicate = requests.post(
        url,
        headers=jeanne,
        timeout=10,
        json={"first_name": "FERNAND", "last_name": "soulier", "phone": _phone()},
    )
    assert duplicate.status_code == 409, duplicate.text
    error = duplicate.json()["error"]
    assert error["code"] == "duplicate_member" and "Fernand Soulier" in error["message"]
    assert error["details"]["match"] == "same_name"
    confirmed = requests.post(
        url,
        headers=jeanne,
        timeout=10,
        json={
            "first_name": "Fernand",
            "last_name": "Soulier",
            "phone": _phone(),
            "confirm_duplicate": True,
            "joined_on": "2025-09-01",
        },
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["likely_duplicates"][0]["display_name"] == "Fernand Soulier"


def test_a_csv_import_reports_each_bad_row_in_french_and_imports_nothing(stack):
    own = stack.villages()["vialle-sur-lac"]
    paul = stack.login("paul@maillage.test")
    url = stack.url(f"/api/villages/{own}/members/import")
    headers = {**paul, "Content-Type": "text/csv"}
    before = len(
        requests.get(stack.url(f"/api/villages/{own}/members"), headers=paul, timeout=10).json()
    )
    bad = (
        "Nom;Prénom;Téléphone;Profil\n"
        "Lavergne;Odette;01 99 00 41 01;fragile\n"
        "Faurie;Noël;01 99 00 40 01;\n"
        "Combe;Lucien;0612;\n"
    ).encode("cp1252")
    refused = requests.post(url, headers=headers, data=bad, timeout=10)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "import_refused" and error["message"].startswith("Rien n'a été importé")
    assert [(p["row"], p["column"], p["message"]) for p in error["problems"]] == [
        (3, "Téléphone", "Déjà inscrit·e dans ce village : Noël Faurie."),
        (4, "Téléphone", "Numéro de téléphone invalide (ex. 05 55 12 34 56 ou +33 5 55 12 34 56)."),
    ]
    assert (
        len(
            requests.get(stack.url(f"/api/villages/{own}/members"), headers=paul, timeout=10).json()
        )
        == before
    )

    good = f"Nom,Prénom,Téléphone\nLavergne,Odette,{_phone()}\n".encode()
    imported = requests.post(url, headers=headers, data=good, timeout=10)
    assert imported.status_code == 200 and imported.json()["imported"] == 1, imported.text


def test_coordinator_sees_counts_not_people_and_an_erasure_reaches_every_service(stack):
    own = stack.villages()["saint-aubin-des-pres"]
    coordinator = stack.login(COORDINATOR)
    stats = requests.get(stack.url("/api/network/members/stats"), headers=coordinator, timeout=10)
    assert stats.status_code == 200 and stats.json()["by_village"][own] >= 3
    assert "Peyrat" not in stats.text and "+33" not in stats.text
    personal = requests.get(
        stack.url(f"/api/villages/{own}/members"), headers=coordinator, timeout=10
    )
    assert personal.status_code == 403 and personal.json()["error"]["code"] == "role_forbidden"

    karim = stack.login("karim@maillage.test")
    base = stack.url(f"/api/villages/{own}/members")
    member = requests.post(
        base,
        headers=karim,
        timeout=10,
        json={
            "first_name": "Odile",
            "last_name": f"Essai-{uuid.uuid4().hex[:6]}",
            "phone": _phone(),
            "tags": ["fragile"],
            "consents": ["contact", "share_with_network"],
        },
    ).json()

    def shared():
        return [
            m["id"]
            for m in requests.get(
                stack.url("/api/network/members/shared"), headers=coordinator, timeout=10
            ).json()
        ]

    assert member["id"] in shared()
    withdrawn = requests.delete(
        f"{base}/{member['id']}/consents/share_with_network", headers=karim, timeout=10
    )
    assert withdrawn.status_code == 200 and member["id"] not in shared()

    def exported():
        data = requests.get(f"{base}/{member['id']}/export", headers=karim, timeout=10).json()
        return data if data["orders"]["known_member"] and data["events"]["known_member"] else None

    export = wait_until(exported)
    assert (
        export["member"]["phone"]
        and export["events"]["known_member"]["display_name"] == member["display_name"]
    )

    erased = requests.delete(f"{base}/{member['id']}", headers=karim, timeout=10)
    assert erased.status_code == 200, erased.text
    assert requests.get(f"{base}/{member['id']}", headers=karim, timeout=10).status_code == 404
