"""Partner subscriptions in the partners service, on SQLite and PostgreSQL: who receives which event
and what they see of it, one delivery per subscription and event (a redelivered event adds
nothing), bad webhook input named field by field, and the sender against a real local HTTP
endpoint (the reference subscriber's): signed bodies, exponential backoff, parking with the reason,
the delivery log, redelivery on demand, and no double send while another sender holds a delivery."""

import base64
import ipaddress
import json
import os
import socket
import socketserver
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, select, text
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backbone import migrations
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from examples.partner_subscriber.subscriber import serve_webhooks
from services.partners import audience, deliveries, subscriptions, webhooks
from services.partners.models import Delivery, FeedAccount
from services.partners.schemas.subscriptions import DeliveryQuery, WebhookInput
from tests.support.infrastructure import free_port
from tests.support.messages import without_french
from tests.support.metrics import sample
from tests.support.webhooks import (
    SECRET,
    T0,
    cancelled,
    record,
    record_batch,
    scheduled,
    webhook,
)


def rows(database):
    with database.unit_of_work() as uow:
        return uow.session.scalars(
            select(Delivery).order_by(Delivery.created_at, Delivery.id)
        ).all()


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "javascript:alert(1)",
        "example.org/hook",
        "http:///no-host",
        "file:///etc/passwd",
    ],
)
def test_a_webhook_url_must_be_http_or_https(url):
    with pytest.raises(InvalidInput) as refused:
        load(WebhookInput(), {"url": url, "event_types": ["animation.scheduled"]})
    assert list(refused.value.errors) == ["url"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5672/",
        "http://localhost:15672/api/users",
        "http://10.0.0.7/h",
        "http://[::1]/h",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.1/h",
    ],
)
def test_a_webhook_never_reaches_inside_our_network(url, monkeypatch, endpoint):
    """A partner's URL must not become a way into the services, the broker's API or the cloud's
    metadata: refused when written, and refused again before each attempt (a public name that
    resolves inside)."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "0")
    with pytest.raises(InvalidInput) as refused:
        load(WebhookInput(), {"url": url, "event_types": ["animation.scheduled"]})
    assert list(refused.value.errors) == ["url"]
    receiver = endpoint()
    receiver.up(SECRET)
    named = receiver.url.replace("127.0.0.1", "partner-hooks.example")  # a public-looking name…
    monkeypatch.setattr(
        webhooks.socket,
        "getaddrinfo",  # …that resolves inside
        lambda host, port, *rest, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))
        ],
    )
    body = json.dumps({"event_id": "e1", "type": "animation.scheduled", "payload": {}}).encode()
    outcome = webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=2
    )
    assert (
        not outcome.ok and outcome.error == "refusé : adresse interne (refused: internal address)"
    )
    assert "127.0.0.1" not in outcome.error and receiver.received == []
    monkeypatch.setenv(
        "MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "1"
    )  # the same attempt where it is allowed goes through
    assert webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=2
    ).ok
    assert len(receiver.received) == 1
    assert load(
        WebhookInput(),
        {"url": "https://hooks.example.org/m", "event_types": ["animation.scheduled"]},
    )


INSIDE_IN_IPV6 = [
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:7",  # NAT64 to 127.0.0.1, metadata, 10/8
    "64:ff9b:1::a00:7",
    "64:ff9b:1:0:808:8:800::",  # the local-use NAT64 prefix, whatever it carries
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::",
    "2002:c0a8:101::1",  # 6to4 of 127.0.0.1, metadata, 192.168
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:0:7f00:1:0:0:f5ff:fffe",  # Teredo
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "::ffff:10.0.0.7",  # IPv4-mapped
    "::127.0.0.1",
    "::a9fe:a9fe",
    "::10.0.0.7",
]  # IPv4-compatible


@pytest.mark.parametrize("inside", INSIDE_IN_IPV6)
def test_ipv6_forms_carrying_an_internal_ipv4_address_are_internal(inside, monkeypatch, endpoint):
    """Issue 21: NAT64, 6to4, Teredo, IPv4-mapped and IPv4-compatible addresses are judged by the
    IPv4 address they carry, written in the URL or answered by the resolver; the partner is told
    "refusé : adresse interne", never which address."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "0")
    with pytest.raises(InvalidInput) as refused:
        load(
            WebhookInput(),
            {"url": f"http://[{inside}]:8080/h", "event_types": ["animation.scheduled"]},
        )
    assert list(refused.value.errors) == ["url"]
    receiver = endpoint()
    receiver.up(SECRET)
    asked = []

    def resolve(host, port, *rest, **kw):
        asked.append(host)
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (inside, port or 0, 0, 0))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    named = receiver.url.replace("127.0.0.1", "hooks.partner.example")
    body = json.dumps({"event_id": "e1", "type": "animation.scheduled", "payload": {}}).encode()
    outcome = webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=2
    )
    assert asked == ["hooks.partner.example"] and not outcome.ok and receiver.received == []
    assert outcome.error == "refusé : adresse interne (refused: internal address)"
    assert inside not in outcome.error and str(ipaddress.ip_address(inside)) not in outcome.error


