"""The PostgreSQL copies `service_db` reuses (tests/support/pg_copies.py): a copy an earlier test
wrote to, and left a connection open on, comes back holding exactly the template's rows and
sequences; a copy whose schema a test changed is never handed out again."""

import psycopg2
import pytest

from tests.support.pg_copies import MANY_ROWS, Contents, TemplateCopies

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def copies(backend, migrated_templates):
    made = TemplateCopies(migrated_templates("postgresql", "members"))
    yield made
    made.close()


def _run(url, *statements):
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def test_a_copy_given_back_comes_back_as_the_template_left_it(copies):
    template = copies.contents
    assert template.rows["skills"], "the members template holds the skills list"
    first = copies.take()
    _run(
        first,
        "DELETE FROM skills",
        "INSERT INTO outbox (event_id, type, version, body, created_at) "
        "VALUES (gen_random_uuid()::text, 'member.registered', 1, '{}', now())",
        "SELECT nextval('outbox_id_seq')",
        # more rows than a restore leaves to autovacuum (MANY_ROWS)
        "INSERT INTO outbox (event_id, type, version, body, created_at) "
        "SELECT gen_random_uuid()::text, 'member.registered', 1, '{}', now() "
        f"FROM generate_series(1, {MANY_ROWS + 500})",
    )
    # a connection the test never closed, in a transaction that holds a row lock
    straggler = psycopg2.connect(first)
    with straggler.cursor() as cursor:
        cursor.execute("SELECT 1 FROM alembic_version FOR UPDATE")
    copies.give_back(first)

    again = copies.take()

    assert again == first  # reused, not copied again
    assert straggler.closed or _is_ended(straggler)
    straggler.close()
    restored = Contents(again)
    assert restored.rows == template.rows
    assert restored.sequences == template.sequences
    assert restored.fingerprint == template.fingerprint
    copies.give_back(again)


def _is_ended(conn) -> bool:
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
    except psycopg2.Error:
        return True
    return False


def test_a_copy_whose_schema_changed_is_not_handed_out_again(copies):
    first = copies.take()
    _run(first, "ALTER TABLE skills ADD COLUMN colour text")
    copies.give_back(first)

    fresh = copies.take()

    assert fresh != first
    assert Contents(fresh).fingerprint == copies.contents.fingerprint
    copies.give_back(fresh)


def test_a_copy_commits_without_waiting_for_the_disk(copies):
    """The tests' databases, copies included (a copy does not inherit its template's settings),
    commit without waiting for the disk: tests/support/infrastructure.py."""
    url = copies.take()
    try:
        conn = psycopg2.connect(url)
        with conn.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
        conn.close()
    finally:
        copies.give_back(url)
