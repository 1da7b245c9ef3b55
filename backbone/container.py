"""The nameko container of every Maillage process (deploy/nameko.yaml's SERVICE_CONTAINER_CLS) and
of the tests' (tests/conftest.py's nameko_config).

It rewrites AMQP_URI as kombu reads several broker nodes: an operator lists a cluster's nodes
separated by commas (backbone/config.py), kombu takes `;` (its failover syntax). Every nameko
connection of the process (RPC, events, replies, dead letters) then fails over to the next node
when the one it uses goes away.

It also finds each extension's sub-extensions once per class. nameko asks
`inspect.getmembers(extension, is_extension)` three times per entrypoint and dependency (binding
it, then listing the bound one's): a getattr() of each of the ~100 attributes an extension has,
for the one or two that are extensions, which is most of what building a container costs (a
gateway has 287 extensions; bench/README.md has the figures). `sub_extensions` answers the same
pairs (tests/backbone/test_container.py compares them for every extension of the five services).
"""

from __future__ import annotations

import functools
import inspect

from nameko import extensions as nameko_extensions
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.containers import ServiceContainer
from nameko.extensions import Extension

from backbone import config


def for_kombu(nameko_config: dict) -> dict:
    """`nameko_config` with its AMQP_URI in kombu's failover form (changed in place: nameko's
    runner hands the same dictionary to each container of the process)."""
    uri = nameko_config.get(AMQP_URI_CONFIG_KEY)
    if isinstance(uri, str) and "," in uri:
        nameko_config[AMQP_URI_CONFIG_KEY] = config.kombu_amqp_uri(uri)
    return nameko_config


@functools.cache
def _extension_names(cls: type) -> frozenset[str]:
    """The attributes of `cls` and its bases that hold an extension: the same for each instance."""
    return frozenset(name for name in dir(cls) if isinstance(getattr(cls, name, None), Extension))


def sub_extensions(extension: Extension) -> list[tuple[str, Extension]]:
    """What `inspect.getmembers(extension, is_extension)` answers, (name, extension) pairs sorted
    by name: the extension attributes of its class, read once per class, and those set on the
    instance itself (a bound extension's own, or one an `__init__` made)."""
    names = set(_extension_names(type(extension)))
    names.update(name for name, value in vars(extension).items() if isinstance(value, Extension))
    pairs = ((name, getattr(extension, name, None)) for name in sorted(names))
    return [(name, value) for name, value in pairs if isinstance(value, Extension)]


class _NamekoInspect:
    """`inspect` as nameko.extensions sees it: getmembers(extension, is_extension) is answered by
    `sub_extensions`, everything else by the standard module."""

    def __getattr__(self, name):
        return getattr(inspect, name)

    @staticmethod
    def getmembers(obj, predicate=None):
        if predicate is nameko_extensions.is_extension and not isinstance(obj, type):
            return sub_extensions(obj)
        return inspect.getmembers(obj, predicate)


class MaillageContainer(ServiceContainer):
    def __init__(self, service_cls, config_):
        if not isinstance(nameko_extensions.inspect, _NamekoInspect):
            nameko_extensions.inspect = _NamekoInspect()
        super().__init__(service_cls, for_kombu(config_))
