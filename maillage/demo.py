"""Demo data drawn from the source document: four villages of 500–1,000 inhabitants without shops
(one served by a multiservice truck, one by a locker box), their concierges, the coordinator, and
partners (a shared producer, La Poste, a commune as a client, an association).

Village names are fictional; INSEE codes and postcodes only have the right shape. Loaded through
the services' RPC, so every rule and every event applies; running it twice changes nothing.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from backbone.errors import Conflict

log = logging.getLogger("maillage.demo")

PARIS = ZoneInfo("Europe/Paris")
DEMO_PASSWORD = "maillage-demo"  # demo accounts only; printed by `maillage run`

VILLAGES = [
    {"slug": "bourg-aux-chenes", "name": "Le Bourg-aux-Chênes", "commune": "Le Bourg-aux-Chênes",
     "insee_code": "19164", "postcode": "19290", "kind": "fixed", "population": 820},
    {"slug": "saint-aubin-des-pres", "name": "Saint-Aubin-des-Prés", "commune": "Saint-Aubin-des-Prés",
     "insee_code": "23181", "postcode": "23460", "kind": "fixed", "population": 640},
    {"slug": "montcalvel", "name": "Montcalvel (camion multiservice)", "commune": "Montcalvel",
     "insee_code": "19142", "postcode": "19170", "kind": "itinerant", "population": 540},
    {"slug": "vialle-sur-lac", "name": "Vialle-sur-Lac (casiers)", "commune": "Vialle-sur-Lac",
     "insee_code": "23265", "postcode": "23340", "kind": "locker", "population": 910},
]

COORDINATOR = {"email": "coordination@maillage.test", "full_name": "Camille Coordination",
               "role": "coordinator"}
CONCIERGES = {
    "bourg-aux-chenes": ("lucie@maillage.test", "Lucie Martin"),
    "saint-aubin-des-pres": ("karim@maillage.test", "Karim Benali"),
    "montcalvel": ("jeanne@maillage.test", "Jeanne Roux"),
    "vialle-sur-lac": ("paul@maillage.test", "Paul Delmas"),
}

# Inhabitants: phone numbers in the ranges ARCEP reserves for fiction (01 99 00 xx xx landlines,
# 06 39 98 xx xx mobiles), so no real person is ever called from the demo.
INHABITANTS = {
    "bourg-aux-chenes": [
        ("Marcelle", "Vergne", "01 99 00 10 01", ["fragile", "living_alone", "no_car"], "phone",
         ["contact"]),
        ("Raymond", "Chassagne", "01 99 00 10 02", ["reduced_mobility", "senior"], "phone",
         ["contact", "share_with_network"]),
        ("Élodie", "Mazière", "06 39 98 10 03", ["commuter", "family"], "sms", ["contact", "photos"]),
    ],
    "saint-aubin-des-pres": [
        ("Germaine", "Peyrat", "01 99 00 20 01", ["fragile", "hearing_impaired"], "counter", ["contact"]),
        ("Thierry", "Lachaud", "06 39 98 20 02", ["commuter"], "sms", ["contact", "share_with_network"]),
        ("Inès", "Bourdarias", "06 39 98 20 03", ["family"], "email", ["contact", "photos"]),
    ],
    "montcalvel": [
        ("Fernand", "Soulier", "01 99 00 30 01", ["reduced_mobility", "living_alone", "no_car"], "phone",
         ["contact"]),
        ("Yvette", "Chabrat", "01 99 00 30 02", ["fragile", "senior"], "counter", []),
    ],
    "vialle-sur-lac": [
        ("Noël", "Faurie", "01 99 00 40 01", ["senior", "no_car"], "phone", ["contact"]),
        ("Sandrine", "Rebière", "06 39 98 40 02", ["commuter", "family"], "sms",
         ["contact", "share_with_network", "photos"]),
    ],
}


def _register_inhabitants(rpc, village_ids: dict) -> None:
    for slug, people in INHABITANTS.items():
        for first, last, phone, tags, channel, consents in people:
            data = {"village_id": village_ids[slug], "first_name": first, "last_name": last, "phone": phone,
                    "tags": tags, "preferred_channel": channel, "consents": consents, "fee_cents": 1000}
            if channel == "email":
                data["email"] = f"{first.lower().replace('è', 'e')}.{last.lower()}@example.org"
            try:
                rpc.members.register_member(data)
            except Conflict:
                pass  # already registered (same phone): the demo is idempotent


# Volunteers (bénévoles): some of the inhabitants above, and two more who register here. Bernard
# serves three villages and stays one person. (slug, first, last, phone, villages served besides
# home, skills, weekly slots, km accepted, licence, vehicle, visible network-wide)
VOLUNTEERS = [
    ("bourg-aux-chenes", "Bernard", "Couderc", "06 39 98 10 04", ["saint-aubin-des-pres", "montcalvel"],
     [("bricolage", "expert"), ("debarras_meubles", "confirme"), ("chauffeur", "confirme")],
     [("monday", "09:00", "12:00"), ("wednesday", "14:00", "18:00"), ("saturday", "09:00", "12:00")],
     25, True, True, True),
    ("bourg-aux-chenes", "Élodie", "Mazière", "06 39 98 10 03", [],
     [("aide_numerique", "expert")], [("saturday", "10:00", "12:00")], 5, True, False, False),
    ("saint-aubin-des-pres", "Thierry", "Lachaud", "06 39 98 20 02", ["vialle-sur-lac"],
     [("jardinage", "confirme"), ("tonte", "confirme"), ("taille_haies", "debutant")],
     [("sunday", "09:00", "12:00"), ("wednesday", "18:00", "20:00")], 15, True, True, True),
    ("saint-aubin-des-pres", "Inès", "Bourdarias", "06 39 98 20 03", [],
     [("cuisine", "expert"), ("animation_atelier", "confirme")], [("wednesday", "14:00", "17:00")],
     None, False, False, False),
    ("montcalvel", "Josette", "Lavaud", "06 39 98 30 03", [],
     [("couture", "expert"), ("visite_convivialite", "confirme")],
     [("tuesday", "14:00", "17:00"), ("thursday", "14:00", "17:00")], 3, False, False, True),
    ("vialle-sur-lac", "Sandrine", "Rebière", "06 39 98 40 02", [],
     [("lavage_vitres", "confirme"), ("menage", "debutant"), ("aide_numerique", "confirme")],
     [("tuesday", "18:00", "20:00"), ("saturday", "14:00", "17:00")], 10, True, True, True),
]


def _register_volunteers(rpc, village_ids: dict) -> None:
    for (slug, first, last, phone, served, skills, slots, km, licence, vehicle,
         network) in VOLUNTEERS:
        found = rpc.members.search_members(village_ids[slug], {"q": phone})
        if not found:
            try:
                found = [rpc.members.register_member({
                    "village_id": village_ids[slug], "first_name": first, "last_name": last, "phone": phone,
                    "preferred_channel": "sms", "consents": ["contact"], "fee_cents": 1000})]
            except Conflict:
                continue
        try:
            rpc.members.create_volunteer({
                "member_id": found[0]["id"], "village_ids": [village_ids[s] for s in served],
                "skills": [{"skill": code, "level": level} for code, level in skills],
                "availability": [{"day": day, "start": start, "end": end} for day, start, end in slots],
                "max_distance_km": km, "has_licence": licence, "has_vehicle": vehicle, "network_visible": network})
            log.info("volunteer registered: %s %s", first, last)
        except Conflict:
            pass  # already a volunteer: the demo is idempotent


PARTNERS = [
    ("GAEC des Trois Fontaines", "producer", ["bourg-aux-chenes", "saint-aubin-des-pres", "montcalvel"]),
    ("La Poste", "national_company", []),
    ("Commune de Saint-Aubin-des-Prés", "local_authority", ["saint-aubin-des-pres"]),
    ("Association Coups de main du Plateau", "association", ["bourg-aux-chenes", "vialle-sur-lac"]),
]


def demo_accounts() -> list[tuple[str, str]]:
    return [(COORDINATOR["email"], "coordination")] + [(email, slug) for slug, (email, _n) in CONCIERGES.items()]


def _create_account(rpc, data) -> None:
    try:
        rpc.members.create_staff_account({**data, "password": DEMO_PASSWORD})
    except Conflict:
        pass  # already there


# Places: address, coordinates (fictional villages on the Millevaches plateau), services offered,
# opening hours (a morning and an afternoon permanence, closed Sunday afternoon and Monday), one
# holiday closure, and the stops of the Montcalvel truck with their weekly times.
def _week(morning, afternoon, sunday=("09:00", "12:00"), saturday_afternoon=None):
    slots = []
    for day in ("tuesday", "wednesday", "thursday", "friday", "saturday"):
        slots.append({"day": day, "opens": morning[0], "closes": morning[1]})
        evening = saturday_afternoon if day == "saturday" else afternoon
        if evening:
            slots.append({"day": day, "opens": evening[0], "closes": evening[1]})
    return slots + [{"day": "sunday", "opens": sunday[0], "closes": sunday[1]}]


PLACES = {
    "bourg-aux-chenes": {"street": "1 place de la Mairie", "coordinates": {"latitude": 45.6231, "longitude": 2.0412},
                         "services": ["grocery", "cafe", "parcel_relay", "bread_depot", "help_at_home", "animations"],
                         "weekly": _week(("08:30", "12:30"), ("15:30", "19:00"), ("08:30", "12:30"), ("15:00", "18:00"))},
    "saint-aubin-des-pres": {"street": "4 rue des Écoles", "coordinates": {"latitude": 45.9412, "longitude": 2.0935},
                             "services": ["grocery", "parcel_relay", "postal_services", "paperwork_help",
                                          "digital_help", "animations"],
                             "weekly": _week(("09:00", "12:00"), ("14:30", "18:30"))},
    "montcalvel": {"street": "Parking de la salle des fêtes", "coordinates": {"latitude": 45.5127, "longitude": 1.9544},
                   "services": ["grocery", "bread_depot", "parcel_relay", "help_at_home"], "weekly": []},
    "vialle-sur-lac": {"street": "Route du Lac", "coordinates": {"latitude": 45.7820, "longitude": 1.9061},
                       "services": ["lockers", "parcel_relay", "local_products"],
                       "weekly": _week(("08:00", "12:00"), ("14:00", "20:00"), ("08:00", "12:00"))},
}

TRUCK_STOPS = {"montcalvel": [
    {"name": "Place de l'église", "commune": "Montcalvel", "position": 1,
     "coordinates": {"latitude": 45.5127, "longitude": 1.9544},
     "weekly": [{"day": "tuesday", "opens": "09:00", "closes": "11:00"},
                {"day": "friday", "opens": "09:00", "closes": "11:00"}]},
    {"name": "Hameau de Chadebec", "commune": "Montcalvel", "position": 2,
     "coordinates": {"latitude": 45.5301, "longitude": 1.9702},
     "weekly": [{"day": "tuesday", "opens": "11:30", "closes": "12:30"},
                {"day": "friday", "opens": "14:00", "closes": "15:00"}]},
    {"name": "Place du Foirail", "commune": "Bonnefond", "position": 3,
     "coordinates": {"latitude": 45.5489, "longitude": 1.9893},
     "weekly": [{"day": "wednesday", "opens": "10:00", "closes": "12:00"},
                {"day": "saturday", "opens": "09:30", "closes": "11:30"}]},
]}


def _next_christmas() -> str:
    import datetime

    today = datetime.date.today()
    christmas = datetime.date(today.year, 12, 25)
    return (christmas if christmas >= today else christmas.replace(year=today.year + 1)).isoformat()


def _describe_places(rpc, village_ids: dict) -> None:
    """Set every time (replaces, so running twice changes nothing); stops only when there are none."""
    for slug, place in PLACES.items():
        village_id = village_ids[slug]
        rpc.members.update_village(village_id, {k: place[k] for k in ("street", "coordinates", "services")})
        rpc.members.set_opening_hours(village_id, {"weekly": place["weekly"], "exceptions": [
            {"start": _next_christmas(), "closed": True, "label": "Noël : fermé"}]})
        if slug in TRUCK_STOPS and not rpc.members.list_stops(village_id):
            for stop in TRUCK_STOPS[slug]:
                rpc.members.add_stop(village_id, stop)


# Animations (events service): (slug, kind, title, place, days from today, hour, hours long,
# capacity, co-organiser partner names, volunteer roles, inhabitants registered by phone)
ANIMATIONS = [
    ("bourg-aux-chenes", "beaute", "Après-midi beauté avec les vendeuses à domicile", "Salle des fêtes", 4, 14, 3,
     12, ["Association Coups de main du Plateau"], [("accueil", 1)], ["01 99 00 10 01", "01 99 00 10 02"]),
    ("bourg-aux-chenes", "aide_numerique", "Aide numérique : vos démarches en ligne", "La conciergerie", 8, 10, 2,
     4, [], [("animation", 1)], ["06 39 98 10 03"]),
    ("saint-aubin-des-pres", "marche", "Petit marché des producteurs", "Place de l'église", 6, 9, 4, 60,
     ["GAEC des Trois Fontaines", "Commune de Saint-Aubin-des-Prés"], [("buvette", 2), ("installation", 2)], []),
]

# Suggestions (what inhabitants ask for): (slug, category, text)
SUGGESTIONS = [
    ("bourg-aux-chenes", "mobilite", "Un transport solidaire pour aller au marché de la ville le samedi"),
    ("saint-aubin-des-pres", "mobilite", "Pouvoir aller chez le médecin sans dépendre des voisins"),
    ("montcalvel", "mobilite", "Un covoiturage organisé vers la gare"),
    ("bourg-aux-chenes", "sante", "Une permanence d'infirmière une fois par semaine"),
    ("vialle-sur-lac", "commerce", "Du pain frais dans les casiers le dimanche"),
]


def _seed_animations_and_suggestions(rpc, village_ids: dict, propagation_timeout: float) -> None:
    """Once: when the events service's calendars are still empty. It needs its read models first
    (villages, partners, the members registered), filled from events: wait for them."""
    if any(rpc.events.list_animations(village_ids[slug]) for slug in village_ids):
        return
    partners = {p["name"]: p["id"] for p in rpc.partners.list_partners()}
    wanted_partners = {partners[n] for a in ANIMATIONS for n in a[8]}
    members = {}
    for slug, *_rest in ANIMATIONS:
        for phone in _rest[-1]:
            found = rpc.members.search_members(village_ids[slug], {"q": phone})
            if found:
                members[phone] = found[0]["id"]
    deadline = time.monotonic() + propagation_timeout
    while not (set(village_ids.values()) <= {v["id"] for v in rpc.events.known_villages()}
               and wanted_partners <= {p["id"] for p in rpc.events.known_partners()}
               and all(rpc.events.member_data(m)["known_member"] for m in members.values())):
        if time.monotonic() > deadline:
            raise RuntimeError("the events service has not received the villages', partners' and members' "
                               "events; are the relays running?")
        time.sleep(0.3)
    today = datetime.now(timezone.utc).astimezone(PARIS).replace(minute=0, second=0, microsecond=0)
    for slug, kind, title, place, days, hour, hours, capacity, co_organisers, roles, phones in ANIMATIONS:
        start = (today + timedelta(days=days)).replace(hour=hour)
        animation = rpc.events.create_animation(village_ids[slug], {
            "kind": kind, "title": title, "place": place, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(), "capacity": capacity,
            "co_organiser_ids": [partners[n] for n in co_organisers],
            "roles": [{"role": role, "needed": needed} for role, needed in roles]})
        for phone in phones:
            if phone in members:
                rpc.events.register(animation["id"], {"member_id": members[phone]}, None)
        log.info("animation scheduled: %s", title)
    for slug, category, text in SUGGESTIONS:
        rpc.events.create_suggestion(village_ids[slug], {"category": category, "text": text})


def seed(rpc, propagation_timeout: float = 60.0) -> dict:
    """Create what is missing. Returns {slug: village id}."""
    existing = {v["slug"]: v["id"] for v in rpc.members.list_villages(None)}
    for village in VILLAGES:
        if village["slug"] not in existing:
            existing[village["slug"]] = rpc.members.open_village(village)["id"]
            log.info("village opened: %s", village["name"])
    _describe_places(rpc, existing)
    _create_account(rpc, COORDINATOR)
    for slug, (email, full_name) in CONCIERGES.items():
        _create_account(rpc, {"email": email, "full_name": full_name, "role": "concierge",
                              "village_id": existing[slug]})

    # partners name villages they serve: wait until the partners service has heard of them
    wanted = {existing[v["slug"]] for v in VILLAGES}
    deadline = time.monotonic() + propagation_timeout
    while not wanted <= {v["id"] for v in rpc.partners.known_villages()}:
        if time.monotonic() > deadline:
            raise RuntimeError("the partners service has not received the villages' events; "
                               "are the relays running? (maillage relay members)")
        time.sleep(0.3)
    known_partners = {p["name"] for p in rpc.partners.list_partners()}
    for name, kind, slugs in PARTNERS:
        if name not in known_partners:
            rpc.partners.register_partner({"name": name, "kind": kind,
                                           "village_ids": [existing[s] for s in slugs]})
            log.info("partner registered: %s", name)
    _register_inhabitants(rpc, existing)
    _register_volunteers(rpc, existing)
    _seed_animations_and_suggestions(rpc, existing, propagation_timeout)
    return existing
