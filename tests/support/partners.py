"""The partners service's database as its tests set it up: villages it knows (what `village.opened`
would have told it) and partners registered as the coordinator registers them."""

import uuid
from datetime import UTC, datetime

from backbone.contracts import parse_envelope
from backbone.schemas import load
from services.partners import partners, read_models
from services.partners.models import KnownVillage
from services.partners.schemas import PartnerInput
from tests.support.webhooks import village_opened


def known_villages(database, count: int, opened_at: datetime | None = None) -> list[str]:
    """The ids of `count` new villages known to partners (slugs v0, v1…, commune C)."""
    villages = [str(uuid.uuid4()) for _ in range(count)]
    with database.unit_of_work() as uow:
        for n, village in enumerate(villages):
            uow.session.add(
                KnownVillage(
                    id=village,
                    slug=f"v{n}",
                    name=f"Village {n}",
                    commune="C",
                    insee_code="19164",
                    opened_at=opened_at or datetime.now(UTC),
                )
            )
        uow.commit()
    return villages


def register(database, **data) -> dict:
    """The partner registered from `data` (PartnerInput), as the service answers it."""
    with database.unit_of_work() as uow:
        return partners.register_partner(uow, load(PartnerInput(), data))["partner"]


def village_with_producers(database, *names) -> tuple[str, list[tuple[str, str]]]:
    """Tarnac known to partners (what its `village.opened` told them) and one producer serving it
    per name: the village's id and [(partner id, API key)] in the names' order."""
    opened = village_opened("Tarnac")
    village_id = opened["village_id"]
    with database.unit_of_work() as uow:
        read_models.record_village(uow, parse_envelope(opened))
    registered = []
    for name in names:
        with database.unit_of_work() as uow:
            data = {"name": name, "kind": "producer", "village_ids": [village_id]}
            created = partners.register_partner(uow, load(PartnerInput(), data))
        registered.append((created["partner"]["id"], created["api_key"]))
    return village_id, registered
