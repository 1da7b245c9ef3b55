"""A partner's reference subscriber for Maillage: the AMQP feed (pika) and webhooks (http.server).

Standard library, pika and standardwebhooks (the Standard Webhooks specification's own verifier),
so a partner can copy this file as it is.

    # AMQP feed: the account comes from POST /api/partner/feed (the password is shown once)
    python subscriber.py feed --uri amqp://partner-<id>:<password>@broker:5672/ --partner <id>

    # webhooks: the secret comes from POST /api/partner/webhooks (shown once)
    python subscriber.py webhook --port 8081 --secret whsec_...

Each event is a JSON envelope (`event_id`, `type`, `version`, `occurred_at`, `village_id`,
`partner_id`, `payload`). Delivery is at least once: deduplicate on `event_id`.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

EXCHANGE = "maillage.partners"


# --- webhooks -----------------------------------------------------------------------------


def verify(secret: str, headers, body: bytes) -> dict:
    """The event of a webhook whose `webhook-id`, `webhook-timestamp` and `webhook-signature`
    (Standard Webhooks) match the raw body and your secret, signed less than five minutes ago;
    WebhookVerificationError otherwise (missing headers, forged, tampered, stale: a replay)."""
    return Webhook(secret).verify(body, dict(headers.items()))


def webhook_handler(secret: str, on_event):
    """A request handler class for http.server: 204 for a good event (after `on_event(envelope)`),
    400 for a bad signature or body, 503 when `on_event` raised (Maillage retries later), with the
    reason as text."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                envelope = verify(secret, self.headers, body)
            except (WebhookVerificationError, ValueError) as exc:
                self._answer(400, str(exc))
                return
            try:
                on_event(envelope)
            except Exception as exc:  # noqa: BLE001  not handled now: Maillage sends it again later
                self._answer(503, f"not handled, send it again later: {exc}")
                return
            self._answer(204, "")

        def _answer(self, status: int, text: str):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args):  # quiet
            pass

    return Handler


def serve_webhooks(port: int, secret: str, on_event, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), webhook_handler(secret, on_event))


# --- the AMQP feed ------------------------------------------------------------------------


def feed_queue(partner_id: str, name: str = "feed") -> str:
    """Your queues are named `partner-<id>.<name>`; `partner-<id>.feed` (bound to `<id>.#`) exists
    from the start."""
    return f"partner-{partner_id}.{name}"


def open_feed(amqp_uri: str, partner_id: str, binding_keys=("#",), queue_name: str = "feed"):
    """Connect as the partner's user, declare `partner-<id>.<queue_name>` and bind it to
    `<id>.<key>` for each key (`#`: everything; `order.*`: orders only). Returns
    (connection, channel, queue)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    queue = feed_queue(partner_id, queue_name)
    channel.queue_declare(queue, durable=True)
    for key in binding_keys:
        channel.queue_bind(queue, EXCHANGE, routing_key=f"{partner_id}.{key}")
    channel.basic_qos(prefetch_count=20)
    return connection, channel, queue


def consume(
    channel,
    queue: str,
    on_event,
    max_messages: int | None = None,
    inactivity_timeout: float | None = None,
) -> int:
    """Hand each event to `on_event(envelope)` and ack it after; stops after `max_messages`, or
    when nothing came for `inactivity_timeout` seconds. Returns how many were handled."""
    handled = 0
    for method, _properties, body in channel.consume(queue, inactivity_timeout=inactivity_timeout):
        if method is None:
            break
        on_event(json.loads(body))
        channel.basic_ack(method.delivery_tag)
        handled += 1
        if max_messages is not None and handled >= max_messages:
            break
    channel.cancel()
    return handled


def _print(envelope: dict) -> None:
    print(json.dumps(envelope, ensure_ascii=False), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    feed = commands.add_parser("feed", help="consume the AMQP feed")
    feed.add_argument(
        "--uri", required=True, help="amqp://partner-<id>:<password>@host:5672/<vhost>"
    )
    feed.add_argument("--partner", required=True, help="your partner id")
    feed.add_argument("--key", action="append", help="binding key after your prefix (default: #)")
    feed.add_argument(
        "--queue",
        default="feed",
        help="your queue's name after partner-<id>. (default: feed, "
        "which already receives everything)",
    )
    hook = commands.add_parser("webhook", help="receive webhooks")
    hook.add_argument("--port", type=int, default=8081)
    hook.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    if args.command == "feed":
        connection, channel, queue = open_feed(
            args.uri, args.partner, args.key or ("#",), args.queue
        )
        try:
            consume(channel, queue, _print)
        except KeyboardInterrupt:
            pass
        finally:
            connection.close()
    else:
        server = serve_webhooks(args.port, args.secret, _print)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
