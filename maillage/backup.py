"""`maillage backup DIR` / `maillage restore DIR` / `maillage backup-schedule ROOT`.

A backup is a folder:

    manifest.json               when, which versions, each service's engine and Alembic
                                revisions, the broker's vhosts, each file's size and SHA-256
    databases/<service>.dump    pg_dump --format=custom (PostgreSQL)
    databases/<service>.sqlite  a consistent copy (SQLite's backup API)
    broker/definitions.json     users (password hashes, limits), vhosts, permissions, queues,
                                exchanges, bindings, policies, parameters of the network's vhosts
    secrets/gateway-secret      the tokens' signing key; secrets/opt-out-secret, the e-mails'
                                opt-out links' (when the network has them)

Every file is 0600 and every folder 0700: the dumps hold people's data and password hashes. The
folder is written under a temporary name and renamed once complete, so a backup that died half-way
is never taken for one.

A restore checks everything before it writes anything: the manifest, every file's checksum, the
Alembic revisions (known to this version of the code), each target's engine, the PostgreSQL tools'
versions, that no target database holds data (unless --force) and that the broker answers. Then
it restores each PostgreSQL database into a fresh one and each SQLite one into a new file, imports
the broker's definitions, and only then swaps the databases in (one transaction of renames for
PostgreSQL, a rename per SQLite file) and puts the secrets back. A failure before the swap leaves
the targets as they were.

What a backup does not hold: the messages waiting in queues at that moment (the manifest counts
them). The events published in the last `REPLAY_MINUTES` before the backup are marked unpublished in
the restored outboxes, so the relays publish them again and each consumer's inbox skips those it
had already taken: an event that was on its way while the databases were dumped one after the
other is not lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from marshmallow import fields, validate

from backbone import config
from backbone.errors import InvalidInput
from backbone.schemas import Schema, load
from maillage import backup_stores as stores
from maillage.backup_stores import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
REPLAY_MINUTES = 10
NAME_PATTERN = re.compile(r"^maillage-\d{8}T\d{6}Z$")


# --- the manifest ----------------------------------------------------------------------------


class FileEntry(Schema):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    bytes = fields.Integer(required=True, validate=validate.Range(min=0))


class DatabaseEntry(Schema):
    engine = fields.String(required=True, validate=validate.OneOf(["postgresql", "sqlite"]))
    file = fields.String(required=True)
    alembic = fields.List(fields.String(), required=True)
    server_version = fields.String(load_default=None, allow_none=True)
    server_major = fields.Integer(load_default=None, allow_none=True)
    pg_dump_major = fields.Integer(load_default=None, allow_none=True)


class BrokerEntry(Schema):
    file = fields.String(required=True)
    version = fields.String(load_default=None, allow_none=True)
    vhosts = fields.List(fields.String(), required=True)
    users = fields.Integer(required=True)
    messages_waiting = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class SecretEntry(Schema):
    file = fields.String(required=True)
    source = fields.String(required=True)


class Manifest(Schema):
    format = fields.Integer(required=True, validate=validate.Equal(FORMAT))
    started_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True)
    versions = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    databases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(config.SERVICES)),
        values=fields.Nested(DatabaseEntry),
        required=True,
    )
    broker = fields.Nested(BrokerEntry, required=True)
    secrets = fields.Dict(
        keys=fields.String(validate=validate.OneOf(stores.SECRETS)),
        values=fields.Nested(SecretEntry),
        required=True,
    )
    files = fields.Dict(keys=fields.String(), values=fields.Nested(FileEntry), required=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict:
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    try:
        maillage = version("maillage")
    except PackageNotFoundError:
        maillage = None
    return {
        "maillage": maillage,
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
    }


def read_manifest(directory: Path) -> dict:
    """The backup's manifest, checked, and every file it lists checked against its checksum:
    a missing, truncated or altered file is refused by name."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BackupError(f"pas de sauvegarde ici / no backup here: {directory}")
    if not path.exists():
        raise BackupError(
            f"sauvegarde incomplète : {MANIFEST} manque / incomplete backup: no {MANIFEST} "
            f"in {directory}"
        )
    try:
        manifest = load(Manifest(), json.loads(path.read_text()))
    except (ValueError, InvalidInput) as exc:
        detail = exc.errors if isinstance(exc, InvalidInput) else exc
        raise BackupError(f"{MANIFEST} illisible / unreadable: {detail}") from None
    listed = set(manifest["files"])
    named = {entry["file"] for entry in manifest["databases"].values()}
    named |= {manifest["broker"]["file"]} | {e["file"] for e in manifest["secrets"].values()}
    for name in sorted(named - listed):
        raise BackupError(f"{MANIFEST} ne donne pas la somme de {name} / lists no checksum for it")
    for name, entry in sorted(manifest["files"].items()):
        file = (directory / name).resolve()
        if directory.resolve() not in file.parents:
            raise BackupError(f"{MANIFEST} : chemin hors de la sauvegarde / path outside: {name}")
        if not file.is_file():
            raise BackupError(f"sauvegarde incomplète : {name} manque / incomplete backup: missing")
        if file.stat().st_size != entry["bytes"] or sha256(file) != entry["sha256"]:
            raise BackupError(
                f"sauvegarde altérée : {name} ne correspond pas à sa somme SHA-256 / corrupt "
                f"backup: {name} does not match its checksum"
            )
    return manifest


