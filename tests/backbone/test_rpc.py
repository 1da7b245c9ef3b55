"""ServiceRpc on the real broker: a service not running is said at once; once its queue was reached,
calls go without waiting for the broker's confirm; after a timeout, the next call asks again."""
import time

import pytest
import requests
from nameko.rpc import rpc as nameko_rpc
from nameko.standalone.rpc import ServiceRpcProxy

from backbone import rpc as backbone_rpc
from backbone.errors import ServiceUnavailable
from tests.conftest import RABBIT_AUTH, RABBIT_MANAGEMENT

pytestmark = pytest.mark.broker


class Echo:
    name = "echo"

    @nameko_rpc
    def say(self, word):
        return word


class Caller:
    name = "caller"
    echo = backbone_rpc.ServiceRpc("echo", timeout=1.5)

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
    original = backbone_rpc.Publisher.publish

    def publish(self, payload, **kwargs):
        if kwargs.get("routing_key", "").startswith("echo."):
            counts["confirmed" if self.use_confirms else "unconfirmed"] += 1
        return original(self, payload, **kwargs)

    monkeypatch.setattr(backbone_rpc.Publisher, "publish", publish)
    return counts


def test_unknown_then_reached_then_lost_again(container_factory, nameko_config, amqp_uri, confirmed_publishes):
    container_factory(Caller, nameko_config).start()
    with ServiceRpcProxy("caller", nameko_config, timeout=10) as caller:
        started = time.monotonic()
        assert caller.ask("a") == {"unavailable": "not running"}
        assert time.monotonic() - started < 1.0, "said at once, not after the timeout"

        echo = container_factory(Echo, nameko_config)
        echo.start()
        assert caller.ask("b") == {"answer": "b"}
        assert confirmed_publishes == {"confirmed": 2, "unconfirmed": 0}
        for word in "cde":
            assert caller.ask(word) == {"answer": word}
        assert confirmed_publishes == {"confirmed": 2, "unconfirmed": 3}, "the queue is known: no confirm"

        echo.stop()  # and its queue goes, as with a broker reset
        vhost = amqp_uri.rsplit("/", 1)[1]
        requests.delete(f"{RABBIT_MANAGEMENT}/queues/{vhost}/rpc-echo", auth=RABBIT_AUTH,
                        timeout=10).raise_for_status()
        assert caller.ask("f") == {"unavailable": "timeout"}, "sent without confirm: nobody answers"
        started = time.monotonic()
        assert caller.ask("g") == {"unavailable": "not running"}, "after a timeout the broker is asked again"
        assert time.monotonic() - started < 1.0
        assert confirmed_publishes == {"confirmed": 3, "unconfirmed": 4}
