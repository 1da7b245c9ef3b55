"""People in the members service over real RPC, on SQLite and PostgreSQL: phone numbers in any
format, duplicates, the counter search, the all-or-nothing CSV import, consents and RGPD erasure.
Each bad input is refused naming its field; nothing is half-written."""

import pytest
from sqlalchemy import func, select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.tables import OutboxEvent
from services.members.models import Member
from services.members.schemas.people import normalise_name, normalise_phone
from tests.support.members import members_service_on
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}
OTHER = {**VILLAGE, "slug": "tarnac", "name": "Tarnac", "commune": "Tarnac", "insee_code": "19265"}


@pytest.fixture(scope="module")
def members_world(module_world):
    world = module_world()
    with members_service_on(world, VILLAGE) as (proxy, database, (village,)):
        yield world, proxy, database, village["id"]


@pytest.fixture
def members(members_world):
    world, proxy, database, village_id = members_world
    world.reset()
    return proxy, database, village_id


def _count(database, model=Member, *where):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def _person(village_id, **overrides):
    return {
        "village_id": village_id,
        "first_name": "Hélène",
        "last_name": "Le Bœuf",
        "phone": "05 55 12 34 56",
        **overrides,
    }


# --- unit: normalisations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "05 55 12 34 56",
        "0555123456",
        "05.55.12.34.56",
        "+33 5 55 12 34 56",
        "0033555123456",
        "(05) 55-12-34-56",
    ],
)
def test_french_numbers_in_any_format_become_e164(typed):
    assert normalise_phone(typed) == "+33555123456"


def test_mobiles_and_the_fiction_ranges_are_accepted():
    assert normalise_phone("06 12 34 56 78") == "+33612345678"
    assert normalise_phone("06 39 98 12 34") == "+33639981234"  # ARCEP: reserved for fiction
    assert normalise_phone("01 99 00 12 34") == "+33199001234"


@pytest.mark.parametrize(
    "typed", ["0612", "12345", "06 12 34 56 78 90", "bonjour", "+33 0 00 00 00 00"]
)
def test_invalid_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_phone(typed)


def test_names_are_compared_without_accents_case_or_punctuation():
    assert normalise_name("  Hélène  LE  BŒUF-Durand ") == "helene le boeuf durand"


# --- registration --------------------------------------------------------------------------------


def test_register_a_member_and_announce_it_without_contact_details(members):
    rpc, database, village_id = members
    member = rpc.register_member(
        _person(
            village_id,
            tags=["fragile", "family"],
            email="h@example.org",
            consents=["contact", "share_with_network"],
            fee_cents=1500,
        )
    )
    assert member["phone"] == "+33555123456" and member["phone_display"] == "05 55 12 34 56"
    assert member["tags"] == ["family", "fragile"] and member["shared_with_network"] is True
    assert [c["purpose"] for c in member["consents"]] == ["contact", "share_with_network"]
    with database.unit_of_work() as uow:
        event = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "member.registered")
        ).one()
    assert "555123456" not in event.body and "h@example.org" not in event.body
    assert '"tags":["fragile"]' in event.body, "family is not needed by other services"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"phone": "0612"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"postcode": "1929"}, "postcode"),
        ({"email": "nobody"}, "email"),
        ({"tags": ["rich"]}, "tags"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"consents": ["sell_my_data"]}, "consents"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "--"}, "last_name"),
        ({"fee_cents": -5}, "fee_cents"),
        ({"joined_on": "2024-05-01", "renewal_on": "2024-01-01"}, "renewal_on"),
        ({"preferred_channel": "email"}, "email"),
        ({"phone": None}, "phone"),
        ({"age": 81}, "age"),
    ],
)
def test_bad_members_are_refused_naming_the_field(members, overrides, field):
    rpc, database, village_id = members
    with pytest.raises(InvalidInput) as err:
        rpc.register_member(_person(village_id, **overrides))
    assert field in err.value.errors, err.value.errors
    assert (
        _count(database) == 0
        and _count(database, OutboxEvent, OutboxEvent.type == "member.registered") == 0
    )


def test_an_unknown_village_is_refused(members):
    rpc, database, _village_id = members
    with pytest.raises(NotFound) as err:
        rpc.register_member(_person("00000000-0000-0000-0000-000000000000"))
    assert err.value.what == "village"
    assert _count(database) == 0


