"""The gateway has no database: it reads the services' schemas and labels, never their tables or
their logic, and loads no database library (SQLAlchemy and its psycopg2 were ~20 MiB of its memory
at rest, issue #8)."""

import subprocess
import sys


def test_the_gateway_starts_without_a_database_library_or_a_services_tables():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, gateway.service; "
            "print(sorted({m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg2', "
            "'alembic') or '.models' in m and m.startswith('services.')}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]", loaded.stdout
