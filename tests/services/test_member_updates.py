"""`member.updated`, on SQLite and PostgreSQL: the members service tells the others when what they
keep of an inhabitant changes (name, profile tags, address, consents), and only then; the orders
service's copy takes the newest description, so that a member who became fragile, or whose
address was entered after registering, can be delivered at home. Over the broker:
tests/reliability/test_member_updated.py."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.members import opt_out, people, volunteers
from services.members.schemas.people import MemberInput, MemberUpdateInput
from services.orders import read_models as orders_facts
from services.orders.models import KnownMember
from tests.support.counter import NOW, order_input, place
from tests.support.members import add_village


def _updates(database) -> list[dict]:
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "member.updated").order_by(OutboxEvent.id)
        )
        return [json.loads(row.body)["payload"] for row in rows]


@pytest.fixture
def members_db(service_db):
    database = service_db("members")
    village = add_village(database)
    with database.unit_of_work() as uow:
        member = people.register_member(
            uow,
            load(
                MemberInput(),
                {
                    "village_id": village,
                    "first_name": "Odette",
                    "last_name": "Vergne",
                    "phone": "05 55 12 34 56",
                },
            ),
        )
    return database, village, member["id"]


def _edit(database, village, member_id, **changes):
    with database.unit_of_work() as uow:
        return people.update_member(uow, village, member_id, load(MemberUpdateInput(), changes))


def test_a_registration_is_followed_by_what_it_does_not_carry_only_when_there_is_some(
    members_db,
):
    database, village, _odette = members_db
    assert _updates(database) == [], "no address, no consent: member.registered says it all"
    with database.unit_of_work() as uow:
        people.register_member(
            uow,
            load(
                MemberInput(),
                {
                    "village_id": village,
                    "first_name": "Léon",
                    "last_name": "Faure",
                    "phone": "05 55 98 76 54",
                    "address": "3 rue du Lavoir",
                    "postcode": "19290",
                    "city": "Peyrelevade",
                    "consents": ["contact"],
                },
            ),
        )
    [update] = _updates(database)
    assert update["address"] == "3 rue du Lavoir, 19290 Peyrelevade"
    assert update["consents"] == ["contact"] and update["display_name"] == "Léon Faure"


def test_an_edit_others_keep_is_told_them_and_one_they_do_not_keep_is_not(members_db):
    database, village, odette = members_db
    _edit(database, village, odette, email="odette@exemple.fr")  # phone and e-mail stay here
    assert _updates(database) == []
    _edit(database, village, odette, tags=["fragile"], address="Le Mas", city="Tarnac")
    _edit(database, village, odette, tags=["fragile"])  # the same again: nothing new to tell
    assert _updates(database) == [
        {
            "member_id": odette,
            "village_id": village,
            "display_name": "Odette Vergne",
            "tags": ["fragile"],
            "address": "Le Mas, Tarnac",
            "latitude": None,
            "longitude": None,
            "consents": [],
        }
    ]


def test_consents_given_withdrawn_or_by_the_opt_out_link_are_told(members_db):
    database, village, odette = members_db
    with database.unit_of_work() as uow:
        people.give_consent(uow, village, odette, "contact")
    with database.unit_of_work() as uow:
        people.give_consent(uow, village, odette, "photos")
    with database.unit_of_work() as uow:
        people.withdraw_consent(uow, village, odette, "photos")
    with database.unit_of_work() as uow:
        opt_out.withdraw_contact(uow, opt_out.token_for(odette))
    with database.unit_of_work() as uow:
        opt_out.withdraw_contact(uow, opt_out.token_for(odette))  # again: nothing changes
    assert [u["consents"] for u in _updates(database)] == [
        ["contact"],
        ["contact", "photos"],
        ["contact"],
        [],
    ]


def test_a_volunteer_opting_in_to_the_network_tells_the_consent(members_db):
    database, village, odette = members_db
    with database.unit_of_work() as uow:
        volunteers.create_volunteer(
            uow, {"member_id": odette, "network_visible": True, "skills": [], "availability": []}
        )
    assert [u["consents"] for u in _updates(database)] == [["share_with_network"]]


def test_a_refused_edit_tells_nothing(members_db):
    database, village, odette = members_db
    with pytest.raises(InvalidInput):
        _edit(database, village, odette, tags=["fragile"], preferred_channel="email")
    assert _updates(database) == []


# --- the orders service's copy -------------------------------------------------------------------


def _updated(world, member_id, occurred_at, **payload):
    body = {
        "member_id": member_id,
        "village_id": world.village,
        "display_name": "Bruno Petit",
        "tags": [],
        "address": None,
        "consents": [],
        **payload,
    }
    return parse_envelope(
        build_envelope(
            "member.updated",
            body,
            village_id=world.village,
            source="members",
            occurred_at=occurred_at,
        )
    )


def _apply(world, envelope, handler=orders_facts.facts.record_member_updated):
    with world.db.unit_of_work() as uow:
        handler(uow, envelope)


def test_a_member_who_became_fragile_with_an_address_is_delivered_at_home(counter_world):
    world = counter_world
    home = order_input(world, (world.bread, 1), member_id=world.bruno, fulfilment="home_delivery")
    with pytest.raises(InvalidInput) as refused:
        place(world, world.village, home)
    assert set(refused.value.errors) == {"fulfilment", "delivery_address"}
    _apply(world, _updated(world, world.bruno, NOW, tags=["fragile"], address="2 route de Tarnac"))
    order = place(world, world.village, dict(home, idempotency_key=str(uuid.uuid4())))
    assert order["fulfilment"] == "home_delivery"
    assert order["delivery_address"] == "2 route de Tarnac", "the member's own address"
    typed = place(
        world,
        world.village,
        dict(home, idempotency_key=str(uuid.uuid4()), delivery_address="chez sa fille, Le Bourg"),
    )
    assert typed["delivery_address"] == "chez sa fille, Le Bourg", "a typed address comes first"


def test_an_older_description_or_registration_arriving_late_does_not_win(counter_world):
    world = counter_world
    newer = _updated(world, world.bruno, NOW, tags=["no_car"], address="Le Mas")
    older = _updated(world, world.bruno, NOW - timedelta(hours=1), display_name="B. Petit")
    registered = parse_envelope(
        build_envelope(
            "member.registered",
            {
                "member_id": world.bruno,
                "village_id": world.village,
                "display_name": "Bruno P.",
                "tags": [],
            },
            village_id=world.village,
            source="members",
            occurred_at=NOW - timedelta(days=2),
        )
    )
    _apply(world, newer)
    _apply(world, older)
    _apply(world, registered, orders_facts.facts.record_member_registered)
    with world.db.unit_of_work() as uow:
        row = uow.session.get(KnownMember, world.bruno)
        assert (row.display_name, row.tags, row.address) == ("Bruno Petit", "no_car", "Le Mas")
        assert row.registered_at is not None, "when they registered is still learnt"


def test_an_update_arriving_after_the_erasure_brings_nothing_back(counter_world):
    world = counter_world
    erased = parse_envelope(
        build_envelope(
            "member.erased",
            {"member_id": world.bruno, "village_id": world.village},
            village_id=world.village,
            source="members",
            occurred_at=NOW,
        )
    )
    _apply(world, _updated(world, world.bruno, NOW - timedelta(minutes=1), address="Le Mas"))
    with world.db.unit_of_work() as uow:
        orders_facts.facts.erase_member(uow, erased)
        uow.commit()
    _apply(world, _updated(world, world.bruno, NOW + timedelta(minutes=1), address="Le Bourg"))
    with world.db.unit_of_work() as uow:
        row = uow.session.get(KnownMember, world.bruno)
        assert (row.display_name, row.tags, row.address, row.consents) == (None, None, None, None)
