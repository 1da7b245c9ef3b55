"""What the gateway loads at start, and what it must not: it has no database, so no database
library and no service's tables (it reads the services' schemas and labels only: SQLAlchemy and
psycopg2 are ~20 MiB of a process's memory at rest, issue #8); the PDF libraries wait for the first
PDF asked for (~30 MiB)."""

import subprocess
import sys


def _loaded_at_start() -> set[str]:
    """The modules a fresh process holds once it has imported the gateway's service."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, gateway.service; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(loaded.stdout.split())
    assert {"gateway.service", "nameko", "marshmallow"} <= modules, loaded.stdout[:500]
    return modules


def test_the_gateway_starts_without_a_database_library_or_a_services_tables():
    loaded = _loaded_at_start()
    assert (
        sorted(
            m
            for m in loaded
            if m.split(".")[0] in ("sqlalchemy", "psycopg2", "alembic")
            or (m.startswith("services.") and ".models" in m)
        )
        == []
    )


def test_the_gateway_starts_without_the_pdf_libraries():
    """fpdf2, fontTools and the report's fonts are imported where a PDF is asked for
    (gateway/console/money_pdf.py, report_pdf.py)."""
    loaded = _loaded_at_start()
    pdf = ("fpdf", "fontTools", "gateway.console.money_pdf", "gateway.console.report_pdf")
    assert sorted(m for m in loaded if m.split(".")[0] in pdf[:2] or m in pdf) == []
