"""`maillage backup` / `restore` on one service's data, on SQLite and on PostgreSQL, with the real
broker (a vhost of the test's own): what a backup holds, what a restore refuses before writing
anything, and what it puts back. The whole network backed up, wiped and restored:
tests/e2e/test_backup_restore.py."""

import json
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from backbone import config
from backbone.schemas import load
from backbone.tables import OutboxEvent
from maillage import backup, backup_stores
from maillage.backup import BackupError
from maillage.cli import main
from services.members import villages
from services.members.models import Village
from services.members.schemas import VillageInput
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT

pytestmark = pytest.mark.broker

VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}


@pytest.fixture
def network_data(amqp_uri, service_db, tmp_path, monkeypatch):
    """Every service's database migrated (on the test's backend), a village opened in members
    (its event already published), the topology declared on the test's vhost and a gateway
    secret in the data folder."""
    from maillage.network import declare_topology

    databases = {service: service_db(service) for service in config.SERVICES}
    with databases["members"].unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))
    with databases["members"].unit_of_work() as uow:
        for row in uow.session.scalars(select(OutboxEvent)):
            row.published_at = datetime.now(UTC) - timedelta(seconds=5)
        uow.commit()
    declare_topology()
    monkeypatch.delenv("GATEWAY_SECRET", raising=False)
    monkeypatch.delenv("MAILLAGE_OPT_OUT_SECRET", raising=False)
    (config.data_dir() / "gateway-secret").write_text("the-gateway-secret")
    return {"databases": databases, "village": village}


def village_slugs(database):
    with database.unit_of_work() as uow:
        return [v.slug for v in uow.session.scalars(select(Village))]


def test_a_backup_holds_each_database_the_broker_and_the_secret_readable_by_its_owner_only(
    network_data, backend, tmp_path
):
    target = tmp_path / "backup"
    manifest = backup.backup(target, report=lambda _line: None)

    suffix = "dump" if backend == "postgresql" else "sqlite"
    assert {s: e["file"] for s, e in manifest["databases"].items()} == {
        s: f"databases/{s}.{suffix}" for s in config.SERVICES
    }
    assert all(e["engine"] == backend for e in manifest["databases"].values())
    assert manifest["databases"]["members"]["alembic"] == sorted(backup._heads("members"))
    definitions = json.loads((target / "broker/definitions.json").read_text())
    vhost = config.amqp_uri().rsplit("/", 1)[1]
    assert [v["name"] for v in definitions["vhosts"]] == [vhost]
    assert {q["vhost"] for q in definitions["queues"]} == {vhost}
    assert "members.on_help_request_completed" in {q["name"] for q in definitions["queues"]}
    assert (target / "secrets/gateway-secret").read_text() == "the-gateway-secret"
    for path in target.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    for name, entry in manifest["files"].items():
        assert backup.sha256(target / name) == entry["sha256"]
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name], "no leftover"


def test_a_restore_puts_back_the_data_the_secret_and_the_events_to_publish_again(
    network_data, tmp_path
):
    target = tmp_path / "backup"
    backup.backup(target, report=lambda _line: None)
    members = network_data["databases"]["members"]
    with members.unit_of_work() as uow:  # written after the backup: the restore forgets it
        villages.open_village(uow, load(VillageInput(), {**VILLAGE, "slug": "tarnac"}))
    (config.data_dir() / "gateway-secret").unlink()

    refused = CliRunner().invoke(main, ["restore", str(target)])
    assert refused.exit_code == 1
    assert "members : la base" in refused.output and "--force" in refused.output
    assert sorted(village_slugs(members)) == ["peyrelevade", "tarnac"], "nothing written"

    members.dispose()
    done = CliRunner().invoke(main, ["restore", "--force", str(target)])
    assert done.exit_code == 0, done.output
    assert village_slugs(members) == ["peyrelevade"]
    secret = config.data_dir() / "gateway-secret"
    assert secret.read_text() == "the-gateway-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    with members.unit_of_work() as uow:
        pending = uow.session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.published_at.is_(None))
        ).all()
    assert "village.opened" in pending, "published just before the backup: published again"


