"""Helpers of the reliability tests: bounded waits, plain pika taps and publishers, DB counts."""

from __future__ import annotations

import json
import time
import uuid

import pika
from sqlalchemy import func, select

from backbone import config, topology
from backbone.contracts import build_envelope
from backbone.tables import InboxEntry, OutboxEvent


def wait_until(predicate, timeout: float = 20, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value (returned) or fail
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {message} (last value: {last!r})"
            )
        time.sleep(interval)


# --- database --------------------------------------------------------------------------------


def count(database, model, *where) -> int:
    with database.engine.connect() as conn:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return conn.execute(query).scalar_one()


def pending(database) -> int:
    return count(database, OutboxEvent, OutboxEvent.published_at.is_(None))


def outbox_rows(database) -> list:
    with database.engine.connect() as conn:
        return conn.execute(select(OutboxEvent).order_by(OutboxEvent.id)).all()


def outbox(database, type_: str | None = None) -> list[dict]:
    """The envelopes in the outbox (of one type), in the order they were written."""
    with database.unit_of_work() as uow:
        query = select(OutboxEvent).order_by(OutboxEvent.id)
        if type_:
            query = query.where(OutboxEvent.type == type_)
        return [json.loads(row.body) for row in uow.session.scalars(query)]


def inbox_count(database, consumer: str | None = None) -> int:
    return count(database, InboxEntry, *([InboxEntry.consumer == consumer] if consumer else []))


_seq = iter(range(1, 10**9))


def village_input(**overrides) -> dict:
    n = next(_seq)
    data = {
        "slug": f"village-{uuid.uuid4().hex[:8]}-{n}",
        "name": f"Village {n}",
        "commune": "Peyrelevade",
        "insee_code": "19164",
        "postcode": "19290",
        "kind": "fixed",
        "population": 800,
    }
    data.update(overrides)
    return data


def open_village(members_db, **overrides) -> dict:
    """Open a village through the members service layer: the change and its
    event in one transaction."""
    from services.members import villages

    with members_db.unit_of_work() as uow:
        return villages.open_village(uow, village_input(**overrides))


def village_envelope(**payload_overrides) -> dict:
    village_id = str(uuid.uuid4())
    payload = {
        "village_id": village_id,
        "slug": f"v-{village_id[:8]}",
        "name": "Faux-la-Montagne",
        "commune": "Faux-la-Montagne",
        "insee_code": "23076",
        "kind": "fixed",
        "population": 400,
    }
    envelope = build_envelope("village.opened", payload, village_id=village_id, source="members")
    envelope["payload"].update(payload_overrides)
    return envelope


# --- broker ----------------------------------------------------------------------------------


class Broker:
    """A plain pika connection for the test itself: publish raw bodies, tap routing keys."""

    def __init__(self, amqp_uri: str, subscriptions=()):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        topology.declare_pika(self.channel, subscriptions)
        self.channel.confirm_delivery()

    def publish(
        self,
        body,
        routing_key: str,
        *,
        message_id: str | None = None,
        type: str | None = None,
        exchange: str = config.EVENTS_EXCHANGE,
        mandatory: bool = False,
    ) -> None:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.channel.basic_publish(
            exchange,
            routing_key,
            body,
            pika.BasicProperties(
                content_type="application/json", delivery_mode=2, message_id=message_id, type=type
            ),
            mandatory=mandatory,
        )

    def publish_envelope(self, envelope: dict) -> None:
        self.publish(
            envelope, envelope["type"], message_id=envelope["event_id"], type=envelope["type"]
        )

    def tap(self, *routing_keys: str) -> Tap:
        """A private queue bound to `routing_keys` on the events exchange:
        what the broker routed."""
        name = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        for key in routing_keys:
            self.channel.queue_bind(name, config.EVENTS_EXCHANGE, routing_key=key)
        return Tap(self.channel, name)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


class Tap:
    def __init__(self, channel, queue: str):
        self.channel, self.queue = channel, queue
        self.bodies: list[dict] = []

    def drain(self) -> list[dict]:
        while True:
            method, _properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.bodies
            self.bodies.append(json.loads(body))

    def wait_for(self, n: int, timeout: float = 20) -> list[dict]:
        wait_until(lambda: len(self.drain()) >= n, timeout, message=f"{n} messages on the tap")
        return self.bodies


class WorkerLog:
    """Every worker a nameko container finished (after its message was acked or requeued)."""

    def __init__(self, container):
        self.results: list[tuple[str, object]] = []
        self.handled: list[
            tuple[str, object, int]
        ] = []  # (method, exc_info, events in its argument)
        original = container._worker_result

        def record(worker_ctx, result, exc_info):
            self.results.append((worker_ctx.entrypoint.method_name, exc_info))
            argument = worker_ctx.args[0] if worker_ctx.args else None
            self.handled.append(
                (
                    worker_ctx.entrypoint.method_name,
                    exc_info,
                    len(argument) if isinstance(argument, list) else 1,
                )
            )
            return original(worker_ctx, result, exc_info)

        container._worker_result = record

    def runs(self, method: str, ok: bool | None = None) -> int:
        return sum(
            1
            for name, exc_info in self.results
            if name == method and (ok is None or (exc_info is None) == ok)
        )

    def events(self, method: str, ok: bool | None = None) -> int:
        """Events handled by `method`'s workers: a batching handler's worker may take several (two
        copies read in the same go make one batch)."""
        return sum(
            n
            for name, exc_info, n in self.handled
            if name == method and (ok is None or (exc_info is None) == ok)
        )
