"""A commune's read-only link in the partners service, on SQLite and PostgreSQL: issued for a local
authority only, kept hashed, opening the villages of the commune's own funding sources; refused
once revoked, replaced, expired or the partnership ended; a malformed token refused at the RPC's
boundary; over real RPC, the four methods and their typed errors."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.errors import AuthenticationFailed, InvalidInput, NotFound
from backbone.schemas import load
from services.partners import commune_links, funding, removal
from services.partners.models import CommuneLink
from services.partners.schemas import FundingSourceInput
from services.partners.schemas.commune_links import CommuneTokenInput
from services.partners.service import PartnersService
from tests.support.partners import known_villages, register

pytestmark = pytest.mark.no_event_consumers

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def contract(database, partner_id, village_id):
    with database.unit_of_work() as uow:
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "service_contract",
                    "name": "Portage de courses",
                    "village_id": village_id,
                    "partner_id": partner_id,
                    "amount_cents": 480000,
                    "starts_on": "2026-01-01",
                    "ends_on": "2026-12-31",
                    "services": ["Portage de courses"],
                },
            ),
        )


@pytest.fixture
def world(service_db):
    """Three villages; a commune funding the first, another funding the second, a producer; the
    first commune declares it serves none (which would be the whole network)."""
    database = service_db("partners")
    villages = known_villages(database, 3, NOW)
    commune = register(database, name="Commune A", kind="local_authority", village_ids=[])
    other = register(database, name="Commune B", kind="local_authority", village_ids=[villages[1]])
    producer = register(database, name="GAEC", kind="producer", village_ids=villages)
    contract(database, commune["id"], villages[0])
    contract(database, other["id"], villages[1])
    return database, villages, commune, other, producer


def issue(database, partner_id, now=NOW):
    with database.unit_of_work() as uow:
        return commune_links.issue_link(uow, partner_id, now)


def open_(database, token, now=NOW):
    with database.unit_of_work() as uow:
        return commune_links.open_link(uow, token, now)


def test_a_link_opens_the_villages_the_commune_funds_and_only_them(world):
    database, villages, commune, other, _ = world
    issued = issue(database, commune["id"])
    assert load(CommuneTokenInput(), {"token": issued["token"]})  # the RPC's boundary takes it
    opened = open_(database, issued["token"])
    assert opened["partner_id"] == commune["id"]
    assert opened["village_ids"] == [villages[0]]  # not every village, though it serves "none"
    other_opened = open_(database, issue(database, other["id"])["token"])
    assert other_opened["village_ids"] == [villages[1]]
    with database.unit_of_work() as uow:
        stored = uow.session.scalars(select(CommuneLink)).all()
    assert all(issued["token"][16:] not in (s.secret_hash, s.id) for s in stored)
    assert datetime.fromisoformat(issued["link"]["expires_at"]) == NOW + timedelta(days=365)


def test_a_revoked_or_replaced_link_opens_nothing(world):
    database, _, commune, _, _ = world
    first = issue(database, commune["id"])["token"]
    second = issue(database, commune["id"])["token"]
    with pytest.raises(AuthenticationFailed):
        open_(database, first)
    assert open_(database, second)["partner_id"] == commune["id"]
    with database.unit_of_work() as uow:
        assert commune_links.revoke_links(uow, commune["id"], NOW) == 1
        assert commune_links.link_status(uow, commune["id"], NOW)["link"] is None
    with pytest.raises(AuthenticationFailed):
        open_(database, second)


def test_an_expired_or_forged_link_opens_nothing(world):
    database, _, commune, _, _ = world
    token = issue(database, commune["id"])["token"]
    assert open_(database, token, NOW + timedelta(days=364))
    with pytest.raises(AuthenticationFailed):
        open_(database, token, NOW + timedelta(days=365, seconds=1))
    forged = token[:16] + ("A" if token[16] != "A" else "B") + token[17:]
    with pytest.raises(AuthenticationFailed):
        open_(database, forged)
    with pytest.raises(AuthenticationFailed):
        open_(database, "0" * 16 + token[16:])


def test_only_a_local_authority_gets_a_link_and_not_once_it_ended(world):
    database, _, commune, _, producer = world
    with pytest.raises(InvalidInput) as refused:
        issue(database, producer["id"])
    assert "partner_id" in refused.value.errors
    token = issue(database, commune["id"])["token"]
    removal.remove_partner(database, commune["id"], "Fin du contrat")
    with pytest.raises(AuthenticationFailed):
        open_(database, token)


def test_a_malformed_token_is_refused_before_any_query():
    for token in ("", "x" * 200, "0123456789abcdef<script>", "ZZZZ" * 20):
        with pytest.raises(InvalidInput):
            load(CommuneTokenInput(), {"token": token})


def test_funded_villages_ignore_network_wide_sources(world):
    database, villages, commune, _, _ = world
    with database.unit_of_work() as uow:
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "public_grant",
                    "name": "Subvention",
                    "partner_id": commune["id"],
                    "amount_cents": 1000,
                    "starts_on": date(2026, 3, 1).isoformat(),
                },
            ),
        )
        assert commune_links.funded_villages(uow, commune["id"]) == [villages[0]]


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_links_rpc_methods_and_their_errors(container_factory, nameko_config, world):
    database, villages, commune, _, producer = world
    container_factory(PartnersService, nameko_config).start()
    with ServiceRpcProxy("partners", nameko_config, timeout=10) as rpc:
        issued = rpc.issue_commune_link(commune["id"])
        assert set(issued) == {"token", "link"} and set(issued["link"]) == {
            "id",
            "created_at",
            "expires_at",
        }
        status = rpc.commune_link_status(commune["id"])
        assert status["link"] == issued["link"] and status["village_ids"] == [villages[0]]
        assert rpc.open_commune_link(issued["token"])["village_ids"] == [villages[0]]
        with pytest.raises(InvalidInput):
            rpc.open_commune_link("not a token")
        with pytest.raises(InvalidInput):
            rpc.issue_commune_link(producer["id"])
        with pytest.raises(NotFound):
            rpc.commune_link_status(str(uuid.uuid4()))
        assert rpc.revoke_commune_link(commune["id"]) == {"revoked": 1}
        with pytest.raises(AuthenticationFailed):
            rpc.open_commune_link(issued["token"])
