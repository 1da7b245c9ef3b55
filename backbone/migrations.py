"""Alembic, one migration history per service (`services/<service>/migrations`).

Each service's `env.py` calls `run(metadata)`; operators call `upgrade(service)`
(`maillage migrate`). The backbone's tables (outbox, inbox) are part of every history, and so are
the network's facts of the services that keep them: their migrations call the steps below."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config

from backbone import config
from backbone.db import make_engine
from backbone.tables import BackboneBase, UtcDateTime


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


# --- steps the services' migrations share -------------------------------------------------------
# The backbone's tables and the network's facts (backbone.network_facts) have the same shape in
# every service's database. A step never changes once a migration calls it (databases were
# migrated with it): a new shape is a new step, called by a new migration.


def create_outbox_and_inbox() -> None:
    """The backbone's tables (backbone.tables), in every service's first migration."""
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["published_at", "id"], unique=False)


def drop_outbox_and_inbox() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_outbox_unpublished_index() -> None:
    """The relay's index of the pending rows only (backbone.tables.OutboxEvent)."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )


def drop_outbox_unpublished_index() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")


def create_village_statuses() -> None:
    """network_facts.VillageStatusColumns."""
    op.create_table(
        "village_statuses",
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_village_statuses")),
    )


def drop_village_statuses() -> None:
    op.drop_table("village_statuses")


def create_known_members() -> None:
    """network_facts.KnownMemberColumns."""
    op.create_table(
        "known_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=170), nullable=True),
        sa.Column("tags", sa.String(length=200), nullable=True),
        sa.Column("registered_at", UtcDateTime(), nullable=True),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_members")),
    )
    with op.batch_alter_table("known_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_members_village_id"), ["village_id"], unique=False
        )


def drop_known_members() -> None:
    with op.batch_alter_table("known_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_members_village_id"))
    op.drop_table("known_members")


def add_known_members_description() -> None:
    """network_facts.KnownMemberColumns.address, consents and changed_at (`member.updated` keeps
    the latest description): the rows already there are known as they registered."""
    with op.batch_alter_table("known_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=330), nullable=True))
        batch_op.add_column(sa.Column("consents", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("changed_at", UtcDateTime(), nullable=True))
    op.execute("UPDATE known_members SET changed_at = registered_at")


def drop_known_members_description() -> None:
    with op.batch_alter_table("known_members", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
        batch_op.drop_column("consents")
        batch_op.drop_column("address")


def add_known_villages_changed_at() -> None:
    """network_facts.KnownVillageColumns.changed_at (`village.updated` keeps the latest
    description): the rows already there changed when they opened."""
    op.add_column("known_villages", sa.Column("changed_at", UtcDateTime(), nullable=True))
    op.execute("UPDATE known_villages SET changed_at = opened_at")
    with op.batch_alter_table("known_villages", schema=None) as batch_op:
        batch_op.alter_column("changed_at", existing_type=UtcDateTime(), nullable=False)


def drop_known_villages_changed_at() -> None:
    with op.batch_alter_table("known_villages", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
