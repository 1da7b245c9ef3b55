"""Partners' webhooks as the tests drive them: events partners may receive (`village_opened`,
`scheduled`, `cancelled`), a webhook, recording a batch as `on_partner_event` does, and
`Endpoint`, a partner's HTTP endpoint on 127.0.0.1 (fixtures `webhook_world` and `endpoint` in
tests/services/conftest.py)."""

import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.schemas import load
from examples.partner_subscriber.subscriber import serve_webhooks
from services.partners import subscriptions
from services.partners.schemas.subscriptions import WebhookInput
from tests.support.infrastructure import free_port

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# a webhook secret in the Standard Webhooks form, for endpoints started without a subscription
SECRET = "whsec_" + base64.b64encode(b"maillage tests: a key of 32 byte").decode()


def village_opened(name):
    village_id = str(uuid.uuid4())
    return build_envelope(
        "village.opened",
        {
            "village_id": village_id,
            "slug": name.lower(),
            "name": name,
            "commune": name,
            "insee_code": "19164",
            "kind": "fixed",
            "population": 600,
        },
        village_id=village_id,
        source="members",
    )


def scheduled(village_id, co_organisers=()):
    return parse_envelope(
        build_envelope(
            "animation.scheduled",
            {
                "animation_id": str(uuid.uuid4()),
                "village_id": village_id,
                "kind": "atelier",
                "title": "Atelier tricot",
                "place": "Salle des fêtes",
                "starts_at": T0,
                "ends_at": T0 + timedelta(hours=2),
                "capacity": 12,
                "co_organiser_ids": list(co_organisers),
            },
            village_id=village_id,
            source="events",
        )
    )


def cancelled(village_id):
    return parse_envelope(
        build_envelope(
            "animation.cancelled",
            {
                "animation_id": str(uuid.uuid4()),
                "village_id": village_id,
                "title": "Atelier tricot",
                "starts_at": T0,
                "reason": "Salle indisponible",
                "member_ids": [str(uuid.uuid4())],
            },
            village_id=village_id,
            source="events",
        )
    )


def webhook(database, partner_id, url, types=("animation.scheduled",)):
    with database.unit_of_work() as uow:
        return subscriptions.create_webhook(
            uow, partner_id, load(WebhookInput(), {"url": url, "event_types": list(types)})
        )


def record(database, envelope):
    return record_batch(database, [envelope], now=T0)


def record_batch(database, events, now=None) -> int:
    """How many deliveries `on_partner_event` makes of a batch (its duplicates make none)."""
    made = []
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "partners.on_partner_event",
            lambda uow, new: made.append(subscriptions.record_deliveries(uow, new, now=now)),
            events,
        )
    return sum(made)


class Recorder:
    """An endpoint on 127.0.0.1 that answers 204 to every POST and keeps each request as it came:
    `requests` holds (headers, raw body), for checking them with a partner's own verifier."""

    def __init__(self):
        self.requests = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorded.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/maillage"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Endpoint:
    """A partner's endpoint on 127.0.0.1 (the reference subscriber's server, which checks every
    signature): down (nothing listens), failing (503) or up; what it accepted is in `received`."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/maillage"
        self.failing = False
        self.received = []
        self.server = None

    def _on_event(self, envelope):
        if self.failing:
            raise RuntimeError("our database is down")
        self.received.append(envelope)

    def up(self, secret):
        self.server = serve_webhooks(self.port, secret, self._on_event, host="127.0.0.1")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
