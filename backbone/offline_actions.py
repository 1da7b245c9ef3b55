"""Actions the counter did while its link was down, replayed later (the console's offline queue):
each carries the time it happened (`occurred_at`) and the idempotency key the device made for it.

- The time is bounded: not in the future beyond `CLOCK_SKEW` (a device's clock a little ahead),
  not older than `MAX_AGE` (a queue forgotten for days is settled by hand, not replayed blindly);
  refused naming the field `occurred_at`. The service keeps its own rules, checked as at that time
  where they depend on it (a delivery day in the past, a catalogue item's cycle).
- The action counts where it happened: its row is stamped `occurred_at` (placed_at, received_at,
  closed_at, attended_at…), so that the figures count it that day.
- It is audited: a row of the service's `offline_actions` table keeps the action, its target,
  the time it happened and the time it was received, in the action's transaction.
- A replay is idempotent: the same key for the same action in the village answers what the first
  one made (its target as it now is), never a second effect; two at once clash on the unique key.

    class OfflineAction(OfflineActionColumns, Base):
        pass
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from backbone.errors import InvalidInput
from backbone.messages import msg
from backbone.tables import UtcDateTime, new_id

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=3)


def when(occurred_at: datetime | None, now: datetime) -> datetime:
    """The time the action counts at: `occurred_at` when given and within bounds, else `now`. A
    time a little ahead of `now` (a device's clock) counts at `now`."""
    if occurred_at is None:
        return now
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidInput({"occurred_at": [msg("occurred_at_future")]})
    if occurred_at < now - MAX_AGE:
        raise InvalidInput({"occurred_at": [msg("occurred_at_too_old", days=MAX_AGE.days)]})
    return min(occurred_at, now)


class OfflineActionColumns:
    """One action sent with an idempotency key or the time it happened: which (`action`), on what
    (`target_id`), when it happened and when it was received."""

    __tablename__ = "offline_actions"

    @declared_attr.directive
    def __table_args__(cls):
        return (
            UniqueConstraint(
                "village_id", "action", "idempotency_key", name="uq_offline_actions_key"
            ),
        )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    target_id: Mapped[str] = mapped_column(String(36), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


def replayed(uow, model, village_id: str, action: str, key: str | None) -> str | None:
    """The target this key already acted on in this village (a replay), if any."""
    if key is None:
        return None
    return uow.session.scalar(
        select(model.target_id).where(
            model.village_id == village_id, model.action == action, model.idempotency_key == key
        )
    )


def record(
    uow,
    model,
    village_id: str,
    action: str,
    key: str | None,
    target_id: str,
    occurred_at: datetime | None,
    now: datetime,
) -> None:
    """Audit the action (in the caller's transaction) when it carries a key or a time; an action
    with neither is an ordinary one, audited by its own row."""
    if key is None and occurred_at is None:
        return
    uow.session.add(
        model(
            village_id=village_id,
            action=action,
            idempotency_key=key,
            target_id=target_id,
            occurred_at=when(occurred_at, now),
            received_at=now,
        )
    )


def once(uow, model, village_id: str, action: str, key, target_id: str, make, answer) -> dict:
    """A change of an existing thing (an order handed over, a parcel handed over) made once per
    key: a key that already acted on this target answers `answer()` (the target as it now is,
    its checks not run again: the first one passed them); otherwise `make()`, which records the
    action (`record`) in its transaction. Two at once: the second clashes on the unique key,
    rolls back and answers the first."""
    if key is not None and replayed(uow, model, village_id, action, key) == target_id:
        return answer()
    try:
        return make()
    except IntegrityError:
        if key is None:
            raise
        uow.rollback()
        if replayed(uow, model, village_id, action, key) != target_id:
            raise
        return answer()


def made_with_key(uow, model, village_id: str, action: str, key, make, answer) -> dict:
    """A new thing (a member registered) made once per key, the key kept in the audit table
    only: a key already recorded answers `answer(target id)`; otherwise `make()`, which records
    the action (`record`) in its transaction. Two at once: the second clashes on the unique key,
    rolls back and answers the first."""
    made = replayed(uow, model, village_id, action, key)
    if made is not None:
        return answer(made)
    try:
        return make()
    except IntegrityError:
        if key is None:
            raise
        uow.rollback()
        made = replayed(uow, model, village_id, action, key)
        if made is None:
            raise
        return answer(made)


def create_table() -> None:
    """The audit table, for a service's migration."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "offline_actions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_actions")),
        sa.UniqueConstraint(
            "village_id", "action", "idempotency_key", name="uq_offline_actions_key"
        ),
    )
    with op.batch_alter_table("offline_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offline_actions_target_id"), ["target_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offline_actions_received_at"), ["received_at"], unique=False
        )
