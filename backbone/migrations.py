"""Alembic, one migration history per service (`services/<service>/migrations`).

Each service's `env.py` calls `run(metadata)`; operators call `upgrade(service)`
(`maillage migrate`). The backbone's tables (outbox, inbox) are part of every history."""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config

from backbone import config
from backbone.db import make_engine
from backbone.tables import BackboneBase


def alembic_config(service: str, database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(config.REPO_ROOT / "services" / service / "migrations")
    )
    cfg.set_main_option(
        "sqlalchemy.url", (database_url or config.database_url(service)).replace("%", "%%")
    )
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, database_url: str | None = None, revision: str = "heads") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def revision(service: str, message: str) -> None:
    command.revision(alembic_config(service), message=message, autogenerate=True)


def _render_item(type_, obj, autogen_context):
    """Render the backbone's UtcDateTime as itself (script.py.mako imports it)."""
    if type_ == "type" and obj.__class__.__name__ == "UtcDateTime":
        return "UtcDateTime()"
    return False


def run(service_metadata) -> None:
    """Body of a service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    target = [service_metadata, BackboneBase.metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target,
            render_as_batch=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
