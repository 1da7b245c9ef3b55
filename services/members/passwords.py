"""Password hashing (argon2) off the service's event loop.

One argon2 check costs ~160 ms of CPU and 64 MiB. Run inside the eventlet hub, it stops every other
call of the members service for that long: a few anonymous sign-ins a second would stall the whole
service. Each hash or check runs in eventlet's pool of OS threads (argon2-cffi releases the GIL
while it works), and at most MAILLAGE_HASH_CONCURRENCY of them at once (default 2) so that a burst
of sign-ins queues here instead of taking 64 MiB each; the green threads waiting for a slot cost
nothing to the other calls."""
from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool
from eventlet.semaphore import Semaphore

_hasher = PasswordHasher()
_slots = Semaphore(max(1, int(os.environ.get("MAILLAGE_HASH_CONCURRENCY", "2"))))


def _off_loop(function, *args):
    with _slots:
        return tpool.execute(function, *args)


def hash_password(password: str) -> str:
    return _off_loop(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    return _off_loop(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# checked against when the e-mail is unknown, so both failures take the same time
DUMMY_HASH = _hasher.hash("not-a-real-password")
