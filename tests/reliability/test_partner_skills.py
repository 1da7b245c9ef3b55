"""A partner's skills over the real broker: `partner.joined` and `partner.updated` reach the members
service's skills map; a duplicate, or the joining arriving after a later update, leave the latest
skills."""

from datetime import UTC, datetime, timedelta

import pytest

from backbone.contracts import build_envelope
from services.members import skills_map
from services.members.service import MembersService
from tests.support.reliability import inbox_count, wait_until

pytestmark = pytest.mark.broker


def _told(type_, partner_id, village_ids, skills, occurred_at):
    payload = {
        "partner_id": partner_id,
        "name": "Multiservices du plateau",
        "kind": "artisan",
        "village_ids": village_ids,
        "skills": skills,
    }
    if type_ == "partner.updated":
        payload["relationships"] = []
    return build_envelope(
        type_, payload, village_id=None, source="partners", occurred_at=occurred_at
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_partners_latest_skills_are_supply_however_they_arrive(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    members_db = service_db("members")
    _container, workers = start_container(MembersService, nameko_config)
    client = broker_client(amqp_uri)
    partner, village, now = "p-" + "5" * 34, "v-" + "6" * 34, datetime.now(UTC)
    updated = _told("partner.updated", partner, [village], ["plomberie", "electricite"], now)
    joined = _told("partner.joined", partner, [village], ["plomberie"], now - timedelta(hours=1))
    for envelope in (updated, updated, joined):
        client.publish_envelope(envelope)
    wait_until(
        lambda: (
            workers.runs("on_partner_updated", ok=True) == 2
            and workers.runs("on_partner_joined", ok=True) == 1
        ),
        message="the three deliveries handled",
    )
    with members_db.unit_of_work() as uow:
        supply = skills_map.partner_supply(uow)
    assert sorted(supply[village]) == ["electricite", "plomberie"]
    assert inbox_count(members_db, "members.on_partner_updated") == 1