def test_a_restore_into_a_freshly_migrated_network_needs_no_force(
    network_data, service_db, tmp_path
):
    target = tmp_path / "backup"
    backup.backup(target, report=lambda _line: None)
    for database in network_data["databases"].values():
        database.dispose()
    fresh = {service: service_db(service) for service in config.SERVICES}  # new, migrated
    assert village_slugs(fresh["members"]) == []
    fresh["members"].dispose()  # a SQLite connection left open would read the replaced file
    backup.restore(target, report=lambda _line: None)
    assert village_slugs(fresh["members"]) == ["peyrelevade"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_sqlite_backup_is_a_consistent_copy_of_a_database_in_use(network_data, tmp_path):
    """The village is still in the WAL, not yet in the main file: a file copy would miss it."""
    path = backup_stores.sqlite_path(config.database_url("members"))
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE villages SET name = 'Peyrelevade-en-WAL'")
    writer.commit()
    assert os.path.getsize(f"{path}-wal") > 0
    target = tmp_path / "backup"
    backup.backup(target, report=lambda _line: None)
    writer.close()
    copy = sqlite3.connect(target / "databases/members.sqlite")
    assert copy.execute("SELECT name FROM villages").fetchall() == [("Peyrelevade-en-WAL",)]
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "damage, named",
    [
        ("truncate", "databases/orders.sqlite"),
        ("flip", "broker/definitions.json"),
        ("remove", "secrets/gateway-secret"),
        ("no-manifest", "manifest.json"),
        ("bad-manifest", "manifest.json"),
    ],
)
def test_a_partial_or_corrupt_backup_is_refused_naming_the_file_before_anything_is_written(
    network_data, tmp_path, damage, named
):
    target = tmp_path / "backup"
    backup.backup(target, report=lambda _line: None)
    file = target / named
    if damage == "truncate":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif damage == "flip":
        body = bytearray(file.read_bytes())
        body[len(body) // 2] ^= 1
        file.write_bytes(bytes(body))
    elif damage == "bad-manifest":
        manifest = json.loads(file.read_text())
        manifest["databases"]["orders"]["engine"] = "oracle"
        file.write_text(json.dumps(manifest))
    else:
        file.unlink()
    members = network_data["databases"]["members"]
    with members.unit_of_work() as uow:
        villages.open_village(uow, load(VillageInput(), {**VILLAGE, "slug": "tarnac"}))

    refused = CliRunner().invoke(main, ["restore", "--force", str(target)])

    assert refused.exit_code == 1
    assert refused.output.startswith("restauration refusée / restore refused: ")
    assert named in refused.output, refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert sorted(village_slugs(members)) == ["peyrelevade", "tarnac"], "nothing restored"
    assert (config.data_dir() / "gateway-secret").read_text() == "the-gateway-secret"


def test_a_restore_failing_half_way_leaves_every_database_as_it_was_and_nothing_behind(
    network_data, backend, tmp_path
):
    """The orders database of the backup cannot be read back (its checksum made to agree, as for a
    dump damaged when it was written): members and partners were already restored aside, and are
    not swapped in; the databases restored aside are gone."""
    target = tmp_path / "backup"
    manifest = backup.backup(target, report=lambda _line: None)
    name = manifest["databases"]["orders"]["file"]
    (target / name).write_bytes(b"PGDMP" + b"\x00" * 4096)
    manifest["files"][name] = {"sha256": backup.sha256(target / name), "bytes": 4101}
    (target / "manifest.json").write_text(json.dumps(manifest, default=str))
    members = network_data["databases"]["members"]
    with members.unit_of_work() as uow:
        villages.open_village(uow, load(VillageInput(), {**VILLAGE, "slug": "tarnac"}))
    members.dispose()

    refused = CliRunner().invoke(main, ["restore", "--force", str(target)])

    assert refused.exit_code == 1 and "orders" in refused.output, refused.output
    assert sorted(village_slugs(members)) == ["peyrelevade", "tarnac"], "members not swapped in"
    if backend == "postgresql":
        import psycopg2

        from tests.support.infrastructure import PG_ADMIN_DSN

        connection = psycopg2.connect(PG_ADMIN_DSN)
        with connection.cursor() as cursor:
            names = [members.url.rsplit("/", 1)[1], network_data["databases"]["orders"].url]
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s OR datname LIKE %s",
                [f"{names[0]}_restore_%", f"{names[1].rsplit('/', 1)[1]}_restore_%"],
            )
            assert cursor.fetchall() == []
        connection.close()
    else:
        assert not list(config.data_dir().parent.rglob("*.restore-*"))
        assert not list(tmp_path.rglob("*.restore-*"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_backup_into_a_folder_holding_files_is_refused(network_data, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    refused = CliRunner().invoke(main, ["backup", str(tmp_path / "full")])
    assert refused.exit_code == 1 and "n'est pas vide" in refused.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_backup_of_an_engine_the_target_does_not_use_is_refused(
    network_data, tmp_path, monkeypatch
):
    target = tmp_path / "backup"
    backup.backup(target, report=lambda _line: None)
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/nowhere")
    with pytest.raises(BackupError, match="orders : la sauvegarde est en sqlite"):
        backup.check(target, report=lambda _line: None)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_pg_dump_older_than_the_server_is_refused_naming_both_versions(
    network_data, tmp_path, monkeypatch
):
    """A pg_dump of an older major version cannot dump the server: the operator reads which
    client to install (here a fake pg_dump that says it is version 9)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    (fake / "pg_dump").chmod(0o755)
    monkeypatch.setenv("MAILLAGE_PG_BIN", str(fake))
    refused = CliRunner().invoke(main, ["backup", str(tmp_path / "backup")])
    assert refused.exit_code == 1
    assert "est la version 9, le serveur PostgreSQL la version" in refused.output
    assert "postgresql-client-" in refused.output
    assert not (tmp_path / "backup").exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_broker_definitions_of_a_partner_account_come_back_with_its_limits(
    network_data, tmp_path
):
    from services.partners import feed

    account = feed.create_account("3f1c5d1e-0000-4000-8000-000000000001")
    user = requests.utils.quote(account.username, safe="")
    target = tmp_path / "backup"
    backup.backup(target, report=lambda _line: None)
    requests.delete(f"{RABBIT_MANAGEMENT}/users/{user}", auth=RABBIT_AUTH, timeout=10)
    try:
        backup.restore(target, force=True, report=lambda _line: None)
        limits = requests.get(
            f"{RABBIT_MANAGEMENT}/user-limits/{user}", auth=RABBIT_AUTH, timeout=10
        ).json()
        assert limits[0]["value"] == {
            "max-connections": feed.FEED_MAX_CONNECTIONS,
            "max-channels": feed.FEED_MAX_CHANNELS,
        }
        topic = requests.get(
            f"{RABBIT_MANAGEMENT}/users/{user}/topic-permissions", auth=RABBIT_AUTH, timeout=10
        ).json()
        assert [t["read"] for t in topic] == [feed.topic_permissions(account.username[8:])["read"]]
    finally:
        requests.delete(f"{RABBIT_MANAGEMENT}/users/{user}", auth=RABBIT_AUTH, timeout=10)


def test_old_backups_are_pruned_keeping_the_newest_and_leaving_other_files(tmp_path):
    for stamp in ("20261201T000000Z", "20261202T000000Z", "20261203T000000Z"):
        (tmp_path / f"maillage-{stamp}").mkdir()
        (tmp_path / f"maillage-{stamp}" / "manifest.json").write_text("{}")
    (tmp_path / "maillage-20261204T000000Z").mkdir()  # no manifest: not a backup, left alone
    (tmp_path / ".maillage-20261205T000000Z.partial-0a1b2c3d").mkdir()  # died half-way
    (tmp_path / "notes.txt").write_text("kept")
    removed = backup.prune(tmp_path, keep=2)
    assert sorted(p.name for p in removed) == [
        ".maillage-20261205T000000Z.partial-0a1b2c3d",
        "maillage-20261201T000000Z",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "maillage-20261202T000000Z",
        "maillage-20261203T000000Z",
        "maillage-20261204T000000Z",
        "notes.txt",
    ]


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("BACKUP_INTERVAL_HOURS", "chaque jour", "BACKUP_INTERVAL_HOURS doit être un nombre"),
        ("BACKUP_INTERVAL_HOURS", "0", "BACKUP_INTERVAL_HOURS doit valoir au moins"),
        ("BACKUP_KEEP", "0", "BACKUP_KEEP doit valoir au moins 1"),
    ],
)
def test_the_schedule_refuses_a_bad_setting_naming_the_variable(
    tmp_path, monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    refused = CliRunner().invoke(main, ["backup-schedule", str(tmp_path)])
    # every setting is checked when the command starts: one line naming it, EX_CONFIG
    assert refused.exit_code == 78 and message in refused.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_schedule_backs_up_at_each_interval_and_keeps_the_last_ones(network_data, tmp_path):
    pauses, lines = [], []
    start = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    backup.schedule(
        tmp_path / "backups",
        6,
        keep=2,
        report=lines.append,
        sleep=pauses.append,
        rounds=3,
        clock=lambda: start + timedelta(hours=6 * len(pauses)),
    )
    kept = sorted((tmp_path / "backups").iterdir())
    assert [p.name for p in kept] == ["maillage-20261205T090000Z", "maillage-20261205T150000Z"]
    assert all((p / "manifest.json").exists() for p in kept)
    assert pauses == [6 * 3600, 6 * 3600]
    assert sum("old backup removed" in line for line in lines) == 1