# --- backup ----------------------------------------------------------------------------------


def _private(path: Path) -> None:
    path.chmod(0o700 if path.is_dir() else 0o600)


def backup(directory: Path, report=print) -> dict:
    """Back the network up into `directory` (which must not exist or be empty)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} n'est pas vide / is not empty: choose a new folder")
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = directory.with_name(f".{directory.name}.partial-{uuid.uuid4().hex[:8]}")
    work.mkdir(mode=0o700)
    try:
        manifest = _write_backup(work, report)
        if directory.exists():
            directory.rmdir()
        work.rename(directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _write_backup(work: Path, report) -> dict:
    started = dt.datetime.now(dt.UTC)
    for folder in ("databases", "broker", "secrets"):
        (work / folder).mkdir(mode=0o700)
    databases = {}
    for service in config.SERVICES:
        url = config.database_url(service)
        t0 = time.monotonic()
        if stores.engine_of(url) == "postgresql":
            target = stores.PostgresTarget(url)
            major, version = target.server_version()
            _, tool_major = stores.pg_tool("pg_dump", major)
            name = f"databases/{service}.dump"
            target.dump(work / name)
            with target.engine().connect() as connection:
                revisions = stores.alembic_revisions(connection)
            entry = {"server_version": version, "server_major": major, "pg_dump_major": tool_major}
        else:
            name = f"databases/{service}.sqlite"
            stores.sqlite_copy(stores.sqlite_path(url), work / name)
            revisions = _sqlite_revisions(work / name)
            entry = {}
        databases[service] = {
            "engine": stores.engine_of(url),
            "file": name,
            "alembic": revisions,
            **entry,
        }
        size = (work / name).stat().st_size
        report(f"{service}: {name} ({size / 1e6:.1f} MB, {time.monotonic() - t0:.1f} s)")
    definitions, waiting = stores.broker_export(stores.network_vhosts())
    (work / "broker/definitions.json").write_text(json.dumps(definitions, indent=1))
    report(
        f"broker: {len(definitions['users'])} users, {len(definitions['queues'])} queues on "
        + ", ".join(v["name"] for v in definitions["vhosts"])
    )
    if waiting:
        report(
            f"attention : {sum(waiting.values())} messages en attente dans les files ne sont pas "
            "sauvegardés / messages waiting in queues are not backed up (the outboxes' last "
            f"{REPLAY_MINUTES} min are published again at restore)"
        )
    secrets = {}
    for name in stores.SECRETS:
        value, source = stores.secret_in_effect(name)
        if value is None:
            continue
        (work / "secrets" / name).write_text(value)
        secrets[name] = {"file": f"secrets/{name}", "source": source}
    files = {}
    for path in sorted(p for p in work.rglob("*")):
        _private(path)
        if path.is_file():
            name = path.relative_to(work).as_posix()
            files[name] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
        "versions": _versions(),
        "databases": databases,
        "broker": {
            "file": "broker/definitions.json",
            "version": definitions.get("rabbitmq_version"),
            "vhosts": [v["name"] for v in definitions["vhosts"]],
            "users": len(definitions["users"]),
            "messages_waiting": waiting,
        },
        "secrets": secrets,
        "files": files,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
    _private(work / MANIFEST)
    return manifest


def _sqlite_revisions(path: Path) -> list[str]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return stores.alembic_revisions(connection)
    finally:
        engine.dispose()


# --- restore ---------------------------------------------------------------------------------


@dataclass
class _Plan:
    service: str
    engine: str
    source: Path
    url: str
    target: object  # PostgresTarget, or the SQLite file's Path
    fresh: object = None  # the restored database's name, or the new file


def _known_revisions(service: str) -> set[str]:
    from alembic.script import ScriptDirectory

    from backbone import migrations

    scripts = ScriptDirectory.from_config(migrations.alembic_config(service))
    return {revision.revision for revision in scripts.walk_revisions()}


def _heads(service: str) -> set[str]:
    from alembic.script import ScriptDirectory

    from backbone import migrations

    return set(ScriptDirectory.from_config(migrations.alembic_config(service)).get_heads())


def check(directory: Path, force: bool = False, report=print) -> tuple[dict, list[_Plan]]:
    """Everything a restore checks before it writes anything; the plan of what it will write."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    missing = [s for s in config.SERVICES if s not in manifest["databases"]]
    if missing:
        raise BackupError(f"sauvegarde incomplète : pas de base {missing[0]} / no database")
    plans, full = [], []
    for service in config.SERVICES:
        entry = manifest["databases"][service]
        unknown = set(entry["alembic"]) - _known_revisions(service)
        if unknown:
            raise BackupError(
                f"{service} : révision {sorted(unknown)[0]} inconnue de cette version de Maillage "
                f"(sauvegarde faite par {manifest['versions'].get('maillage')}) / revision "
                "unknown to this code: restore with the version that made the backup"
            )
        url = config.database_url(service)
        engine = stores.engine_of(url)
        if engine != entry["engine"]:
            raise BackupError(
                f"{service} : la sauvegarde est en {entry['engine']}, la cible en {engine} "
                f"({service.upper()}_DATABASE_URL) / the backup's engine differs from the target's"
            )
        plan = _Plan(service, engine, directory / entry["file"], url, None)
        if engine == "postgresql":
            plan.target = stores.PostgresTarget(url)
            major, _ = plan.target.server_version()
            if entry.get("server_major") and major < entry["server_major"]:
                raise BackupError(
                    f"{service} : sauvegarde de PostgreSQL {entry['server_major']}, serveur cible "
                    f"{major} : restaurez sur PostgreSQL {entry['server_major']} ou plus récent / "
                    "restore onto the same PostgreSQL major version or a newer one"
                )
            _, restore_major = stores.pg_tool("pg_restore", major)
            if entry.get("pg_dump_major") and restore_major < entry["pg_dump_major"]:
                raise BackupError(
                    f"pg_restore {restore_major} ne lit pas une sauvegarde de pg_dump "
                    f"{entry['pg_dump_major']} : installez postgresql-client-"
                    f"{entry['pg_dump_major']} ou donnez MAILLAGE_PG_BIN / pg_restore too old"
                )
            if plan.target.exists():
                with plan.target.engine().connect() as connection:
                    tables = _tables(connection)
                    holding = stores.holding_data(connection, tables)
                if holding:
                    full.append((service, plan.target.name, holding))
        else:
            plan.target = stores.sqlite_path(url)
            if plan.target.exists():
                from sqlalchemy import create_engine
                from sqlalchemy.pool import NullPool

                engine_ = create_engine(f"sqlite:///{plan.target}", poolclass=NullPool)
                with engine_.connect() as connection:
                    holding = stores.holding_data(connection, _tables(connection))
                engine_.dispose()
                if holding:
                    full.append((service, str(plan.target), holding))
        plans.append(plan)
    if full and not force:
        service, where, tables = full[0]
        raise BackupError(
            f"{service} : la base {where} contient déjà des données ({', '.join(tables[:3])}…) ; "
            "--force la remplace / the target database holds data: --force replaces it"
        )
    for service, where, _ in full:
        report(f"{service}: {where} sera remplacée / will be replaced (--force)")
    version = stores.broker_check()
    report(f"broker {version}: joignable / reachable")
    return manifest, plans


