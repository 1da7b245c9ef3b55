"""The nameko container of every Maillage process (deploy/nameko.yaml's SERVICE_CONTAINER_CLS).

It only rewrites AMQP_URI as kombu reads several broker nodes: an operator lists a cluster's nodes
separated by commas (backbone/config.py), kombu takes `;` (its failover syntax). Every nameko
connection of the process (RPC, events, replies, dead letters) then fails over to the next node
when the one it uses goes away.
"""

from __future__ import annotations

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.containers import ServiceContainer

from backbone import config


def for_kombu(nameko_config: dict) -> dict:
    """`nameko_config` with its AMQP_URI in kombu's failover form (changed in place: nameko's
    runner hands the same dictionary to each container of the process)."""
    uri = nameko_config.get(AMQP_URI_CONFIG_KEY)
    if isinstance(uri, str) and "," in uri:
        nameko_config[AMQP_URI_CONFIG_KEY] = config.kombu_amqp_uri(uri)
    return nameko_config


class MaillageContainer(ServiceContainer):
    def __init__(self, service_cls, config_):
        super().__init__(service_cls, for_kombu(config_))
