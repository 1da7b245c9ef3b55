"""Password hashing (argon2) off the service's event loop, and never a backlog of it.

One argon2 check costs ~160 ms of CPU and 64 MiB (MAILLAGE_PASSWORD_HASHING=standard). Run inside
the eventlet hub, it stops every other call of the members service for that long: a few anonymous
sign-ins a second would stall the whole service. Each hash or check runs in eventlet's pool of OS
threads (argon2-cffi releases the GIL while it works), at most MAILLAGE_HASH_CONCURRENCY of them at
once (default: half the cores, at least one) so that a burst neither takes 64 MiB each nor every
core from the service's other calls (bench/signin.py on 2 cores: with two at once the members
search's p95 rose to 114 ms under 20 wrong sign-ins a second; with one, 37 ms).

A sign-in that would wait behind more than MAILLAGE_HASH_QUEUE others (default 4) is refused at once
(`HashingBusy`, told to the caller as "try again in a second") instead of waiting: waiting, it would
hold one of the service's workers (max_workers) and the gateway's, and a flood of sign-ins faster
than the CPU can check them would fill both, leaving none for the counter's calls."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool
from eventlet.semaphore import Semaphore

from backbone import config

# argon2-cffi's defaults are RFC 9106's second recommendation; "light" only makes the test suite's
# thousands of sign-ins cheap on a 2-core machine (production refuses it: backbone/config.py)
_COSTS = {"standard": {}, "light": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}
_hasher = PasswordHasher(**_COSTS[config.value("MAILLAGE_PASSWORD_HASHING")])
_slots = Semaphore(max(1, config.value("MAILLAGE_HASH_CONCURRENCY") or (os.cpu_count() or 2) // 2))
_MAX_WAITING = config.value("MAILLAGE_HASH_QUEUE")
_waiting = 0


class HashingBusy(Exception):
    """Too many password checks already waiting for the CPU."""


def _off_loop(function, *args, shed: bool = False):
    global _waiting
    if shed and _slots.locked() and _waiting >= _MAX_WAITING:
        raise HashingBusy()
    _waiting += 1
    try:
        _slots.acquire()
    finally:
        _waiting -= 1
    try:
        return tpool.execute(function, *args)
    finally:
        _slots.release()


def hash_password(password: str) -> str:
    return _off_loop(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str, *, shed: bool = False) -> bool:
    """`shed`: an anonymous caller's check, refused with HashingBusy rather than queued long."""
    return _off_loop(_verify, password_hash, password, shed=shed)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# checked against when the e-mail is unknown, so both failures take the same time
DUMMY_HASH = _hasher.hash("not-a-real-password")
