"""The consoles' gatekeeping and live feed, on a real gateway container and the real broker:
who may open which page (session cookie, role, village, CSRF), the static files, and the live feed
(an exclusive queue bound to the figures' event types only while a page listens; a concierge
hears their village only)."""

import json
import socket
import time
import uuid

import pytest
import requests
from kombu import Connection, Queue
from kombu.pools import producers

from backbone import config, topology
from gateway import auth
from gateway.console import live as live_module
from gateway.console.framework import COOKIE
from gateway.console.live import LiveEvents, live_types
from gateway.service import GatewayService

A, B = "village-a", "village-b"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _token(role, village_id=None):
    return auth.issue_token(
        {"id": str(uuid.uuid4()), "role": role, "village_id": village_id, "full_name": "Test"}
    )


@pytest.fixture
def gateway(container_factory, nameko_config, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "console-test")
    port = _free_port()
    container = container_factory(
        GatewayService, {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    )
    container.start()
    live = next(e for e in container.extensions if isinstance(e, LiveEvents))
    return f"http://127.0.0.1:{port}", live, nameko_config["AMQP_URI"]


def _get(base, path, role=None, village_id=None, **kwargs):
    cookies = {COOKIE: _token(role, village_id)} if role else {}
    return requests.get(base + path, cookies=cookies, allow_redirects=False, timeout=10, **kwargs)


@pytest.mark.broker
def test_who_may_open_which_page(gateway):
    base, _live, _uri = gateway
    anonymous = _get(base, f"/console/villages/{A}/aujourdhui")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"].startswith(
        "/console/connexion?suite=%2Fconsole%2Fvillages%2Fvillage-a"
    )

    other_village = _get(base, f"/console/villages/{B}/habitants", "concierge", A)
    assert other_village.status_code == 403 and "autre village" in other_village.text
    assert "village-b" not in other_village.text.replace("/console/villages/village-b", "")

    coordination = _get(base, "/console/coordination", "concierge", A)
    assert coordination.status_code == 403 and "réservée à la coordination" in coordination.text

    forged = requests.get(
        base + "/console/coordination",
        cookies={COOKIE: "forged"},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 303 and "connexion" in forged.headers["Location"]
    assert COOKIE in forged.headers.get("Set-Cookie", ""), "a bad session cookie is removed"

    login_page = requests.get(base + "/console/connexion", timeout=10)
    assert (
        login_page.status_code == 200
        and 'lang="fr"' in login_page.text
        and "Aller au contenu" in login_page.text
    )


@pytest.mark.broker
def test_a_form_without_its_csrf_token_is_refused(gateway):
    base, _live, _uri = gateway
    cookies = {COOKIE: _token("concierge", A)}
    for form in ({}, {"csrf": "not-the-token"}):
        answer = requests.post(
            f"{base}/console/villages/{A}/suggestions",
            data={"action": "create", **form},
            cookies=cookies,
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 403 and "Formulaire expiré" in answer.text


@pytest.mark.broker
def test_static_files_are_served_by_the_gateway_and_nothing_else(gateway):
    base, _live, _uri = gateway
    css = requests.get(base + "/console/static/console.css", timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert ":focus-visible" in css.text
    js = requests.get(base + "/console/static/console.js", timeout=10)
    assert js.status_code == 200 and "EventSource" in js.text
    for path in (
        "/console/static/../framework.py",
        "/console/static/%2e%2e/framework.py",
        "/console/static/nope.css",
    ):
        assert requests.get(base + path, timeout=10).status_code == 404, path


def _publish(uri, type_, village_id):
    body = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": type_,
            "version": 1,
            "village_id": village_id,
            "payload": {},
        }
    )
    with Connection(uri) as connection, producers[connection].acquire(block=True) as producer:
        producer.publish(
            body,
            exchange=topology.events_exchange(),
            routing_key=type_,
            content_type="application/json",
            content_encoding="utf-8",
            mandatory=False,
        )


class Stream:
    """A server-sent events stream read line by line."""

    def __init__(self, base, path, role, village_id=None):
        self.response = requests.get(
            base + path, cookies={COOKIE: _token(role, village_id)}, stream=True, timeout=30
        )
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.lines = self.response.iter_lines(decode_unicode=True)
        assert next(self.lines).startswith("retry:")

    def next_change(self) -> dict:
        for line in self.lines:
            if line.startswith("data: "):
                return json.loads(line[len("data: ") :])
        raise AssertionError("the stream ended")

    def close(self):
        self.response.close()


@pytest.mark.broker
def test_the_live_feed_hears_the_figures_event_types_only_and_each_page_its_own_villages(gateway):
    base, live, uri = gateway
    assert "order.placed" in live_types() and "animation.attended" in live_types()
    assert "catalogue.changed" not in live_types() and "#" not in live_types()

    coordinator = Stream(base, "/console/coordination/flux", "coordinator")
    concierge = Stream(base, f"/console/villages/{A}/flux", "concierge", A)
    assert _get(base, f"/console/villages/{B}/flux", "concierge", A).status_code == 403

    _publish(uri, "catalogue.changed", A)  # not a figure's event: not heard, still dead-lettered
    _publish(uri, "order.placed", B)
    _publish(uri, "animation.attended", A)
    assert coordinator.next_change() == {"type": "order.placed", "village_id": B}
    assert coordinator.next_change() == {"type": "animation.attended", "village_id": A}
    assert concierge.next_change() == {"type": "animation.attended", "village_id": A}, (
        "not village B's"
    )
    coordinator.close()
    concierge.close()

    with Connection(uri) as connection:
        dead = Queue(config.DEAD_LETTER_QUEUE, channel=connection.channel())
        message = dead.get(no_ack=True)
        assert message is not None and message.delivery_info["routing_key"] == "catalogue.changed"
        assert dead.get(no_ack=True) is None, "events the feed hears are not dead letters"


def _live_queues(uri):
    vhost = uri.rsplit("/", 1)[1]
    api = f"http://{uri.split('@')[1].split(':')[0]}:15672/api"
    queues = requests.get(f"{api}/queues/{vhost}", auth=("guest", "guest"), timeout=10).json()
    return api, vhost, [q for q in queues if q["name"].startswith("gateway.live.")]


@pytest.mark.broker
def test_the_live_queue_exists_while_a_page_listens_exclusive_and_bound_to_named_types(
    gateway, monkeypatch
):
    """No page open: the gateway hears none of the network's events (issue #30: an order through
    the API costs it nothing more); the first stream binds the queue, and it goes LINGER_SECONDS
    after the last stream closed."""
    monkeypatch.setattr(live_module, "LINGER_SECONDS", 0.5)
    monkeypatch.setattr(
        live_module, "HEARTBEAT_SECONDS", 0.5
    )  # a closed page is noticed by its ping
    base, live, uri = gateway
    assert _live_queues(uri)[2] == [], "no page open, no queue"

    first = Stream(base, "/console/coordination/flux", "coordinator")
    second = Stream(base, f"/console/villages/{A}/flux", "concierge", A)
    api, vhost, queues = _live_queues(uri)
    assert len(queues) == 1, "one queue for every page of the gateway"
    queue = queues[0]
    assert queue["exclusive"] and queue["auto_delete"] and not queue["durable"]
    bindings = requests.get(
        f"{api}/queues/{vhost}/{queue['name']}/bindings", auth=("guest", "guest"), timeout=10
    ).json()
    keys = {b["routing_key"] for b in bindings if b["source"] == config.EVENTS_EXCHANGE}
    assert keys == set(live_types())

    first.close()
    second.close()
    deadline = time.monotonic() + 15
    while _live_queues(uri)[2] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _live_queues(uri)[2] == [], "dropped once no page listens"

    again = Stream(base, f"/console/villages/{A}/flux", "concierge", A)
    _publish(uri, "order.placed", A)
    assert again.next_change() == {"type": "order.placed", "village_id": A}, (
        "a page opened later wakes the feed again"
    )
    again.close()


def test_a_hub_hands_each_stream_its_villages_changes_and_ends_them_when_the_gateway_stops():
    from gateway.console.live import Hub

    hub = Hub()
    hub.listening()  # the feed's queue is bound (else each stream waits BOUND_WAIT_SECONDS for it)
    village_a, everything = hub.stream(A), hub.stream(None)
    assert next(village_a).startswith("retry:") and next(everything).startswith("retry:")
    hub.publish({"type": "order.placed", "village_id": B})
    hub.publish({"type": "order.placed", "village_id": A})
    assert json.loads(next(everything).split("data: ")[1]) == {
        "type": "order.placed",
        "village_id": B,
    }
    assert json.loads(next(village_a).split("data: ")[1]) == {
        "type": "order.placed",
        "village_id": A,
    }
    hub.close()
    with pytest.raises(StopIteration):
        next(everything)
    with pytest.raises(StopIteration):
        next(village_a)
    assert hub.subscriptions == set()


@pytest.mark.broker
def test_signing_out_forgets_the_session_and_unknown_pages_answer_in_french(gateway):
    base, _live, _uri = gateway
    token = _token("concierge", A)
    from gateway.console.framework import csrf_token

    out = requests.post(
        base + "/console/deconnexion",
        data={"csrf": csrf_token(token)},
        cookies={COOKIE: token},
        allow_redirects=False,
        timeout=10,
    )
    assert out.status_code == 303 and out.headers["Location"] == "/console/connexion"
    assert f"{COOKIE}=;" in out.headers["Set-Cookie"] and "HttpOnly" in out.headers["Set-Cookie"]
    login = requests.get(base + "/console/connexion", timeout=10)
    assert login.status_code == 200
    unknown = _get(base, "/console/nulle-part/ici", "concierge", A)
    assert unknown.status_code == 404 and "Page introuvable" in unknown.text
    assert unknown.headers["Content-Type"].startswith("text/html")
    assert _get(base, "/console/static/console.css").status_code == 200, (
        "the catch-all does not hide files"
    )


def test_an_order_line_error_is_shown_beside_its_item_in_french():
    from backbone.errors import InvalidInput
    from backbone.messages import msg
    from gateway.console.counter import _line_errors

    refused = InvalidInput(
        {
            "lines": {
                0: {"item_id": [msg("out_of_stock", item="Lait cru")]},
                "1": {"quantity": [msg("invalid_integer")]},
            }
        }
    )
    errors = _line_errors(refused.errors_fr["lines"], [{"item_id": "lait"}, {"item_id": "tomme"}])
    assert errors == {"qty-lait": "En rupture : Lait cru.", "qty-tomme": "Nombre entier attendu."}


def test_the_counter_day_says_how_many_orders_await_suppliers_not_how_many_it_lists():
    """The orders service lists the first few awaiting suppliers and counts them all: the page
    gives the count."""
    from gateway.console.framework import templates

    counter = {
        "to_prepare": [],
        "to_hand_over": [],
        "awaiting_suppliers": [{"id": "o1"}],
        "awaiting_suppliers_count": 137,
        "parcels_waiting": [],
        "reminders_due": 0,
        "round_stops": [],
        "help_to_assign": [],
        "help_today": [],
        "skill_labels": {},
    }
    html = templates.get_template("_counter_today.html").render(village={"id": A}, counter=counter)
    assert "137 commandes attendent la réponse d'un fournisseur" in html
    counter.update(awaiting_suppliers=[], awaiting_suppliers_count=0)
    assert "attendent la réponse" not in templates.get_template("_counter_today.html").render(
        village={"id": A}, counter=counter
    )