def _tables(connection) -> list[str]:
    from sqlalchemy import inspect

    return inspect(connection).get_table_names()


def restore(directory: Path, force: bool = False, jobs: int = 2, report=print) -> dict:
    directory = Path(directory)
    manifest, plans = check(directory, force, report)
    since = manifest["started_at"] - dt.timedelta(minutes=REPLAY_MINUTES)
    prepared: list[_Plan] = []
    try:
        for plan in plans:
            t0 = time.monotonic()
            try:
                if plan.engine == "postgresql":
                    plan.fresh = plan.target.restore_into_fresh(plan.source, jobs)
                    engine = plan.target.engine(plan.fresh)
                else:
                    plan.fresh = stores.sqlite_prepare(plan.source, plan.target)
                    from sqlalchemy import create_engine

                    engine = create_engine(f"sqlite:///{plan.fresh}")
            except BackupError as exc:
                where = plan.source.relative_to(directory).as_posix()
                raise BackupError(f"{plan.service} ({where}) : {exc}") from None
            prepared.append(plan)
            try:
                replayed = _replay_recent(engine, since)
            finally:
                engine.dispose()
            report(
                f"{plan.service}: restaurée à part / restored aside "
                f"({time.monotonic() - t0:.1f} s; {replayed} events to publish again)"
            )
        t0 = time.monotonic()
        definitions = json.loads((directory / manifest["broker"]["file"]).read_text())
        stores.broker_import(definitions)
        report(
            f"broker: {len(definitions.get('users', []))} users, "
            f"{len(definitions.get('queues', []))} queues ({time.monotonic() - t0:.1f} s)"
        )
    except BaseException:
        for plan in prepared:
            if plan.engine == "postgresql":
                plan.target.drop(plan.fresh)
            else:
                Path(plan.fresh).unlink(missing_ok=True)
        raise
    t0 = time.monotonic()
    stores.swap_postgres([(p.target, p.fresh) for p in plans if p.engine == "postgresql"])
    for plan in plans:
        if plan.engine == "sqlite":
            stores.sqlite_swap(plan.fresh, plan.target)
    report(
        "databases: "
        + ", ".join(p.service for p in plans)
        + f" en place / in place ({time.monotonic() - t0:.1f} s, the replaced ones dropped)"
    )
    for name, entry in manifest["secrets"].items():
        report(stores.write_secret(name, (directory / entry["file"]).read_text().strip()))
    behind = [
        p.service
        for p in plans
        if set(manifest["databases"][p.service]["alembic"]) != _heads(p.service)
    ]
    if behind:
        report(
            "then: maillage migrate " + " ".join(behind) + " (the backup is older than the code)"
        )
    return manifest


