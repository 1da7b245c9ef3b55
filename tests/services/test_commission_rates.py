"""A producer's commission rate over time, on SQLite and PostgreSQL: a change takes effect on the
first day of a month and a past month's statement keeps the rate in force then (the service's
statement, the month's statements); the partner shows the rate in force today and its history; a
rate outside 0–100 %, a date that is not a first of month, falls in a month gone by or comes before
the latest rate recorded is refused naming its field, nothing recorded; the latest rate is
corrected on its own date; the migration keeps each partner's rate as in force from the
beginning."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, func, select, text

from backbone import migrations
from backbone.contracts import parse_envelope
from backbone.db import Database
from backbone.errors import InvalidInput
from backbone.schemas import load
from services.partners import commission, consignment, partners
from services.partners.models import CommissionRate
from services.partners.schemas.partners import PartnerUpdateInput
from tests.support.money import NOV, money_world, sale, sale_line

TODAY = date(2026, 11, 20)  # the coordinator works in November 2026


@pytest.fixture
def world(service_db, monkeypatch):
    monkeypatch.setattr(commission, "paris_today", lambda: TODAY)
    monkeypatch.setattr(partners, "paris_today", lambda: TODAY)
    database = service_db("partners")
    return database, money_world(database)


def update(database, partner_id, **data):
    with database.unit_of_work() as uow:
        return partners.update_partner(uow, partner_id, load(PartnerUpdateInput(), data))


def rates(database, partner_id):
    with database.unit_of_work() as uow:
        return [(r.effective_from, r.per_mille) for r in commission.history(uow, partner_id)]


def sell_each_month(database, ids):
    """10,00 € of the producer's goods sold in November and again in December."""
    village, producer = ids["villages"][0], ids["producer"]
    with database.unit_of_work() as uow:
        consignment.record_money_events(
            uow,
            [
                parse_envelope(sale(village, [sale_line(producer, 1, 1000)], at=NOV)),
                parse_envelope(
                    sale(
                        village,
                        [sale_line(producer, 1, 1000)],
                        at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
                    )
                ),
            ],
        )
        uow.commit()


def test_a_past_month_s_statement_keeps_the_rate_in_force_then(world):
    database, ids = world
    producer = ids["producer"]
    sell_each_month(database, ids)
    shown = update(
        database, producer, commission_per_mille=100, commission_effective_from="2026-12-01"
    )
    # today (November) the agreed 15 % is still in force; 10 % from December
    assert shown["commission_per_mille"] == 150
    assert shown["commission_rates"] == [
        {"effective_from": "1970-01-01", "per_mille": 150},
        {"effective_from": "2026-12-01", "per_mille": 100},
    ]
    with database.unit_of_work() as uow:
        november = consignment.statement(uow, producer, "2026-11")
        december = consignment.statement(uow, producer, "2026-12")
        monthly = {m: consignment.statements_of_month(uow, m)[0] for m in ("2026-11", "2026-12")}
    assert (november["commission_per_mille"], november["totals"]["commission_cents"]) == (150, 150)
    assert (december["commission_per_mille"], december["totals"]["commission_cents"]) == (100, 100)
    assert monthly["2026-11"]["totals"] == november["totals"]
    assert monthly["2026-12"]["totals"]["due_cents"] == 900


def test_a_rate_without_a_date_takes_effect_this_month_and_the_same_rate_records_nothing(world):
    database, ids = world
    producer = ids["producer"]
    update(database, producer, commission_per_mille=150)  # the rate it has: nothing new
    assert rates(database, producer) == [(commission.BEGINNING, 150)]
    shown = update(database, producer, commission_per_mille=None)  # no commission any more
    assert rates(database, producer) == [(commission.BEGINNING, 150), (date(2026, 11, 1), None)]
    assert shown["commission_per_mille"] is None
    with database.unit_of_work() as uow:
        assert consignment.statement(uow, producer, "2026-10")["commission_per_mille"] == 150


def test_the_latest_rate_is_corrected_on_its_own_date(world):
    database, ids = world
    producer = ids["producer"]
    update(database, producer, commission_per_mille=120, commission_effective_from="2027-01-01")
    update(database, producer, commission_per_mille=125, commission_effective_from="2027-01-01")
    assert rates(database, producer) == [(commission.BEGINNING, 150), (date(2027, 1, 1), 125)]
    update(database, producer, commission_per_mille=130)  # no date: that coming rate, corrected
    assert rates(database, producer) == [(commission.BEGINNING, 150), (date(2027, 1, 1), 130)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"commission_per_mille": 1001}, "commission_per_mille"),  # over 100 %
        ({"commission_per_mille": -1}, "commission_per_mille"),
        (
            {"commission_per_mille": 100, "commission_effective_from": "2026-12-15"},
            "commission_effective_from",  # not a first of month
        ),
        (
            {"commission_per_mille": 100, "commission_effective_from": "2026-10-01"},
            "commission_effective_from",  # a month gone by: its statement keeps its rate
        ),
        (
            {"commission_per_mille": 100, "commission_effective_from": "2027-01-01"},
            "commission_effective_from",  # before the latest recorded (February)
        ),
        ({"commission_effective_from": "2027-03-01"}, "commission_per_mille"),  # a date, no rate
    ],
)
def test_a_bad_rate_or_date_is_refused_naming_its_field(world, data, field):
    database, ids = world
    producer = ids["producer"]
    update(database, producer, commission_per_mille=140, commission_effective_from="2027-02-01")
    before = rates(database, producer)
    with pytest.raises(InvalidInput) as error:
        update(database, producer, **data)
    assert field in error.value.errors and field in error.value.errors_fr
    assert rates(database, producer) == before


def test_the_migration_keeps_each_partner_s_rate_from_the_beginning(db_url):
    migrations.upgrade("partners", db_url, "0011_partner_skills")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO partners (id, name, kind, created_at, commission_per_mille) VALUES "
                "('p1', 'Ferme', 'producer', '2026-01-05 10:00:00', 125), "
                "('p2', 'Mairie', 'local_authority', '2026-01-05 10:00:00', NULL)"
            )
        )
    engine.dispose()
    migrations.upgrade("partners", db_url)
    database = Database(db_url, "partners")
    try:
        with database.unit_of_work() as uow:
            assert [
                (r.partner_id, r.effective_from, r.per_mille)
                for r in uow.session.scalars(select(CommissionRate))
            ] == [("p1", commission.BEGINNING, 125)]
            assert uow.session.scalar(select(func.count()).select_from(CommissionRate)) == 1
            assert consignment.statement(uow, "p1", "2025-03")["commission_per_mille"] == 125
            assert consignment.statement(uow, "p2", "2025-03")["commission_per_mille"] == 0
    finally:
        database.dispose()
