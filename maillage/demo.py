"""Demo data drawn from the source document: four villages of 500–1,000 inhabitants without shops
(one served by a multiservice truck, one by a locker box), their concierges, the coordinator, and
partners (a shared producer, La Poste, a commune as a client, an association).

Village names are fictional; INSEE codes and postcodes only have the right shape. Loaded through
the services' RPC, so every rule and every event applies; running it twice changes nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput

log = logging.getLogger("maillage.demo")

DEMO_PASSWORD = "maillage-demo"  # demo accounts only; printed by `maillage run`

VILLAGES = [
    {
        "slug": "bourg-aux-chenes",
        "name": "Le Bourg-aux-Chênes",
        "commune": "Le Bourg-aux-Chênes",
        "insee_code": "19164",
        "postcode": "19290",
        "kind": "fixed",
        "population": 820,
    },
    {
        "slug": "saint-aubin-des-pres",
        "name": "Saint-Aubin-des-Prés",
        "commune": "Saint-Aubin-des-Prés",
        "insee_code": "23181",
        "postcode": "23460",
        "kind": "fixed",
        "population": 640,
    },
    {
        "slug": "montcalvel",
        "name": "Montcalvel (camion multiservice)",
        "commune": "Montcalvel",
        "insee_code": "19142",
        "postcode": "19170",
        "kind": "itinerant",
        "population": 540,
    },
    {
        "slug": "vialle-sur-lac",
        "name": "Vialle-sur-Lac (casiers)",
        "commune": "Vialle-sur-Lac",
        "insee_code": "23265",
        "postcode": "23340",
        "kind": "locker",
        "population": 910,
    },
]

COORDINATOR = {
    "email": "coordination@maillage.test",
    "full_name": "Camille Coordination",
    "role": "coordinator",
}
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
        (
            "Marcelle",
            "Vergne",
            "01 99 00 10 01",
            ["fragile", "living_alone", "no_car"],
            "phone",
            ["contact"],
        ),
        (
            "Raymond",
            "Chassagne",
            "01 99 00 10 02",
            ["reduced_mobility", "senior"],
            "phone",
            ["contact", "share_with_network"],
        ),
        (
            "Élodie",
            "Mazière",
            "06 39 98 10 03",
            ["commuter", "family"],
            "sms",
            ["contact", "photos"],
        ),
    ],
    "saint-aubin-des-pres": [
        (
            "Germaine",
            "Peyrat",
            "01 99 00 20 01",
            ["fragile", "hearing_impaired"],
            "counter",
            ["contact"],
        ),
        (
            "Thierry",
            "Lachaud",
            "06 39 98 20 02",
            ["commuter"],
            "sms",
            ["contact", "share_with_network"],
        ),
        ("Inès", "Bourdarias", "06 39 98 20 03", ["family"], "email", ["contact", "photos"]),
    ],
    "montcalvel": [
        (
            "Fernand",
            "Soulier",
            "01 99 00 30 01",
            ["reduced_mobility", "living_alone", "no_car"],
            "phone",
            ["contact"],
        ),
        ("Yvette", "Chabrat", "01 99 00 30 02", ["fragile", "senior"], "counter", []),
    ],
    "vialle-sur-lac": [
        ("Noël", "Faurie", "01 99 00 40 01", ["senior", "no_car"], "phone", ["contact"]),
        (
            "Sandrine",
            "Rebière",
            "06 39 98 40 02",
            ["commuter", "family"],
            "sms",
            ["contact", "share_with_network", "photos"],
        ),
    ],
}


def _register_inhabitants(rpc, village_ids: dict) -> None:
    for slug, people in INHABITANTS.items():
        for first, last, phone, tags, channel, consents in people:
            data = {
                "village_id": village_ids[slug],
                "first_name": first,
                "last_name": last,
                "phone": phone,
                "tags": tags,
                "preferred_channel": channel,
                "consents": consents,
                "fee_cents": 1000,
            }
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
    (
        "bourg-aux-chenes",
        "Bernard",
        "Couderc",
        "06 39 98 10 04",
        ["saint-aubin-des-pres", "montcalvel"],
        [("bricolage", "expert"), ("debarras_meubles", "confirme"), ("chauffeur", "confirme")],
        [
            ("monday", "09:00", "12:00"),
            ("wednesday", "14:00", "18:00"),
            ("saturday", "09:00", "12:00"),
        ],
        25,
        True,
        True,
        True,
    ),
    (
        "bourg-aux-chenes",
        "Élodie",
        "Mazière",
        "06 39 98 10 03",
        [],
        [("aide_numerique", "expert")],
        [("saturday", "10:00", "12:00")],
        5,
        True,
        False,
        False,
    ),
    (
        "saint-aubin-des-pres",
        "Thierry",
        "Lachaud",
        "06 39 98 20 02",
        ["vialle-sur-lac"],
        [("jardinage", "confirme"), ("tonte", "confirme"), ("taille_haies", "debutant")],
        [("sunday", "09:00", "12:00"), ("wednesday", "18:00", "20:00")],
        15,
        True,
        True,
        True,
    ),
    (
        "saint-aubin-des-pres",
        "Inès",
        "Bourdarias",
        "06 39 98 20 03",
        [],
        [("cuisine", "expert"), ("animation_atelier", "confirme")],
        [("wednesday", "14:00", "17:00")],
        None,
        False,
        False,
        False,
    ),
    (
        "montcalvel",
        "Josette",
        "Lavaud",
        "06 39 98 30 03",
        [],
        [("couture", "expert"), ("visite_convivialite", "confirme")],
        [("tuesday", "14:00", "17:00"), ("thursday", "14:00", "17:00")],
        3,
        False,
        False,
        True,
    ),
    (
        "vialle-sur-lac",
        "Sandrine",
        "Rebière",
        "06 39 98 40 02",
        [],
        [("lavage_vitres", "confirme"), ("menage", "debutant"), ("aide_numerique", "confirme")],
        [("tuesday", "18:00", "20:00"), ("saturday", "14:00", "17:00")],
        10,
        True,
        True,
        True,
    ),
]


def _register_volunteers(rpc, village_ids: dict) -> None:
    for (
        slug,
        first,
        last,
        phone,
        served,
        skills,
        slots,
        km,
        licence,
        vehicle,
        network,
    ) in VOLUNTEERS:
        found = rpc.members.search_members(village_ids[slug], {"q": phone})
        if not found:
            try:
                found = [
                    rpc.members.register_member(
                        {
                            "village_id": village_ids[slug],
                            "first_name": first,
                            "last_name": last,
                            "phone": phone,
                            "preferred_channel": "sms",
                            "consents": ["contact"],
                            "fee_cents": 1000,
                        }
                    )
                ]
            except Conflict:
                continue
        try:
            rpc.members.create_volunteer(
                {
                    "member_id": found[0]["id"],
                    "village_ids": [village_ids[s] for s in served],
                    "skills": [{"skill": code, "level": level} for code, level in skills],
                    "availability": [
                        {"day": day, "start": start, "end": end} for day, start, end in slots
                    ],
                    "max_distance_km": km,
                    "has_licence": licence,
                    "has_vehicle": vehicle,
                    "network_visible": network,
                }
            )
            log.info("volunteer registered: member %s", found[0]["id"])  # ids in logs, never names
        except Conflict:
            pass  # already a volunteer: the demo is idempotent


PARTNERS = [
    (
        "GAEC des Trois Fontaines",
        "producer",
        ["bourg-aux-chenes", "saint-aubin-des-pres", "montcalvel"],
    ),
    ("La Poste", "national_company", []),
    ("Commune de Saint-Aubin-des-Prés", "local_authority", ["saint-aubin-des-pres"]),
    ("Association Coups de main du Plateau", "association", ["bourg-aux-chenes", "vialle-sur-lac"]),
    ("Fromagerie du Plateau", "producer", ["bourg-aux-chenes"]),
    ("Boulangerie Chastang", "artisan", ["saint-aubin-des-pres"]),
    ("Rucher de Montcalvel", "producer", ["montcalvel"]),
    ("Maraîchage des Sources", "producer", ["vialle-sur-lac"]),
]

# What each partner is to the network, its SIRET (checked: Luhn; La Poste's rule) and a contact.
# SIRETs are fictional but well formed; phone numbers are in ARCEP's ranges for fiction.
PARTNER_PROFILES = {
    "GAEC des Trois Fontaines": {
        "relationships": ["supplier", "co_organiser"],
        "siret": "48219376500013",
        "commission_per_mille": 150,  # on consignment: the hub keeps 15 % of what it sells
        "contacts": [{"name": "Martine Lachaud", "role": "associée", "phone": "01 99 00 50 01"}],
    },
    "La Poste": {"relationships": ["logistics", "client"], "siret": "35600000000001"},
    "Commune de Saint-Aubin-des-Prés": {
        "relationships": ["client", "funder", "co_organiser"],
        "siret": "21684573900012",
        "contacts": [{"name": "Secrétariat de mairie", "phone": "01 99 00 50 02"}],
    },
    "Association Coups de main du Plateau": {
        "relationships": ["co_organiser"],
        "siret": "79134568200011",
    },
    "Fromagerie du Plateau": {
        "relationships": ["supplier"],
        "siret": "52368914700016",
        "commission_per_mille": 125,
    },
    "Boulangerie Chastang": {"relationships": ["supplier"], "siret": "31972645800015"},
    "Rucher de Montcalvel": {"relationships": ["supplier"], "siret": "88423159600013"},
    "Maraîchage des Sources": {"relationships": ["supplier"], "siret": "44709821300013"},
}

# Offers (partner, name, kind, unit, price in cents, VAT per mille, lead days, cut-off, days,
# perishable) and each village's catalogue: (slug, partner, offer, local price). The GAEC is a
# shared supplier: its yoghurts are sold in three villages at three local prices.
OFFERS = [
    (
        "GAEC des Trois Fontaines",
        "Yaourts fermiers (x4)",
        "product",
        "piece",
        320,
        55,
        2,
        "18:00",
        ["tuesday", "friday"],
        True,
    ),
    (
        "GAEC des Trois Fontaines",
        "Lait cru (1 L)",
        "product",
        "litre",
        130,
        55,
        1,
        "18:00",
        ["tuesday", "friday"],
        True,
    ),
    (
        "Fromagerie du Plateau",
        "Tomme du plateau",
        "product",
        "kg",
        1850,
        55,
        2,
        "12:00",
        ["wednesday", "saturday"],
        True,
    ),
    (
        "Boulangerie Chastang",
        "Pain de campagne (1 kg)",
        "product",
        "piece",
        450,
        55,
        1,
        "19:00",
        ["tuesday", "wednesday", "thursday", "friday", "saturday"],
        True,
    ),
    (
        "Rucher de Montcalvel",
        "Miel de châtaignier (500 g)",
        "product",
        "jar",
        900,
        55,
        3,
        "18:00",
        ["tuesday", "friday"],
        False,
    ),
    (
        "Maraîchage des Sources",
        "Panier de légumes de saison",
        "product",
        "basket",
        1500,
        55,
        2,
        "18:00",
        ["wednesday", "saturday"],
        True,
    ),
]
CATALOGUES = [
    ("bourg-aux-chenes", "GAEC des Trois Fontaines", "Yaourts fermiers (x4)", 320),
    ("bourg-aux-chenes", "GAEC des Trois Fontaines", "Lait cru (1 L)", 130),
    ("bourg-aux-chenes", "Fromagerie du Plateau", "Tomme du plateau", 1850),
    ("saint-aubin-des-pres", "GAEC des Trois Fontaines", "Yaourts fermiers (x4)", 350),
    ("saint-aubin-des-pres", "Boulangerie Chastang", "Pain de campagne (1 kg)", 450),
    ("montcalvel", "GAEC des Trois Fontaines", "Yaourts fermiers (x4)", 340),
    ("montcalvel", "Rucher de Montcalvel", "Miel de châtaignier (500 g)", 950),
    ("vialle-sur-lac", "Maraîchage des Sources", "Panier de légumes de saison", 1500),
]


def _seed_catalogues_and_funding(rpc, village_ids: dict) -> None:
    """Offers and catalogues once (when the GAEC has no offer yet), funding sources once (when there
    is none), the crowdfunding campaign once (when there is none)."""
    partners = {p["name"]: p for p in rpc.partners.list_partners()}
    if not rpc.partners.list_offers(partners["GAEC des Trois Fontaines"]["id"]):
        offers = {}
        for name, title, kind, unit, price, vat, lead, cutoff, days, perishable in OFFERS:
            partner = partners[name]
            served = partner["village_ids"] or list(village_ids.values())
            offers[(name, title)] = rpc.partners.create_offer(
                partner["id"],
                {
                    "name": title,
                    "kind": kind,
                    "unit": unit,
                    "price_cents": price,
                    "vat_rate": vat,
                    "lead_time_days": lead,
                    "cutoff_time": cutoff,
                    "days": days,
                    "village_ids": served,
                    "perishable": perishable,
                },
            )["id"]
        for slug, name, title, price in CATALOGUES:
            rpc.partners.add_catalogue_entry(
                village_ids[slug], {"offer_id": offers[(name, title)], "price_cents": price}
            )
        log.info("catalogues filled: %d items in %d villages", len(CATALOGUES), len(village_ids))
    year = utcnow().year
    if not rpc.partners.list_funding_sources(None):
        commune = partners["Commune de Saint-Aubin-des-Prés"]["id"]
        for source in [
            {
                "kind": "service_contract",
                "name": "Portage de courses et permanence administrative",
                "village_id": village_ids["saint-aubin-des-pres"],
                "partner_id": commune,
                "amount_cents": 480000,
                "starts_on": f"{year}-01-01",
                "ends_on": f"{year}-12-31",
                "services": [
                    "Portage de courses aux aînés",
                    "Permanence administrative (France Services)",
                ],
            },
            {
                "kind": "public_grant",
                "name": "Région : soutien aux tiers-lieux ruraux",
                "amount_cents": 2500000,
                "starts_on": f"{year}-03-01",
            },
            {
                "kind": "membership_fees",
                "name": "Cotisations des adhérents",
                "amount_cents": 82000,
                "village_id": village_ids["bourg-aux-chenes"],
                "starts_on": f"{year}-01-15",
            },
        ]:
            rpc.partners.add_funding_source(source)
    if not rpc.partners.list_service_contracts(None):
        contract = rpc.partners.create_service_contract(
            {
                "partner_id": partners["Commune de Saint-Aubin-des-Prés"]["id"],
                "name": "Services aux aînés de Saint-Aubin-des-Prés",
                "starts_on": f"{year}-01-01",
                "ends_on": f"{year}-12-31",
                "village_ids": [village_ids["saint-aubin-des-pres"]],
                "help_hour_cents": 2200,
                "home_delivery_cents": 650,
                "animation_cents": 12000,
                "premises_month_cents": 35000,
            }
        )
        log.info("service contract recorded: %s", contract["name"])
    if not rpc.partners.list_campaigns(None):
        vialle = village_ids["vialle-sur-lac"]
        campaign = rpc.partners.launch_campaign(
            {
                "title": "Des casiers réfrigérés à Vialle-sur-Lac",
                "village_id": vialle,
                "goal_cents": 850000,
                "purpose": "Quatre casiers réfrigérés pour retirer "
                "produits frais et paniers à toute heure.",
                "deadline": (utcnow() + timedelta(days=45)).replace(microsecond=0).isoformat(),
            }
        )
        rpc.partners.pledge(
            campaign["id"],
            {
                "partner_id": partners["Association Coups de main du Plateau"]["id"],
                "amount_cents": 50000,
            },
            None,
        )
        for phone, amount in (("06 39 98 40 02", 5000), ("01 99 00 40 01", 2000)):
            found = rpc.members.search_members(vialle, {"q": phone})
            if found:
                rpc.partners.pledge(
                    campaign["id"],
                    {
                        "member_id": found[0]["id"],
                        "amount_cents": amount,
                        "pledger_name": found[0].get("display_name"),
                    },
                    None,
                )
        log.info("crowdfunding campaign launched: %s", campaign["title"])


def demo_accounts() -> list[tuple[str, str]]:
    return [(COORDINATOR["email"], "coordination")] + [
        (email, slug) for slug, (email, _n) in CONCIERGES.items()
    ]


def _create_account(rpc, data) -> None:
    try:
        rpc.members.create_staff_account({**data, "password": DEMO_PASSWORD})
    except Conflict:
        pass  # already there


# Places: address, the hub's public phone and e-mail (the locker box has none: its page says to
# come by), coordinates (fictional villages on the Millevaches plateau), services offered,
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
    "bourg-aux-chenes": {
        "street": "1 place de la Mairie",
        "public_phone": "01 99 00 90 01",
        "public_email": "bourg-aux-chenes@conciergeries.example.org",
        "coordinates": {"latitude": 45.6231, "longitude": 2.0412},
        "services": [
            "grocery",
            "cafe",
            "parcel_relay",
            "bread_depot",
            "help_at_home",
            "animations",
        ],
        "weekly": _week(
            ("08:30", "12:30"), ("15:30", "19:00"), ("08:30", "12:30"), ("15:00", "18:00")
        ),
    },
    "saint-aubin-des-pres": {
        "street": "4 rue des Écoles",
        "public_phone": "01 99 00 90 02",
        "public_email": "saint-aubin@conciergeries.example.org",
        "coordinates": {"latitude": 45.9412, "longitude": 2.0935},
        "services": [
            "grocery",
            "parcel_relay",
            "postal_services",
            "paperwork_help",
            "digital_help",
            "animations",
        ],
        "weekly": _week(("09:00", "12:00"), ("14:30", "18:30")),
    },
    "montcalvel": {
        "street": "Parking de la salle des fêtes",
        "public_phone": "06 39 98 90 03",
        "coordinates": {"latitude": 45.5127, "longitude": 1.9544},
        "services": ["grocery", "bread_depot", "parcel_relay", "help_at_home"],
        "weekly": [],
    },
    "vialle-sur-lac": {
        "street": "Route du Lac",
        "coordinates": {"latitude": 45.7820, "longitude": 1.9061},
        "services": ["lockers", "parcel_relay", "local_products"],
        "weekly": _week(("08:00", "12:00"), ("14:00", "20:00"), ("08:00", "12:00")),
    },
}

TRUCK_STOPS = {
    "montcalvel": [
        {
            "name": "Place de l'église",
            "commune": "Montcalvel",
            "position": 1,
            "coordinates": {"latitude": 45.5127, "longitude": 1.9544},
            "weekly": [
                {"day": "tuesday", "opens": "09:00", "closes": "11:00"},
                {"day": "friday", "opens": "09:00", "closes": "11:00"},
            ],
        },
        {
            "name": "Hameau de Chadebec",
            "commune": "Montcalvel",
            "position": 2,
            "coordinates": {"latitude": 45.5301, "longitude": 1.9702},
            "weekly": [
                {"day": "tuesday", "opens": "11:30", "closes": "12:30"},
                {"day": "friday", "opens": "14:00", "closes": "15:00"},
            ],
        },
        {
            "name": "Place du Foirail",
            "commune": "Bonnefond",
            "position": 3,
            "coordinates": {"latitude": 45.5489, "longitude": 1.9893},
            "weekly": [
                {"day": "wednesday", "opens": "10:00", "closes": "12:00"},
                {"day": "saturday", "opens": "09:30", "closes": "11:30"},
            ],
        },
    ]
}


def _next_christmas() -> str:
    import datetime

    today = datetime.date.today()
    christmas = datetime.date(today.year, 12, 25)
    return (christmas if christmas >= today else christmas.replace(year=today.year + 1)).isoformat()


def _describe_places(rpc, village_ids: dict) -> None:
    """Set every time (replaces, so running twice changes nothing); stops
    only when there are none."""
    for slug, place in PLACES.items():
        village_id = village_ids[slug]
        described = ("street", "coordinates", "services", "public_phone", "public_email")
        rpc.members.update_village(village_id, {k: place[k] for k in described if k in place})
        rpc.members.set_opening_hours(
            village_id,
            {
                "weekly": place["weekly"],
                "exceptions": [
                    {"start": _next_christmas(), "closed": True, "label": "Noël : fermé"}
                ],
            },
        )
        if slug in TRUCK_STOPS and not rpc.members.list_stops(village_id):
            for stop in TRUCK_STOPS[slug]:
                rpc.members.add_stop(village_id, stop)


# Animations (events service): (slug, kind, title, place, days from today, hour, hours long,
# capacity, co-organiser partner names, volunteer roles, inhabitants registered by phone)
ANIMATIONS = [
    (  # today: its door shows on the counter (« Comptoir »), kept on the device for when the
        # link drops, with the names of the people registered
        "bourg-aux-chenes",
        "atelier",
        "Atelier tricot et café",
        "La conciergerie",
        0,
        10,
        2,
        8,
        [],
        [("accueil", 1)],
        ["01 99 00 10 02", "06 39 98 10 03"],
    ),
    (
        "bourg-aux-chenes",
        "beaute",
        "Après-midi beauté avec les vendeuses à domicile",
        "Salle des fêtes",
        4,
        14,
        3,
        12,
        ["Association Coups de main du Plateau"],
        [("accueil", 1)],
        ["01 99 00 10 01", "01 99 00 10 02"],
    ),
    (
        "bourg-aux-chenes",
        "aide_numerique",
        "Aide numérique : vos démarches en ligne",
        "La conciergerie",
        8,
        10,
        2,
        4,
        [],
        [("animation", 1)],
        ["06 39 98 10 03"],
    ),
    (
        "saint-aubin-des-pres",
        "marche",
        "Petit marché des producteurs",
        "Place de l'église",
        6,
        9,
        4,
        60,
        ["GAEC des Trois Fontaines", "Commune de Saint-Aubin-des-Prés"],
        [("buvette", 2), ("installation", 2)],
        [],
    ),
]

# Animations open to other villages than their host's: title -> the villages invited
INVITED = {"Petit marché des producteurs": ["bourg-aux-chenes", "montcalvel"]}

# Suggestions (what inhabitants ask for): (slug, category, text)
SUGGESTIONS = [
    (
        "bourg-aux-chenes",
        "mobilite",
        "Un transport solidaire pour aller au marché de la ville le samedi",
    ),
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
    while not (
        set(village_ids.values()) <= {v["id"] for v in rpc.events.known_villages()}
        and wanted_partners <= {p["id"] for p in rpc.events.known_partners()}
        and all(rpc.events.member_data(m)["known_member"] for m in members.values())
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(
                "the events service has not received the villages', partners' and members' "
                "events; are the relays running?"
            )
        time.sleep(0.3)
    today = utcnow().astimezone(PARIS).replace(minute=0, second=0, microsecond=0)
    for (
        slug,
        kind,
        title,
        place,
        days,
        hour,
        hours,
        capacity,
        co_organisers,
        roles,
        phones,
    ) in ANIMATIONS:
        start = (today + timedelta(days=days)).replace(hour=hour)
        animation = rpc.events.create_animation(
            village_ids[slug],
            {
                "kind": kind,
                "title": title,
                "place": place,
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=hours)).isoformat(),
                "capacity": capacity,
                "co_organiser_ids": [partners[n] for n in co_organisers],
                "invited_village_ids": [village_ids[s] for s in INVITED.get(title, [])],
                "roles": [{"role": role, "needed": needed} for role, needed in roles],
            },
        )
        for phone in phones:
            if phone in members:
                rpc.events.register(animation["id"], {"member_id": members[phone]}, None)
        log.info("animation scheduled: %s", title)
    for slug, category, text in SUGGESTIONS:
        rpc.events.create_suggestion(village_ids[slug], {"category": category, "text": text})


# The counter (orders service): (slug, phone of the inhabitant, key, [(catalogue item, quantity)],
# fulfilment, address, steps after placing). GAEC lines wait for the supplier and are pooled across
# villages; local partners' lines are confirmed at once.
COUNTER_ORDERS = [
    (
        "bourg-aux-chenes",
        "01 99 00 10 01",
        "demo-bourg-1",
        [("Yaourts fermiers (x4)", 2), ("Lait cru (1 L)", 2)],
        "home_delivery",
        "Le Bourg, 3 chemin des Chênes",
        [],
    ),
    (
        "bourg-aux-chenes",
        "06 39 98 10 03",
        "demo-bourg-2",
        [("Tomme du plateau", 1)],
        "counter",
        None,
        ["ready"],
    ),
    (
        "saint-aubin-des-pres",
        "06 39 98 20 02",
        "demo-aubin-1",
        [("Pain de campagne (1 kg)", 2)],
        "counter",
        None,
        ["ready", "collected"],
    ),
    (
        "saint-aubin-des-pres",
        "01 99 00 20 01",
        "demo-aubin-2",
        [("Pain de campagne (1 kg)", 1), ("Yaourts fermiers (x4)", 1)],
        "home_delivery",
        "2 impasse du Lavoir",
        [],
    ),
    (
        "saint-aubin-des-pres",
        "06 39 98 20 03",
        "demo-aubin-3",
        [("Pain de campagne (1 kg)", 1)],
        "counter",
        None,
        ["cancelled"],
    ),
    (
        "montcalvel",
        "01 99 00 30 01",
        "demo-montcalvel-1",
        [("Yaourts fermiers (x4)", 1)],
        "truck_stop",
        None,
        [],
    ),
]
# Parcels waiting at the counter: (slug, phone, sender kind, sender, description, place kind, place)
COUNTER_PARCELS = [
    ("bourg-aux-chenes", "01 99 00 10 02", "la_poste", "La Poste", "Colissimo", "shelf", "A2"),
    (
        "saint-aubin-des-pres",
        "06 39 98 20 03",
        "carrier",
        "Chronopost",
        "Petit colis",
        "shelf",
        "B1",
    ),
    (
        "saint-aubin-des-pres",
        "01 99 00 20 01",
        "neighbour",
        "Mme Lachaud",
        "Un panier de noix",
        "shelf",
        "B3",
    ),
]


def _seed_counter(rpc, village_ids: dict, propagation_timeout: float) -> None:
    """Orders in various states and parcels waiting, once (orders have idempotency keys; parcels
    only where a village has none). Orders need the catalogues and the members in the orders
    service's read models, filled from events: wait for them."""
    people = {}
    for slug, phone, *_rest in COUNTER_ORDERS + COUNTER_PARCELS:
        found = rpc.members.search_members(village_ids[slug], {"q": phone})
        if found:
            people[(slug, phone)] = found[0]["id"]
    wanted = {(slug, name) for slug, _p, _k, lines, *_r in COUNTER_ORDERS for name, _q in lines}
    catalogues = {}
    deadline = time.monotonic() + propagation_timeout
    while True:
        catalogues = {
            slug: {i["name"]: i for i in rpc.orders.village_catalogue(village_ids[slug])}
            for slug in {slug for slug, _n in wanted}
        }
        if all(name in catalogues[slug] for slug, name in wanted) and all(
            rpc.orders.member_data(m)["known_member"] for m in people.values()
        ):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(
                "the orders service has not received the catalogues' and members' events; "
                "are the relays running?"
            )
        time.sleep(0.3)
    for slug, phone, key, lines, fulfilment, address, steps in COUNTER_ORDERS:
        if (slug, phone) not in people:
            continue
        items = [catalogues[slug][name] for name, _q in lines]
        if any(i["next_delivery_date"] is None for i in items):
            continue  # out of stock here
        day = max(i["next_delivery_date"] for i in items)
        extra = {"delivery_address": address} if fulfilment == "home_delivery" else {}
        if fulfilment == "truck_stop":
            extra = {"truck_stop": "Place de l'église"}
        try:
            order = rpc.orders.place_order(
                village_ids[slug],
                {
                    "idempotency_key": key,
                    "member_id": people[(slug, phone)],
                    "delivery_date": day,
                    "fulfilment": fulfilment,
                    "lines": [
                        {"item_id": i["item_id"], "quantity": q} for i, (_n, q) in zip(items, lines)
                    ],
                    **extra,
                },
            )
        except InvalidInput as exc:
            log.warning("demo order %s not placed: %s", key, exc.errors)
            continue
        for step in steps:
            try:
                if step == "ready":
                    rpc.orders.order_ready(order["id"], {}, None)
                elif step == "collected":
                    rpc.orders.collect_order(order["id"], {}, None)
                elif step == "cancelled":
                    rpc.orders.cancel_order(
                        order["id"], {"reason": "Commande en double, annulée à sa demande"}, None
                    )
            except Conflict:
                pass  # done on an earlier run
    _seed_till(rpc, village_ids, catalogues)
    carriers = {
        p["name"]: p["id"]
        for p in rpc.partners.list_partners()
        if "logistics" in p["relationships"]
    }
    for slug, phone, sender_kind, sender, description, place_kind, place in COUNTER_PARCELS:
        village_id = village_ids[slug]
        if (slug, phone) in people and not any(
            p["place"] == place for p in rpc.orders.list_parcels(village_id)
        ):
            rpc.orders.receive_parcel(
                village_id,
                {  # La Poste, a partner, is told of its parcel's events
                    "member_id": people[(slug, phone)],
                    "sender_kind": sender_kind,
                    "sender_name": sender,
                    "partner_id": carriers.get(sender),
                    "description": description,
                    "place_kind": place_kind,
                    "place": place,
                },
            )
    log.info("counter: %d orders, parcels waiting", len(COUNTER_ORDERS))


