"""What a backup reads and a restore writes, one store at a time (maillage/backup.py orchestrates):

- a PostgreSQL database: `pg_dump --format=custom` (one consistent snapshot), restored by
  `pg_restore` into a fresh database that replaces the service's in one transaction of renames;
- a SQLite database: SQLite's online backup API (a consistent copy of a live database, WAL
  included), restored into a new file beside the target that then replaces it;
- the broker's definitions for the network's vhosts (users with their password hashes and limits,
  vhosts, permissions, topic permissions, queues, exchanges, bindings, policies, parameters): the
  management API's `GET /api/definitions`, kept to those vhosts, and `POST /api/definitions`;
- the secrets kept in the data folder (or given by the environment).

Every failure is a `BackupError` whose message is the one line the operator reads.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from backbone import broker_management, config


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in one line (French, then
    English)."""


def engine_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# --- tables ----------------------------------------------------------------------------------

# Rows the migrations themselves write (the skills taxonomy): a database holding only these is as
# good as empty, so a restore into a freshly migrated network needs no --force.
FILLED_BY_MIGRATIONS = {"alembic_version", "skills"}


def holding_data(connection, tables: list[str]) -> list[str]:
    """The tables among `tables` (except those the migrations fill) that hold a row."""
    from sqlalchemy import text

    found = []
    for table in tables:
        if table in FILLED_BY_MIGRATIONS:
            continue
        quoted = '"' + table.replace('"', '""') + '"'
        if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():
            found.append(table)
    return found


def alembic_revisions(connection) -> list[str]:
    from sqlalchemy import inspect, text

    if "alembic_version" not in inspect(connection).get_table_names():
        return []
    return sorted(r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version")))


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_env(url) -> dict:
    """libpq's variables for `url` (the password never on a command line, where `ps` shows it)."""
    env = {**os.environ}
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
    ):
        if value is not None:
            env[variable] = str(value)
    env.update({f"PG{k.upper()}": str(v) for k, v in url.query.items() if k == "sslmode"})
    return env


def tool_major(path: str) -> int:
    """The major version of a PostgreSQL client tool (`pg_dump (PostgreSQL) 15.20` -> 15)."""
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"(\d+)(?:\.\d+)?", done.stdout)
    if done.returncode != 0 or not found:
        raise BackupError(f"{path} --version a échoué / failed: {done.stderr.strip()[:200]}")
    return int(found.group(1))


