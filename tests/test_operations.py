"""Operators' side: migrations on SQLite and PostgreSQL, the CLI's input checks (the event
catalogue: tests/services/test_partner_event_docs.py)."""

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from backbone import config, migrations
from maillage.cli import main


@pytest.mark.parametrize("service", config.SERVICES)
def test_every_service_migrates_to_head_and_has_outbox_and_inbox(db_url, service):
    migrations.upgrade(service, db_url)
    migrations.upgrade(service, db_url)  # twice: idempotent
    tables = set(
        inspect(
            create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
        ).get_table_names()
    )
    assert {"outbox", "inbox", "alembic_version"} <= tables


@pytest.mark.parametrize("service", config.SERVICES)
def test_migrations_match_the_models(db_url, service):
    """No model change without its migration (autogenerate finds nothing to do)."""
    import importlib

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from backbone.tables import BackboneBase

    migrations.upgrade(service, db_url)
    models = importlib.import_module(f"services.{service}.models")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection), [models.Base.metadata, BackboneBase.metadata]
        )
    engine.dispose()
    assert diff == [], f"{service}: {diff}"


def test_cli_refuses_an_unknown_service():
    result = CliRunner().invoke(main, ["migrate", "village"])
    assert result.exit_code == 2 and "village" in result.output


def test_run_says_how_to_get_a_broker_when_there_is_none(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert (
        "RabbitMQ is not reachable" in result.output
        and "docker compose up -d rabbitmq" in result.output
    )


@pytest.mark.broker
def test_dead_letters_list_on_an_empty_queue(amqp_uri):
    result = CliRunner().invoke(main, ["dead-letters", "list"])
    assert result.exit_code == 0 and "no dead letters" in result.output


@pytest.mark.broker
def test_replaying_an_unknown_dead_letter_fails_clearly(amqp_uri):
    result = CliRunner().invoke(main, ["dead-letters", "replay", "nope"])
    assert result.exit_code == 1 and "no dead letter with event id nope" in result.output


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_create_coordinator_checks_its_input_and_refuses_duplicates(
    container_factory, nameko_config, service_db
):
    from services.members.service import MembersService

    service_db("members")
    container_factory(MembersService, nameko_config).start()
    runner = CliRunner()
    bad = runner.invoke(
        main, ["create-coordinator", "--email", "not-an-email", "--password", "long enough pass"]
    )
    assert bad.exit_code == 1 and "email: Not a valid email address." in bad.output
    short = runner.invoke(
        main, ["create-coordinator", "--email", "c@maillage.test", "--password", "short"]
    )
    assert short.exit_code == 1 and "password" in short.output
    ok = runner.invoke(
        main, ["create-coordinator", "--email", "c@maillage.test", "--password", "long enough pass"]
    )
    assert ok.exit_code == 0 and "coordinator created: c@maillage.test" in ok.output
    again = runner.invoke(
        main, ["create-coordinator", "--email", "c@maillage.test", "--password", "long enough pass"]
    )
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.broker
def test_create_coordinator_says_when_members_is_not_running(amqp_uri):
    result = CliRunner().invoke(
        main, ["create-coordinator", "--email", "c@maillage.test", "--password", "x" * 12]
    )
    assert result.exit_code == 1 and "members service is not answering" in result.output


@pytest.mark.broker
def test_seed_says_when_the_network_is_not_running(amqp_uri):
    # waiting for the services is the same at 1 s as at the default 90 s
    result = CliRunner().invoke(main, ["seed", "--wait", "1"])
    assert result.exit_code == 1 and "service is not answering" in result.output


@pytest.mark.parametrize("service", config.SERVICES)
def test_every_service_has_one_migration_head(service):
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrations.alembic_config(service, "sqlite://")).get_heads()
    assert len(heads) == 1, f"{service} has several heads {heads}: add a merge revision"


def test_orders_migration_0015_forgets_what_was_rolled_up_for_the_timer_to_roll_it_up_again(db_url):
    """0015 adds monthly_sales, the parcels to daily_villages and monthly_villages, and
    daily_parcel_senders; the days and months rolled up before (without parcels) are forgotten, so
    that a period counts them from the orders and parcels until the timer rolls them up again."""
    from datetime import date

    from sqlalchemy import text

    from backbone.db import Database
    from services.orders import figures

    migrations.upgrade("orders", db_url, "0014_monthly_figures")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:  # October rolled up by the code before 0015
        connection.execute(text("INSERT INTO rolled_days (day) VALUES ('2026-10-05')"))
        connection.execute(
            text("INSERT INTO daily_sales VALUES ('2026-10-05', 'v1', 'p1', 'Fournil', 1200)")
        )
        connection.execute(
            text("INSERT INTO daily_partner_sales VALUES ('2026-10-05', 'p1', 'Fournil', 1200)")
        )
        connection.execute(text("INSERT INTO daily_villages VALUES ('2026-10-05', 'v1', 3, 1200)"))
        connection.execute(text("INSERT INTO rolled_months (month) VALUES ('2026-10-01')"))
        connection.execute(
            text("INSERT INTO monthly_villages VALUES ('2026-10-01', 'v1', 3, 1200)")
        )
        connection.execute(
            text("INSERT INTO monthly_partner_sales VALUES ('2026-10-01', 'p1', 'Fournil', 1200)")
        )
    engine.dispose()

    migrations.upgrade("orders", db_url)
    db = Database(db_url, "orders")
    with db.unit_of_work() as uow:
        for table in (
            "rolled_days",
            "daily_villages",
            "daily_sales",
            "daily_partner_sales",
            "rolled_months",
            "monthly_villages",
            "monthly_partner_sales",
            "monthly_sales",
            "daily_parcel_senders",
        ):
            assert uow.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
        result = figures.village_figures(
            uow, date(2026, 10, 1), date(2026, 10, 31), ["v1"], ("sales_by_partner",)
        )
    assert result["figures"]["v1"]["orders"] == 0, (
        "no order in the database: nothing left from the old rows"
    )
    assert result["details"]["sales_by_partner"] == []
    db.dispose()


def test_orders_migration_0025_keeps_that_a_receipt_was_asked_for_not_the_address(db_url):
    """0025: a sale whose receipt was asked for by e-mail says so (`receipt_emailed`); the address
    itself is no longer kept on the sale."""
    from sqlalchemy import inspect, text

    migrations.upgrade("orders", db_url, "0024_stock_from_supplier_orders")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        for sale_id, address in (("s1", "passant@example.org"), ("s2", None)):
            connection.execute(
                text(
                    "INSERT INTO till_sales (id, village_id, idempotency_key, email, day, "
                    "sold_at, total_cents, vat_cents, given_cents, change_cents) VALUES "
                    "(:id, 'v1', :id, :email, '2026-12-01', '2026-12-01 09:00:00', 320, 17, 0, 0)"
                ),
                {"id": sale_id, "email": address},
            )
    migrations.upgrade("orders", db_url)
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT id, receipt_emailed FROM till_sales")).all())
        columns = {c["name"] for c in inspect(connection).get_columns("till_sales")}
    engine.dispose()
    assert rows == {"s1": True, "s2": False} and "email" not in columns
