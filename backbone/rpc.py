"""RPC with a timeout: `ServiceRpc("members")` is nameko's RpcProxy whose calls give up after
`MAILLAGE_RPC_TIMEOUT` seconds (or `timeout=`) with ServiceUnavailable, also raised when the
target service is not running, or when its database is unreachable (the service's own answer is a
database error: the caller learns the service is down for now, not that something is broken).
Typed errors (backbone.errors) come back as themselves.

`rpc` is nameko's RPC entrypoint, its reply published without a publisher confirm: a reply goes to
the caller's own transient queue, and a reply lost with its connection ends in the caller's timeout
either way, so waiting for the broker's acknowledgement of every reply bought nothing but a round
trip per call."""
from __future__ import annotations

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY, \
    SERIALIZER_CONFIG_KEY
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import Responder, Rpc, RpcConsumer, RpcProxy, get_rpc_exchange

from backbone import config
from backbone.errors import ServiceUnavailable

# what a service raises when its database is away (SQLAlchemy's and the drivers' names)
DATABASE_DOWN = {"OperationalError", "InterfaceError", "DisconnectionError", "PendingRollbackError"}


class TimedServiceProxy:
    def __init__(self, proxy, service: str, timeout: float):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def with_timeout(self, seconds: float) -> "TimedServiceProxy":
        return TimedServiceProxy(self._proxy, self._service, seconds)

    def __getattr__(self, method):
        method_proxy = getattr(self._proxy, method)

        def call(*args, **kwargs):
            try:
                reply = method_proxy.call_async(*args, **kwargs)
            except UnknownService:
                raise ServiceUnavailable(self._service, "not running") from None
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout:
                raise ServiceUnavailable(self._service, "timeout") from None
            except RemoteError as exc:
                if exc.exc_type in DATABASE_DOWN:
                    raise ServiceUnavailable(self._service, "database") from None
                raise

        call.__name__ = method
        return call


class ServiceRpc(RpcProxy):
    def __init__(self, target_service: str, timeout: float | None = None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service,
                                 self.timeout or config.rpc_timeout())


class _UnconfirmedPublisher(Publisher):
    use_confirms = False


class _Responder(Responder):
    publisher_cls = _UnconfirmedPublisher


class _RpcConsumer(RpcConsumer):
    def handle_result(self, message, result, exc_info):
        config_ = self.container.config
        responder = _Responder(config_[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config_),
                               config_.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                               ssl=config_.get(AMQP_SSL_CONFIG_KEY), login_method=config_.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


rpc = _Rpc.decorator