def pg_tool(name: str, server_major: int) -> tuple[str, int]:
    """`pg_dump` or `pg_restore` able to work with a server of `server_major`: MAILLAGE_PG_BIN's,
    else the one on PATH, else Debian's /usr/lib/postgresql/<major>/bin; a client older than the
    server refuses to dump it, so that one is an error naming both versions."""
    candidates, chosen = [], config.value("MAILLAGE_PG_BIN")
    if chosen:
        candidates.append(str(Path(chosen) / name))
    else:
        on_path = shutil.which(name)
        if on_path:
            candidates.append(on_path)
        candidates.append(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    found = []
    for candidate in candidates:
        if Path(candidate).exists():
            major = tool_major(candidate)
            found.append((candidate, major))
            if major >= server_major:
                return candidate, major
    if not found:
        raise BackupError(
            f"{name} introuvable : installez le client PostgreSQL {server_major} "
            f"(apt-get install postgresql-client-{server_major}) ou donnez MAILLAGE_PG_BIN / "
            f"{name} not found: install PostgreSQL {server_major}'s client tools"
        )
    path, major = found[0]
    raise BackupError(
        f"{path} est la version {major}, le serveur PostgreSQL la version {server_major} : "
        f"installez postgresql-client-{server_major} ou donnez MAILLAGE_PG_BIN / {name} {major} "
        f"cannot work with a PostgreSQL {server_major} server"
    )


class PostgresTarget:
    """A service's PostgreSQL database, reached through the server's maintenance database (which
    creates, renames and drops the others)."""

    def __init__(self, url: str):
        self.url = make_url(url.replace("postgres://", "postgresql://", 1))
        self.name = self.url.database
        if not self.name or self.name == self.maintenance_name():
            raise BackupError(f"base de données invalide / invalid database name in {url!r}")

    @staticmethod
    def maintenance_name() -> str:
        return config.value("MAILLAGE_PG_MAINTENANCE_DB")

    def _connect(self, database: str):
        import psycopg2

        url = self.url
        try:
            connection = psycopg2.connect(
                host=url.host,
                port=url.port,
                user=url.username,
                password=url.password,
                dbname=database,
                **{k: v for k, v in url.query.items() if k == "sslmode"},
            )
        except psycopg2.OperationalError as exc:
            raise BackupError(
                f"PostgreSQL injoignable / unreachable ({url.host}:{url.port or 5432}/{database}): "
                + str(exc).strip().splitlines()[0]
            ) from None
        connection.autocommit = True
        return connection

    def server_version(self) -> tuple[int, str]:
        connection = self._connect(self.maintenance_name())
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version_num")
                number = int(cursor.fetchone()[0])
                cursor.execute("SHOW server_version")
                return number // 10000, cursor.fetchone()[0].split()[0]
        finally:
            connection.close()

    def exists(self, name: str | None = None) -> bool:
        connection = self._connect(self.maintenance_name())
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name or self.name,))
                return cursor.fetchone() is not None
        finally:
            connection.close()

    def engine(self, name: str | None = None):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        url = self.url.set(drivername="postgresql+psycopg2", database=name or self.name)
        return create_engine(url, poolclass=NullPool)

    def dump(self, path: Path) -> None:
        major, _ = self.server_version()
        tool, _ = pg_tool("pg_dump", major)
        done = subprocess.run(
            [tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={path}", self.name],
            env=_pg_env(self.url),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump {self.name} : {done.stderr.strip()[:300]}")

    def restore_into_fresh(self, dump: Path, jobs: int) -> str:
        """Restore `dump` into a new database beside the target; returns its name. The target is
        not touched; a failure drops the new database."""
        major, _ = self.server_version()
        tool, _ = pg_tool("pg_restore", major)
        fresh = f"{self.name[:40]}_restore_{uuid.uuid4().hex[:8]}"
        connection = self._connect(self.maintenance_name())
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{fresh}"')
        finally:
            connection.close()
        done = subprocess.run(
            [
                tool,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--jobs={max(1, jobs)}",
                f"--dbname={fresh}",
                str(dump),
            ],
            env=_pg_env(self.url),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            self.drop(fresh)
            raise BackupError(f"pg_restore {self.name} : {done.stderr.strip()[:300]}")
        return fresh

    def drop(self, name: str) -> None:
        connection = self._connect(self.maintenance_name())
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            connection.close()


def swap_postgres(pairs: list[tuple[PostgresTarget, str]]) -> None:
    """Each fresh database takes its target's name, all in one transaction (PostgreSQL renames a
    database transactionally): either every service has its restored database or none. The
    targets' sessions are ended first (a rename needs the database to itself); the old databases
    are dropped after the commit."""
    if not pairs:
        return
    first = pairs[0][0]
    connection = first._connect(first.maintenance_name())
    connection.autocommit = False
    olds = []
    try:
        with connection.cursor() as cursor:
            for target, fresh in pairs:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (target.name,),
                )
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.name,))
                if cursor.fetchone():
                    old = f"{target.name[:40]}_replaced_{uuid.uuid4().hex[:8]}"
                    cursor.execute(f'ALTER DATABASE "{target.name}" RENAME TO "{old}"')
                    olds.append((target, old))
                cursor.execute(f'ALTER DATABASE "{fresh}" RENAME TO "{target.name}"')
        connection.commit()
    except Exception as exc:
        connection.rollback()
        for target, fresh in pairs:
            target.drop(fresh)
        raise BackupError(
            f"les bases n'ont pas été remplacées / the databases were not replaced: {exc}"
        ) from None
    finally:
        connection.close()
    for target, old in olds:
        target.drop(old)


# --- SQLite ----------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError(f"base SQLite sans fichier / SQLite database without a file: {url}")
    return Path(path)


