"""A write at the counter sent twice with the same idempotency key (a double click, a retry after an
answer that never came) answers what the first one made, never a second one. The key is unique per
village in the written table (`uq_<table>_idempotency`).

The key is looked up only when the write cannot be made: its checks fail (a key sent again answers
what it made even once the checks no longer pass: a retry after the cut-off, a member since erased)
or the unique key clashes (the same key committed by a concurrent request). A new write saves that
statement."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backbone.errors import InvalidInput


def made_once(
    uow,
    model,
    village_id: str,
    key: str | None,
    make: Callable[[], dict],
    answer: Callable[[str], dict],
) -> dict:
    """`make()` the write and answer it; if it cannot be made and `key` already made a row of
    `model` in this village, `answer(its id)` instead."""
    try:
        return make()
    except (InvalidInput, IntegrityError):
        if key is None:
            raise
        uow.rollback()
        existing = _existing(uow, model, village_id, key)
        if existing is None:
            raise
        return answer(existing)


def _existing(uow, model, village_id: str, key: str) -> str | None:
    """The id of the row of `model` this key already made in this village, if any."""
    return uow.session.scalar(
        select(model.id).where(model.village_id == village_id, model.idempotency_key == key)
    )
