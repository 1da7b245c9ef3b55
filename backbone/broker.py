"""What a lost broker connection looks like, and a queue consumer that survives one.

A broker restart or a dropped connection surfaces as any of BROKER_ERRORS, at any point: publishing
a reply or an event, acking, requeueing. None of them may kill a service: a message whose
connection is gone is given back by the broker (it was never acked) and comes again once the
consumer has reconnected, which nameko's consumer (kombu's ConsumerMixin) does by itself."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import partial

import amqp.exceptions
import eventlet
import kombu.exceptions
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)

BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    amqp.exceptions.ConnectionError,
    amqp.exceptions.RecoverableChannelError,
    OSError,
)
# what can only come from the broker (no file or socket error of another kind): an HTTP answer's net
BROKER_ONLY_ERRORS = (
    kombu.exceptions.OperationalError,
    amqp.exceptions.ConnectionError,
    amqp.exceptions.RecoverableChannelError,
)
RETRY_AFTER_SECONDS = 5  # told to a caller when a service or the broker is away


class SafeQueueConsumer(QueueConsumer):
    """nameko's queue consumer whose ack and requeue never raise for a lost connection: the
    broker has then already taken the message back and will deliver it again. `broker_connected`
    says whether it consumes right now (what a process's readiness reads, backbone/operations.py):
    set once its consumers are declared on a connection, cleared as soon as that connection is
    lost, until kombu's reconnection brings them back.

    It also closes a hole of kombu's: once a connection is marked broken *outside* the consumer's
    read (a worker's ack meeting the broker's reset marks it so, before the read has seen the
    broker's close), kombu's `Connection.drain_events` quietly opens a new connection instead of
    failing, and the loop goes on reading that new connection, where none of the consumers were
    declared: "connected", and consuming nothing, until the process restarts (seen when a cluster
    node stopped under load). Before each read, `on_iteration` checks that the connection read is
    still the one the consumers were declared on, and otherwise takes kombu's own reconnection
    path, which declares them again.

    On each reconnection, a provider with `renew_queue` (a process's own reply queue,
    backbone/rpc.py) names its queue anew before the consumers are declared.

    A provider with `no_ack = True` (the same reply queue) is consumed without acknowledgements:
    the broker forgets a message once it has sent it, and its ack (a frame each way per call,
    and the broker's bookkeeping of a message in flight) is not sent. Only for a queue whose
    messages are worth nothing once their connection is gone: an ack would give them back to a
    consumer that no longer exists."""

    broker_connected = False
    _reading = False  # its thread is in a read of the broker (or the callbacks run from it)
    _in_callback = False  # ...in a message's callback (handing it to a worker) within that read
    _stop_asked = False
    _consuming_on = None  # (kombu connection, the transport's connection the consumers are on)
    _set_up_before = False  # the consumers were declared on an earlier connection

    @contextmanager
    def consumer_context(self, **kwargs):
        if self._set_up_before:  # a reconnection: a process's own queue takes a new name
            for provider in self._providers:
                if hasattr(provider, "renew_queue"):
                    provider.renew_queue()
        self._set_up_before = True
        with super().consumer_context(**kwargs) as context:
            connection = context[0]
            self._consuming_on = (connection, connection._connection)
            self.broker_connected = True
            try:
                yield context
            finally:
                self._reading = False
                self.broker_connected = False
                self._consuming_on = None

    def get_consumers(self, consumer_cls, channel):
        """nameko's, each consumer declared with its provider's `no_ack` (False by default)."""
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue],
                callbacks=[partial(self.handle_message, provider)],
                accept=self.accept,
                no_ack=getattr(provider, "no_ack", False),
            )
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def on_iteration(self):
        self._reading = False
        if self._consuming_on is not None:
            connection, consumed_on = self._consuming_on
            if connection._connection is not consumed_on or not connection.connected:
                self.broker_connected = False
                try:  # the broker takes back what was delivered on it, and forgets its consumers
                    consumed_on.collect()
                except Exception:  # noqa: BLE001  a socket already gone
                    log.debug("closing a lost connection", exc_info=True)
                raise amqp.exceptions.RecoverableConnectionError(
                    "the connection the consumers were declared on is lost"
                )
        # nameko's, but for its stop: nameko ends the loop, and closes its connection, as soon as
        # the last consumer is cancelled, before the container's workers still running have
        # acknowledged their messages (they would come again); it ends once asked to stop, which
        # the container does when its workers are done
        self._cancel_consumers_if_requested()
        if not self._consumers and self._stop_asked:
            self.should_stop = True
        self._reading = True  # kombu's loop reads the broker next (`drain_events`, up to 1 s)
        if self.should_stop:  # the loop ends after this read
            eventlet.spawn_n(self._end_read)

    def _end_read(self, killed: bool = False) -> None:
        """Ends the read under way as its own timeout ends it (py-amqp keeps a frame read in
        part for the next read, and kombu's loop goes on to its next turn): kombu's loop sees its
        consumers to cancel and `should_stop` only between two reads of up to a second each, so a
        stop would wait for two such reads and a kill for one, in every process stopped and every
        container a test kills. Not inside a message's callback, but when killed."""
        thread = self._gt
        if (
            thread is not None
            and not thread.dead
            and self._reading
            and (killed or not self._in_callback)
            and thread is not eventlet.getcurrent()
        ):
            thread.kill(TimeoutError("the consumer's read ended early"))

    def handle_message(self, provider, body, message):
        self._in_callback = True
        try:
            super().handle_message(provider, body, message)
        finally:
            self._in_callback = False

    def unregister_provider(self, provider):
        """nameko's: the consumer is cancelled by the loop's next turn, which comes at once."""
        if self._consumers_ready.ready():
            eventlet.spawn_n(self._end_read)  # runs once the removal below is asked for
        super().unregister_provider(provider)

    def stop(self):
        """nameko's, asked once the container's workers are done: the loop ends at once."""
        self._stop_asked = True
        if self._consumers_ready.ready():
            self._end_read()
        super().stop()

    def kill(self):
        """nameko's kill, without waiting for the read under way to time out (`_end_read`)."""
        if self._gt is not None and not self._gt.dead and self._reading:
            self._providers = set()
            self._pending_remove_providers = {}
            self.should_stop = True
            self._end_read(killed=True)
        super().kill()

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except BROKER_ERRORS as exc:
            log.warning(
                "could not ack a message (connection lost: %s); the broker delivers it again",
                type(exc).__name__,
            )

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_ERRORS as exc:
            log.warning(
                "could not requeue a message (connection lost: %s); the broker delivers it again",
                type(exc).__name__,
            )
