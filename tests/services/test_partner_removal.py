"""A partnership ends (services/partners/removal.py), on SQLite and PostgreSQL: in one transaction
the partner is marked ended, its API keys revoked, its webhooks disabled and pending deliveries
parked with the reason, its offers withdrawn from every catalogue selling them
(`catalogue.changed` in the outbox for each of those villages, another partner's items kept);
nothing figures or history need is deleted; an ended partner gets no new offer, entry, webhook,
key or delivery (409 partner_ended) and a second removal changes nothing. The migration adding the
columns keeps existing partners."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from backbone import migrations
from backbone.contracts import build_envelope, parse_envelope
from backbone.db import Database
from backbone.errors import AuthenticationFailed, Conflict
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.partners import (
    catalogues,
    deliveries,
    figures,
    offers,
    partners,
    read_models,
    removal,
    subscriptions,
)
from services.partners.models import (
    ApiKey,
    Delivery,
    FeedAccount,
    Offer,
    Partner,
    WebhookSubscription,
)
from services.partners.schemas import (
    AvailabilityInput,
    CatalogueEntryInput,
    OfferInput,
    PartnerInput,
)
from services.partners.schemas.subscriptions import WebhookInput
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = pytest.mark.broker  # a module world holds a vhost, though no service starts

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REASON = "Fin du contrat d'approvisionnement"


def village_opened(name):
    village_id = str(uuid.uuid4())
    return parse_envelope(
        build_envelope(
            "village.opened",
            {
                "village_id": village_id,
                "slug": name.lower(),
                "name": name,
                "commune": name,
                "insee_code": "19164",
                "kind": "fixed",
                "population": 600,
            },
            village_id=village_id,
            source="members",
        )
    )


def scheduled(village_id):
    return parse_envelope(
        build_envelope(
            "animation.scheduled",
            {
                "animation_id": str(uuid.uuid4()),
                "village_id": village_id,
                "kind": "atelier",
                "title": "Atelier tricot",
                "place": "Salle des fêtes",
                "starts_at": T0,
                "ends_at": T0 + timedelta(hours=2),
                "capacity": 12,
                "co_organiser_ids": [],
            },
            village_id=village_id,
            source="events",
        )
    )


def offer_input(villages, name="Yaourts fermiers"):
    return {
        "name": name,
        "kind": "product",
        "unit": "piece",
        "price_cents": 250,
        "vat_rate": 55,
        "lead_time_days": 2,
        "cutoff_time": "18:00",
        "days": ["tuesday", "friday"],
        "village_ids": villages,
        "perishable": True,
    }


def catalogue_events(database):
    with database.unit_of_work() as uow:
        return [
            json.loads(row.body)
            for row in uow.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "catalogue.changed")
                .order_by(OutboxEvent.id)
            )
        ]


def _partners_world(database):
    """Three villages; `gaec` (a shared supplier of the first two) sold in both, with a
    webhook and a feed, a pending delivery on each and one delivered; `fournil` (of the
    second) sold there too."""
    villages = [village_opened(n) for n in ("Peyrelevade", "Tarnac", "Faux")]
    with database.unit_of_work() as uow:
        for envelope in villages:
            read_models.record_village(uow, envelope)
    v = [e["village_id"] for e in villages]
    made = {}
    for key, name, served in (
        ("gaec", "GAEC des Trois Fontaines", v[:2]),
        ("fournil", "Fournil de Tarnac", [v[1]]),
    ):
        with database.unit_of_work() as uow:
            made[key] = partners.register_partner(
                uow,
                load(
                    PartnerInput(),
                    {
                        "name": name,
                        "kind": "producer",
                        "village_ids": served,
                        "relationships": ["supplier"],
                    },
                ),
            )
    gaec, fournil = made["gaec"]["partner"]["id"], made["fournil"]["partner"]["id"]
    with database.unit_of_work() as uow:
        yaourts = offers.create_offer(uow, gaec, load(OfferInput(), offer_input(v[:2])))["id"]
    with database.unit_of_work() as uow:
        pain = offers.create_offer(
            uow, fournil, load(OfferInput(), offer_input([v[1]], "Pain de campagne"))
        )["id"]
    for village_id, offer_id in ((v[0], yaourts), (v[1], yaourts), (v[1], pain)):
        with database.unit_of_work() as uow:
            catalogues.add_entry(
                uow, village_id, load(CatalogueEntryInput(), {"offer_id": offer_id})
            )
    with database.unit_of_work() as uow:
        hook = subscriptions.create_webhook(
            uow,
            gaec,
            load(
                WebhookInput(),
                {"url": "https://gaec.example/hooks", "event_types": ["animation.scheduled"]},
            ),
        )
        uow.session.add(FeedAccount(partner_id=gaec, username=f"partner-{gaec}", created_at=T0))
        uow.commit()
    with database.unit_of_work() as uow:
        assert (
            subscriptions.record_deliveries(uow, [scheduled(v[0])], now=T0) == 2
        )  # webhook and feed
    with database.unit_of_work() as uow:
        assert subscriptions.record_deliveries(uow, [scheduled(v[0])], now=T0) == 2
    with (
        database.unit_of_work() as uow
    ):  # the first two were delivered before the partnership ended
        for row in uow.session.scalars(
            select(Delivery).order_by(Delivery.created_at, Delivery.id)
        ).all()[:2]:
            row.status, row.settled_at = "delivered", T0
        uow.commit()
    return {
        "db": database,
        "villages": v,
        "gaec": gaec,
        "fournil": fournil,
        "hook": hook["id"],
        "key": made["gaec"]["api_key"],
        "fournil_key": made["fournil"]["api_key"],
        "yaourts": yaourts,
        "pain": pain,
    }


@pytest.fixture(scope="module")
def partners_world(module_world):
    """The partners' rows written once per backend; no service runs (the tests call the service
    layer), the world only puts the database back before each test."""
    world = module_world()
    made = _partners_world(world.database("partners"))
    world.snapshot()
    yield world, made


@pytest.fixture
def world(partners_world):
    """The module's partners database, as `_partners_world` left it."""
    world, made = partners_world
    world.reset()
    return made


