"""backbone/container.py finds each extension's sub-extensions once per class: the same pairs as
`inspect.getmembers(extension, is_extension)`, nameko's own way, for every extension of the five
services' containers; and what an instance holds itself is found too."""

import inspect

import pytest
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider, Extension, is_extension

from backbone import container as maillage_container
from backbone.container import MaillageContainer, sub_extensions
from gateway.service import GatewayService
from maillage.network import service_class

SERVICES = ["members", "orders", "partners", "events", "gateway"]
CONFIG = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/", "WEB_SERVER_ADDRESS": "127.0.0.1:0"}


def _service(name):
    return GatewayService if name == "gateway" else service_class(name)


@pytest.fixture(autouse=True)
def _gateway_secret(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "container-test")


@pytest.mark.parametrize("name", SERVICES)
def test_each_extension_of_a_service_has_the_sub_extensions_inspect_finds(name):
    built = MaillageContainer(_service(name), dict(CONFIG))
    assert len(built.extensions) > 10
    for extension in built.extensions:
        assert sub_extensions(extension) == inspect.getmembers(extension, is_extension), extension


@pytest.mark.parametrize("name", SERVICES)
def test_a_container_holds_the_extensions_nameko_would_bind(name, monkeypatch):
    """The same kinds of extensions, bound to the same methods and attributes, shared alike
    (the number of distinct objects), as with nameko's own discovery."""

    def shape(built):
        def described(extension):
            return (
                type(extension).__name__,
                getattr(extension, "method_name", None),
                getattr(extension, "attr_name", None),
            )

        kinds = [
            sorted(map(repr, map(described, getattr(built, group))))
            for group in ("entrypoints", "dependencies", "subextensions")
        ]
        return kinds, len({id(extension) for extension in built.extensions})

    ours = shape(MaillageContainer(_service(name), dict(CONFIG)))
    monkeypatch.setattr("nameko.extensions.inspect", inspect)
    assert shape(ServiceContainer(_service(name), dict(CONFIG))) == ours


class _Inner(Extension):
    pass


class _Outer(DependencyProvider):
    declared = _Inner()

    def __init__(self, shadowed=False):
        self.made = _Inner()  # a sub-extension an instance makes itself
        if shadowed:
            self.declared = "no longer an extension"
        super().__init__()


def test_sub_extensions_an_instance_makes_or_hides_are_seen_as_inspect_sees_them():
    for outer in (_Outer(), _Outer(shadowed=True)):
        assert sub_extensions(outer) == inspect.getmembers(outer, is_extension)
    assert [name for name, _ in sub_extensions(_Outer())] == ["declared", "made"]
    assert [name for name, _ in sub_extensions(_Outer(shadowed=True))] == ["made"]


def test_the_tests_build_the_container_production_builds(nameko_config, container_factory):
    from services.orders.service import OrdersService

    assert isinstance(container_factory(OrdersService, nameko_config), MaillageContainer)
    used = maillage_container.nameko_extensions.inspect
    assert isinstance(used, maillage_container._NamekoInspect)
