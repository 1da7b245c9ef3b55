"""Retention (issue 21): published outbox rows and settled delivery bodies are purged after their
period; rows not yet published, and deliveries not yet settled, are never touched."""

import importlib
import json
import time
from datetime import timedelta

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.testing.services import worker_factory
from nameko.timer import Timer
from sqlalchemy import select

from backbone import retention
from backbone.clock import utcnow
from backbone.tables import OutboxEvent
from services.partners import erasure
from services.partners.models import Delivery, Partner
from tests.support.reliability import wait_until


def _row(uow, name, published_days_ago):
    now = utcnow()
    uow.session.add(
        OutboxEvent(
            event_id=name.ljust(36, "0"),
            type="member.registered",
            version=1,
            body=json.dumps({"payload": {"display_name": name}}),
            created_at=now - timedelta(days=30),
            published_at=None
            if published_days_ago is None
            else now - timedelta(days=published_days_ago),
        )
    )


def test_published_outbox_rows_older_than_the_retention_go_and_pending_ones_stay(
    service_db, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_OUTBOX_RETENTION_DAYS", "7")
    orders = service_db("orders")
    with orders.unit_of_work() as uow:
        _row(uow, "old", 8)
        _row(uow, "recent", 6)
        _row(uow, "pending", None)
        uow.commit()
    with orders.unit_of_work() as uow:
        assert retention.purge_expired(uow, utcnow()) == 1
    with orders.unit_of_work() as uow:
        left = sorted(
            json.loads(b)["payload"]["display_name"]
            for b in uow.session.scalars(select(OutboxEvent.body))
        )
    assert left == ["pending", "recent"]


def test_settled_delivery_bodies_older_than_the_retention_are_emptied(service_db):
    partners = service_db("partners")
    now = utcnow()
    with partners.unit_of_work() as uow:
        partner = Partner(name="Transports du Plateau", kind="logistics")
        uow.session.add(partner)
        uow.session.flush()
        for event_id, status, settled in (
            ("a", "delivered", 31),
            ("b", "parked", 31),
            ("c", "delivered", 29),
            ("d", "pending", None),
        ):
            uow.session.add(
                Delivery(
                    partner_id=partner.id,
                    channel="amqp",
                    target=f"feed:{partner.id}",
                    event_id=event_id,
                    event_type="round.planned",
                    body='{"address": "x"}',
                    status=status,
                    settled_at=None if settled is None else now - timedelta(days=settled),
                )
            )
        uow.commit()
    with partners.unit_of_work() as uow:
        assert erasure.purge_delivery_bodies(uow, now, 30) == 2
        uow.commit()
    with partners.unit_of_work() as uow:
        bodies = dict(uow.session.execute(select(Delivery.event_id, Delivery.body)).all())
    assert bodies == {"a": "", "b": "", "c": '{"address": "x"}', "d": '{"address": "x"}'}


def test_scrubbing_empties_only_what_names_the_erased_person():
    body = {
        "payload": {
            "stops": [
                {"order_id": "o1", "address": "12 rue A", "items_count": 1},
                {"order_id": "o2", "address": "3 rue B", "items_count": 2},
            ],
            "village_id": "v",
        }
    }
    scrubbed, changed = retention.scrub_json(body, ["o1"])
    assert changed and scrubbed["payload"]["stops"] == [
        {"order_id": "o1", "address": None, "items_count": 1},
        {"order_id": "o2", "address": "3 rue B", "items_count": 2},
    ]


SERVICE_CLASSES = {
    "orders": "services.orders.service:OrdersService",
    "members": "services.members.service:MembersService",
    "partners": "services.partners.service:PartnersService",
    "events": "services.events.service:EventsService",
}


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_each_service_purges_what_its_retention_lets_go_a_minute_after_start_then_hourly(
    service, service_db, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_OUTBOX_RETENTION_DAYS", "7")
    module, name = SERVICE_CLASSES[service].split(":")
    cls = getattr(importlib.import_module(module), name)
    timers = [
        entrypoint
        for entrypoint in getattr(cls.purge_expired_personal_data, ENTRYPOINT_EXTENSIONS_ATTR, ())
        if isinstance(entrypoint, Timer)
    ]
    assert [(t.interval, t.first_after) for t in timers] == [(3600, 60)]
    db = service_db(service)
    with db.unit_of_work() as uow:
        _row(uow, "old", 8)
        _row(uow, "pending", None)
        uow.commit()
    worker_factory(cls, db=db).purge_expired_personal_data()
    with db.unit_of_work() as uow:
        left = [
            json.loads(b)["payload"]["display_name"]
            for b in uow.session.scalars(select(OutboxEvent.body))
        ]
    assert left == ["pending"]


class _NotedTimer(retention.SoonAfterStartTimer):
    """Notes when each run begins, the very moment the timer's loop counts from: a clock reading of
    its own, even the next statement, may come late by however long the OS leaves the process
    waiting for a core, and two runs would then look a hair under the interval apart."""

    def handle_timer_tick(self):
        _Ticker.runs.append(self.began)
        super().handle_timer_tick()


class _Ticker:
    name = "ticker"
    runs: list[float] = []

    @_NotedTimer.decorator(interval=0.4, first_after=0.6)
    def tick(self):
        pass


def test_the_retention_timer_runs_first_a_while_after_the_start_then_at_its_interval(
    container_factory, nameko_config
):
    """Not at the start (a process started again and again would purge each time), not an interval
    later (a restart would postpone the purge): `first_after` seconds after, then every interval."""
    _Ticker.runs.clear()
    container = container_factory(_Ticker, nameko_config)
    started = time.monotonic()
    container.start()
    wait_until(lambda: len(_Ticker.runs) >= 3, timeout=20, message="three runs")
    container.stop()
    first, second, third = _Ticker.runs[:3]
    assert first - started >= 0.6
    assert second - first >= 0.4 and third - second >= 0.4
