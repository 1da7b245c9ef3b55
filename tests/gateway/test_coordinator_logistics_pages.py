"""The coordinator's logistics and money forms given bad input, on the real orders and partners
services (SQLite and PostgreSQL) behind the gateway: each error beside its field, what was typed
shown again, nothing written; a concierge gets 403 on every one of these pages."""

import html
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gateway.console.framework import PAGES
from gateway.service import GatewayService
from services.orders.models import KnownVillage as OrdersVillage
from services.orders.models import KnownVillageStops, Round, Vehicle
from services.orders.service import OrdersService
from services.partners.models import Campaign, FundingSource
from services.partners.service import PartnersService
from tests.support.coordinator_console import (
    VILLAGES,
    FakeMembers,
    described_by_error,
    field_error,
    seed_villages,
    staff_session,
)
from tests.support.infrastructure import free_port
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

BOURG = VILLAGES[0]["id"]
MINE = (
    "/console/coordination/vehicules",
    "/console/coordination/tournees",
    "/console/coordination/commandes-groupees",
    "/console/coordination/financements",
    "/console/coordination/campagnes",
)


@pytest.fixture(scope="module")
def logistics_console(module_world):
    """The orders and partners services knowing the two villages, the fake members and the
    gateway, started once for the module."""
    world = module_world(GATEWAY_SECRET="logistics-pages-test", MAILLAGE_RPC_TIMEOUT="10")
    orders_db, partners_db = world.database("orders"), world.database("partners")
    seed_villages(orders_db, partners_db)
    port = free_port()
    world.start(
        OrdersService,
        PartnersService,
        FakeMembers,
        GatewayService,
        config={**world.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"},
    )
    world.snapshot()
    yield world, (f"http://127.0.0.1:{port}", orders_db, partners_db)


@pytest.fixture
def console(logistics_console):
    """The module's console, its databases as its set-up left them, a coordinator's session."""
    world, (base, orders_db, partners_db) = logistics_console
    world.reset()
    return base, orders_db, partners_db, staff_session(base, "coordinator")


def count(database, model) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_vehicle_with_bad_input_is_refused_beside_each_field_and_nothing_is_written(console):
    base, orders_db, _partners_db, coordinator = console
    answer = coordinator.post(
        "/console/coordination/vehicules",
        {"name": "K", "kind": "van", "capacity": "beaucoup", "depot_village_id": BOURG},
    )
    assert answer.status_code == 400
    page = answer.text
    assert field_error(page, "name") == "La longueur doit être comprise entre 2 et 120 caractères."
    assert field_error(page, "capacity") == "Nombre entier attendu."
    assert field_error(page, "driver")  # neither a volunteer nor a partner chosen
    assert all(described_by_error(page, f) for f in ("name", "capacity", "driver"))
    assert 'value="beaucoup"' in page and f'value="{BOURG}" selected' in page
    assert count(orders_db, Vehicle) == 0


def test_a_vehicle_changed_or_retired_wrongly_keeps_what_it_was(console):
    base, orders_db, _partners_db, coordinator = console
    with orders_db.unit_of_work() as uow:
        uow.session.add(
            Vehicle(
                id=str(uuid.uuid4()),
                name="Kangoo du Bourg",
                depot_village_id=BOURG,
                capacity=12,
                kind="van",
                driver_partner_id=str(uuid.uuid4()),
                active=True,
            )
        )
        uow.commit()
        vehicle_id = uow.session.scalars(select(Vehicle.id)).one()
    answer = coordinator.post(
        f"/console/coordination/vehicules/{vehicle_id}", {"capacity": "0", "kind": "fusée"}
    )
    assert answer.status_code == 400
    assert field_error(answer.text, "capacity") and field_error(answer.text, "kind")
    assert 'value="0"' in answer.text
    with orders_db.unit_of_work() as uow:
        vehicle = uow.session.get(Vehicle, vehicle_id)
        assert (vehicle.capacity, vehicle.kind, vehicle.active) == (12, "van", True)
    asked = coordinator.get(f"/console/coordination/vehicules/{vehicle_id}/retrait")
    assert asked.status_code == 200 and "Confirmer le retrait" in asked.text
    with orders_db.unit_of_work() as uow:  # asking is not retiring
        assert uow.session.get(Vehicle, vehicle_id).active is True


def test_a_round_without_villages_or_a_valid_day_is_refused_and_not_planned(console):
    base, orders_db, _partners_db, coordinator = console
    answer = coordinator.post(
        "/console/coordination/tournees",
        {"date": "le 3 décembre", "vehicle_id": "", "supplier_pickups": "1"},
    )
    assert answer.status_code == 400
    page = answer.text
    assert field_error(page, "village_ids") == "Cochez au moins un village à servir."
    assert field_error(page, "date") == "Date invalide."
    assert field_error(page, "vehicle_id") == "Champ obligatoire."
    assert 'value="le 3 décembre"' in html.unescape(page)
    assert count(orders_db, Round) == 0


def test_a_truck_stop_at_a_place_unknown_or_of_another_village_is_refused_beside_it(
    console, monkeypatch
):
    """Montcalvel's truck stops at « Place de l'église »; Felletin's at « Champ de foire ». A round
    through Montcalvel names the place of its truck's stop: refused (in French, beside the place's
    input, what was typed kept) at Felletin's place or a place orders does not know; planned at
    its own, with the arrival and the duration."""
    base, orders_db, _partners_db, coordinator = console
    montcalvel, felletin = str(uuid.UUID(int=3)), str(uuid.UUID(int=4))
    church, fair = str(uuid.uuid4()), str(uuid.uuid4())
    places = {
        montcalvel: ("Montcalvel", church, "Place de l'église"),
        felletin: ("Felletin", fair, "Champ de foire"),
    }
    with orders_db.unit_of_work() as uow:
        for village_id, (name, place_id, place) in places.items():
            uow.session.add(
                OrdersVillage(
                    id=village_id,
                    slug=name.lower(),
                    name=name,
                    kind="itinerant",
                    latitude=45.5,
                    longitude=1.9,
                    opened_at=datetime.now(UTC),
                )
            )
            uow.session.add(
                KnownVillageStops(
                    village_id=village_id,
                    stops=[
                        {
                            "stop_id": place_id,
                            "name": place,
                            "commune": name,
                            "latitude": None,
                            "longitude": None,
                        }
                    ],
                    changed_at=datetime.now(UTC),
                )
            )
        uow.session.add(
            Vehicle(
                id=str(uuid.uuid4()),
                name="Camion",
                depot_village_id=BOURG,
                capacity=10,
                driver_member_id=str(uuid.uuid4()),
            )
        )
        uow.commit()
    monkeypatch.setattr(
        FakeMembers,
        "trucks",
        [
            {"id": v, "name": name, "stops": [{"id": place_id, "name": place, "commune": name}]}
            for v, (name, place_id, place) in places.items()
        ],
    )
    with orders_db.unit_of_work() as uow:
        vehicle_id = uow.session.scalar(select(Vehicle.id))
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    form = {
        "date": day,
        "vehicle_id": vehicle_id,
        "village_ids": [montcalvel],
        "truck-time-0": "10h30",
        "truck-duration-0": "45",
    }
    page = coordinator.get("/console/coordination/tournees").text
    assert f'value="{montcalvel}:{church}"' in page and f'value="{felletin}:{fair}"' in page
    for place, said in (
        (f"{montcalvel}:{fair}", "Ce lieu est un arrêt de Felletin, pas de Montcalvel."),
        (f"{montcalvel}:{uuid.uuid4()}", "Ce lieu n'est pas un arrêt connu du camion."),
        (
            f"{felletin}:{fair}",
            "Ce village n'est pas desservi par la tournée (ou n'a pas de camion).",
        ),
    ):
        answer = coordinator.post(
            "/console/coordination/tournees", {**form, "truck-place-0": place}
        )
        assert answer.status_code == 400, place
        assert html.unescape(field_error(answer.text, "truck-place-0")) == said
        assert described_by_error(answer.text, "truck-place-0")
        assert 'value="10h30"' in answer.text
    answer = coordinator.post("/console/coordination/tournees", form)  # no truck stop at all
    assert html.unescape(field_error(answer.text, "truck_stops")) == (
        "Choisissez le lieu et l'heure de l'arrêt du camion à Montcalvel."
    )
    assert count(orders_db, Round) == 0
    planned = coordinator.post(
        "/console/coordination/tournees", {**form, "truck-place-0": f"{montcalvel}:{church}"}
    )
    assert planned.status_code == 303, planned.text
    shown = coordinator.get(planned.headers["Location"].removeprefix(base))
    assert "Tournée planifiée" in shown.text
    assert "Place de l'église (Montcalvel) — arrivée vers 10 h 30, 45 min sur place" in (
        html.unescape(shown.text)
    )


def test_a_funding_source_with_bad_input_is_refused_beside_each_field(console):
    base, _orders_db, partners_db, coordinator = console
    answer = coordinator.post(
        "/console/coordination/financements",
        {
            "kind": "service_contract",
            "name": "Contrat de portage",
            "village_id": BOURG,
            "amount_cents": "douze euros",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "services": "",
        },
    )
    assert answer.status_code == 400
    page = html.unescape(answer.text)
    assert field_error(page, "amount_cents") == "Montant en euros invalide (ex. 15 ou 12,50)."
    assert 'value="douze euros"' in page and 'value="Contrat de portage"' in page
    assert count(partners_db, FundingSource) == 0
    answer = coordinator.post(  # the same, readable, but a contract without its buyer
        "/console/coordination/financements",
        {
            "kind": "service_contract",
            "name": "Contrat de portage",
            "amount_cents": "1 500,50",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "services": "Portage de courses",
        },
    )
    assert answer.status_code == 400 and field_error(answer.text, "partner_id")
    assert 'value="1 500,50"' in answer.text
    assert count(partners_db, FundingSource) == 0


def test_a_campaign_with_bad_input_is_refused_beside_each_field(console):
    base, _orders_db, partners_db, coordinator = console
    answer = coordinator.post(
        "/console/coordination/campagnes",
        {"title": "Ca", "goal_cents": "-5", "deadline": "2020-01-01", "village_id": BOURG},
    )
    assert answer.status_code == 400
    page = html.unescape(answer.text)
    assert field_error(page, "title") == "La longueur doit être comprise entre 3 et 160 caractères."
    assert field_error(page, "goal_cents") == "Montant en euros invalide (ex. 15 ou 12,50)."
    assert 'value="-5"' in page and 'value="2020-01-01"' in page
    answer = coordinator.post(
        "/console/coordination/campagnes",
        {"title": "Casiers réfrigérés", "goal_cents": "1 000", "deadline": "2020-01-01"},
    )
    assert answer.status_code == 400 and field_error(answer.text, "deadline")
    assert count(partners_db, Campaign) == 0


def test_a_concierge_opens_none_of_these_pages(console):
    base, *_ = console
    concierge = staff_session(base, "concierge", BOURG)
    mine = [spec for spec in PAGES if spec.path.startswith(MINE)]
    assert len(mine) == 12  # the funding mix's CSV among them
    for spec in mine:
        path = spec.path.replace("<", "").replace(">", "")
        for method in spec.methods:
            answer = concierge.get(path) if method == "GET" else concierge.post(path, {})
            assert answer.status_code == 403, f"{method} {path}: {answer.status_code}"
            assert "réservée à la coordination" in answer.text
