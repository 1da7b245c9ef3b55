"""PostgreSQL copies of a migrated template, reused from one test to the next in a test process.

A `CREATE DATABASE ... TEMPLATE` costs PostgreSQL 15 ~0.2 CPU-s (it copies the ~7 MB of system
catalogs with the tables, block by block into the WAL) and its `DROP DATABASE` a checkpoint; a test
with a fresh database of its own paid both (bench/README.md, "PostgreSQL's share"). A copy a test
is done with is kept instead, and the next test that asks for the same service's database gets it
back as the template left it: its other connections ended, every table's rows deleted and the
template's rows put back, its sequences where the template's were. A copy whose schema a test
changed (its catalogue no longer matches the template's) is dropped, and a fresh one made.
"""

from __future__ import annotations

import psycopg2
from psycopg2 import sql

from tests.support.infrastructure import create_pg_database, drop_later

# what a copy's schema is made of, compared with the template's: a test that created, dropped or
# altered anything (a table, a column, an index, a constraint, a type, a schema, a trigger: a
# migration run down) leaves a copy that is not reused; alembic_version is a table like the others,
# its row put back with the template's rows
FINGERPRINT = """
SELECT
  (SELECT count(*) FROM pg_namespace),
  (SELECT count(*) || ':' || coalesce(max(oid::bigint), 0) FROM pg_class
     WHERE relnamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'public'::regnamespace)
"""

# a table that held more rows than this is vacuumed once they are deleted: their dead rows would
# slow the next tests' scans until autovacuum came by
MANY_ROWS = 2000


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1]


class Contents:
    """What a migrated template holds: its tables' rows (as JSON), its sequences' positions and
    the fingerprint of its schema."""

    def __init__(self, url: str):
        with psycopg2.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute(FINGERPRINT)
            self.fingerprint = cursor.fetchone()
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            self.tables = sorted(name for (name,) in cursor.fetchall())
            self.rows: dict[str, list[str]] = {}
            for table in self.tables:
                cursor.execute(
                    sql.SQL("SELECT row_to_json(t)::text FROM {} AS t").format(
                        sql.Identifier(table)
                    )
                )
                rows = [row for (row,) in cursor.fetchall()]
                if rows:
                    self.rows[table] = rows
            cursor.execute(
                "SELECT schemaname || '.' || quote_ident(sequencename), start_value, last_value "
                "FROM pg_sequences WHERE schemaname = 'public'"
            )
            self.sequences = cursor.fetchall()
        conn.close()

    def restore(self, url: str, end_connections: bool = True) -> bool:
        """Put the copy at `url` back as the template left it; False (nothing done) when its
        schema is no longer the template's. `end_connections=False` keeps the other connections
        (services still running on it, idle between two tests: tests/support/module_world.py)."""
        conn = psycopg2.connect(url)
        try:
            with conn.cursor() as cursor:
                if end_connections:
                    # the connections a finished test left open (a killed container's pool)
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                cursor.execute(FINGERPRINT)
                if cursor.fetchone() != self.fingerprint:
                    return False
                # foreign keys are triggers: off for this transaction, every table is emptied and
                # refilled in any order (the template's rows satisfy them)
                cursor.execute("SET LOCAL session_replication_role = replica")
                # an ended connection's locks go with it; one that outlives this is a copy lost
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                crowded = []
                for table in self.tables:
                    name = sql.Identifier(table)
                    cursor.execute(sql.SQL("DELETE FROM {}").format(name))
                    if cursor.rowcount > MANY_ROWS:
                        crowded.append(name)
                    for row in self.rows.get(table, ()):
                        cursor.execute(
                            sql.SQL(
                                "INSERT INTO {0} SELECT * FROM json_populate_record(NULL::{0}, %s)"
                            ).format(name),
                            (row,),
                        )
                for sequence, start, last in self.sequences:
                    if last is None:
                        cursor.execute("SELECT setval(%s, %s, false)", (sequence, start))
                    else:
                        cursor.execute("SELECT setval(%s, %s, true)", (sequence, last))
            conn.commit()
            conn.autocommit = True  # VACUUM runs outside a transaction
            with conn.cursor() as cursor:
                for name in crowded:
                    cursor.execute(sql.SQL("VACUUM {}").format(name))
            return True
        except psycopg2.errors.LockNotAvailable:
            return False
        finally:
            conn.close()


class TemplateCopies:
    """The copies of one migrated template a test process made: `take()` one (a reused one
    restored, or a fresh one), `give_back(url)` when its test is done, `close()` at the end."""

    def __init__(self, template_url: str):
        self.template = _name(template_url)
        self.contents = Contents(template_url)
        self.idle: list[str] = []

    def take(self) -> str:
        while self.idle:
            url = self.idle.pop()
            if self.contents.restore(url):
                return url
            drop_later("pg", _name(url))
        return create_pg_database(template=self.template)

    def give_back(self, url: str) -> None:
        self.idle.append(url)

    def close(self) -> None:
        for url in self.idle:
            drop_later("pg", _name(url))
        self.idle.clear()
