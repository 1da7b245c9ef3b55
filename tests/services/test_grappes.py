"""Grappes (issue #26, point 1), on SQLite and PostgreSQL: the coordinator gathers villages in a
grappe and changes it in members, each change told whole through the outbox; bad input names its
field; orders keeps the grappes it is told and pools a shared supplier's lines per grappe (the
villages in none together, as before), with figures per grappe."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.members import grappes
from services.members.schemas.grappes import GrappeInput
from services.orders import grappes as orders_grappes
from services.orders import supplier_orders
from tests.support.counter import NOW, THURSDAY, order_input, place
from tests.support.members import add_village


def told(database) -> list[tuple[str, dict]]:
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.like("grappe.%")).order_by(OutboxEvent.id)
        )
        return [(row.type, json.loads(row.body)["payload"]) for row in rows]


@pytest.fixture
def members_db(service_db):
    return service_db("members")


def _input(**data):
    return load(GrappeInput(), data)


def test_the_coordinator_creates_a_grappe_then_changes_it_each_change_told_whole(members_db):
    a, b, c = (add_village(members_db, name) for name in ("Tarnac", "Peyrelevade", "Faux"))
    supplier = str(uuid.uuid4())
    with members_db.unit_of_work() as uow:
        created = grappes.create_grappe(
            uow,
            _input(
                name=" Plateau de Millevaches ",
                village_ids=[a, b],
                supplier_partner_ids=[supplier],
                depot_village_id=a,
                depot_place="Grange de la mairie",
            ),
        )
    assert created["name"] == "Plateau de Millevaches" and created["village_ids"] == [a, b]
    with members_db.unit_of_work() as uow:  # the same again: nothing changes, nothing told
        grappes.update_grappe(
            uow,
            created["id"],
            _input(
                name="Plateau de Millevaches",
                village_ids=[a, b],
                supplier_partner_ids=[supplier],
                depot_village_id=a,
                depot_place="Grange de la mairie",
            ),
        )
    with members_db.unit_of_work() as uow:
        changed = grappes.update_grappe(
            uow,
            created["id"],
            _input(name="Millevaches", village_ids=[a, b, c], depot_village_id=c),
        )
    assert changed["supplier_partner_ids"] == [] and changed["depot_place"] is None
    assert [t for t, _p in told(members_db)] == ["grappe.created", "grappe.updated"]
    _t, payload = told(members_db)[-1]
    assert payload == {
        "grappe_id": created["id"],
        "name": "Millevaches",
        "village_ids": [a, b, c],
        "supplier_partner_ids": [],
        "depot_village_id": c,
        "depot_place": None,
    }
    with members_db.unit_of_work() as uow:
        assert [g["name"] for g in grappes.list_grappes(uow)] == ["Millevaches"]
        assert grappes.get_grappe(uow, created["id"])["village_ids"] == [a, b, c]
        with pytest.raises(NotFound):
            grappes.get_grappe(uow, str(uuid.uuid4()))


def test_bad_grappes_are_refused_naming_their_field_and_nothing_is_told(members_db):
    a, b, c = (add_village(members_db, name) for name in ("Gentioux", "Royère", "Nedde"))
    with members_db.unit_of_work() as uow:
        grappes.create_grappe(
            uow, _input(name="Vassivière", village_ids=[a, b], depot_village_id=a)
        )
    for data, field in (
        ({"name": "X", "village_ids": [a, c], "depot_village_id": a}, "name"),
        ({"name": "Seul", "village_ids": [c], "depot_village_id": c}, "village_ids"),
        ({"name": "Deux fois", "village_ids": [c, c], "depot_village_id": c}, "village_ids"),
        ({"name": "Hors", "village_ids": [a, c], "depot_village_id": b}, "depot_village_id"),
        ({"village_ids": [a, c], "depot_village_id": a}, "name"),
        (
            {
                "name": "Sup",
                "village_ids": [a, c],
                "depot_village_id": a,
                "supplier_partner_ids": 3,
            },
            "supplier_partner_ids",
        ),
    ):
        with pytest.raises(InvalidInput) as refused:
            load(GrappeInput(), data)
        assert field in refused.value.errors, (data, refused.value.errors)
    with members_db.unit_of_work() as uow, pytest.raises(InvalidInput) as taken:
        grappes.create_grappe(uow, _input(name="Autre", village_ids=[a, c], depot_village_id=c))
    (problem,) = taken.value.errors_fr["village_ids"]
    assert "Vassivière" in problem, "the village already in a grappe says which"
    with members_db.unit_of_work() as uow, pytest.raises(InvalidInput) as unknown:
        grappes.create_grappe(
            uow, _input(name="Autre", village_ids=[c, "nowhere"], depot_village_id=c)
        )
    assert list(unknown.value.errors) == ["village_ids"]
    with members_db.unit_of_work() as uow, pytest.raises(Conflict) as same_name:
        grappes.create_grappe(
            uow,
            _input(name="Vassivière", village_ids=[c, add_village(members_db)], depot_village_id=c),
        )
    assert same_name.value.reason == "grappe_name_taken" and same_name.value.field == "name"
    assert [t for t, _p in told(members_db)] == ["grappe.created"]


def grappe_told(grappe_id, village_ids, suppliers, occurred_at, type_="grappe.created", **more):
    return parse_envelope(
        build_envelope(
            type_,
            {
                "grappe_id": grappe_id,
                "name": more.get("name", "Grappe du plateau"),
                "village_ids": village_ids,
                "supplier_partner_ids": suppliers,
                "depot_village_id": village_ids[0],
                "depot_place": None,
            },
            village_id=None,
            source="members",
            occurred_at=occurred_at,
        )
    )


def test_a_shared_suppliers_lines_are_pooled_per_grappe_the_others_together(counter_world):
    world = counter_world
    grappe_id, elsewhere = str(uuid.uuid4()), str(uuid.uuid4())
    with world.db.unit_of_work() as uow:  # the grappe of `village` (and of a village not here)
        orders_grappes.record_grappe(
            uow, grappe_told(grappe_id, [world.village, elsewhere], [world.cheese_maker], NOW)
        )
    place(world, world.village, order_input(world, (world.cheese, 2)))
    place(
        world, world.other_village, order_input(world, (world.cheese_b, 3), member_id=world.chloe)
    )
    with world.db.unit_of_work() as uow:
        pooled = {p["grappe_id"]: p for p in supplier_orders.list_purchase_orders(uow)}
        only = supplier_orders.list_purchase_orders(uow, grappe_id=grappe_id)
        figures = supplier_orders.grappe_figures(uow, THURSDAY, THURSDAY)
    assert set(pooled) == {grappe_id, None}, "one purchase order per grappe, one for the others"
    assert pooled[grappe_id]["grappe_name"] == "Grappe du plateau"
    assert pooled[grappe_id]["village_ids"] == [world.village]
    assert pooled[grappe_id]["items_count"] == 2 and pooled[None]["items_count"] == 3
    assert pooled[None]["village_ids"] == [world.other_village]
    assert [p["id"] for p in only] == [pooled[grappe_id]["id"]]
    assert figures == {
        grappe_id: {"open": 1, "sent": 0, "empty": 0, "items_sent": 0, "villages_ordering": 1}
    }
    with world.db.unit_of_work() as uow:
        sent = supplier_orders.close_due(uow, NOW + timedelta(days=2))
        figures = supplier_orders.grappe_figures(uow, THURSDAY, THURSDAY)
    assert len(sent) == 2 and figures[grappe_id]["sent"] == 1
    assert figures[grappe_id]["items_sent"] == 2
    with world.db.unit_of_work() as uow:
        bodies = [
            json.loads(r.body)["payload"]
            for r in uow.session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "purchase_order.sent")
            )
        ]
    assert sorted(b["grappe_id"] or "" for b in bodies) == sorted(["", grappe_id])


def test_a_grappe_told_late_or_twice_keeps_its_latest_description(counter_world):
    world = counter_world
    grappe_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    later = grappe_told(
        grappe_id, [world.village, world.other_village], [], now, "grappe.updated", name="Nouveau"
    )
    first = grappe_told(grappe_id, [world.village, world.other_village], [], now - timedelta(1))
    for event in (later, later, first):
        with world.db.unit_of_work() as uow:
            orders_grappes.record_grappe(uow, event)
    with world.db.unit_of_work() as uow:
        assert [g["name"] for g in orders_grappes.known_grappes(uow)] == ["Nouveau"]
        assert orders_grappes.grappe_for(uow, world.village, world.cheese_maker) == ""
