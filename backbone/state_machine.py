"""Guarded state machines: one way to say which status may follow which, and to move along it.

A model with a lifecycle (an order, a help request, a village, a suggestion) declares its own
`Lifecycle`: the table of allowed moves, the Conflict's reason code when a move is refused and the
time stamp each status sets. Its `move_to(status, now)` moves through `Lifecycle.move` and returns
the events the move causes; the service layer records them in its unit of work:

    record_events(uow, order.move_to("ready", now))

No domain rule lives here: the tables and the events are the models'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from backbone.errors import Conflict


class Event(NamedTuple):
    """An event a change causes, to be recorded in the outbox of the same unit of work."""

    type: str
    payload: dict
    village_id: str | None


@dataclasses.dataclass(frozen=True)
class Lifecycle:
    """The statuses of one kind of entity and which may follow which.

    `transitions` maps each status to the statuses it may move to (a final one to none); `reason`
    is the code of the Conflict that refuses any other move (the gateway words it by that code);
    `field` is the input field the refusal names, if any; `stamps` maps a status to the attribute
    set to the move's instant when it is reached."""

    reason: str
    transitions: Mapping[str, tuple[str, ...]]
    field: str | None = None
    stamps: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    def allowed(self, status: str) -> tuple[str, ...]:
        return tuple(self.transitions.get(status, ()))

    def check(self, current: str, to: str) -> None:
        """A Conflict naming the current, requested and allowed statuses unless `to` may follow
        `current`."""
        if to not in self.allowed(current):
            raise Conflict(
                self.reason,
                field=self.field,
                details={
                    "current": current,
                    "requested": to,
                    "allowed": list(self.allowed(current)),
                },
            )

    def move(self, entity, to: str, now: datetime) -> str:
        """Check the move, set `entity.status` (and the time stamp of `to`, if it has one) and
        return the status it left. A refused move changes nothing."""
        current = entity.status
        self.check(current, to)
        entity.status = to
        if to in self.stamps:
            setattr(entity, self.stamps[to], now)
        return current


def record_events(uow, events: Iterable[Event]) -> None:
    """Add `events` to the outbox of `uow`, in their order, in its transaction."""
    for event in events:
        uow.record_event(event.type, event.payload, village_id=event.village_id)