def end(world, reason=REASON):
    with world["db"].unit_of_work() as uow:
        return removal.end_partnership(uow, world["gaec"], reason)


def test_a_removal_withdraws_the_offers_from_each_catalogue_with_catalogue_changed(world):
    database, v = world["db"], world["villages"]
    before = len(catalogue_events(database))
    done = end(world)
    assert sorted(done["catalogues_changed"]) == sorted(v[:2])
    changed = {e["village_id"]: e["payload"]["items"] for e in catalogue_events(database)[before:]}
    assert set(changed) == set(v[:2]), (
        "one catalogue.changed per village that sold its offers, none else"
    )
    assert changed[v[0]] == []
    assert [i["offer_id"] for i in changed[v[1]]] == [world["pain"]], "another partner's item stays"
    with database.unit_of_work() as uow:
        assert catalogues.get_catalogue(uow, v[0])["items"] == []
        assert (
            figures.village_figures(uow, T0.date(), T0.date(), v)["figures"][v[1]][
                "catalogue_items"
            ]
            == 1
        )
        # a concierge can no longer pick its offers, nor put one back
        assert [o["id"] for o in offers.offers_in_village(uow, v[1])] == [world["pain"]]
    with database.unit_of_work() as uow, pytest.raises(Conflict) as refused:
        catalogues.add_entry(uow, v[0], load(CatalogueEntryInput(), {"offer_id": world["yaourts"]}))
    assert refused.value.reason == "partner_ended"


def test_a_removal_revokes_the_keys_disables_the_webhooks_and_parks_what_was_pending(world):
    database = world["db"]
    done = end(world)
    assert (done["api_keys_revoked"], done["webhooks_disabled"], done["deliveries_parked"]) == (
        1,
        1,
        2,
    )
    with database.unit_of_work() as uow:
        with pytest.raises(AuthenticationFailed):
            partners.authenticate_api_key(uow, world["key"])
        assert partners.authenticate_api_key(uow, world["fournil_key"])["id"] == world["fournil"]
        assert all(
            k.revoked_at is not None
            for k in uow.session.scalars(select(ApiKey).where(ApiKey.partner_id == world["gaec"]))
        )
        assert uow.session.get(WebhookSubscription, world["hook"]).deleted_at is not None
        rows = uow.session.scalars(
            select(Delivery).where(Delivery.partner_id == world["gaec"])
        ).all()
        assert sorted(r.status for r in rows) == ["delivered", "delivered", "parked", "parked"]
        assert {r.last_error for r in rows if r.status == "parked"} == {
            "partner removed: " + REASON
        }
        # nothing figures or history read is deleted
        partner = uow.session.get(Partner, world["gaec"])
        assert (partner.ended_at is not None, partner.end_reason, partner.feed_deleted_at) == (
            True,
            REASON,
            None,
        )
        assert uow.session.get(Offer, world["yaourts"]) is not None
        assert partners.get_partner(uow, world["gaec"])["end_reason"] == REASON


def test_an_ended_partner_is_listed_only_when_asked(world):
    end(world)
    with world["db"].unit_of_work() as uow:
        assert [p["id"] for p in partners.list_partners(uow)] == [world["fournil"]]
        assert [p["id"] for p in partners.list_partners(uow, world["villages"][0])] == []
        listed = {p["id"]: p for p in partners.list_partners(uow, include_ended=True)}
    assert set(listed) == {world["gaec"], world["fournil"]}
    assert (
        listed[world["gaec"]]["end_reason"] == REASON
        and listed[world["fournil"]]["ended_at"] is None
    )


