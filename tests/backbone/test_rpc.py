"""ServiceRpc on the real broker: a service not running is said at once; once its queue was reached,
calls go without waiting for the broker's confirm; after a timeout, the next call asks again."""

import time
from urllib.parse import quote

import pytest
import requests
from nameko.rpc import rpc as nameko_rpc
from nameko.standalone.rpc import ServiceRpcProxy

from backbone import rpc as backbone_rpc
from backbone.errors import ServiceUnavailable
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT

pytestmark = pytest.mark.broker


class Echo:
    name = "echo"

    @nameko_rpc
    def say(self, word):
        return word


class Caller:
    name = "caller"
    echo = backbone_rpc.ServiceRpc("echo", timeout=4.0)

    @nameko_rpc
    def ask(self, word):
        try:
            return {"answer": self.echo.say(word)}
        except ServiceUnavailable as exc:
            return {"unavailable": exc.reason}


@pytest.fixture
def confirmed_publishes(monkeypatch):
    """How many requests went with a publisher confirm, and how many without."""
    counts = {"confirmed": 0, "unconfirmed": 0}

    def counting(publisher_cls):
        original = publisher_cls.publish

        def publish(self, payload, **kwargs):
            if kwargs.get("routing_key", "").startswith("echo."):
                counts["confirmed" if self.use_confirms else "unconfirmed"] += 1
            return original(self, payload, **kwargs)

        monkeypatch.setattr(publisher_cls, "publish", publish)

    counting(backbone_rpc.Publisher)  # nameko's, confirmed
    counting(backbone_rpc._UnconfirmedPublisher)
    return counts


@pytest.mark.alone  # a wall-clock bound
def test_unknown_then_reached_then_lost_again(
    container_factory, nameko_config, amqp_uri, confirmed_publishes
):
    container_factory(Caller, nameko_config).start()
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as caller:
        started = time.monotonic()
        assert caller.ask("a") == {"unavailable": "not running"}
        assert time.monotonic() - started < 2.0, "said at once, not after the 4 s timeout"

        echo = container_factory(Echo, nameko_config)
        echo.start()
        assert caller.ask("b") == {"answer": "b"}
        assert confirmed_publishes == {"confirmed": 2, "unconfirmed": 0}
        for word in "cde":
            assert caller.ask(word) == {"answer": word}
        assert confirmed_publishes == {"confirmed": 2, "unconfirmed": 3}, (
            "the queue is known: no confirm"
        )

        echo.stop()  # and its queue goes, as with a broker reset
        vhost = amqp_uri.rsplit("/", 1)[1]
        requests.delete(
            f"{RABBIT_MANAGEMENT}/queues/{vhost}/rpc-echo", auth=RABBIT_AUTH, timeout=10
        ).raise_for_status()
        assert caller.ask("f") == {"unavailable": "timeout"}, "sent without confirm: nobody answers"
        started = time.monotonic()
        assert caller.ask("g") == {"unavailable": "not running"}, (
            "after a timeout the broker is asked again"
        )
        assert time.monotonic() - started < 2.0, "said at once, not after the 4 s timeout"
        assert confirmed_publishes == {"confirmed": 3, "unconfirmed": 4}