@pytest.mark.parametrize(
    "outside", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111"]
)
def test_ipv6_forms_carrying_a_public_ipv4_address_stay_allowed(outside, monkeypatch):
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "0")
    assert load(
        WebhookInput(), {"url": f"https://[{outside}]/h", "event_types": ["animation.scheduled"]}
    )
    assert webhooks.internal_address([outside]) is None


def test_a_name_rebound_inside_after_the_check_reaches_nothing_inside(monkeypatch, endpoint):
    """DNS rebinding: the name answers a public address to the check, then our own address. The
    connection goes to the address checked, never to the second answer."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "0")
    receiver = endpoint()
    receiver.up(SECRET)
    named = receiver.url.replace("127.0.0.1", "rebinding.example")
    real, asked = socket.getaddrinfo, []

    def rebinding(host, port, *rest, **kw):
        if host != "rebinding.example":
            return real(host, port, *rest, **kw)
        asked.append(host)
        return [
            (
                socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                ("1.1.1.1" if len(asked) == 1 else "127.0.0.1", port),
            )
        ]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    body = json.dumps({"event_id": "e1", "type": "animation.scheduled", "payload": {}}).encode()
    outcome = webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=0.5
    )
    assert not outcome.ok and receiver.received == [], (
        "nothing reached the address of the second answer"
    )
    assert asked == ["rebinding.example"], "the name was resolved once, for the check"


def test_an_address_that_does_not_answer_is_passed_for_the_next_one_checked(monkeypatch, endpoint):
    """A name with several addresses (IPv6 and IPv4, several servers): the attempt goes on to the
    next checked address when one refuses the connection, as a browser does."""
    receiver = endpoint()
    receiver.up(SECRET)
    named = receiver.url.replace("127.0.0.1", "two-addresses.example")
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *rest, **kw: [  # nothing listens on the first
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in (
                ("127.0.0.2", "127.0.0.1") if host == "two-addresses.example" else (host,)
            )
        ],
    )
    body = json.dumps({"event_id": "e1", "type": "animation.scheduled", "payload": {}}).encode()
    outcome = webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=2
    )
    assert outcome.ok and len(receiver.received) == 1, outcome.error


HTTPS_ATTEMPT = """
import eventlet
eventlet.monkey_patch()  # first, as `nameko run` does for the partners service
import json, socket, sys
from services.partners import webhooks
webhooks.DEFAULT_CA_BUNDLE_PATH = sys.argv[2]
socket.getaddrinfo = lambda host, port, *rest, **kw: [
    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))
]
body = b'{"event_id": "e1", "type": "animation.scheduled", "payload": {}}'
outcome = webhooks.post(sys.argv[1], sys.argv[3], body,
                        event_id="e1", event_type="animation.scheduled", timeout=5)
print(json.dumps({"ok": outcome.ok, "error": outcome.error}))
"""


def _certificate_authority(folder, certified: str):
    """A CA (ca.pem) and a server certificate for the name `certified` it signed (server.pem,
    server.key), made with the openssl command."""
    import subprocess

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=Maillage test CA",
    )
    openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        f"/CN={certified}",
    )
    (folder / "san.cnf").write_text(f"subjectAltName=DNS:{certified}\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        "server.pem",
        "-extfile",
        "san.cnf",
    )
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


def _https_attempt(tmp_path, certified: str, **env) -> tuple[dict, list, int]:
    """A webhook POSTed to https://hooks.partner.example:<port>/… (resolved to this machine) whose
    server presents a certificate for `certified`, from a process patched by eventlet first as the
    partners service is, with `env` added: its outcome, what the server received, its port."""
    import ssl
    import subprocess
    import sys

    ca_file, certificate, key = _certificate_authority(tmp_path, certified)
    received, port = [], free_port()
    server = serve_webhooks(port, SECRET, received.append, host="127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        attempt = subprocess.run(
            [
                sys.executable,
                "-c",
                HTTPS_ATTEMPT,
                f"https://hooks.partner.example:{port}/hooks/maillage",
                str(ca_file),
                SECRET,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "MAILLAGE_WEBHOOK_ALLOW_PRIVATE": "1", **env},
        )
    finally:
        server.shutdown()
        server.server_close()
    assert attempt.returncode == 0, attempt.stderr[-2000:]
    return json.loads(attempt.stdout.strip().splitlines()[-1]), received, port


@pytest.mark.parametrize("certified", ["hooks.partner.example", "someone-else.example"])
def test_https_goes_to_the_address_checked_and_verifies_the_name(certified, tmp_path):
    """Over TLS the connection made to the address checked still presents the endpoint's name (SNI)
    and checks the certificate against it: a certificate for another name is refused."""
    outcome, received, _port = _https_attempt(tmp_path, certified)
    if certified == "hooks.partner.example":
        assert outcome["ok"] and len(received) == 1, outcome["error"]
    else:
        assert not outcome["ok"] and "doesn't match" in outcome["error"] and received == []


class Proxy(socketserver.ThreadingTCPServer):
    """An operator's outgoing proxy on 127.0.0.1: CONNECT tunnels (https) and absolute-form requests
    (http), relayed to where they ask; `asked` holds each request line."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ProxyRequest)
        self.asked = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self):
        self.shutdown()
        self.server_close()