def sqlite_copy(source: Path, destination: Path) -> None:
    """A consistent copy of a database that may be in use (SQLite's online backup API: the pages
    as of one moment, what the WAL holds included); the copy is a single file."""
    if not source.exists():
        raise BackupError(f"base SQLite absente / missing SQLite database: {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"copie SQLite impossible / cannot copy {source.name}: {exc}") from None
    finally:
        dst.close()
        src.close()


def sqlite_prepare(copy: Path, target: Path) -> Path:
    """The backup's copy checked and written beside `target` (same file system, so the swap is a
    rename); returns that file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f"{target.name}.restore-{uuid.uuid4().hex[:8]}")
    try:
        sqlite_copy(copy, fresh)
    except BackupError:
        fresh.unlink(missing_ok=True)
        raise
    connection = sqlite3.connect(fresh)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    if verdict != "ok":
        fresh.unlink(missing_ok=True)
        raise BackupError(f"copie SQLite abîmée / damaged SQLite copy {copy.name}: {verdict}")
    return fresh


def sqlite_swap(fresh: Path, target: Path) -> None:
    """`fresh` replaces `target`. Its old WAL and shared-memory files go first: left there, SQLite
    would replay the old database's last writes onto the restored one."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(fresh, target)


# --- the broker ------------------------------------------------------------------------------

PER_VHOST = ("permissions", "topic_permissions", "queues", "exchanges", "bindings", "policies")


def _management():
    import requests

    session = requests.Session()
    session.trust_env = False  # the broker is inside our network: never through a proxy
    session.auth = config.rabbit_management_auth()
    return session, broker_management.management_url()


def network_vhosts() -> list[str]:
    """The services' vhost (AMQP_URI's) and the partners' (MAILLAGE_PARTNERS_VHOST), once each."""
    from services.partners import feed

    return list(dict.fromkeys([feed.vhost(), config.partners_vhost()]))


def _call(session, method: str, url: str, **kwargs):
    import requests

    try:
        response = session.request(method, url, timeout=60, **kwargs)
    except requests.RequestException as exc:
        raise BackupError(
            f"API de gestion du courtier injoignable / broker management API unreachable: {exc}"
        ) from None
    if response.status_code not in (200, 201, 204):
        raise BackupError(
            f"le courtier a répondu / the broker answered {response.status_code} to {method} "
            f"{url.rsplit('/api', 1)[-1]}: {response.text[:200]}"
        )
    return response


def broker_export(vhosts: list[str]) -> tuple[dict, dict]:
    """The definitions of `vhosts` (and of the users holding a permission there), and the messages
    waiting in their queues (which a backup does not keep: the manifest says how many)."""
    session, base = _management()
    with session:
        everything = _call(session, "GET", f"{base}/definitions").json()
        waiting = {}
        for vhost in vhosts:
            for queue in _call(session, "GET", f"{base}/queues/{quote(vhost, safe='')}").json():
                if queue.get("messages"):
                    waiting[f"{vhost}:{queue['name']}"] = queue["messages"]
    missing = [v for v in vhosts if v not in {x["name"] for x in everything["vhosts"]}]
    if missing:
        raise BackupError(f"vhost absent du courtier / vhost not on the broker: {missing[0]}")
    kept = {
        "rabbitmq_version": everything.get("rabbitmq_version"),
        "vhosts": [v for v in everything["vhosts"] if v["name"] in vhosts],
    }
    for key in PER_VHOST:
        kept[key] = [item for item in everything.get(key, []) if item.get("vhost") in vhosts]
    # reply and live queues are made by each process at start and deleted when it stops
    transient = {q["name"] for q in kept["queues"] if q.get("auto_delete") or q.get("exclusive")}
    kept["queues"] = [q for q in kept["queues"] if q["name"] not in transient]
    kept["bindings"] = [b for b in kept["bindings"] if b["destination"] not in transient]
    kept["parameters"] = [p for p in everything.get("parameters", []) if p.get("vhost") in vhosts]
    holders = {p["user"] for p in kept["permissions"]} | {
        p["user"] for p in kept["topic_permissions"]
    }
    kept["users"] = [u for u in everything["users"] if u["name"] in holders]
    return kept, waiting


def broker_check() -> str:
    """The broker's version, asked as the restore's user (an administrator may import)."""
    session, base = _management()
    with session:
        return _call(session, "GET", f"{base}/overview").json().get("rabbitmq_version", "?")


def broker_import(definitions: dict) -> None:
    """Import the definitions (users, permissions, queues… are created or replaced; nothing else on
    the broker changes), then the users' limits, which RabbitMQ 3.10 does not take from the
    document."""
    document = {k: v for k, v in definitions.items() if k != "rabbitmq_version"}
    session, base = _management()
    with session:
        _call(session, "POST", f"{base}/definitions", json=document)
        for user in definitions.get("users", []):
            for limit, value in (user.get("limits") or {}).items():
                _call(
                    session,
                    "PUT",
                    f"{base}/user-limits/{quote(user['name'], safe='')}/{quote(limit, safe='')}",
                    json={"value": value},
                )


# --- secrets ---------------------------------------------------------------------------------

# file in the data folder -> the variable that replaces it (compose gives them in the environment)
SECRETS = {"gateway-secret": "GATEWAY_SECRET", "opt-out-secret": "MAILLAGE_OPT_OUT_SECRET"}


def secret_in_effect(name: str) -> tuple[str | None, str]:
    """(value, where): the environment's value first, as the processes read it."""
    variable = SECRETS[name]
    if config.value(variable):
        return config.value(variable), f"env {variable}"
    path = config.data_dir() / name
    if path.exists():
        return path.read_text().strip(), f"file {name}"
    return None, "none"


def write_secret(name: str, value: str) -> str:
    """Put the secret back where the processes read it; what was done, in a line."""
    variable = SECRETS[name]
    current = config.value(variable)
    if current:
        if current == value:
            return f"{name}: {variable} (environnement) identique / same as the backup's"
        return (
            f"{name}: {variable} diffère de la sauvegarde ; donnez-lui la valeur de "
            f"secrets/{name} / {variable} differs from the backup's: set it to secrets/{name}"
        )
    path = config.data_dir() / name
    fresh = path.with_name(f".{name}.restore")
    fresh.write_text(value)
    fresh.chmod(0o600)
    os.replace(fresh, path)
    return f"{name}: rétabli / restored in {path}"
