"""Items asked for at the counter that the village's catalogue does not offer (issue #26, point 6),
in the orders service on SQLite and PostgreSQL: noted once per idempotency key, announced as
`item.asked` without who asked, refused naming the field (an unknown or another village's member,
a theme that is none, an empty item), and who asked forgotten on erasure while what was asked
stays."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from backbone.contracts.events.orders import ASKED_THEMES
from backbone.errors import InvalidInput, NotFound
from backbone.schemas import load
from services.events.schemas import CATEGORY_LABELS
from services.orders import asked_items, read_models
from services.orders.models import KnownMember, KnownVillage
from services.orders.schemas.asked_items import AskedItemInput
from tests.support.reliability import outbox

NOW = datetime.now(UTC)


@pytest.fixture
def counter(service_db):
    database = service_db("orders")
    here, there = str(uuid.uuid4()), str(uuid.uuid4())
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    with database.unit_of_work() as uow:
        for n, village in enumerate((here, there)):
            uow.session.add(
                KnownVillage(id=village, slug=f"v{n}", name=f"V{n}", kind="hub", opened_at=NOW)
            )
        uow.session.add(KnownMember(id=ours, village_id=here, display_name="Lucienne Martin"))
        uow.session.add(KnownMember(id=theirs, village_id=there, display_name="Paul"))
        uow.commit()
    return database, here, ours, theirs


def ask(database, village_id, data):
    with database.unit_of_work() as uow:
        return asked_items.ask(uow, village_id, load(AskedItemInput(), data))


def test_an_item_asked_is_noted_once_and_told_without_who_asked(counter):
    database, here, ours, _ = counter
    key = str(uuid.uuid4())
    first = ask(database, here, {"item": "Piles AA", "member_id": ours, "idempotency_key": key})
    again = ask(database, here, {"item": "Piles AA", "member_id": ours, "idempotency_key": key})
    plain = ask(database, here, {"item": "Graines de tomates", "theme": "autre"})
    assert first["id"] == again["id"] != plain["id"] and first["member_id"] == ours
    told = outbox(database, "item.asked")
    assert [t["payload"]["item"] for t in told] == ["Piles AA", "Graines de tomates"]
    assert [t["payload"]["theme"] for t in told] == [None, "autre"]
    assert ours not in json.dumps(told) and "Lucienne" not in json.dumps(told)
    assert told[0]["payload"]["asked_id"] == first["id"] and told[0]["village_id"] == here


def test_what_is_wrong_is_named_and_nothing_is_noted(counter):
    database, here, _, theirs = counter
    for data, field in (
        ({"item": "Piles", "member_id": str(uuid.uuid4())}, "member_id"),
        ({"item": "Piles", "member_id": theirs}, "member_id"),  # another village's inhabitant
        ({"item": "Piles", "theme": "ovni"}, "theme"),
        ({"item": " "}, "item"),
        ({"item": "    "}, "item"),
        ({}, "item"),
    ):
        with pytest.raises(InvalidInput) as refused:
            ask(database, here, data)
        assert field in refused.value.errors, (data, refused.value.errors)
    with pytest.raises(NotFound):
        ask(database, str(uuid.uuid4()), {"item": "Piles"})
    assert outbox(database, "item.asked") == []


def test_erasure_forgets_who_asked_and_keeps_what_was_asked(counter):
    database, here, ours, _ = counter
    ask(database, here, {"item": "Piles AA", "member_id": ours})
    with database.unit_of_work() as uow:
        assert [a["item"] for a in read_models.member_data(uow, ours)["asked_items"]] == [
            "Piles AA"
        ]
    with database.unit_of_work() as uow:
        read_models.record_member_erased(
            uow,
            {
                "payload": {"member_id": ours, "village_id": here},
                "occurred_at": NOW,
                "event_id": "e",
            },
        )
    with database.unit_of_work() as uow:
        assert read_models.member_data(uow, ours)["asked_items"] == []
        assert asked_items.scrub_member(uow, ours) == 0


def test_the_themes_are_the_suggestions_categories():
    assert list(ASKED_THEMES) == list(CATEGORY_LABELS)