class _ProxyRequest(socketserver.BaseRequestHandler):
    def handle(self):
        client, head = self.request, b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        line, _, rest = head.partition(b"\r\n")
        method, target, version = line.decode().split(" ")
        self.server.asked.append(f"{method} {target}")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = rest.partition(b"\r\n\r\n")[2]
        else:
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname, parts.port or 80))
            rest = f"{method} {parts.path or '/'} {version}\r\n".encode() + rest
        with upstream:
            if rest:
                upstream.sendall(rest)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join(timeout=10)


def _pipe(source, sink):
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    made = Proxy()
    yield made
    made.close()


def _resolving_to_this_machine(monkeypatch, name):
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *rest, **kw: (
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
            if host == name
            else real(host, port, *rest, **kw)
        ),
    )


def test_behind_the_operators_proxy_a_webhook_asks_it_for_the_address_checked(
    monkeypatch, endpoint, proxy
):
    """HTTP_PROXY is honoured; the proxy is asked for the address checked, not the name (which it
    would resolve again, maybe inside); NO_PROXY names the hosts reached directly."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "1")
    receiver = endpoint()
    receiver.up(SECRET)
    _resolving_to_this_machine(monkeypatch, "hooks.partner.example")
    named = receiver.url.replace("127.0.0.1", "hooks.partner.example")
    body = json.dumps({"event_id": "e1", "type": "animation.scheduled", "payload": {}}).encode()
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    outcome = webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=5
    )
    assert outcome.ok and len(receiver.received) == 1, outcome.error
    assert proxy.asked == [f"POST http://127.0.0.1:{receiver.port}/hooks/maillage"]

    monkeypatch.setenv("NO_PROXY", "partner.example")
    assert webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=5
    ).ok
    assert len(receiver.received) == 2 and len(proxy.asked) == 1, "reached directly"

    monkeypatch.delenv("NO_PROXY")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "0")  # the check holds behind a proxy too
    outcome = webhooks.post(
        named, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=5
    )
    assert not outcome.ok and "internal address" in outcome.error and len(proxy.asked) == 1


def test_a_proxy_setting_that_is_not_a_proxy_is_the_attempts_error_not_a_crash(
    monkeypatch, endpoint, proxy
):
    """HTTP_PROXY set to something urllib3 cannot use (a SOCKS address): the attempt fails with
    the variable named, as an outcome (retried later, shown in the delivery log)."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "1")
    receiver = endpoint()
    receiver.up(SECRET)
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1080")
    body = json.dumps({"event_id": "e1", "type": "animation.scheduled", "payload": {}}).encode()
    outcome = webhooks.post(
        receiver.url, SECRET, body, event_id="e1", event_type="animation.scheduled", timeout=2
    )
    assert (
        not outcome.ok
        and outcome.error.startswith("HTTP_PROXY is not a usable proxy")
        and receiver.received == []
    )


def test_https_behind_the_operators_proxy_tunnels_to_the_address_checked_and_verifies_the_name(
    tmp_path, proxy
):
    """HTTPS_PROXY: a CONNECT to the address checked, then TLS with the endpoint's name (SNI and the
    certificate)."""
    outcome, received, port = _https_attempt(
        tmp_path, "hooks.partner.example", HTTPS_PROXY=proxy.url
    )
    assert outcome["ok"] and len(received) == 1, outcome["error"]
    assert proxy.asked == [f"CONNECT 127.0.0.1:{port}"]


def test_a_webhook_names_known_event_types_once():
    with pytest.raises(InvalidInput) as unknown:
        load(
            WebhookInput(),
            {
                "url": "https://example.org/h",
                "event_types": ["animation.scheduled", "member.erased"],
            },
        )
    assert unknown.value.errors == {"event_types": ["Unknown event type: member.erased."]}
    with pytest.raises(InvalidInput) as twice:
        load(
            WebhookInput(),
            {"url": "https://example.org/h", "event_types": ["village.opened", "village.opened"]},
        )
    assert twice.value.errors == {"event_types": ["An event type is listed twice."]}
    with pytest.raises(InvalidInput) as none:
        load(WebhookInput(), {"url": "https://example.org/h", "event_types": []})
    assert list(none.value.errors) == ["event_types"]


# --- audience and projection ---------------------------------------------------------------


