"""The services' timers (backbone/timer.py and those built on it) when their container is killed
before it started them: a container built and never started, as a test leaves one, or one whose
start failed. nameko's own timer fails there, and its container logs and prints that failure once
per timer."""

import logging

import pytest
from nameko.timer import Timer

from maillage.network import SERVICE_MODULES, service_class


@pytest.mark.parametrize("service", sorted(SERVICE_MODULES))
def test_a_container_killed_before_it_started_kills_its_timers_quietly(
    service, container_factory, nameko_config, caplog
):
    container = container_factory(service_class(service), nameko_config)
    timers = [e for e in container.entrypoints if isinstance(e, Timer)]  # nameko's or built on it
    assert timers, f"{service} has timers"  # each runs its retention timer at least

    with caplog.at_level(logging.WARNING, logger="nameko.containers"):
        container.kill()

    assert container._died.ready()
    assert [record.getMessage() for record in caplog.records] == []
