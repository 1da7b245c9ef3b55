"""Fixtures of the services' tests."""

import pytest

from backbone.contracts import parse_envelope
from backbone.schemas import load
from services.partners import partners, read_models
from services.partners.schemas import PartnerInput
from tests.support.counter import World
from tests.support.webhooks import Endpoint, village_opened


@pytest.fixture
def counter_world(service_db):
    """The orders counter's world on a fresh orders database (tests/support/counter.py)."""
    return World(service_db("orders"))


@pytest.fixture
def webhook_world(service_db, monkeypatch):
    """The partners database with two villages; partner `a` serves the first, `b` the second,
    `net` the whole network. Returns (database, [village ids], {"a"|"b"|"net": partner id})."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_BASE", "10")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_MAX", "60")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_MAX_ATTEMPTS", "3")
    database = service_db("partners")
    villages = [village_opened("Peyrelevade"), village_opened("Tarnac")]
    with database.unit_of_work() as uow:
        for envelope in villages:
            read_models.record_village(uow, parse_envelope(envelope))
    ids = {}
    for key, village_ids in (
        ("a", [villages[0]["village_id"]]),
        ("b", [villages[1]["village_id"]]),
        ("net", []),
    ):
        with database.unit_of_work() as uow:
            created = partners.register_partner(
                uow,
                load(
                    PartnerInput(),
                    {"name": f"Partenaire {key}", "kind": "producer", "village_ids": village_ids},
                ),
            )
        ids[key] = created["partner"]["id"]
    return database, [v["village_id"] for v in villages], ids


@pytest.fixture
def endpoint():
    made = []

    def make():
        made.append(Endpoint())
        return made[-1]

    yield make
    for item in made:
        item.down()