# Logistics (orders service): the cooperative's van driven by Bernard (a volunteer with a licence),
# and two help requests a volunteer can take: (slug, requester's phone, skill, place, weekday,
# start, hours, description). None is completed here: hours are credited when a concierge confirms.
VEHICLE = {
    "name": "Kangoo de la coopérative",
    "depot": "bourg-aux-chenes",
    "capacity": 24,
    "driver_phone": "06 39 98 10 04",
}
ROUND_VILLAGES = ("bourg-aux-chenes", "montcalvel")  # the van's demo round: depot, truck's stop
HELP_REQUESTS = [
    (
        "bourg-aux-chenes",
        "01 99 00 10 02",
        "debarras_meubles",
        "Chez M. Chassagne, 5 rue du Four",
        "saturday",
        "09:30",
        2,
        "Descendre une armoire au garage",
    ),
    (
        "vialle-sur-lac",
        "01 99 00 40 01",
        "lavage_vitres",
        "Chez M. Faurie, route du Lac",
        "tuesday",
        "18:00",
        1,
        "Laver les vitres du rez-de-chaussée",
    ),
]


def _seed_logistics(rpc, village_ids: dict, propagation_timeout: float) -> None:
    """Once each: the van (when no vehicle has its name), its round (when it has none) and the help
    requests (when the Bourg has none). Orders matches from its read models, filled from events:
    wait for them first."""

    def member(slug, phone):
        found = rpc.members.search_members(village_ids[slug], {"q": phone})
        return found[0]["id"] if found else None

    driver = member(VEHICLE["depot"], VEHICLE["driver_phone"])
    requesters = {phone: member(slug, phone) for slug, phone, *_rest in HELP_REQUESTS}
    deadline = time.monotonic() + propagation_timeout
    while not (
        driver in {v["member_id"] for v in rpc.orders.known_volunteers()}
        and all(rpc.orders.member_data(m)["known_member"] for m in requesters.values() if m)
        and set(village_ids.values()) <= {v["id"] for v in rpc.orders.known_villages()}
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(
                "the orders service has not received the volunteers' and members' events; "
                "are the relays running?"
            )
        time.sleep(0.3)
    vehicles = {v["name"]: v for v in rpc.orders.list_vehicles()}
    if VEHICLE["name"] not in vehicles:
        vehicles[VEHICLE["name"]] = rpc.orders.create_vehicle(
            {
                "name": VEHICLE["name"],
                "depot_village_id": village_ids[VEHICLE["depot"]],
                "capacity": VEHICLE["capacity"],
                "driver_member_id": driver,
            }
        )
        log.info("vehicle registered: %s", VEHICLE["name"])
    _plan_round(rpc, village_ids, vehicles[VEHICLE["name"]]["id"], deadline)
    if rpc.orders.list_help_requests(village_ids["bourg-aux-chenes"]):
        return
    today = utcnow().astimezone(PARIS)
    for slug, phone, skill, place, weekday, start, hours, description in HELP_REQUESTS:
        days_ahead = (WEEKDAYS.index(weekday) - today.weekday()) % 7 or 7
        hour, minute = (int(x) for x in start.split(":"))
        starts = (today + timedelta(days=days_ahead)).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )
        rpc.orders.create_help_request(
            village_ids[slug],
            {
                "requester_member_id": requesters[phone],
                "skill": skill,
                "place": place,
                "description": description,
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=hours)).isoformat(),
            },
        )
        log.info("help request: %s (%s)", skill, slug)