@pytest.mark.parametrize(
    "twin, match",
    [
        ({"first_name": "Paul", "last_name": "Autre", "phone": "+33 5 55 12 34 56"}, "same_phone"),
        ({"first_name": "HELENE", "last_name": "le boeuf", "phone": "06 12 34 56 78"}, "same_name"),
    ],
)
def test_a_likely_duplicate_needs_confirmation(members, twin, match):
    rpc, database, village_id = members
    first = rpc.register_member(_person(village_id))
    with pytest.raises(Conflict) as err:
        rpc.register_member({"village_id": village_id, **twin})
    assert err.value.reason == "duplicate_member"
    assert err.value.details == {"member_id": first["id"], "name": "Hélène Le Bœuf", "match": match}
    assert _count(database) == 1
    second = rpc.register_member({"village_id": village_id, **twin, "confirm_duplicate": True})
    assert second["likely_duplicates"][0]["member_id"] == first["id"]
    assert _count(database) == 2


def test_the_same_person_in_another_village_is_not_a_duplicate_there(members):
    rpc, _database, village_id = members
    other = rpc.open_village(OTHER)["id"]
    rpc.register_member(_person(village_id))
    assert rpc.register_member(_person(other))["likely_duplicates"] == []


# --- the counter search --------------------------------------------------------------------------


def test_search_by_name_or_phone_in_the_callers_village_only(members):
    rpc, _database, village_id = members
    other = rpc.open_village(OTHER)["id"]
    helene = rpc.register_member(_person(village_id))
    rpc.register_member(
        {
            "village_id": village_id,
            "first_name": "Jean",
            "last_name": "Mazière",
            "phone": "06 39 98 00 01",
        }
    )
    rpc.register_member(
        _person(other, first_name="Hélène", last_name="Lebœuf", phone="05 55 00 00 00")
    )

    def ids(q):
        return [m["id"] for m in rpc.search_members(village_id, {"q": q})]

    assert ids("helene") == ids("HÉLÈNE") == ids("le boeuf") == ids("bœuf hél") == [helene["id"]]
    assert ids("0555123456") == ids("+33 5 55 12 34 56") == ids("05.55.12.34.56") == [helene["id"]]
    assert ids("34 56") == [helene["id"]], "the last digits are enough"
    assert len(ids("")) == 2 and ids("maziere") and ids("nobody") == []
    assert "phone" not in rpc.search_members(village_id, {"q": "helene"})[0], (
        "the list shows the display form"
    )


def test_search_flags_likely_duplicates(members):
    rpc, _database, village_id = members
    first = rpc.register_member(_person(village_id))
    second = rpc.register_member(
        _person(village_id, phone="06 12 34 56 78", confirm_duplicate=True)
    )
    found = {m["id"]: m for m in rpc.search_members(village_id, {"q": "helene"})}
    assert found[first["id"]]["likely_duplicates"][0] == {
        "member_id": second["id"],
        "display_name": "Hélène Le Bœuf",
        "reason": "same_name",
    }


def test_a_member_of_another_village_is_not_found_from_here(members):
    rpc, _database, village_id = members
    other = rpc.open_village(OTHER)["id"]
    stranger = rpc.register_member(_person(other))
    for call in (
        lambda: rpc.get_member(village_id, stranger["id"]),
        lambda: rpc.export_member(village_id, stranger["id"]),
        lambda: rpc.erase_member(village_id, stranger["id"]),
        lambda: rpc.update_member(village_id, stranger["id"], {"first_name": "X"}),
    ):
        with pytest.raises(NotFound):
            call()


# --- edits and consents --------------------------------------------------------------------------


def test_edit_a_member(members):
    rpc, _database, village_id = members
    member = rpc.register_member(_person(village_id))
    edited = rpc.update_member(
        village_id, member["id"], {"phone": "+33 6 12 34 56 78", "tags": ["senior"]}
    )
    assert edited["phone"] == "+33612345678" and edited["tags"] == ["senior"]
    with pytest.raises(InvalidInput) as err:
        rpc.update_member(village_id, member["id"], {"phone": "123"})
    assert "phone" in err.value.errors
    with pytest.raises(InvalidInput) as err:
        rpc.update_member(village_id, member["id"], {"village_id": "elsewhere"})
    assert "village_id" in err.value.errors


