"""The relay's publisher (backbone/relay.py): outbox rows published on one channel in confirm
mode, each kept until the broker confirms or refuses it."""

from __future__ import annotations

from collections import deque

import pika

from backbone import config, failpoints, metrics

RECENT_IDS = 20_000  # ids published on a channel remembered, so a handed row is not sent twice


class ConfirmedPublisher:
    """One per channel (a new channel starts with nothing in flight). Knows which rows are in flight
    (sent, not yet confirmed), which of those a worker handed over, and which were sent on this
    channel lately: a row found by a poll between its commit and its handing
    over is not sent twice."""

    def __init__(self, channel, service: str, *, remember: int = RECENT_IDS):
        self.channel = channel
        self.service = service
        self._delivery_tag = 0
        self._in_flight: dict[int, int] = {}  # delivery tag -> outbox row id
        self._types: dict[int, str] = {}  # delivery tag -> event type (the published counter)
        self._handed_in_flight: set[int] = set()
        self._recent: deque[int] = deque(maxlen=remember)
        self._recent_ids: set[int] = set()

    def publish(
        self,
        row_id: int,
        event_id: str,
        type_: str,
        village_id: str | None,
        body: str,
        *,
        handed: bool = False,
    ) -> None:
        failpoints.hit("relay.before_publish")
        self.channel.basic_publish(
            config.EVENTS_EXCHANGE,
            type_,
            body.encode(),
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                message_id=event_id,
                type=type_,
                headers={"village_id": village_id, "source": self.service},
            ),
        )
        self._delivery_tag += 1
        self._in_flight[self._delivery_tag] = row_id
        self._types[self._delivery_tag] = type_
        if handed:
            self._handed_in_flight.add(row_id)
        if len(self._recent) == self._recent.maxlen:
            self._recent_ids.discard(self._recent[0])
        self._recent.append(row_id)
        self._recent_ids.add(row_id)

    def sent_lately(self, row_id: int) -> bool:
        return row_id in self._recent_ids

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def handed_in_flight(self) -> set[int]:
        return set(self._handed_in_flight)

    def only_handed_in_flight(self) -> bool:
        """Every row a poll selected and sent is confirmed (only handed ones, if any, wait)."""
        return len(self._in_flight) == len(self._handed_in_flight)

    def settle(self, method) -> list[int]:
        """The row ids a broker's `Basic.Ack` or `Basic.Nack` (`multiple` or not) is about, no
        longer in flight; those acked are counted as published."""
        tag = method.delivery_tag
        tags = [t for t in self._in_flight if t <= tag] if method.multiple else [tag]
        row_ids = [self._in_flight.pop(t) for t in tags if t in self._in_flight]
        self._handed_in_flight.difference_update(row_ids)
        types = [self._types.pop(t) for t in tags if t in self._types]
        if isinstance(method, pika.spec.Basic.Ack):  # confirmed: published (a nack is re-sent)
            for type_ in types:
                metrics.EVENTS_PUBLISHED.labels(self.service, type_).inc()
        return row_ids