def _replay_recent(engine, since: dt.datetime) -> int:
    """Mark the events published since `since` unpublished: the relay publishes them again when
    the service starts, and every consumer's inbox skips those it had taken."""
    from sqlalchemy import inspect, update

    from backbone.tables import OutboxEvent

    outbox = OutboxEvent.__table__
    with engine.begin() as connection:
        if "outbox" not in inspect(connection).get_table_names():
            return 0
        done = connection.execute(
            update(outbox).where(outbox.c.published_at >= since).values(published_at=None)
        )
        return done.rowcount or 0


# --- on a schedule ---------------------------------------------------------------------------


def backup_name(now: dt.datetime) -> str:
    return f"maillage-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def prune(root: Path, keep: int) -> list[Path]:
    """Remove all but the `keep` newest complete backups under `root` (and the leftovers of
    backups that died half-way); returns what was removed. Other files are left alone."""
    root = Path(root)
    complete = sorted(
        p for p in root.iterdir() if NAME_PATTERN.match(p.name) and (p / MANIFEST).exists()
    )
    removed = complete[: max(0, len(complete) - keep)]
    removed += [
        p for p in root.iterdir() if p.name.startswith(".maillage-") and ".partial-" in p.name
    ]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def schedule(
    root: Path,
    interval_hours: float,
    keep: int,
    report=print,
    sleep=time.sleep,
    rounds: int | None = None,
    clock=lambda: dt.datetime.now(dt.UTC),
) -> None:
    """Back up into ROOT/maillage-<UTC time> every `interval_hours`, keeping the `keep` newest.
    A failed backup is reported and tried again at the next interval."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    done = 0
    while rounds is None or done < rounds:
        target = root / backup_name(clock())
        try:
            backup(target, report=report)
            report(f"sauvegarde faite / backup done: {target}")
        except BackupError as exc:
            report(f"sauvegarde échouée / backup failed: {exc}")
        for path in prune(root, keep):
            report(f"ancienne sauvegarde supprimée / old backup removed: {path.name}")
        done += 1
        if rounds is None or done < rounds:
            sleep(interval_hours * 3600)