class Opener:
    name = "opener"
    members = backbone_rpc.ServiceRpc("members", timeout=2.0)

    @nameko_rpc
    def open(self, data):
        try:
            return {"opened": self.members.open_village(data)["id"]}
        except ServiceUnavailable as exc:
            return {"unavailable": exc.reason}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_call_its_caller_gave_up_on_commits_nothing(
    container_factory, nameko_config, service_db, monkeypatch
):
    """The caller waits 2 s; the service takes 3 s: the caller is told the service did not answer,
    and the service, finishing after the call's deadline, commits nothing (no village, no event) —
    so trying again does not make it twice. In time, the same call commits."""
    import eventlet
    from sqlalchemy import text

    from services.members import villages
    from services.members.service import MembersService
    from tests.support.reliability import village_input

    members = service_db("members")
    slow = {"seconds": 3.0}
    real = villages.open_village

    def open_slowly(uow, data):
        eventlet.sleep(slow["seconds"])
        return real(uow, data)

    monkeypatch.setattr(villages, "open_village", open_slowly)
    container_factory(MembersService, nameko_config).start()
    container_factory(Opener, nameko_config).start()

    def written():
        with members.engine.connect() as conn:
            return (
                conn.execute(text("SELECT count(*) FROM villages")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM outbox")).scalar_one(),
            )

    with ServiceRpcProxy("opener", nameko_config, timeout=10) as opener:
        assert opener.open(village_input()) == {"unavailable": "timeout"}
        time.sleep(1.5)  # the service finishes its work meanwhile
        assert written() == (0, 0), "work the caller gave up on was committed"
        slow["seconds"] = 0
        assert "opened" in opener.open(village_input())
        assert written() == (1, 1)


def test_a_call_made_while_serving_one_keeps_the_earlier_deadline():
    """A service serving a call with 0.3 s left gives its own calls no more than that; a call made
    outside any call (an HTTP request, an event) has its own timeout less the answer's margin."""

    class Reply:
        def result(self):
            return "ok"

    class Method:
        def __init__(self, data):
            self.worker_ctx = type("Ctx", (), {"data": data})()

        def call_async(self, *args, **kwargs):
            return Reply()

    class Proxy:
        def __init__(self):
            self.data = {}

        def __getattr__(self, name):
            return Method(self.data)

    provider = type("Provider", (), {"target_service": "members", "reached": False})()
    now = time.time()
    serving = Proxy()
    assert (
        backbone_rpc.TimedServiceProxy(serving, provider, 5.0, served_deadline=now + 0.3).say()
        == "ok"
    )
    assert serving.data[backbone_rpc.DEADLINE_KEY] == now + 0.3
    free = Proxy()
    backbone_rpc.TimedServiceProxy(free, provider, 5.0).with_timeout(2.0).say()
    assert (
        abs(free.data[backbone_rpc.DEADLINE_KEY] - (now + 2.0 - backbone_rpc.DEADLINE_MARGIN)) < 0.5
    )


def _queue_url(amqp_uri: str, queue: str = "") -> str:
    vhost = amqp_uri.rsplit("/", 1)[1]
    return f"{RABBIT_MANAGEMENT}/queues/{vhost}" + (f"/{quote(queue, safe='')}" if queue else "")


def _queue_details(amqp_uri: str) -> list[dict]:
    listed = requests.get(_queue_url(amqp_uri), auth=RABBIT_AUTH, timeout=10)
    listed.raise_for_status()
    return listed.json()


def _queues(amqp_uri: str) -> list[str]:
    return [queue["name"] for queue in _queue_details(amqp_uri)]


def test_a_caller_s_reply_queue_goes_with_its_process(container_factory, nameko_config, amqp_uri):
    """A killed gateway must not leave a reply queue behind holding replies nobody will read:
    the queue is auto-delete, so it goes when its consumer's connection does."""
    container_factory(Echo, nameko_config).start()
    caller = container_factory(Caller, nameko_config)
    caller.start()
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as proxy:
        assert proxy.ask("a") == {"answer": "a"}
    assert [q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")], (
        "the caller has a reply queue"
    )
    caller.kill()  # its connection closes, as with a SIGKILL
    deadline = time.monotonic() + 10
    while [
        q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")
    ] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")]


class ServedEcho:
    """Echo served through backbone's entrypoint, as every service is."""

    name = "echo"

    @backbone_rpc.rpc
    def say(self, word):
        return word


def _consumers_ack_required(amqp_uri: str, queue: str) -> list[bool]:
    details = requests.get(_queue_url(amqp_uri, queue), auth=RABBIT_AUTH, timeout=10).json()
    return [consumer["ack_required"] for consumer in details.get("consumer_details", [])]


def test_replies_are_consumed_without_acks_and_requests_with_them(
    container_factory, nameko_config, amqp_uri
):
    """A reply is read by the process that waits for it, or by nobody: its queue is consumed
    without acknowledgements. A request is acknowledged once served (a service that dies while
    serving it gives it back to the queue)."""
    container_factory(ServedEcho, nameko_config).start()
    container_factory(Caller, nameko_config).start()
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as proxy:
        assert [proxy.ask(str(n)) for n in range(20)] == [{"answer": str(n)} for n in range(20)]
    (reply_queue,) = [q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")]
    deadline = time.monotonic() + 10  # the management API's figures lag a few seconds
    while not _consumers_ack_required(amqp_uri, reply_queue) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _consumers_ack_required(amqp_uri, reply_queue) == [False]
    assert _consumers_ack_required(amqp_uri, "rpc-echo") == [True]


def test_a_reply_that_cannot_be_sent_does_not_kill_the_service(
    container_factory, nameko_config, monkeypatch
):
    """The broker went away just as the answer was being sent: the caller's timeout answers, and
    the service goes on serving (before, the exception stopped its container: the whole process)."""
    from kombu.exceptions import OperationalError

    failing = {"replies": 1}
    original = backbone_rpc._Responder.send_response

    def send_response(self, result, exc_info):
        if failing["replies"]:
            failing["replies"] -= 1
            raise OperationalError("[Errno 111] Connection refused")
        return original(self, result, exc_info)

    monkeypatch.setattr(backbone_rpc._Responder, "send_response", send_response)
    echo = container_factory(ServedEcho, nameko_config)
    echo.start()
    container_factory(Caller, nameko_config).start()
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as caller:
        assert caller.ask("lost") == {"unavailable": "timeout"}
        assert caller.ask("again") == {"answer": "again"}
    assert echo._died.ready() is False, "the service is still running"


def test_the_command_line_s_reply_queue_goes_with_it(container_factory, nameko_config, amqp_uri):
    """The command line's client (maillage/network.py) takes its replies on a transient queue as
    the services do: nameko's standalone one is durable and would stay on a cluster node."""
    from maillage.network import rpc_client

    container_factory(ServedEcho, nameko_config).start()
    with rpc_client(timeout=10) as rpc:
        assert rpc.echo.say("a") == "a"
        replies = [
            q for q in _queue_details(amqp_uri) if q["name"].startswith("rpc.reply-standalone")
        ]
    assert [(q["durable"], q["auto_delete"]) for q in replies] == [(False, True)]


def _close_the_consumer_connection(amqp_uri: str, queue: str) -> None:
    """Closes the connection consuming `queue`, as a node's crash would (the management API lists
    a consumer a few seconds after it started, and its channel's details, an empty list until
    then, a moment later)."""
    url = _queue_url(amqp_uri, queue)
    deadline = time.monotonic() + 30
    while True:
        consumers = requests.get(url, auth=RABBIT_AUTH, timeout=10).json().get("consumer_details")
        channel = consumers[0]["channel_details"] if consumers else None
        if channel:
            break
        assert time.monotonic() < deadline, f"no consumer of {queue} listed with its connection"
        time.sleep(0.5)
    name = quote(channel["connection_name"], safe="")
    closed = requests.delete(
        f"{RABBIT_MANAGEMENT}/connections/{name}", auth=RABBIT_AUTH, timeout=10
    )
    assert closed.status_code == 204, closed.text


def test_a_reply_queue_takes_a_new_name_on_each_reconnection(
    container_factory, nameko_config, amqp_uri
):
    """After a cluster node is SIGKILLed its queues stay listed on the others for a moment: the
    same name declared again could find that dying queue, and the caller would take no reply
    ever after (backbone/rpc.py `_ReplyListener`). Each connection declares a queue of its own."""
    container_factory(Echo, nameko_config).start()
    container_factory(Caller, nameko_config).start()
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as proxy:
        assert proxy.ask("a") == {"answer": "a"}
    before = {q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")}
    assert len(before) == 1

    _close_the_consumer_connection(amqp_uri, next(iter(before)))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = {q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")}
        if now and now != before:
            break
        time.sleep(0.2)
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as proxy:
        assert proxy.ask("b") == {"answer": "b"}
    after = {q for q in _queues(amqp_uri) if q.startswith("rpc.reply-caller")}
    assert len(after) == 1 and not after & before, (before, after)
    # the same routing key (the calls' reply_to): a reply to a call made before still comes
    bindings = requests.get(
        _queue_url(amqp_uri, next(iter(after))) + "/bindings", auth=RABBIT_AUTH, timeout=10
    ).json()
    former_key = next(iter(before)).removeprefix("rpc.reply-caller-")
    assert former_key in {b["routing_key"] for b in bindings if b["source"] == "nameko-rpc"}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_call_sent_late_is_waited_for_until_its_deadline_and_told_unanswered(
    container_factory, nameko_config, service_db, monkeypatch
):
    """Sending the call takes most of the caller's 2 s (as after a broker restart, the publish
    waiting on the broker): the service, finding the deadline passed, commits nothing and says so.
    The caller is told the service did not answer (the gateway's 503, to try again), not an error
    (its 500)."""
    import eventlet
    from nameko.rpc import MethodProxy
    from sqlalchemy import text

    from services.members.service import MembersService
    from tests.support.reliability import village_input

    members = service_db("members")
    real_call_async = MethodProxy.call_async

    def sent_late(proxy, *args, **kwargs):
        if proxy.service_name == "members":
            eventlet.sleep(1.9)
        return real_call_async(proxy, *args, **kwargs)

    monkeypatch.setattr(MethodProxy, "call_async", sent_late)
    container_factory(MembersService, nameko_config).start()
    container_factory(Opener, nameko_config).start()

    with ServiceRpcProxy("opener", nameko_config, timeout=10) as opener:
        assert opener.open(village_input()) == {"unavailable": "timeout"}
    with members.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM villages")).scalar_one() == 0
