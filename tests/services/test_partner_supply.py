"""Partners that provide a service count as supply on the skills map (issue #26, point 4), on
SQLite and PostgreSQL: the partners service tells the skills a partner names (`partner.joined`,
`partner.updated`, refusing a badly written or repeated skill); members keeps the latest
description and counts a service structure's or an artisan's skills in each village it serves
(every village when it serves the network), never a producer's."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.members import skills_map
from services.partners import partners, read_models
from services.partners.schemas import PartnerInput
from services.partners.schemas.partners import PartnerUpdateInput
from tests.support.members import add_village

NOW = datetime.now(UTC)


def told(type_, partner_id, kind, village_ids, skills, occurred_at=NOW):
    payload = {
        "partner_id": partner_id,
        "name": f"Partenaire {partner_id[:4]}",
        "kind": kind,
        "village_ids": village_ids,
        "skills": skills,
    }
    if type_ == "partner.updated":
        payload["relationships"] = []
    return parse_envelope(
        build_envelope(type_, payload, village_id=None, source="partners", occurred_at=occurred_at)
    )


def test_a_service_partners_skills_are_supply_where_it_serves(service_db):
    members_db = service_db("members")
    a, b = add_village(members_db, "Faux"), add_village(members_db, "Nedde")
    artisan, network, producer = (str(uuid.uuid4()) for _ in range(3))
    events = [
        told("partner.joined", artisan, "artisan", [a], ["plomberie"]),
        told("partner.joined", network, "association", [], ["jardinage", "informatique"]),
        told("partner.joined", producer, "producer", [a], ["jardinage"]),  # sells, serves no one
        # the artisan now serves Nedde too; an older description arrives after it
        told("partner.updated", artisan, "artisan", [a, b], ["plomberie"], NOW + timedelta(1)),
        told("partner.updated", artisan, "artisan", [b], [], NOW - timedelta(1)),
    ]
    for event in (*events, events[3]):  # the update delivered twice
        with members_db.unit_of_work() as uow:
            skills_map.record_partner(uow, event)
    with members_db.unit_of_work() as uow:
        supply = skills_map.partner_supply(uow)
        village_map = skills_map.village_skills_map(uow, b)
    assert [p["partner_id"] for p in supply[a]["plomberie"]] == [artisan]
    assert [p["partner_id"] for p in supply[b]["plomberie"]] == [artisan]
    assert [p["partner_id"] for p in supply[a]["jardinage"]] == [network], "not the producer"
    assert [p["partner_id"] for p in supply[b]["informatique"]] == [network]
    line = next(line for line in village_map["skills"] if line["skill"] == "plomberie")
    assert [p["partner_id"] for p in line["supply"]["partners"]] == [artisan]


def test_the_partners_service_tells_the_skills_a_partner_names_and_refuses_bad_ones(service_db):
    database = service_db("partners")
    village_id = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        read_models.record_village(
            uow,
            parse_envelope(
                build_envelope(
                    "village.opened",
                    {
                        "village_id": village_id,
                        "slug": "faux",
                        "name": "Faux",
                        "commune": "Faux",
                        "insee_code": "19080",
                        "kind": "fixed",
                        "population": 400,
                    },
                    village_id=village_id,
                    source="members",
                )
            ),
        )
    data = {"name": "Multiservices du plateau", "kind": "artisan", "village_ids": [village_id]}
    for skills, field in ((["Plomberie !"], "skills"), (["plomberie", "plomberie"], "skills")):
        with pytest.raises(InvalidInput) as bad:
            load(PartnerInput(), {**data, "skills": skills})
        assert field in bad.value.errors
    with database.unit_of_work() as uow:
        made = partners.register_partner(
            uow, load(PartnerInput(), {**data, "skills": ["plomberie"]})
        )["partner"]
    assert made["skills"] == ["plomberie"]
    with database.unit_of_work() as uow:
        partners.update_partner(
            uow, made["id"], load(PartnerUpdateInput(), {"skills": ["plomberie", "electricite"]})
        )
    with database.unit_of_work() as uow:
        bodies = {
            row.type: json.loads(row.body)["payload"]
            for row in uow.session.scalars(
                select(OutboxEvent).where(OutboxEvent.type.like("partner.%"))
            )
        }
    assert bodies["partner.joined"]["skills"] == ["plomberie"]
    assert bodies["partner.updated"]["skills"] == ["plomberie", "electricite"]
