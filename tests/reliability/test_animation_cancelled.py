"""On the real broker, issue 6's consumers: a cancelled animation tells each member registered
once (the members service handles `animation.cancelled` delivered twice with one effect: one notice
per member); the events service learns an offer once from `offer.published` delivered twice (what
a suggestion may name as its answer). Nothing lands in the dead letters."""

import uuid
from datetime import UTC, datetime

import pytest

from backbone import topology
from backbone.contracts import build_envelope
from backbone.dead_letters import DeadLetterQueue
from backbone.schemas import load
from services.events.models import KnownOffer
from services.events.service import EventsService
from services.members import people, villages
from services.members.models import Notice
from services.members.schemas import VillageInput
from services.members.schemas.people import MemberInput
from services.members.service import MembersService
from tests.support.reliability import count, inbox_count, village_input, wait_until

pytestmark = pytest.mark.broker


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_cancellation_delivered_twice_tells_each_member_once(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village_id = villages.open_village(uow, load(VillageInput(), village_input()))["id"]
    member_ids = []
    for n, channel in enumerate(("sms", "phone")):
        with database.unit_of_work() as uow:
            member_ids.append(
                people.register_member(
                    uow,
                    load(
                        MemberInput(),
                        {
                            "village_id": village_id,
                            "first_name": "Inscrite",
                            "last_name": f"Numéro {n}",
                            "phone": f"06 39 98 20 0{n}",
                            "preferred_channel": channel,
                            "consents": ["contact"],
                        },
                    ),
                )["id"]
            )
    _container, workers = start_container(MembersService, nameko_config)
    client = broker_client(amqp_uri, topology.subscriptions_of(MembersService))
    envelope = build_envelope(
        "animation.cancelled",
        {
            "animation_id": str(uuid.uuid4()),
            "village_id": village_id,
            "title": "Atelier tricot",
            "starts_at": datetime(2026, 12, 5, 13, tzinfo=UTC),
            "reason": None,
            "member_ids": member_ids,
        },
        village_id=village_id,
        source="events",
    )

    client.publish_envelope(envelope)
    client.publish_envelope(envelope)  # an at-least-once redelivery

    wait_until(
        lambda: workers.runs("on_animation_cancelled", ok=True) == 2, message="both copies handled"
    )
    assert count(database, Notice) == 2
    assert count(database, Notice, Notice.channel == "sms") == 1
    assert count(database, Notice, Notice.channel == "call") == 1
    assert inbox_count(database, "members.on_animation_cancelled") == 1
    assert DeadLetterQueue(amqp_uri).list() == [], "a duplicate is not an error"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_offer_published_twice_is_known_once(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    database = service_db("events")
    _container, workers = start_container(EventsService, nameko_config)
    client = broker_client(amqp_uri, topology.subscriptions_of(EventsService))
    offer_id, partner_id = str(uuid.uuid4()), str(uuid.uuid4())
    envelope = build_envelope(
        "offer.published",
        {
            "offer_id": offer_id,
            "partner_id": partner_id,
            "partner_name": "GAEC",
            "name": "Panier de légumes",
            "kind": "product",
            "unit": "piece",
            "price_cents": 1200,
            "vat_rate": 55,
            "lead_time_days": 2,
            "cutoff_time": "18:00",
            "days": ["friday"],
            "village_ids": [],
            "perishable": True,
            "available": True,
        },
        village_id=None,
        source="partners",
    )

    client.publish_envelope(envelope)
    client.publish_envelope(envelope)

    wait_until(
        lambda: workers.runs("on_offer_published", ok=True) == 2, message="both copies handled"
    )
    assert (
        count(database, KnownOffer) == 1
        and count(database, KnownOffer, KnownOffer.id == offer_id) == 1
    )
    assert inbox_count(database, "events.on_offer_published") == 1
    assert DeadLetterQueue(amqp_uri).list() == []