def _plan_round(rpc, village_ids: dict, vehicle_id: str, deadline: float) -> None:
    """Once: the van's round of tomorrow from its depot to the truck's village (its stop at the
    truck's first place, at 10:30 for 45 minutes), so that a new coordinator or driver finds one to
    open and follow stop by stop. Orders learns the truck's places from `village.stops_changed`:
    refused while it has not yet (the place unknown), tried again until `deadline`."""
    if any(r["vehicle_id"] == vehicle_id for r in rpc.orders.list_rounds(None, None)):
        return
    tomorrow = utcnow().astimezone(PARIS).date() + timedelta(days=1)
    truck_stops = []
    for slug in ROUND_VILLAGES:
        stops = rpc.members.list_stops(village_ids[slug]) if slug in TRUCK_STOPS else []
        if stops:
            truck_stops.append(
                {
                    "village_id": village_ids[slug],
                    "place_id": stops[0]["id"],
                    "arrives_at": "10:30",
                    "duration_minutes": 45,
                }
            )
    while True:
        try:
            rpc.orders.plan_round(
                village_ids[VEHICLE["depot"]],
                {
                    "date": tomorrow.isoformat(),
                    "vehicle_id": vehicle_id,
                    "village_ids": [village_ids[slug] for slug in ROUND_VILLAGES],
                    "supplier_pickups": False,
                    "truck_stops": truck_stops,
                },
            )
            break
        except InvalidInput as exc:
            if "truck_stops" not in (exc.errors or {}) or time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    log.info("round planned: %s, %s", VEHICLE["name"], tomorrow)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _seed_till(rpc, village_ids: dict, catalogues: dict) -> None:
    """A walk-in sale at the till of each village with a catalogue, paid in cash with change: once
    (its idempotency key answers the same sale on every later run, whatever the day)."""
    for slug in sorted(catalogues):
        items = rpc.orders.till_items(village_ids[slug])
        if not items:
            continue
        first = items[0]
        total = 2 * first["price_cents"]
        try:
            rpc.orders.record_sale(
                village_ids[slug],
                {
                    "idempotency_key": f"demo-till-{slug}",
                    "lines": [{"item_id": first["item_id"], "quantity": 2}],
                    "payments": [{"method": "cash", "amount_cents": (total // 1000 + 1) * 1000}],
                },
            )
        except (InvalidInput, Conflict) as exc:
            log.warning("demo sale at %s not made: %s", slug, exc)


def seed(rpc, propagation_timeout: float = 60.0) -> dict:
    """Create what is missing. Returns {slug: village id}."""
    existing = {v["slug"]: v["id"] for v in rpc.members.list_villages(None)}
    for village in VILLAGES:
        if village["slug"] not in existing:
            coordinates = PLACES.get(village["slug"], {}).get(
                "coordinates"
            )  # in village.opened (rounds)
            existing[village["slug"]] = rpc.members.open_village(
                {**village, "coordinates": coordinates}
            )["id"]
            log.info("village opened: %s", village["name"])
    _describe_places(rpc, existing)
    _create_account(rpc, COORDINATOR)
    for slug, (email, full_name) in CONCIERGES.items():
        _create_account(
            rpc,
            {
                "email": email,
                "full_name": full_name,
                "role": "concierge",
                "village_id": existing[slug],
            },
        )

    # partners name villages they serve: wait until the partners service has heard of them
    wanted = {existing[v["slug"]] for v in VILLAGES}
    deadline = time.monotonic() + propagation_timeout
    while not wanted <= {v["id"] for v in rpc.partners.known_villages()}:
        if time.monotonic() > deadline:
            raise RuntimeError(
                "the partners service has not received the villages' events; "
                "are the relays running? (maillage relay members)"
            )
        time.sleep(0.3)
    known_partners = {p["name"] for p in rpc.partners.list_partners()}
    for name, kind, slugs in PARTNERS:
        if name not in known_partners:
            rpc.partners.register_partner(
                {
                    "name": name,
                    "kind": kind,
                    "village_ids": [existing[s] for s in slugs],
                    **PARTNER_PROFILES.get(name, {}),
                }
            )
            log.info("partner registered: %s", name)
    _register_inhabitants(rpc, existing)
    _register_volunteers(rpc, existing)
    _seed_catalogues_and_funding(rpc, existing)
    _seed_counter(rpc, existing, propagation_timeout)
    _seed_animations_and_suggestions(rpc, existing, propagation_timeout)
    _seed_logistics(rpc, existing, propagation_timeout)
    return existing
