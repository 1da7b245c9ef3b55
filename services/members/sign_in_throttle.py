"""Failed sign-ins counted per e-mail and per client address, in the members database (it
survives a restart, and every gateway and members replica sees the same counts).

After LIMIT failures of an e-mail (whether an account has it or not) the next attempt is refused
for 1 s, then 2 s, 4 s… up to 15 min; an address, shared by a village's counter, gets
ADDRESS_LIMIT failures first. A success forgets the e-mail's failures (not the address's: signing
into one's own account must not buy more guesses at others'). Failures older than FORGET_AFTER
start afresh."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, select

from backbone import config
from backbone.clock import utcnow
from backbone.errors import TooManyAttempts
from services.members.models import SignInThrottle

LIMIT = 5
ADDRESS_LIMIT = (
    20  # MAILLAGE_SIGNIN_ADDRESS_LIMIT: a large counter behind one address may need more
)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)


def keys_for(email: str, client_address: str | None) -> list[str]:
    keys = ["account:" + email.strip().lower()[:280]]
    if client_address:
        keys.append("address:" + client_address[:280])
    return keys


def _limit(key: str) -> int:
    if key.startswith("account:"):
        return LIMIT
    return config.value("MAILLAGE_SIGNIN_ADDRESS_LIMIT") or ADDRESS_LIMIT


def refuse_if_locked(uow, keys: list[str]) -> None:
    now = utcnow()
    until = uow.session.scalars(
        select(SignInThrottle.locked_until).where(
            SignInThrottle.key.in_(keys), SignInThrottle.locked_until > now
        )
    ).all()
    if until:
        raise TooManyAttempts(max(1, math.ceil((max(until) - now).total_seconds())))


def record_failure(uow, keys: list[str]) -> None:
    now = utcnow()
    for key in keys:
        # the row exists first, then is locked: concurrent failures (other replicas) all count
        uow.session.execute(
            uow.insert(SignInThrottle)
            .values(key=key, failures=0, last_failure_at=now)
            .on_conflict_do_nothing()
        )
        row = uow.session.scalar(
            select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
        )
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        beyond = row.failures - _limit(key)
        if beyond >= 0:
            row.locked_until = now + min(timedelta(seconds=2 ** min(beyond, 20)), MAX_LOCK)


def forget(uow, key: str) -> None:
    uow.session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
