"""Where an inhabitant's home is (issue #26, point 2), on SQLite and PostgreSQL: entered with the
record, told in `member.updated` (its latitude and longitude, together or not at all), kept by
orders for home deliveries, gone with the erasure."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.members import people, people_import
from services.members.schemas.people import MemberInput, MemberUpdateInput
from services.orders import read_models
from services.orders.models import KnownMember
from tests.support.members import add_village


def test_a_homes_position_is_told_with_the_member_and_refused_half_given(service_db):
    members_db = service_db("members")
    village = add_village(members_db, "Gentioux")
    data = {
        "village_id": village,
        "first_name": "Léon",
        "last_name": "Faure",
        "phone": "0555000001",
    }
    with pytest.raises(InvalidInput) as half:
        load(MemberInput(), {**data, "latitude": 45.78})
    assert "longitude" in half.value.errors
    with pytest.raises(InvalidInput) as far:
        load(MemberInput(), {**data, "latitude": 145.0, "longitude": 2.0})
    assert "latitude" in far.value.errors
    with members_db.unit_of_work() as uow:
        member = people.register_member(
            uow, load(MemberInput(), {**data, "latitude": 45.78, "longitude": 1.99})
        )
    assert (member["latitude"], member["longitude"]) == (45.78, 1.99)
    with members_db.unit_of_work() as uow:
        people.update_member(
            uow,
            village,
            member["id"],
            load(MemberUpdateInput(), {"longitude": 2.0, "latitude": 45.8}),
        )
    with members_db.unit_of_work() as uow:
        told = [
            json.loads(body)["payload"]
            for body in uow.session.scalars(
                select(OutboxEvent.body)
                .where(OutboxEvent.type == "member.updated")
                .order_by(OutboxEvent.id)
            )
        ]
    assert [(t["latitude"], t["longitude"]) for t in told] == [(45.78, 1.99), (45.8, 2.0)]


def test_orders_keeps_the_homes_position_and_forgets_it_with_the_erasure(service_db):
    orders_db = service_db("orders")
    member, village, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    payload = {
        "member_id": member,
        "village_id": village,
        "display_name": "Léon F.",
        "tags": [],
        "address": "Le Mas, 23340 Gentioux",
        "latitude": 45.78,
        "longitude": 1.99,
        "consents": [],
    }
    updated = parse_envelope(
        build_envelope(
            "member.updated", payload, village_id=village, source="members", occurred_at=now
        )
    )
    erased = parse_envelope(
        build_envelope(
            "member.erased",
            {"member_id": member, "village_id": village},
            village_id=village,
            source="members",
        )
    )
    with orders_db.unit_of_work() as uow:
        read_models.facts.record_member_updated(uow, updated)
    with orders_db.unit_of_work() as uow:
        row = uow.session.get(KnownMember, member)
        assert (row.latitude, row.longitude) == (45.78, 1.99)
    with orders_db.unit_of_work() as uow:
        read_models.record_member_erased(uow, erased)
    with orders_db.unit_of_work() as uow:
        row = uow.session.get(KnownMember, member)
        assert (row.latitude, row.longitude, row.address) == (None, None, None)


def test_an_imported_spreadsheet_gives_the_homes_position_written_the_french_way(service_db):
    members_db = service_db("members")
    village = add_village(members_db, "Royère")
    text = "nom;prénom;téléphone;latitude;longitude\nFaure;Léon;0555000002;45,78;1,99\n"
    with members_db.unit_of_work() as uow:
        done = people_import.import_members(uow, village, text)
    assert done["imported"] == 1, done
    with members_db.unit_of_work() as uow:
        full = people.get_member(uow, village, done["member_ids"][0])
    assert (full["latitude"], full["longitude"]) == (45.78, 1.99)