def test_a_village_event_reaches_the_partners_of_that_village_and_of_the_network(webhook_world):
    database, villages, ids = webhook_world
    with database.unit_of_work() as uow:
        assert _concerned(uow.session, scheduled(villages[0])) == {ids["a"], ids["net"]}
        # naming a partner (a co-organiser) adds it, wherever it serves; an id is taken as named
        # (an id that is no partner's has no webhook nor feed: nothing is delivered to it)
        nobody = str(uuid.uuid4())
        named = scheduled(villages[0], co_organisers=[ids["b"], nobody])
        assert _concerned(uow.session, named) == {ids["a"], ids["b"], ids["net"], nobody}
        # types partners never receive reach nobody
        erased = parse_envelope(
            build_envelope(
                "member.erased",
                {"member_id": str(uuid.uuid4()), "village_id": villages[0]},
                village_id=villages[0],
                source="members",
            )
        )
        assert _concerned(uow.session, erased) == set()
        # a network-wide public event (no village) reaches every partner
        launched = parse_envelope(
            build_envelope(
                "campaign.launched",
                {
                    "campaign_id": str(uuid.uuid4()),
                    "village_id": None,
                    "title": "Un four à pain",
                    "goal_cents": 500000,
                    "deadline": T0 + timedelta(days=30),
                },
                village_id=None,
                source="partners",
            )
        )
        assert _concerned(uow.session, launched) == set(ids.values())


def test_a_round_reaches_only_its_driver(webhook_world):
    database, villages, ids = webhook_world
    envelope = parse_envelope(
        build_envelope(
            "round.planned",
            {
                "round_id": str(uuid.uuid4()),
                "date": T0.date(),
                "vehicle_id": str(uuid.uuid4()),
                "vehicle_name": "Kangoo",
                "capacity": 20,
                "load": 3,
                "driver_partner_id": ids["b"],
                "village_ids": villages,
                "distance_km": 31.5,
                "stops": [],
            },
            village_id=villages[0],
            source="orders",
        )
    )
    with database.unit_of_work() as uow:
        assert _concerned(uow.session, envelope) == {ids["b"]}


def test_a_stop_closed_reaches_only_the_partner_driving_the_round(webhook_world):
    database, villages, ids = webhook_world

    def closed(driver):
        return parse_envelope(
            build_envelope(
                "round.stop_completed",
                {
                    "round_id": str(uuid.uuid4()),
                    "stop_id": str(uuid.uuid4()),
                    "sequence": 2,
                    "kind": "hub_drop",
                    "village_id": villages[0],
                    "outcome": "done",
                    "items_count": 6,
                    "at": T0,
                    "round_completed": False,
                    "driver_partner_id": driver,
                },
                village_id=villages[0],
                source="orders",
            )
        )

    with database.unit_of_work() as uow:
        assert _concerned(uow.session, closed(ids["b"])) == {ids["b"]}
        assert _concerned(uow.session, closed(None)) == set(), "a volunteer drives: no partner"


def test_a_parcel_reaches_only_the_partner_who_brought_it(webhook_world):
    database, villages, ids = webhook_world

    def parcel(partner_id):
        return parse_envelope(
            build_envelope(
                "parcel.handed_over",
                {
                    "parcel_id": str(uuid.uuid4()),
                    "village_id": villages[0],
                    "sender_kind": "la_poste",
                    "place_kind": "shelf",
                    "partner_id": partner_id,
                    "occurred_at": datetime(2026, 12, 1, 9, tzinfo=UTC),
                },
                village_id=villages[0],
                source="orders",
            )
        )

    with database.unit_of_work() as uow:
        assert _concerned(uow.session, parcel(ids["b"])) == {ids["b"]}
        assert _concerned(uow.session, parcel(None)) == set(), "a neighbour's parcel: nobody"


def test_personal_data_never_leaves(webhook_world):
    _database, villages, ids = webhook_world
    sent = audience.project(cancelled(villages[0]), ids["a"])
    assert "member_ids" not in sent["payload"]
    assert sent["payload"]["title"] == "Atelier tricot" and sent["partner_id"] == ids["a"]
    json.dumps(sent)  # JSON-ready: dates written back as text
    suggestion = parse_envelope(
        build_envelope(
            "suggestion.made",
            {
                "suggestion_id": str(uuid.uuid4()),
                "village_id": villages[0],
                "category": "sante",
                "text": "Mme Faure, 12 rue Haute, voudrait un médecin",
            },
            village_id=villages[0],
            source="events",
        )
    )
    assert "text" not in audience.project(suggestion, ids["a"])["payload"]
    parcel = parse_envelope(
        build_envelope(
            "parcel.received",
            {
                "parcel_id": str(uuid.uuid4()),
                "village_id": villages[0],
                "sender_kind": "la_poste",
                "place_kind": "shelf",
                "occurred_at": datetime(2026, 12, 1, 9, tzinfo=UTC),
                "member_id": str(uuid.uuid4()),
                "pickup_code": "482193",
            },
            village_id=villages[0],
            source="orders",
        )
    )
    assert not {"member_id", "pickup_code"} & set(audience.project(parcel, ids["a"])["payload"])
    funded = parse_envelope(
        build_envelope(
            "campaign.funded",
            {
                "campaign_id": str(uuid.uuid4()),
                "village_id": villages[0],
                "goal_cents": 1000,
                "pledged_cents": 1200,
                "pledges": 2,
                "title": "Casiers réfrigérés",
                "member_ids": [str(uuid.uuid4())],
            },
            village_id=villages[0],
            source="partners",
        )
    )
    assert "member_ids" not in audience.project(funded, ids["a"])["payload"]


