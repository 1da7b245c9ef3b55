"""What every service's tables are made of: one naming convention for constraints and indexes, the
id factory, the UTC timestamp type; and the backbone's own tables (outbox, inbox), created in every
service's database by its migrations."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from backbone.clock import utcnow

# the names the migrations gave every constraint and index: autogenerate compares against them
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """The MetaData of one service's declarative `Base`: each service has its own (its own
    database, its own migrations), all named the same way.

        class Base(DeclarativeBase):
            metadata = service_metadata()
    """
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    """A new primary key (a UUID as text, the form events carry)."""
    return str(uuid.uuid4())


def same_as(column: str):
    """A column default: the value the same INSERT gives `column` (e.g. a read model's `changed_at`
    starts as its `opened_at`)."""
    return lambda context: context.get_current_parameters()[column]


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone-aware UTC timestamp")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class BackboneBase(DeclarativeBase):
    metadata = service_metadata()


class OutboxEvent(BackboneBase):
    """An event written in the same transaction as the change it describes,
    waiting for the relay."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    # ix_outbox_unpublished holds the pending rows only, and the relay's poll (pending rows above
    # its cursor, by id) and its count read it: a poll costs the same with the 2,000,000 published
    # rows the retention keeps as with none. With ix_outbox_pending alone, PostgreSQL walked a
    # backlog by id past every published row (bench/order_growth.py: 734 ms a poll with 20,000
    # pending and 2,000,000 published; 0.05 ms with the partial index). ix_outbox_pending serves
    # the retention's purge (published before a date).
    __table_args__ = (
        Index("ix_outbox_pending", "published_at", "id"),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )


class InboxEntry(BackboneBase):
    """The record that a consumer processed an event, written with the effect (idempotency)."""

    __tablename__ = "inbox"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
