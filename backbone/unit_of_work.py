"""A unit of work: one transaction holding a change, the events it causes and the inbox record.

    with db.unit_of_work() as uow:
        uow.session.add(...)
        uow.record_event("village.opened", payload, village_id=...)
        uow.commit()

Nothing is written unless `commit()` is called; events reach the broker only through the outbox
relay. An event handler's unit of work also holds the event's inbox record (`claim`, `claim_many`),
which `@consume_event` writes before calling the handler (backbone/consumer.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from backbone.clock import utcnow
from backbone.contracts import build_envelope
from backbone.errors import CallerGaveUp
from backbone.tables import InboxEntry, OutboxEvent

log = logging.getLogger(__name__)

_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker,
        *,
        source: str,
        correlation_id: str | None = None,
        after_events_committed: Callable[[list[tuple]], None] | None = None,
        deadline: float | None = None,
    ):
        self._session_factory = session_factory
        self.source = source
        self.correlation_id = correlation_id
        self.session: Session | None = None
        # called after a commit that wrote events, with their rows (the in-process relay's nudge:
        # id, event_id, type, village_id, body); never fails a commit
        self._after_events_committed = after_events_committed
        # the outbox rows recorded since the last commit or rollback, written at the commit
        self._outbox: list[dict] = []
        # work done for an RPC call: the time (epoch seconds) after which its caller no longer waits
        # (backbone/rpc.py); a commit later than that is refused, so that what the caller was told
        # ("the service did not answer") stays true
        self.deadline = deadline

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._outbox = []
        return self

    def __exit__(self, *exc_info):
        self.close()

    def record_event(
        self, type: str, payload: dict, *, village_id: str | None, version: int | None = None
    ) -> dict:
        """Validate the event against its contract and add it to the outbox in this transaction
        (the row is written by `commit`, before the transaction's end)."""
        envelope = build_envelope(
            type,
            payload,
            village_id=village_id,
            source=self.source,
            version=version,
            correlation_id=self.correlation_id,
        )
        self._outbox.append(
            {
                "event_id": envelope["event_id"],
                "type": envelope["type"],
                "version": envelope["version"],
                "village_id": envelope["village_id"],
                "body": json.dumps(envelope, separators=(",", ":")),
                "created_at": utcnow(),
            }
        )
        return envelope

    def _write_outbox(self) -> list[tuple]:
        """The rows recorded since the last commit, written in one INSERT (issue #30: the ORM's
        flush of two rows was a seventh of an order's CPU in the orders service); their (id,
        event_id, type, village_id, body) in the order recorded."""
        rows, self._outbox = self._outbox, []
        if not rows:
            return []
        table = OutboxEvent.__table__
        ids = self.session.scalars(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
        ).all()
        return [
            (row_id, row["event_id"], row["type"], row["village_id"], row["body"])
            for row_id, row in zip(ids, rows, strict=True)
        ]

    def insert(self, model):
        """`INSERT` for this database's dialect (PostgreSQL or SQLite),
        which knows `ON CONFLICT`."""
        return _INSERTS[self.session.get_bind().dialect.name](model)

    def claim(self, consumer: str, envelope: dict) -> bool:
        """True the first time `consumer` sees this event; False for a duplicate delivery.

        One `INSERT … ON CONFLICT DO NOTHING`: on PostgreSQL a concurrent duplicate (another
        replica) waits for the first transaction, then finds the row and is told False.
        """
        result = self.session.execute(
            self.insert(InboxEntry)
            .values(
                consumer=consumer,
                event_id=envelope["event_id"],
                event_type=envelope["type"],
                processed_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        return result.rowcount == 1

    def claim_many(self, consumer: str, envelopes: list[dict]) -> list[dict]:
        """The events of `envelopes` that `consumer` sees for the first time, in their order (a
        batch's `claim`: one `INSERT … ON CONFLICT DO NOTHING RETURNING` for all of them)."""
        unique = list(
            {envelope["event_id"]: envelope for envelope in envelopes}.values()
        )  # keys keep first places
        if not unique:
            return []
        now = utcnow()
        # executemany (one cached statement, sent as one INSERT by insertmanyvalues), not a VALUES
        # list whose length would make a new statement to compile for every size of batch
        claimed = set(
            self.session.scalars(
                self.insert(InboxEntry.__table__)
                .on_conflict_do_nothing()
                .returning(InboxEntry.event_id),
                [
                    {
                        "consumer": consumer,
                        "event_id": envelope["event_id"],
                        "event_type": envelope["type"],
                        "processed_at": now,
                    }
                    for envelope in unique
                ],
            )
        )
        return [envelope for envelope in unique if envelope["event_id"] in claimed]

    def keep_latest(
        self, model, values: dict | list[dict], *, key: str, stamp: str = "changed_at"
    ) -> None:
        """Upsert rows of a read model (one dict, or a batch's list of dicts with the same names),
        keeping whichever version of each row is newest by `stamp`.

        One `INSERT … ON CONFLICT DO UPDATE … WHERE older`: a duplicate or a late older
        event changes nothing, and two changes handled at once cannot leave the older one
        (a read-then-write could, on PostgreSQL). Within a batch, the newest version of
        each row is the one sent."""
        newest: dict = {}
        for row in [values] if isinstance(values, dict) else values:
            if row[key] not in newest or newest[row[key]][stamp] < row[stamp]:
                newest[row[key]] = row
        if not newest:
            return
        rows = list(newest.values())
        table = model.__table__
        statement = self.insert(table)
        # executemany (one cached statement, sent as one INSERT by insertmanyvalues), as
        # `claim_many`: a VALUES list made a new statement to compile for every size of batch
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c[key]],
                set_={name: statement.excluded[name] for name in rows[0] if name != key},
                where=table.c[stamp] < statement.excluded[stamp],
            ),
            rows,
        )

    def ensure_row(self, model, values: dict):
        """The row of `model` whose primary key is in `values`, created from `values` when missing,
        locked for this transaction (PostgreSQL).

        One `INSERT … ON CONFLICT DO NOTHING` first: when two consumers create the same row at once
        (two events about one thing, handled in parallel), the second waits for the first and then
        reads its row, instead of failing on the key and being retried after a pause."""
        self.session.execute(self.insert(model).values(**values).on_conflict_do_nothing())
        key = tuple(values[column.name] for column in model.__table__.primary_key.columns)
        return self.session.get(
            model, key if len(key) > 1 else key[0], populate_existing=True, with_for_update=True
        )

    def commit(self) -> None:
        if self.deadline is not None and time.time() > self.deadline:
            late_by = time.time() - self.deadline
            self.rollback()
            log.warning(
                "%s: not committed, the caller stopped waiting %.2f s ago", self.source, late_by
            )
            raise CallerGaveUp(late_by)
        committed = self._write_outbox()
        self.session.commit()
        if self._after_events_committed is None or not committed:
            return
        try:
            self._after_events_committed(committed)
        except Exception:  # noqa: BLE001  the events are committed: the relay's poll still finds them
            log.warning("could not nudge the outbox relay", exc_info=True)

    def rollback(self) -> None:
        self._outbox = []
        if self.session is not None:
            self.session.rollback()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()  # rolls back whatever was not committed
            self.session = None