def test_each_supplier_sees_only_its_own_lines_of_an_order(webhook_world):
    database, villages, ids = webhook_world

    def line(partner_id, name):
        return {
            "line_id": str(uuid.uuid4()),
            "item_id": str(uuid.uuid4()),
            "partner_id": partner_id,
            "name": name,
            "unit": "piece",
            "quantity": 2,
            "unit_price_cents": 350,
            "status": "pending",
        }

    envelope = parse_envelope(
        build_envelope(
            "order.placed",
            {
                "order_id": str(uuid.uuid4()),
                "village_id": villages[0],
                "status": "placed",
                "fulfilment": "counter",
                "delivery_date": T0.date(),
                "partner_ids": [ids["a"], ids["b"]],
                "total_cents": 1400,
                "reason": None,
                "occurred_at": T0,
                "lines": [line(ids["a"], "Pain"), line(ids["b"], "Fromage")],
            },
            village_id=villages[0],
            source="orders",
        )
    )
    with database.unit_of_work() as uow:
        assert _concerned(uow.session, envelope) == {ids["a"], ids["b"]}  # not public
    assert [line["name"] for line in audience.project(envelope, ids["a"])["payload"]["lines"]] == [
        "Pain"
    ]
    assert [line["name"] for line in audience.project(envelope, ids["b"])["payload"]["lines"]] == [
        "Fromage"
    ]


def test_an_offer_for_some_villages_reaches_their_partners_and_the_network(webhook_world):
    database, villages, ids = webhook_world
    envelope = parse_envelope(
        build_envelope(
            "offer.published",
            {
                "offer_id": str(uuid.uuid4()),
                "partner_id": ids["a"],
                "partner_name": "Partenaire a",
                "name": "Pain",
                "kind": "product",
                "unit": "piece",
                "price_cents": 350,
                "vat_rate": 55,
                "lead_time_days": 1,
                "cutoff_time": "18:00",
                "days": ["friday"],
                "village_ids": [villages[1]],
                "perishable": True,
                "available": True,
            },
            village_id=None,
            source="partners",
        )
    )
    with database.unit_of_work() as uow:
        assert _concerned(uow.session, envelope) == {ids["a"], ids["b"], ids["net"]}


def test_every_message_of_the_subscription_schemas_has_a_french_translation():
    for schema, data in (
        (WebhookInput(), {"url": "ftp://x", "event_types": ["nope", "nope"]}),
        (WebhookInput(), {"url": "https://", "event_types": []}),
        (WebhookInput(), {"url": "https://x.org", "event_types": ["village.opened"] * 2}),
        (DeliveryQuery(), {"status": "lost", "page": 0, "per_page": "x"}),
    ):
        with pytest.raises(InvalidInput) as refused:
            load(schema, data)
        assert without_french(refused.value) == []


def test_every_partner_type_has_a_contract():
    from backbone.contracts import registry

    assert set(audience.EVENT_TYPES) <= registry.types()


# --- deliveries ----------------------------------------------------------------------------


def test_one_delivery_per_subscription_and_event_and_a_redelivered_event_adds_nothing(
    webhook_world,
):
    database, villages, ids = webhook_world
    hook = webhook(database, ids["a"], "https://example.org/hooks")
    assert hook["secret"].startswith("whsec_")
    webhook(database, ids["b"], "https://example.org/b")  # another village's partner: not concerned
    with database.unit_of_work() as uow:
        uow.session.add(
            FeedAccount(partner_id=ids["a"], username=f"partner-{ids['a']}", created_at=T0)
        )
        uow.commit()
    event = scheduled(villages[0])

    assert record(database, event) == 2
    assert record(database, event) == 0  # the same event again (at-least-once delivery)
    assert (
        record(database, cancelled(villages[0])) == 1
    )  # the webhook did not ask for cancellations
    made = rows(database)
    assert sorted((r.channel, r.event_type) for r in made) == [
        ("amqp", "animation.cancelled"),
        ("amqp", "animation.scheduled"),
        ("webhook", "animation.scheduled"),
    ]
    assert {r.partner_id for r in made} == {ids["a"]}
    assert all("member_ids" not in json.loads(r.body)["payload"] for r in made)


