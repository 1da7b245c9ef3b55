"""What a lost broker connection looks like, and a queue consumer that survives one.

A broker restart or a dropped connection surfaces as any of BROKER_ERRORS, at any point: publishing
a reply or an event, acking, requeueing. None of them may kill a service: a message whose
connection is gone is given back by the broker (it was never acked) and comes again once the
consumer has reconnected, which nameko's consumer (kombu's ConsumerMixin) does by itself."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import amqp.exceptions
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
    lost, until kombu's reconnection brings them back."""

    broker_connected = False

    @contextmanager
    def consumer_context(self, **kwargs):
        with super().consumer_context(**kwargs) as context:
            self.broker_connected = True
            try:
                yield context
            finally:
                self.broker_connected = False

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
