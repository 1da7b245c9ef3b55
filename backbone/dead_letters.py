"""Operators' view of the dead-letter queue: list, show, replay, discard.

A dead letter is a message that a handler rejected too often, that broke its contract, or that no
queue subscribed to (it came through the alternate exchange). Listing does not consume: messages
are fetched unacknowledged and given back when the channel closes.

Dead letters keep whole event bodies, names and addresses included (docs/rgpd.md): `purge` removes
those older than MAILLAGE_DEAD_LETTER_RETENTION_DAYS and `scrub` empties the personal fields of
those naming an erased person (backbone.retention.scrub_json), keeping them replayable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pika

from backbone import config
from backbone.retention import scrub_text

# Stamped by the purge on a letter it cannot date (no header, no envelope):
# its age counts from then.
FIRST_SEEN_HEADER = "x-maillage-dead-letter-seen"


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
    routing_key: str | None = field(default=None, repr=False)

    def as_dict(self, with_body=False) -> dict:
        data = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "origin_queue": self.origin_queue,
            "reason": self.reason,
            "dead_at": self.dead_at,
            "attempts": self.attempts,
        }
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
        event_id=properties.message_id,
        event_type=properties.type or (None if origin else method.routing_key),
        origin_queue=origin,
        reason=_plain(reason),
        dead_at=dead_at,
        attempts=headers.get("x-maillage-attempts") or (deaths[0].get("count") if deaths else None),
        body=body,
        headers=headers,
        content_type=properties.content_type,
        routing_key=method.routing_key,
    )


def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return _parse_time(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def dead_since(letter: DeadLetter) -> datetime | None:
    """When the letter died: our consumer's header, else the broker's x-death time, else the stamp
    the purge put on it, else when its event occurred; None when nothing tells."""
    deaths = letter.headers.get("x-death") or []
    for value in (
        letter.headers.get("x-maillage-dead-at"),
        deaths[0].get("time") if deaths else None,
        letter.headers.get(FIRST_SEEN_HEADER),
    ):
        when = _parse_time(value)
        if when is not None:
            return when
    try:
        envelope = json.loads(letter.body)
    except ValueError:
        return None
    return _parse_time(envelope.get("occurred_at")) if isinstance(envelope, dict) else None


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

        connection = pika.BlockingConnection(config.pika_parameters(self.amqp_uri))
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
                    headers = {
                        k: v
                        for k, v in letter.headers.items()
                        if not k.startswith("x-maillage-")
                        and k not in ("x-death", "x-delivery-count")
                    }
                    headers["x-maillage-replayed"] = True
                    exchange, routing_key = (
                        ("", letter.origin_queue)
                        if letter.origin_queue
                        else (config.EVENTS_EXCHANGE, letter.event_type)
                    )
                    channel.basic_publish(
                        exchange,
                        routing_key,
                        letter.body,
                        pika.BasicProperties(
                            content_type=letter.content_type,
                            delivery_mode=2,
                            message_id=letter.event_id,
                            type=letter.event_type,
                            headers=headers,
                        ),
                        mandatory=True,
                    )
                channel.basic_ack(tag)
                taken += 1
        finally:
            connection.close()  # everything not acked goes back to the queue
        return taken

    # --- retention and erasure --------------------------------------------------------------------

    def purge(self, now: datetime, retention_days: int) -> int:
        """Remove the dead letters older than `retention_days`; how many went. A letter that nothing
        dates is stamped with `now` and goes `retention_days` later."""
        cutoff = now - timedelta(days=retention_days)

        def decide(letter):
            since = dead_since(letter)
            if since is None:
                return (
                    "rewrite",
                    letter.body,
                    {**letter.headers, FIRST_SEEN_HEADER: now.isoformat()},
                )
            return ("drop",) if since < cutoff else ("keep",)

        return self._sweep(decide)["drop"]

    def scrub(self, needles) -> int:
        """Empty the personal fields of every dead letter naming one of `needles` (member ids); how
        many changed. The letter stays in the queue, with its headers, and can still be replayed."""
        needles = [str(n) for n in needles if n]
        if not needles:
            return 0

        def decide(letter):
            try:
                body = scrub_text(letter.body.decode("utf-8"), needles)
            except ValueError:  # not JSON (nor UTF-8): it cannot be scrubbed field by field
                body = None if not any(n.encode() in letter.body for n in needles) else b""
            if body is None:
                return ("keep",)
            return (
                "rewrite",
                body.encode("utf-8") if isinstance(body, str) else body,
                letter.headers,
            )

        return self._sweep(decide)["rewrite"]

    def _sweep(self, decide) -> dict[str, int]:
        """Fetch every letter, then act on each as `decide(letter)` says: keep it, drop it, or
        rewrite it (a new copy published to the queue and confirmed before the old one is acked,
        so a failure halfway leaves the old copy, never none)."""
        counts = {"keep": 0, "drop": 0, "rewrite": 0}
        connection, channel = self._connect()
        try:
            fetched = self._fetch_all(
                channel
            )  # all of them first: a rewritten copy is never seen twice
            channel.confirm_delivery()
            for tag, letter in fetched:
                action, *rewrite = decide(letter)
                if action == "rewrite":
                    body, headers = rewrite
                    headers = {k: v for k, v in headers.items() if k != "x-delivery-count"}
                    # through the dead-letter exchange with its routing key: an unroutable letter
                    # still says which event type nobody subscribed to
                    channel.basic_publish(
                        config.DEAD_LETTER_EXCHANGE,
                        letter.routing_key or "",
                        body,
                        pika.BasicProperties(
                            content_type=letter.content_type,
                            delivery_mode=2,
                            message_id=letter.event_id,
                            type=letter.event_type,
                            headers=headers,
                        ),
                        mandatory=True,
                    )
                if action != "keep":
                    channel.basic_ack(tag)
                counts[action] += 1
        finally:
            connection.close()  # what was kept goes back to the queue
        return counts