def test_a_batch_makes_the_deliveries_its_events_make_one_by_one(webhook_world):
    database, villages, ids = webhook_world
    for partner in ("a", "b", "net"):
        webhook(
            database,
            ids[partner],
            f"https://example.org/{partner}",
            types=("animation.scheduled", "animation.cancelled"),
        )
    with database.unit_of_work() as uow:
        uow.session.add(
            FeedAccount(partner_id=ids["b"], username=f"partner-{ids['b']}", created_at=T0)
        )
        uow.commit()
    events = [
        scheduled(villages[0]),
        cancelled(villages[1]),
        scheduled(villages[1]),
        cancelled(villages[0]),
    ]
    assert record_batch(database, events[:1]) == 2  # a, net
    batched = [events[0]] + events[1:] + [events[2]]  # one already claimed, one twice in the batch
    assert record_batch(database, batched) == 8
    made = rows(database)
    by_event = {(r.event_id, r.partner_id, r.channel) for r in made}
    assert len(made) == len(by_event) == 10
    for event, village_partner in zip(events, ("a", "b", "b", "a")):
        expected = {
            (event["event_id"], ids[village_partner], "webhook"),
            (event["event_id"], ids["net"], "webhook"),
        }
        if village_partner == "b":
            expected.add((event["event_id"], ids["b"], "amqp"))
        assert {d for d in by_event if d[0] == event["event_id"]} == expected, event["type"]


def test_a_signed_event_reaches_an_endpoint_that_was_down_after_backoff(webhook_world, endpoint):
    database, villages, ids = webhook_world
    receiver = endpoint()
    hook = webhook(database, ids["a"], receiver.url)
    record(database, scheduled(villages[0]))

    # down: nothing listens; the attempt is logged and the next one waits 10 s, then 20 s
    assert deliveries.send_due(database, now=T0) == 1
    assert deliveries.send_due(database, now=T0 + timedelta(seconds=9)) == 0
    (row,) = rows(database)
    assert (
        row.status == "pending"
        and row.attempts == 1
        and row.next_attempt_at == T0 + timedelta(seconds=10)
    )
    assert "ConnectionError" in row.last_error
    # up but failing: 503
    receiver.up(hook["secret"])
    receiver.failing = True
    assert deliveries.send_due(database, now=T0 + timedelta(seconds=10)) == 1
    (row,) = rows(database)
    assert (
        row.attempts == 2
        and row.next_attempt_at == T0 + timedelta(seconds=30)
        and row.last_error.startswith("HTTP 503")
    )
    # working again
    receiver.failing = False
    assert deliveries.send_due(database, now=T0 + timedelta(seconds=30)) == 1
    assert deliveries.send_due(database, now=T0 + timedelta(hours=5)) == 0
    (row,) = rows(database)
    assert row.status == "delivered" and row.attempts == 3 and row.last_error is None
    assert [e["event_id"] for e in receiver.received] == [row.event_id]
    assert receiver.received[0]["payload"]["title"] == "Atelier tricot"

    with database.unit_of_work() as uow:
        detail = deliveries.get_delivery(uow, row.id, ids["a"])
    assert [(a["ok"], a["status_code"]) for a in detail["log"]] == [
        (False, None),
        (False, 503),
        (True, 204),
    ]
    assert all(a["duration_ms"] >= 0 for a in detail["log"])


def test_deliveries_pass_the_standard_webhooks_verifier_and_a_changed_body_does_not(
    webhook_world, recorder
):
    """What a partner's ready-made Standard Webhooks verifier makes of a real delivery: accepted as
    sent, with the event id as `webhook-id`; refused once its body, its id or the secret differs."""
    database, villages, ids = webhook_world
    hook = webhook(database, ids["a"], recorder.url)
    record(database, scheduled(villages[0]))
    assert deliveries.send_due(database) == 1
    ((headers, body),) = recorder.requests
    (row,) = rows(database)
    assert row.status == "delivered"
    assert Webhook(hook["secret"]).verify(body, headers) == json.loads(row.body)
    assert headers["webhook-id"] == row.event_id and headers["webhook-signature"].startswith("v1,")
    assert headers["X-Maillage-Event-Type"] == "animation.scheduled"
    for changed_body, changed_headers, secret in [
        (body.replace(b"Atelier tricot", b"Atelier couture"), headers, hook["secret"]),
        (body, {**headers, "webhook-id": str(uuid.uuid4())}, hook["secret"]),
        (body, headers, webhooks.new_secret()),
    ]:
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            Webhook(secret).verify(changed_body, changed_headers)


