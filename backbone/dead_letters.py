"""Operators' view of the dead-letter queue: list, show, replay, discard.

A dead letter is a message that a handler rejected too often, that broke its contract, or that no
queue subscribed to (it came through the alternate exchange). Listing does not consume: messages
are fetched unacknowledged and given back when the channel closes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pika

from backbone import config


@dataclass
class DeadLetter:
    event_id: str | None
    event_type: str | None
    origin_queue: str | None
    reason: str
    dead_at: str | None
    attempts: int | None
    body: bytes = field(repr=False)
    headers: dict = field(default_factory=dict, repr=False)
    content_type: str | None = None

    def as_dict(self, with_body=False) -> dict:
        data = {"event_id": self.event_id, "event_type": self.event_type, "origin_queue": self.origin_queue,
                "reason": self.reason, "dead_at": self.dead_at, "attempts": self.attempts}
        if with_body:
            try:
                data["body"] = json.loads(self.body)
            except ValueError:
                data["body"] = self.body.decode("utf-8", "replace")
            data["headers"] = {k: _plain(v) for k, v in self.headers.items()}
        return data


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _describe(method, properties, body) -> DeadLetter:
    headers = dict(properties.headers or {})
    deaths = headers.get("x-death") or []
    origin = headers.get("x-maillage-queue") or (deaths[0].get("queue") if deaths else None)
    if "x-maillage-reason" in headers:
        reason = headers["x-maillage-reason"]
    elif deaths:
        reason = f"rejected by the broker ({deaths[0].get('reason')})"
    else:
        reason = f"unroutable: no queue subscribes to {method.routing_key}"
    dead_at = headers.get("x-maillage-dead-at") or (str(deaths[0].get("time")) if deaths else None)
    return DeadLetter(
        event_id=properties.message_id, event_type=properties.type or (None if origin else method.routing_key),
        origin_queue=origin, reason=_plain(reason), dead_at=dead_at,
        attempts=headers.get("x-maillage-attempts") or (deaths[0].get("count") if deaths else None),
        body=body, headers=headers, content_type=properties.content_type)


class DeadLetterQueue:
    def __init__(self, amqp_uri: str | None = None):
        self.amqp_uri = amqp_uri or config.amqp_uri()

    def _fetch_all(self, channel):
        """Every message in the queue, unacknowledged: [(delivery tag, DeadLetter)]."""
        channel.queue_declare(config.DEAD_LETTER_QUEUE, passive=True)
        fetched = []
        while True:
            method, properties, body = channel.basic_get(config.DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                return fetched
            fetched.append((method.delivery_tag, _describe(method, properties, body)))

    def _connect(self):
        from backbone.topology import declare_pika

        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
        channel = connection.channel()
        declare_pika(channel)
        return connection, channel

    def list(self) -> list[DeadLetter]:
        connection, channel = self._connect()
        try:
            return [letter for _tag, letter in self._fetch_all(channel)]
        finally:
            connection.close()

    def show(self, event_id: str) -> DeadLetter | None:
        return next((letter for letter in self.list() if letter.event_id == event_id), None)

    def replay(self, event_id: str, queue: str | None = None) -> int:
        """Send matching dead letters back where they failed (or to the events exchange when they
        were unroutable); each is removed from the dead-letter queue once the broker confirmed."""
        return self._take(event_id, queue, resend=True)

    def discard(self, event_id: str, queue: str | None = None) -> int:
        return self._take(event_id, queue, resend=False)

    def _take(self, event_id, queue, resend) -> int:
        connection, channel = self._connect()
        taken = 0
        try:
            fetched = self._fetch_all(channel)
            if resend:
                channel.confirm_delivery()
            for tag, letter in fetched:
                if letter.event_id != event_id or (queue and letter.origin_queue != queue):
                    continue
                if resend:
                    headers = {k: v for k, v in letter.headers.items()
                               if not k.startswith("x-maillage-") and k not in ("x-death", "x-delivery-count")}
                    headers["x-maillage-replayed"] = True
                    exchange, routing_key = ("", letter.origin_queue) if letter.origin_queue \
                        else (config.EVENTS_EXCHANGE, letter.event_type)
                    channel.basic_publish(exchange, routing_key, letter.body, pika.BasicProperties(
                        content_type=letter.content_type, delivery_mode=2, message_id=letter.event_id,
                        type=letter.event_type, headers=headers), mandatory=True)
                channel.basic_ack(tag)
                taken += 1
        finally:
            connection.close()  # everything not acked goes back to the queue
        return taken
