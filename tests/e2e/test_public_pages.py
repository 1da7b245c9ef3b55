"""Issue 25 point 4 end to end on the demo network, as anyone on the internet sees it (no sign-in):
the network's list, each village's page with its hours, its truck's stops, its upcoming animations
and their calendar feed, its catalogue at this village's own prices and the hub's contact; plain
HTML under 50 KB without any script; not one inhabitant's, volunteer's or concierge's name, phone
or e-mail on any of them."""

import re

import pytest
import requests

from maillage.demo import CONCIERGES, INHABITANTS, VILLAGES, VOLUNTEERS

pytestmark = [pytest.mark.stack, pytest.mark.broker]

MAX_BYTES = 50 * 1024


def _page(stack, path, status=200):
    response = requests.get(stack.url(path), timeout=20)  # no session, no token
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert len(response.content) < MAX_BYTES, len(response.content)
    assert "<script" not in response.text.lower()
    return response.text


def test_the_network_list_links_every_demo_village(stack):
    """Every demo village, and nothing but the network's villages (a test sharing this network
    may have opened one more)."""
    text = _page(stack, "/villages")
    linked = set(re.findall(r'href="/village/([a-z0-9-]+)"', text))
    assert {v["slug"] for v in VILLAGES} <= linked
    network = requests.get(
        stack.url("/api/villages"), headers=stack.login("coordination@maillage.test"), timeout=10
    ).json()
    assert linked <= {v["slug"] for v in network}


def test_a_village_page_has_hours_animations_catalogue_and_contact(stack):
    text = _page(stack, "/village/bourg-aux-chenes")
    assert "<h1>Le Bourg-aux-Chênes</h1>" in text
    assert "Ouvert maintenant" in text or "prochaine ouverture" in text
    assert "Mardi</th><td>8 h 30 – 12 h 30, 15 h 30 – 19 h" in text
    assert "Noël : fermé" in text
    assert "Aide numérique : vos démarches en ligne" in text
    # the catalogue at this village's prices: the same yoghurts cost 3,50 € at Saint-Aubin
    assert "Yaourts fermiers (x4)" in text and "3,20\u00a0€ / " in text
    assert "Tomme du plateau" in text and "GAEC des Trois Fontaines" in text
    assert "momentanément indisponible" not in text
    assert (
        requests.get(stack.url("/village/bourg-aux-chenes"), timeout=10).headers["Cache-Control"]
        == "public, max-age=60"
    )
    assert "01 99 00 90 01" in text and "bourg-aux-chenes@conciergeries.example.org" in text
    assert "3,50\u00a0€ / " in _page(stack, "/village/saint-aubin-des-pres")

    feed = re.search(r'href="(/api/villages/[0-9a-f-]+/calendar\.ics)"', text).group(1)
    calendar = requests.get(stack.url(feed), timeout=10)
    assert calendar.status_code == 200 and "BEGIN:VCALENDAR" in calendar.text


def test_the_truck_shows_its_stops_and_the_locker_box_how_to_reach_it(stack):
    truck = _page(stack, "/village/montcalvel")
    for stop in ("Place de l&#39;église", "Hameau de Chadebec", "Place du Foirail"):
        assert stop in truck
    assert "Mardi : 9 h – 11 h" in truck
    lockers = _page(stack, "/village/vialle-sur-lac")
    assert "Passez nous voir" in lockers and "tel:" not in lockers


def test_no_personal_data_on_any_public_page(stack):
    pages = [_page(stack, "/villages")] + [_page(stack, f"/village/{v['slug']}") for v in VILLAGES]
    secrets = []
    for people in INHABITANTS.values():
        for first, last, phone, *_rest in people:
            secrets += [f"{first} {last}", phone, phone.replace(" ", "")]
    for _slug, first, last, phone, *_rest in VOLUNTEERS:
        secrets += [f"{first} {last}", phone, phone.replace(" ", "")]
    for email, name in CONCIERGES.values():
        secrets += [email, name]
    for text in pages:
        for secret in secrets:
            assert secret not in text, secret
        assert "@example.org" not in text.replace("@conciergeries.example.org", "")


def test_an_unknown_village_is_a_page_in_french(stack):
    text = _page(stack, "/village/village-inconnu", status=404)
    assert "Village introuvable" in text