def test_a_delivery_signed_too_long_ago_is_refused_by_the_verifier(webhook_world, endpoint):
    """A replay: the same signed request presented six minutes later is refused, by the verifier
    and by the reference subscriber's server (400), which never hands it on."""
    database, villages, ids = webhook_world
    receiver = endpoint()
    hook = webhook(database, ids["a"], receiver.url)
    receiver.up(hook["secret"])
    body = json.dumps(scheduled(villages[0]), default=str).encode()
    headers = webhooks.signature_headers(hook["secret"], "e1", int(time.time()) - 360, body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(hook["secret"]).verify(body, headers)
    replayed = webhooks.post(
        receiver.url,
        hook["secret"],
        body,
        event_id="e1",
        event_type="animation.scheduled",
        timeout=5,
        now=time.time() - 360,
    )
    assert (replayed.ok, replayed.status_code, receiver.received) == (False, 400, [])
    fresh = webhooks.post(
        receiver.url,
        hook["secret"],
        body,
        event_id="e1",
        event_type="animation.scheduled",
        timeout=5,
    )
    assert fresh.ok and receiver.received == [json.loads(body)]


def test_secrets_issued_before_keep_their_key_in_the_standard_form(db_url):
    """The migration rewrites an old secret as `whsec_` + base64 of its text: the key (the old
    secret's bytes) is unchanged, so the partner who kept it derives the new one."""
    legacy = "whsec_" + "Q-9_" * 10 + "abc"
    migrations.upgrade("partners", db_url, "0007_commune_links")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO partners (id, name, kind, created_at) "
                "VALUES ('p1', 'Fournil', 'artisan', '2026-01-05 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO webhook_subscriptions (id, partner_id, url, event_types, secret, "
                "created_at) VALUES ('h1', 'p1', 'https://hooks.example.org/m', "
                "'[\"order.placed\"]', :secret, '2026-01-05 10:00:00')"
            ),
            {"secret": legacy},
        )
    migrations.upgrade("partners", db_url)
    with engine.connect() as connection:
        secret = connection.execute(text("SELECT secret FROM webhook_subscriptions")).scalar_one()
    engine.dispose()
    assert secret == "whsec_" + base64.b64encode(legacy.encode()).decode()
    assert webhooks.signing_key(secret) == legacy.encode()
    headers = webhooks.signature_headers(secret, "e1", int(time.time()), b"{}")
    assert Webhook(secret).verify(b"{}", headers) == {}


def test_a_delivery_is_parked_with_the_reason_then_redelivered_on_demand(webhook_world, endpoint):
    database, villages, ids = webhook_world
    receiver = endpoint()
    hook = webhook(database, ids["a"], receiver.url)
    record(database, scheduled(villages[0]))
    counted = {
        outcome: sample("maillage_partner_deliveries_total", channel="webhook", outcome=outcome)
        for outcome in ("failed", "parked", "delivered")
    }

    def moved(outcome):
        now = sample("maillage_partner_deliveries_total", channel="webhook", outcome=outcome)
        return now - counted[outcome]

    def parked_now():
        with database.engine.connect() as connection:
            [family] = deliveries.parked_gauges(connection, "partners")
        return family.samples[0].value

    for seconds in (0, 10, 30):  # MAILLAGE_WEBHOOK_MAX_ATTEMPTS=3, pauses of 10 s then 20 s
        assert deliveries.send_due(database, now=T0 + timedelta(seconds=seconds)) == 1
    (row,) = rows(database)
    assert row.status == "parked" and row.attempts == 3 and "ConnectionError" in row.last_error
    assert (moved("failed"), moved("parked"), parked_now()) == (2, 1, 1), "what the metrics say"
    assert (
        deliveries.send_due(database, now=T0 + timedelta(days=1)) == 0
    )  # parked: never again by itself

    with database.unit_of_work() as uow:
        parked = deliveries.list_deliveries(uow, load(DeliveryQuery(), {"status": "parked"}))
    assert [d["id"] for d in parked["items"]] == [row.id] and parked["items"][0][
        "last_error"
    ] == row.last_error

    with database.unit_of_work() as uow, pytest.raises(NotFound):
        deliveries.redeliver(uow, row.id, ids["b"])  # not b's delivery
    with database.unit_of_work() as uow:
        again = deliveries.redeliver(uow, row.id, ids["a"], now=T0 + timedelta(days=1))
    assert again["status"] == "pending" and again["attempts"] == 0
    receiver.up(hook["secret"])
    assert deliveries.send_due(database, now=T0 + timedelta(days=1)) == 1
    (row,) = rows(database)
    assert row.status == "delivered" and len(receiver.received) == 1
    assert (moved("delivered"), parked_now()) == (1, 0)


def test_every_parked_delivery_of_a_partner_is_redelivered_at_once_but_a_deleted_webhooks(
    webhook_world,
):
    database, villages, ids = webhook_world
    kept = webhook(database, ids["a"], "https://example.org/kept")
    gone = webhook(database, ids["a"], "https://example.org/gone")
    webhook(database, ids["b"], "https://example.org/b")
    for _ in range(2):
        record(database, scheduled(villages[0]))
    with database.unit_of_work() as uow:
        subscriptions.delete_webhook(uow, ids["a"], gone["id"])  # parks its two
        for row in uow.session.scalars(select(Delivery)):
            row.status, row.last_error = "parked", row.last_error or "HTTP 500"
        uow.commit()
    with database.unit_of_work() as uow:
        again = deliveries.redeliver_parked(uow, ids["a"], now=T0)
    assert again == {"redelivered": 2, "left_parked": 2}
    by_hook = {(r.subscription_id, r.status) for r in rows(database)}
    assert by_hook >= {(kept["id"], "pending"), (gone["id"], "parked")}
    assert all(r.status == "parked" for r in rows(database) if r.partner_id == ids["b"])
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        deliveries.redeliver_parked(uow, str(uuid.uuid4()))


