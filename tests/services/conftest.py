"""Fixtures of the services' tests; `brevo`: a local server answering as Brevo's transactional SMS
API."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backbone.contracts import parse_envelope
from backbone.schemas import load
from services.partners import partners, read_models
from services.partners.schemas import PartnerInput
from tests.support.counter import World
from tests.support.members import members_service_on
from tests.support.webhooks import Endpoint, Recorder, village_opened


@pytest.fixture
def counter_world(service_db):
    """The orders counter's world on a fresh orders database (tests/support/counter.py)."""
    return World(service_db("orders"))


@pytest.fixture(scope="module")
def members_alone(module_world):
    """The members service alone on the module's world (tests/support/module_world.py), its
    database as its migrations left it: (world, an RPC proxy to it, its database)."""
    world = module_world()
    with members_service_on(world) as (proxy, database, _none):
        yield world, proxy, database


@pytest.fixture
def webhook_world(service_db, monkeypatch):
    """The partners database with two villages; partner `a` serves the first, `b` the second,
    `net` the whole network. Returns (database, [village ids], {"a"|"b"|"net": partner id})."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_BASE", "10")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_MAX", "60")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_MAX_ATTEMPTS", "3")
    database = service_db("partners")
    villages = [village_opened("Peyrelevade"), village_opened("Tarnac")]
    with database.unit_of_work() as uow:
        for envelope in villages:
            read_models.record_village(uow, parse_envelope(envelope))
    ids = {}
    for key, village_ids in (
        ("a", [villages[0]["village_id"]]),
        ("b", [villages[1]["village_id"]]),
        ("net", []),
    ):
        with database.unit_of_work() as uow:
            created = partners.register_partner(
                uow,
                load(
                    PartnerInput(),
                    {"name": f"Partenaire {key}", "kind": "producer", "village_ids": village_ids},
                ),
            )
        ids[key] = created["partner"]["id"]
    return database, [v["village_id"] for v in villages], ids


@pytest.fixture
def endpoint():
    made = []

    def make():
        made.append(Endpoint())
        return made[-1]

    yield make
    for item in made:
        item.down()


@pytest.fixture
def recorder():
    """A partner's endpoint that keeps every request as it came (tests/support/webhooks.py)."""
    made = Recorder()
    yield made
    made.close()


@pytest.fixture
def brevo():
    """A local HTTP server answering as Brevo's transactional SMS API: `state["requests"]` what
    it received, `state["fail"]` how many requests to refuse (502) first, `state["url"]`."""
    state = {"requests": [], "fail": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append(
                {
                    "path": self.path,
                    "api_key": self.headers.get("api-key"),
                    "content_type": self.headers.get("Content-Type"),
                    "body": body,
                }
            )
            if state["fail"] > 0:
                state["fail"] -= 1
                status, answer = 502, {"code": "bad_gateway", "message": "upstream down"}
            else:
                status, answer = 201, {"messageId": 1511882900176220 + len(state["requests"])}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_config(brevo, monkeypatch):
    """The members service's SMS channel pointed at `brevo`."""
    monkeypatch.setenv("MAILLAGE_SMS_API_KEY", "xkeysib-test")
    monkeypatch.setenv("MAILLAGE_SMS_SENDER", "Maillage")
    monkeypatch.setenv("MAILLAGE_SMS_BASE_URL", brevo["url"])
    monkeypatch.setenv("MAILLAGE_NOTICE_RETRY_BASE", "60")
