"""The end of a partnership over the real broker: `remove_partner` tells it as `partner.updated`
with `ended_at` (through the partners outbox), and the partner stops counting as supply on the
members service's skills map and stops being offered by the events service. A duplicate of the end
is applied once; an older description arriving after the end does not bring the partner back."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.tables import OutboxEvent
from services.events.service import EventsService
from services.members import skills_map
from services.members.models import KnownPartner
from services.members.service import MembersService
from services.partners import read_models
from services.partners.service import PartnersService
from tests.support.reliability import inbox_count, village_envelope, wait_until

pytestmark = pytest.mark.broker


def _updated(partner_id, village_ids, occurred_at, ended_at=None):
    return build_envelope(
        "partner.updated",
        {
            "partner_id": partner_id,
            "name": "Multiservices du plateau",
            "kind": "artisan",
            "village_ids": village_ids,
            "skills": ["plomberie"],
            "relationships": [],
            "ended_at": ended_at,
        },
        village_id=None,
        source="partners",
        occurred_at=occurred_at,
    )


def _plumbers(members_db, village_id) -> int:
    """How many partners count as plumbing supply in the village (the skills map's figure)."""
    with members_db.unit_of_work() as uow:
        return len(skills_map.partner_supply(uow).get(village_id, {}).get("plomberie", []))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_ended_partner_stays_ended_whatever_arrives_twice_or_late(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    members_db = service_db("members")
    _container, workers = start_container(MembersService, nameko_config)
    client = broker_client(amqp_uri)
    partner, village, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    client.publish_envelope(_updated(partner, [village], now - timedelta(hours=2)))
    wait_until(lambda: workers.runs("on_partner_updated", ok=True) == 1, message="first update")
    assert _plumbers(members_db, village) == 1
    ended = _updated(partner, [village], now, ended_at=now)
    client.publish_envelope(ended)
    client.publish_envelope(ended)  # redelivered
    wait_until(lambda: workers.runs("on_partner_updated", ok=True) == 3, message="the end handled")
    assert _plumbers(members_db, village) == 0
    # written before the end, delivered after it: the end is the latest description and stays
    client.publish_envelope(_updated(partner, [village], now - timedelta(minutes=5)))
    wait_until(lambda: workers.runs("on_partner_updated", ok=True) == 4, message="late update")
    assert _plumbers(members_db, village) == 0
    with members_db.unit_of_work() as uow:
        row = uow.session.get(KnownPartner, partner)
        assert abs(row.ended_at - now) < timedelta(milliseconds=1)
        assert abs(row.changed_at - now) < timedelta(milliseconds=1)
    assert inbox_count(members_db, "members.on_partner_updated") == 3  # the copy applied once


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_removing_a_partner_takes_its_skills_off_the_map_and_its_name_off_the_co_organisers(
    nameko_config, service_db, start_container, relay
):
    partners_db, members_db = service_db("partners"), service_db("members")
    events_db = service_db("events")
    here = village_envelope(name="Tarnac")
    with partners_db.unit_of_work() as uow:
        read_models.facts.record_villages(uow, [parse_envelope(here)])
    for service in (PartnersService, MembersService, EventsService):
        start_container(service, nameko_config)
    relay("partners")
    village = here["village_id"]
    with (
        ServiceRpcProxy("partners", nameko_config, timeout=10) as partners,
        ServiceRpcProxy("events", nameko_config, timeout=10) as events,
    ):
        kept = partners.register_partner(
            {
                "name": "Atelier Dubois",
                "kind": "artisan",
                "village_ids": [village],
                "skills": ["plomberie"],
            }
        )["partner"]
        leaving = partners.register_partner(
            {
                "name": "Plomberie Martin",
                "kind": "artisan",
                "village_ids": [village],
                "skills": ["plomberie"],
            }
        )["partner"]
        wait_until(lambda: _plumbers(members_db, village) == 2, message="both count as supply")
        wait_until(
            lambda: len(events.known_partners(village)) == 2, message="both offered by events"
        )
        answer = partners.remove_partner(leaving["id"], {"reason": "cessation d'activité"})
        assert answer["ended_at"] is not None
        wait_until(lambda: _plumbers(members_db, village) == 1, message="the supply drops")
        wait_until(
            lambda: [p["id"] for p in events.known_partners(village)] == [kept["id"]],
            message="the ended partner no longer offered",
        )
        with members_db.unit_of_work() as uow:
            supply = skills_map.partner_supply(uow)[village]["plomberie"]
        assert [s["partner_id"] for s in supply] == [kept["id"]]
        # removing twice is removing once: nothing more is told
        partners.remove_partner(leaving["id"], {"reason": "encore"})
    with partners_db.unit_of_work() as uow:
        bodies = uow.session.scalars(
            select(OutboxEvent.body).where(OutboxEvent.type == "partner.updated")
        )
        told = [json.loads(body)["payload"] for body in bodies]
    assert [p["partner_id"] for p in told] == [leaving["id"]]
    assert told[0]["ended_at"] is not None
    assert inbox_count(events_db, "events.on_partner_updated") == 1