def test_the_delivery_log_is_paged_and_each_partner_reads_its_own(webhook_world):
    database, villages, ids = webhook_world
    webhook(database, ids["a"], "https://example.org/a")
    webhook(database, ids["net"], "https://example.org/net")
    for _ in range(3):
        record(database, scheduled(villages[0]))
    with database.unit_of_work() as uow:
        first = deliveries.list_deliveries(
            uow, load(DeliveryQuery(), {"per_page": 2, "partner_id": ids["a"]})
        )
        second = deliveries.list_deliveries(
            uow, load(DeliveryQuery(), {"per_page": 2, "page": 2, "partner_id": ids["a"]})
        )
        everyone = deliveries.list_deliveries(uow, load(DeliveryQuery(), {}))
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert {d["partner_id"] for d in first["items"] + second["items"]} == {ids["a"]}
    assert everyone["total"] == 6
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        deliveries.get_delivery(uow, first["items"][0]["id"], ids["net"])
    with pytest.raises(InvalidInput) as bad:
        load(DeliveryQuery(), {"status": "lost", "per_page": 1000})
    assert set(bad.value.errors) == {"status", "per_page"}


def test_a_deleted_webhook_gets_nothing_more(webhook_world):
    database, villages, ids = webhook_world
    hook = webhook(database, ids["a"], "https://example.org/a")
    record(database, scheduled(villages[0]))
    with database.unit_of_work() as uow:
        subscriptions.delete_webhook(uow, ids["a"], hook["id"])
    with database.unit_of_work() as uow:
        assert subscriptions.list_webhooks(uow, ids["a"]) == []
    (row,) = rows(database)
    assert row.status == "parked" and row.last_error == "webhook deleted"
    with database.unit_of_work() as uow, pytest.raises(Conflict) as refused:
        deliveries.redeliver(uow, row.id, ids["a"])
    assert refused.value.reason == "webhook_deleted"
    assert record(database, scheduled(villages[0])) == 0
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        subscriptions.delete_webhook(uow, ids["b"], hook["id"])


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_delivery_another_sender_holds_is_skipped_not_sent_twice(webhook_world, endpoint):
    database, villages, ids = webhook_world
    receiver = endpoint()
    hook = webhook(database, ids["a"], receiver.url)
    receiver.up(hook["secret"])
    record(database, scheduled(villages[0]))
    with database.unit_of_work() as other:  # another partners instance is sending it right now
        other.session.scalars(select(Delivery).with_for_update()).all()
        assert deliveries.send_due(database, now=T0) == 0
    assert deliveries.send_due(database, now=T0) == 1
    assert len(receiver.received) == 1


def test_a_feed_account_needs_the_brokers_management_api(webhook_world, monkeypatch):
    database, _villages, ids = webhook_world
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", f"http://127.0.0.1:{free_port()}/api")
    with database.unit_of_work() as uow, pytest.raises(Conflict) as refused:
        subscriptions.create_feed_account(uow, ids["a"])
    assert (
        refused.value.reason == "feed_unavailable"
        and "unreachable" in refused.value.details["error"]
    )
    with database.unit_of_work() as uow:
        assert uow.session.get(FeedAccount, ids["a"]) is None
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        subscriptions.create_feed_account(uow, str(uuid.uuid4()))


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_feed_event_is_sent_only_once_the_broker_routed_and_confirmed_it(webhook_world, amqp_uri):
    import pika

    from services.partners import feed

    database, villages, ids = webhook_world
    with database.unit_of_work() as uow:
        uow.session.add(
            FeedAccount(partner_id=ids["a"], username=f"partner-{ids['a']}", created_at=T0)
        )
        uow.commit()
    record(database, cancelled(villages[0]))
    outlets = deliveries.Outlets(amqp_uri)
    try:
        # no queue is bound to the partner's keys yet: unroutable, so not sent
        assert deliveries.send_due(database, now=T0, outlets=outlets) == 1
        (row,) = rows(database)
        assert row.status == "pending" and "Unroutable" in row.last_error
        feed.declare_feed_queue(ids["a"], amqp_uri)
        assert deliveries.send_due(database, now=T0 + timedelta(seconds=10), outlets=outlets) == 1
    finally:
        outlets.close()
    (row,) = rows(database)
    assert row.status == "delivered"
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        method, properties, body = connection.channel().basic_get(
            feed.feed_queue(ids["a"]), auto_ack=True
        )
    finally:
        connection.close()
    assert (
        method.routing_key == f"{ids['a']}.animation.cancelled"
        and properties.message_id == row.event_id
    )
    assert (
        json.loads(body)["payload"]["title"] == "Atelier tricot"
        and "member_ids" not in json.loads(body)["payload"]
    )


def _concerned(session, envelope: dict) -> set[str]:
    """Every partner `envelope` concerns (empty for a type partners never receive)."""
    return audience.concerned_partners_of(session, [envelope])[envelope["event_id"]]
