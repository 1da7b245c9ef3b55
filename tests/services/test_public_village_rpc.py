"""A village's public view over real RPC (SQLite and PostgreSQL): the hub's own contact, checked and
kept as E.164; what the public page gets (no population, INSEE code nor status reason; exceptions
already over left out); the network's list without closed villages; a closed or not-yet-open
village answers "closed" whatever its hours; an unknown slug is not found."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.errors import InvalidInput, NotFound
from services.members.service import MembersService

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
EVERY_DAY = [
    {"day": d, "opens": "00:00", "closes": "24:00"}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]


@pytest.fixture
def members(container_factory, nameko_config, service_db):
    service_db("members")
    container_factory(MembersService, nameko_config).start()
    with ServiceRpcProxy("members", nameko_config, timeout=10) as proxy:
        yield proxy


def test_the_hubs_own_contact_is_checked_and_kept_as_e164(members):
    village = members.open_village(
        {**VILLAGE, "public_phone": "05 55 12 34 56", "public_email": "bourg@example.org"}
    )
    assert village["public_phone"] == "+33555123456"
    assert village["public_email"] == "bourg@example.org"
    with pytest.raises(InvalidInput) as refused:
        members.update_village(village["id"], {"public_phone": "12", "public_email": "nope"})
    assert set(refused.value.errors) == {"public_phone", "public_email"}
    cleared = members.update_village(village["id"], {"public_phone": None})
    assert cleared["public_phone"] is None and cleared["public_email"] == "bourg@example.org"


def test_the_public_view_of_a_village_tells_nothing_meant_for_the_staff(members):
    village = members.open_village({**VILLAGE, "public_email": "bourg@example.org"})
    today = datetime.now(UTC).date()
    members.set_opening_hours(
        village["id"],
        {
            "weekly": EVERY_DAY,
            "exceptions": [
                {"start": (today - timedelta(days=10)).isoformat(), "label": "Passé"},
                {"start": (today + timedelta(days=40)).isoformat(), "label": "Fête du village"},
            ],
        },
    )
    members.change_village_status(village["id"], {"status": "paused", "reason": "Lucie malade"})
    members.change_village_status(village["id"], {"status": "open"})

    page = members.public_village("peyrelevade")
    shown = page["village"]
    assert shown["name"] == "Peyrelevade" and shown["public_email"] == "bourg@example.org"
    assert not {"population", "insee_code", "status_reason", "created_at"} & set(shown)
    assert [e["label"] for e in page["exceptions"]] == ["Fête du village"]
    assert len(page["weekly"]) == 7 and page["stops"] == []
    assert page["opening"]["open"] is True


def test_closed_and_preparing_villages_are_closed_whatever_their_hours(members):
    preparing = members.open_village(
        {**VILLAGE, "slug": "bientot", "name": "Bientôt", "status": "preparing"}
    )
    closed = members.open_village({**VILLAGE, "slug": "ferme", "name": "Fermé"})
    open_ = members.open_village({**VILLAGE, "slug": "ouvert", "name": "Ouvert"})
    for village in (preparing, closed, open_):
        members.set_opening_hours(village["id"], {"weekly": EVERY_DAY})
    members.change_village_status(closed["id"], {"status": "closed"})

    assert [v["slug"] for v in members.public_villages()] == ["bientot", "ouvert"]
    for slug, status in (("bientot", "preparing"), ("ferme", "closed")):
        page = members.public_village(slug)
        assert page["village"]["status"] == status
        assert page["opening"]["open"] is False and page["opening"]["next_opening"] is None
    assert members.public_village("ouvert")["opening"]["open"] is True


def test_an_unknown_slug_is_not_found(members):
    with pytest.raises(NotFound):
        members.public_village("nulle-part")