def test_withdrawing_share_with_network_keeps_history_and_stops_sharing(members):
    rpc, _database, village_id = members
    member = rpc.register_member(_person(village_id, consents=["share_with_network"]))
    assert [m["id"] for m in rpc.shared_members(None)] == [member["id"]]
    assert "phone" not in rpc.shared_members(None)[0]
    withdrawn = rpc.withdraw_consent(village_id, member["id"], {"purpose": "share_with_network"})
    assert withdrawn["shared_with_network"] is False
    assert withdrawn["consents"][0]["withdrawn_at"] is not None, "withdrawal keeps the history"
    assert rpc.shared_members(None) == []
    with pytest.raises(Conflict):
        rpc.withdraw_consent(village_id, member["id"], {"purpose": "share_with_network"})
    again = rpc.give_consent(village_id, member["id"], {"purpose": "share_with_network"})
    assert len(again["consents"]) == 2 and again["shared_with_network"] is True
    with pytest.raises(InvalidInput):
        rpc.give_consent(village_id, member["id"], {"purpose": "everything"})


# --- RGPD ----------------------------------------------------------------------------------------


def test_export_then_erase(members):
    rpc, database, village_id = members
    member = rpc.register_member(
        _person(
            village_id,
            email="h@example.org",
            address="2 place de l'Église",
            tags=["fragile"],
            consents=["contact"],
        )
    )
    exported = rpc.export_member(village_id, member["id"])
    assert exported["email"] == "h@example.org" and exported["consents"][0]["purpose"] == "contact"
    assert rpc.village_of_member(member["id"]) == village_id
    erased = rpc.erase_member(village_id, member["id"])
    with pytest.raises(NotFound):
        rpc.village_of_member(member["id"])  # an erased member pledges nothing any more
    assert rpc.erase_member(village_id, member["id"]) == erased, "erasing twice changes nothing"
    with database.unit_of_work() as uow:
        row = uow.session.get(Member, member["id"])
        assert (row.first_name, row.last_name, row.phone, row.email, row.address, row.tags) == (
            None,
            None,
            None,
            None,
            None,
            [],
        )
        events = uow.session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.type == "member.erased")
        ).all()
    assert len(events) == 1
    with pytest.raises(NotFound):
        rpc.get_member(village_id, member["id"])
    assert rpc.search_members(village_id, {"q": ""}) == []
    # the phone is free again
    assert rpc.register_member(_person(village_id))["likely_duplicates"] == []


def test_stats_hold_no_personal_data(members):
    rpc, _database, village_id = members
    rpc.register_member(_person(village_id, tags=["fragile", "reduced_mobility"]))
    rpc.register_member(
        _person(village_id, first_name="Jean", phone="06 12 34 56 78", tags=["fragile"])
    )
    stats = rpc.member_stats(None)
    assert stats["total"] == 2 and stats["by_village"] == {village_id: 2}
    assert stats["by_tag"] == {"fragile": 2, "reduced_mobility": 1}
    assert "Hélène" not in str(stats) and "+33" not in str(stats)


# --- CSV import ----------------------------------------------------------------------------------

GOOD_CSV = (
    "Nom;Prénom;Téléphone;E-mail;Code postal;Commune;Profil;Canal préféré;Date "
    "d'adhésion;Cotisation;Consentements\nVergne;Marcelle;01 99 00 10 "
    "01;;19290;Peyrelevade;fragile, vit "
    "seule;téléphone;12/01/2024;10,00;contact\nMazière;Élodie;06 39 98 10 "
    "03;elodie@example.org;;;actif / famille;SMS;2024-02-01;15 €;contact, partage réseau\n"
)


def test_a_good_file_is_imported_whole(members):
    rpc, database, village_id = members
    report = rpc.import_members(village_id, {"text": GOOD_CSV})
    assert report["imported"] == 2 and report["problems"] == [] and len(report["member_ids"]) == 2
    elodie = rpc.search_members(village_id, {"q": "elodie"})[0]
    full = rpc.get_member(village_id, elodie["id"])
    assert full["tags"] == ["commuter", "family"] and full["fee_cents"] == 1500
    assert full["preferred_channel"] == "sms" and full["shared_with_network"] is True
    assert _count(database, OutboxEvent, OutboxEvent.type == "member.registered") == 2


