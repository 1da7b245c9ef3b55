"""RGPD erasure across services, on the real broker: the members service erases a person and
records `member.erased` with the change; the relay publishes it; orders and events anonymise their
read model; a redelivered `member.erased` (and a late `member.registered`) changes nothing."""

import json

import pytest
from sqlalchemy import select

from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.events.models import KnownMember as EventsKnownMember
from services.events.service import EventsService
from services.members import people
from services.members.schemas.people import MemberInput
from services.orders.models import KnownMember as OrdersKnownMember
from services.orders.service import OrdersService
from tests.support.reliability import inbox_count, open_village, pending, wait_until

pytestmark = pytest.mark.broker

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _row(database, model, member_id):
    with database.unit_of_work() as uow:
        row = uow.session.get(model, member_id)
        return (
            None
            if row is None
            else {"display_name": row.display_name, "tags": row.tags, "erased_at": row.erased_at}
        )


def _envelope(database, event_type):
    with database.unit_of_work() as uow:
        row = uow.session.scalars(select(OutboxEvent).where(OutboxEvent.type == event_type)).one()
        return json.loads(row.body)


@BOTH
def test_an_erased_member_is_gone_from_every_read_model_and_a_redelivery_changes_nothing(
    amqp_uri, nameko_config, service_db, relay, start_container, broker_client
):
    members, orders, events = service_db("members"), service_db("orders"), service_db("events")
    _o, orders_log = start_container(OrdersService, nameko_config)  # subscribers before publishers
    _e, events_log = start_container(EventsService, nameko_config)
    village = open_village(members)
    with members.unit_of_work() as uow:
        member = people.register_member(
            uow,
            load(
                MemberInput(),
                {
                    "village_id": village["id"],
                    "first_name": "Marcelle",
                    "last_name": "Vergne",
                    "phone": "01 99 00 10 01",
                    "tags": ["fragile", "no_car", "family"],
                },
            ),
        )
    relay("members")

    def registered_everywhere():
        return all(
            (_row(db, model, member["id"]) or {}).get("display_name") == "Marcelle Vergne"
            for db, model in ((orders, OrdersKnownMember), (events, EventsKnownMember))
        )

    wait_until(registered_everywhere, message="both read models to know the member")
    assert _row(orders, OrdersKnownMember, member["id"])["tags"] == "fragile,no_car", (
        "only the tags other services need travel"
    )

    # kept to replay late: once erased, the outbox keeps this event (published) without the name
    wait_until(
        lambda: pending(members) == 0, message="the relay to mark member.registered published"
    )
    registration = _envelope(members, "member.registered")
    with members.unit_of_work() as uow:
        people.erase_member(uow, village["id"], member["id"])
    wait_until(lambda: pending(members) == 0, message="the relay to publish member.erased")
    assert "Vergne" not in json.dumps(_envelope(members, "member.registered"))

    def erased_everywhere():
        return all(
            (_row(db, model, member["id"]) or {}).get("erased_at")
            for db, model in ((orders, OrdersKnownMember), (events, EventsKnownMember))
        )

    wait_until(erased_everywhere, message="both read models to anonymise the member")
    before = {
        name: _row(db, model, member["id"])
        for name, db, model in (
            ("orders", orders, OrdersKnownMember),
            ("events", events, EventsKnownMember),
        )
    }
    for row in before.values():
        assert row["display_name"] is None and row["tags"] is None

    # the broker redelivers the erasure, and a stale registration arrives late
    client = broker_client(amqp_uri)
    client.publish_envelope(_envelope(members, "member.erased"))
    client.publish_envelope(registration)
    for log in (orders_log, events_log):
        wait_until(
            lambda log=log: (
                log.runs("on_member_erased", ok=True) == 2
                and log.runs("on_member_registered", ok=True) == 2
            ),
            message="the redeliveries to be handled",
        )
    after = {
        name: _row(db, model, member["id"])
        for name, db, model in (
            ("orders", orders, OrdersKnownMember),
            ("events", events, EventsKnownMember),
        )
    }
    assert after == before, "a redelivered erasure (or a late registration) brings nothing back"
    assert inbox_count(orders, "orders.on_member_erased") == 1
    assert inbox_count(events, "events.on_member_erased") == 1

    # and the members service itself kept no personal data
    with members.unit_of_work() as uow:
        from services.members.models import Member

        row = uow.session.get(Member, member["id"])
        assert (row.first_name, row.last_name, row.phone, row.search_name, row.tags) == (
            None,
            None,
            None,
            None,
            [],
        )
        assert row.erased_at is not None


def test_an_erasure_that_overtakes_the_registration_leaves_a_tombstone(service_db):
    """Out of order (edge mode, a replay): the erasure first, then the registration: no name."""
    from backbone.contracts import build_envelope
    from services.orders import read_models

    orders = service_db("orders")
    member_id, village_id = (
        "0b6c3c9e-0000-4000-8000-000000000001",
        "0b6c3c9e-0000-4000-8000-000000000002",
    )
    erased = build_envelope(
        "member.erased",
        {"member_id": member_id, "village_id": village_id},
        village_id=village_id,
        source="members",
    )
    registered = build_envelope(
        "member.registered",
        {
            "member_id": member_id,
            "village_id": village_id,
            "display_name": "Raymond Chassagne",
            "tags": [],
        },
        village_id=village_id,
        source="members",
    )
    from backbone.contracts import parse_envelope

    for envelope, handler in (
        (erased, read_models.record_member_erased),
        (registered, read_models.record_member_registered),
    ):
        with orders.unit_of_work() as uow:
            handler(uow, parse_envelope(json.loads(json.dumps(envelope))))
    row = _row(orders, OrdersKnownMember, member_id)
    assert row["display_name"] is None and row["erased_at"] is not None