@pytest.mark.parametrize(
    "attempt", ["offer", "offer_update", "availability", "webhook", "feed", "key", "redeliver"]
)
def test_an_ended_partner_gets_nothing_new(world, attempt):
    database, gaec = world["db"], world["gaec"]
    end(world)
    calls = {
        "offer": lambda uow: offers.create_offer(
            uow, gaec, load(OfferInput(), offer_input(world["villages"][:1], "Crème"))
        ),
        "offer_update": lambda uow: offers.update_offer(
            uow, gaec, world["yaourts"], load(OfferInput(), offer_input(world["villages"][:2]))
        ),
        "availability": lambda uow: offers.set_availability(
            uow, gaec, world["yaourts"], load(AvailabilityInput(), {"available": False})
        ),
        "webhook": lambda uow: subscriptions.create_webhook(
            uow,
            gaec,
            load(
                WebhookInput(),
                {"url": "https://gaec.example/autre", "event_types": ["animation.scheduled"]},
            ),
        ),
        "feed": lambda uow: subscriptions.create_feed_account(uow, gaec),
        "key": lambda uow: partners.rotate_api_key(uow, gaec),
        "redeliver": lambda uow: deliveries.redeliver(
            uow,
            uow.session.scalars(select(Delivery.id).where(Delivery.partner_id == gaec)).first(),
            gaec,
        ),
    }
    with database.unit_of_work() as uow, pytest.raises(Conflict) as refused:
        calls[attempt](uow)
    assert refused.value.reason == "partner_ended"


def test_an_ended_partner_receives_no_more_deliveries(world):
    database = world["db"]
    end(world)
    with database.unit_of_work() as uow:
        assert subscriptions.record_deliveries(uow, [scheduled(world["villages"][0])], now=T0) == 0
    # a delivery recorded just before the removal committed is parked by the sender, never sent
    late = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.session.add(
            Delivery(
                partner_id=world["gaec"],
                channel="webhook",
                target=world["hook"],
                subscription_id=world["hook"],
                event_id=late,
                event_type="animation.scheduled",
                body="{}",
                status="pending",
                attempts=0,
                next_attempt_at=T0,
                created_at=T0,
            )
        )
        uow.commit()

    class NoNetwork:
        def webhook(self, *_):
            raise AssertionError("sent to a removed partner")

        amqp = webhook

        def close(self):
            pass

    deliveries.send_due(database, outlets=NoNetwork())
    with database.unit_of_work() as uow:
        row = uow.session.scalars(select(Delivery).where(Delivery.event_id == late)).one()
        assert (row.status, row.last_error, row.attempts) == ("parked", "partner removed", 0)


def test_removing_twice_is_removing_once(world):
    first = end(world)
    events = len(catalogue_events(world["db"]))
    again = end(world, "Autre motif")
    assert (again["ended_at"], again["end_reason"]) == (first["ended_at"], REASON)
    assert (
        again["api_keys_revoked"],
        again["webhooks_disabled"],
        again["deliveries_parked"],
        again["catalogues_changed"],
    ) == (0, 0, 0, [])
    assert len(catalogue_events(world["db"])) == events


def test_the_removal_is_one_transaction(world, monkeypatch):
    """A failure half-way (here, writing the catalogue event) leaves the partner as it was."""

    def broken(uow, village_id):
        raise RuntimeError("disk full")

    monkeypatch.setattr(catalogues, "publish_catalogue", broken)
    with pytest.raises(RuntimeError):
        end(world)
    with world["db"].unit_of_work() as uow:
        assert uow.session.get(Partner, world["gaec"]).ended_at is None
        assert partners.authenticate_api_key(uow, world["key"])["id"] == world["gaec"]
        assert uow.session.get(WebhookSubscription, world["hook"]).deleted_at is None
        assert len(catalogues.get_catalogue(uow, world["villages"][0])["items"]) == 1


def test_the_migration_keeps_existing_partners_going(db_url):
    migrations.upgrade("partners", db_url, "0005_village_changed_at")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO partners (id, name, kind, created_at) "
                "VALUES ('p1', 'Fournil', 'artisan', '2026-01-05 10:00:00')"
            )
        )
    engine.dispose()
    migrations.upgrade("partners", db_url)
    database = Database(db_url, "partners")
    with database.unit_of_work() as uow:
        partner = uow.session.get(Partner, "p1")
        assert (partner.ended_at, partner.end_reason, partner.feed_deleted_at) == (None, None, None)
        assert [p["id"] for p in partners.list_partners(uow)] == ["p1"]
        assert removal.ended_feeds(uow) == []
    database.dispose()
