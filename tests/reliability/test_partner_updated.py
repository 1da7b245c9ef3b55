"""`partner.updated` end to end over the real broker: the villages a partner serves, changed in
partners, reach the events service's copy (the co-organisers it offers a village); a duplicate, an
older description arriving late, or an update sent while events was down change nothing wrong."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.contracts import build_envelope, parse_envelope
from services.events.models import KnownPartner
from services.events.service import EventsService
from services.partners import read_models
from services.partners.service import PartnersService
from tests.support.reliability import inbox_count, village_envelope, wait_until

pytestmark = pytest.mark.broker


def _known(database, partner_id):
    with database.unit_of_work() as uow:
        row = uow.session.get(KnownPartner, partner_id)
        return None if row is None else (row.name, row.village_ids)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_partner_serving_new_villages_is_offered_there_by_events(
    nameko_config, service_db, start_container, relay
):
    partners_db, events_db = service_db("partners"), service_db("events")
    here, there = village_envelope(name="Tarnac"), village_envelope(name="Bugeat")
    with partners_db.unit_of_work() as uow:
        read_models.facts.record_villages(uow, [parse_envelope(here), parse_envelope(there)])
    for service in (PartnersService, EventsService):
        start_container(service, nameko_config)
    relay("partners")
    with (
        ServiceRpcProxy("partners", nameko_config, timeout=10) as partners,
        ServiceRpcProxy("events", nameko_config, timeout=10) as events,
    ):
        partner = partners.register_partner(
            {"name": "Ferme du Puy", "kind": "producer", "village_ids": [here["village_id"]]}
        )["partner"]
        wait_until(
            lambda: [p["id"] for p in events.known_partners(here["village_id"])] == [partner["id"]],
            message="the partner offered where it serves",
        )
        assert events.known_partners(there["village_id"]) == []
        partners.update_partner(partner["id"], {"village_ids": [there["village_id"]]})
        wait_until(
            lambda: (
                [p["id"] for p in events.known_partners(there["village_id"])] == [partner["id"]]
            ),
            message="the partner offered where it serves now",
        )
        assert events.known_partners(here["village_id"]) == []
    assert _known(events_db, partner["id"]) == ("Ferme du Puy", [there["village_id"]])


def _updated(partner_id, occurred_at, village_ids, name="Ferme du Puy"):
    return build_envelope(
        "partner.updated",
        {
            "partner_id": partner_id,
            "name": name,
            "kind": "producer",
            "village_ids": village_ids,
            "relationships": ["co_organiser"],
        },
        village_id=None,
        source="partners",
        occurred_at=occurred_at,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_duplicate_or_an_older_description_arriving_late_changes_nothing(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    events_db = service_db("events")
    _container, workers = start_container(EventsService, nameko_config)
    client = broker_client(amqp_uri)
    partner, village, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    newer = _updated(partner, now, [village], name="GAEC du Puy")
    client.publish_envelope(newer)
    client.publish_envelope(newer)  # a duplicate delivery
    wait_until(
        lambda: workers.runs("on_partner_updated", ok=True) == 2, message="both copies handled"
    )
    client.publish_envelope(_updated(partner, now - timedelta(minutes=5), []))
    client.publish_envelope(
        build_envelope(
            "partner.joined",
            {"partner_id": partner, "name": "Ferme du Puy", "kind": "producer", "village_ids": []},
            village_id=None,
            source="partners",
            occurred_at=now - timedelta(days=1),
        )
    )
    wait_until(
        lambda: (
            workers.runs("on_partner_updated", ok=True) == 3
            and workers.runs("on_partner_joined", ok=True) == 1
        ),
        message="the late events handled",
    )
    assert _known(events_db, partner) == ("GAEC du Puy", [village])
    assert inbox_count(events_db, "events.on_partner_updated") == 2


def test_an_update_sent_while_events_is_down_is_applied_when_it_comes_back(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    events_db = service_db("events")
    container, workers = start_container(EventsService, nameko_config)
    client = broker_client(amqp_uri)
    partner, village, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    client.publish_envelope(_updated(partner, now, []))
    wait_until(lambda: workers.runs("on_partner_updated", ok=True) == 1, message="first update")
    container.kill()
    client.publish_envelope(_updated(partner, now + timedelta(minutes=1), [village]))
    start_container(EventsService, nameko_config)
    wait_until(
        lambda: _known(events_db, partner) == ("Ferme du Puy", [village]),
        message="the update applied after the restart",
    )