def test_a_windows_export_with_commas_is_read(members):
    from services.members.spreadsheet import decode_text

    rpc, _database, village_id = members
    raw = "Prénom,Nom,Tél\r\nNoël,Faurie,01 99 00 40 01\r\n".encode("cp1252")
    report = rpc.import_members(village_id, {"text": decode_text(raw)})
    assert report["imported"] == 1
    assert rpc.search_members(village_id, {"q": "noel"})[0]["display_name"] == "Noël Faurie"


def test_one_bad_row_and_nothing_is_imported_with_each_problem_named(members):
    rpc, database, village_id = members
    rpc.register_member(_person(village_id))
    text = (
        "Nom;Prénom;Téléphone;Code postal;Profil;Date d'adhésion\n"
        "Vergne;Marcelle;01 99 00 10 01;19290;fragile;12/01/2024\n"  # 2: fine
        "Durand;Jules;0612;1929;;\n"  # 3: phone, postcode
        "Soulier;Fernand;01 99 00 30 01;;riche;31/02/2024\n"  # 4: tag, date
        "Vergne;Marcelle;01 99 00 10 99;;;\n"  # 5: same name as row 2
        "Le Boeuf;Helene;05 55 12 34 56;;;\n"  # 6: already registered
        ";Sans nom;01 99 00 30 09;;;\n"
    )  # 7: last name missing
    report = rpc.import_members(village_id, {"text": text})
    assert report["imported"] == 0 and report["member_ids"] == []
    problems = {(p["row"], p["field"]): p["message_en"] for p in report["problems"]}
    assert problems == {
        (3, "phone"): "Not a valid phone number.",
        (3, "postcode"): "A postcode has 5 digits.",
        (4, "tags"): "Unknown profile: riche.",
        (5, "last_name"): "Same person as row 2.",
        (6, "phone"): "Already registered in this village: Hélène Le Bœuf.",
        (7, "last_name"): "Missing data for required field.",
    }
    assert _count(database) == 1, "nothing half-imported"


def test_a_preview_writes_nothing_and_the_valid_rows_are_imported_together(members):
    rpc, database, village_id = members
    rpc.register_member(_person(village_id))
    text = (
        "Nom;Prénom;Téléphone;Profil\n"
        "Vergne;Marcelle;01 99 00 10 01;fragile\n"  # 2: fine
        "Durand;Jules;0612;\n"  # 3: phone
        "Le Boeuf;Helene;05 55 12 34 56;\n"  # 4: already registered
        "Soulier;Fernand;01 99 00 30 01;\n"  # 5: fine
    )
    preview = rpc.preview_import(village_id, {"text": text})
    assert [(v["row"], v["display_name"], v["phone_display"]) for v in preview["valid"]] == [
        (2, "Marcelle Vergne", "01 99 00 10 01"),
        (5, "Fernand Soulier", "01 99 00 30 01"),
    ]
    assert preview["valid"][0]["tags"] == ["fragile"] and preview["rows"] == 4
    assert {(p["row"], p["field"], p["message"]) for p in preview["problems"]} == {
        (3, "phone", "Numéro de téléphone invalide (ex. 05 55 12 34 56 ou +33 5 55 12 34 56)."),
        (4, "phone", "Déjà inscrit·e dans ce village : Hélène Le Bœuf."),
    }
    assert _count(database) == 1, "a preview writes nothing"
    report = rpc.import_valid_members(village_id, {"text": text})
    assert report["imported"] == 2 and len(report["member_ids"]) == 2
    assert {p["row"] for p in report["problems"]} == {3, 4}
    assert _count(database) == 3
    again = rpc.import_valid_members(village_id, {"text": text})
    assert again["imported"] == 0 and _count(database) == 3, "each row is there once"
    assert {p["row"] for p in again["problems"]} == {2, 3, 4, 5}


def test_a_file_without_the_required_columns_is_refused(members):
    rpc, database, village_id = members
    report = rpc.import_members(village_id, {"text": "Nom;Age\nVergne;81\n"})
    assert {(p["field"], p["message_en"]) for p in report["problems"]} == {
        ("header", "Unknown column: Age."),
        ("header", "Missing column: Prénom."),
    }
    with pytest.raises(InvalidInput):
        rpc.import_members(village_id, {"text": ""})
    with pytest.raises(NotFound):
        rpc.import_members("00000000-0000-0000-0000-000000000000", {"text": GOOD_CSV})
    assert _count(database) == 0
