"""gateway/console/privacy.py: what a village page keeps of its values for the coordinator."""

from gateway.console.privacy import hides_people, without_people
from tests.support.console_crawl import page_pattern


class Principal:
    def __init__(self, role):
        self.role = role


def test_names_phones_addresses_are_emptied_at_any_depth_and_organisations_kept():
    values = {
        "orders": [{"id": "o1", "member_name": "Marcelle Vergne", "total_cents": 350}],
        "counter": {
            "round_stops": [
                {"display_name": "Marcelle Vergne", "address": "3 chemin", "supplier_name": "GAEC"}
            ]
        },
        "partner": {"name": "GAEC du Plateau"},
        "who": ("x", {"phone": "01 99 00 10 01"}),
    }
    kept = without_people(values)
    assert kept["orders"] == [{"id": "o1", "member_name": None, "total_cents": 350}]
    assert kept["counter"]["round_stops"][0] == {
        "display_name": None,
        "address": None,
        "supplier_name": "GAEC",
    }
    assert kept["partner"] == {"name": "GAEC du Plateau"}
    assert kept["who"] == ("x", {"phone": None})
    assert values["orders"][0]["member_name"] == "Marcelle Vergne"  # the answer itself untouched


def test_a_help_requests_place_and_a_neighbours_name_are_free_text_about_a_person():
    help_request = {"requester_member_id": "m1", "place": "Chez M. Chassagne", "skill": "tonte"}
    assert without_people(help_request) == {
        "requester_member_id": "m1",
        "place": None,
        "description": None,
        "skill": "tonte",
    }
    neighbour = {"sender_kind": "neighbour", "sender_name": "Mme Lachaud", "place": "B3"}
    carrier = {"sender_kind": "carrier", "sender_name": "Chronopost", "place": "B1"}
    assert without_people(neighbour)["sender_name"] is None
    assert without_people(neighbour)["place"] == "B3"  # a shelf, not a home
    assert without_people(carrier) == carrier


def test_only_the_coordinator_on_a_village_page_reads_without_names():
    assert hides_people(Principal("coordinator"), "/console/villages/v1/colis")
    assert not hides_people(Principal("concierge"), "/console/villages/v1/colis")
    # the back-office names partners' contacts and staff accounts: organisations, not inhabitants
    assert not hides_people(Principal("coordinator"), "/console/coordination/partenaires/p1")


def test_the_crawl_matches_an_address_to_its_page():
    pattern = page_pattern("/console/villages/<village_id>/colis/<parcel_id>")
    assert pattern.match("/console/villages/v1/colis/p2")
    assert pattern.match("/console/villages/v1/colis/p2?recu=1")
    assert not pattern.match("/console/villages/v1/colis")
    assert page_pattern("/console/static/<path:name>").match("/console/static/a/b.css")
