"""A unit of work in memory, to test a service's rules without a database.

    uow = FakeUnitOfWork("orders", [order, member])
    ordering.cancel(uow, order.id, load(ReasonInput(), {"reason": "Plus besoin"}), None, now)
    assert uow.committed_events == [("order.cancelled", {...})]

It holds the rows it was given or that were added, and the events recorded (checked against their
contracts, as the real `UnitOfWork` does). Its session answers `get` by primary key and a `select`
of one model filtered by `==`, `!=`, `in_` and `is_` on its columns, joined by `and_`; locks and
ordering are ignored (rows come in the order they were added), and anything else is refused by
name, so a test never passes on a query the fake only pretended to run.

There is no transaction: rows change at once and stay changed. Events are kept apart until
`commit()`, and a rollback drops those not committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from sqlalchemy import inspect
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    False_,
    Null,
    True_,
)

from backbone.contracts import build_envelope

_CONSTANTS = {Null: None, True_: True, False_: False}
_COMPARISONS = {
    operators.eq: lambda value, wanted: value == wanted,
    operators.ne: lambda value, wanted: value != wanted,
    operators.in_op: lambda value, wanted: value in wanted,
    operators.not_in_op: lambda value, wanted: value not in wanted,
    operators.is_: lambda value, wanted: value is wanted,
    operators.is_not: lambda value, wanted: value is not wanted,
}


class FakeResult:
    def __init__(self, rows: list):
        self._rows = rows

    def __iter__(self):
        return iter(self._rows)

    def all(self) -> list:
        return list(self._rows)

    def first(self):
        return self._rows[0] if self._rows else None

    def one(self):
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, found {len(self._rows)}")
        return self._rows[0]


class FakeSession:
    """The part of a SQLAlchemy session the service layers' rules use, over a list of rows."""

    def __init__(self, rows: Iterable = ()):
        self.rows: list = []
        self.deleted: list = []
        self._new: list = []  # added since the last flush: their defaults are still to fill
        self.add_all(rows)
        self.flush()

    def add(self, row) -> None:
        if not any(existing is row for existing in self.rows):
            self.rows.append(row)
            self._new.append(row)

    def add_all(self, rows: Iterable) -> None:
        for row in rows:
            self.add(row)

    def delete(self, row) -> None:
        self.rows = [existing for existing in self.rows if existing is not row]
        self.deleted.append(row)

    def flush(self) -> None:
        """Fill what the database would at the INSERT: the columns' defaults left unset (a new
        id, a status to begin with)."""
        new, self._new = self._new, []
        for row in new:
            for column in inspect(type(row)).columns:
                if column.default is None or getattr(row, column.key, None) is not None:
                    continue
                if column.default.is_callable:
                    setattr(row, column.key, column.default.arg(None))
                elif column.default.is_scalar:
                    setattr(row, column.key, column.default.arg)

    def commit(self) -> None:
        self.flush()

    def rollback(self) -> None:
        """Rows are not restored: see the module's note."""

    def close(self) -> None:
        """Nothing to release."""

    def get(self, model, key, **_lock):
        self.flush()
        keys = key if isinstance(key, tuple) else (key,)
        primary_key = inspect(model).primary_key
        for row in self._of(model):
            if tuple(getattr(row, column.key) for column in primary_key) == keys:
                return row
        return None

    def scalars(self, statement, *_parameters) -> FakeResult:
        descriptions = statement.column_descriptions
        if len(descriptions) != 1 or descriptions[0]["entity"] is None:
            raise NotImplementedError(f"FakeSession selects one model at a time: {statement}")
        self.flush()  # autoflush, as a session does before a query
        model = descriptions[0]["entity"]
        if descriptions[0]["expr"] is not model:
            raise NotImplementedError(f"FakeSession selects whole rows only: {statement}")
        where = statement.whereclause
        return FakeResult([row for row in self._of(model) if where is None or _holds(where, row)])

    def scalar(self, statement, *_parameters):
        self.flush()
        return self.scalars(statement).first()

    def execute(self, statement, *args, **kwargs):
        raise NotImplementedError(f"FakeSession does not execute statements: {statement}")

    def _of(self, model) -> list:
        return [row for row in self.rows if isinstance(row, model)]


def _holds(clause, row) -> bool:
    """Whether `row` meets `clause`, for the few shapes of WHERE the fake answers."""
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        return all(_holds(part, row) for part in clause.clauses)
    if isinstance(clause, BinaryExpression) and clause.operator in _COMPARISONS:
        column, wanted = clause.left, clause.right
        if isinstance(wanted, BindParameter):
            wanted = wanted.effective_value
        elif type(wanted) in _CONSTANTS:
            wanted = _CONSTANTS[type(wanted)]
        else:
            raise NotImplementedError(f"FakeSession compares columns with values only: {clause}")
        return _COMPARISONS[clause.operator](getattr(row, column.key), wanted)
    raise NotImplementedError(f"FakeSession cannot filter on: {clause}")


class FakeUnitOfWork:
    """A stand-in for `backbone.unit_of_work.UnitOfWork` (see the module's note)."""

    def __init__(self, source: str = "tests", rows: Iterable = ()):
        self.source = source
        self.correlation_id = None
        self.deadline = None
        self.session = FakeSession(rows)
        self.committed: list[dict] = []  # the envelopes of the committed events, in their order
        self.commits = 0
        self._pending: list[dict] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info):
        self.rollback()

    def record_event(
        self, type: str, payload: dict, *, village_id: str | None, version: int | None = None
    ) -> dict:
        envelope = build_envelope(
            type,
            payload,
            village_id=village_id,
            source=self.source,
            version=version,
            correlation_id=self.correlation_id,
        )
        self._pending.append(envelope)
        return envelope

    def commit(self) -> None:
        self.session.commit()
        self.committed.extend(self._pending)
        self._pending = []
        self.commits += 1

    def rollback(self) -> None:
        self._pending = []
        self.session.rollback()

    @property
    def pending_events(self) -> list[tuple[str, dict]]:
        """(type, payload as written) of the events recorded since the last commit."""
        return [(envelope["type"], envelope["payload"]) for envelope in self._pending]

    @property
    def committed_events(self) -> list[tuple[str, dict]]:
        """(type, payload as written) of the committed events, in their order."""
        return [(envelope["type"], envelope["payload"]) for envelope in self.committed]
