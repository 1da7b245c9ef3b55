"""Sign-in protection, on a real members service (real broker, SQLite and PostgreSQL): failed
attempts counted per e-mail and per address in the members database, growing locks answered as
TooManyAttempts (the same whether the account exists or not), a success forgetting the e-mail's
failures; and argon2 run off the event loop, so wrong sign-ins do not hold up other calls."""

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.errors import AuthenticationFailed, TooManyAttempts
from services.members import accounts, passwords, sign_in_throttle
from services.members.models import SignInThrottle
from services.members.service import MembersService

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

EMAIL, PASSWORD = "lucie@maillage.test", "le-bon-mot-de-passe"


@pytest.fixture
def members(container_factory, nameko_config, service_db):
    database = service_db("members")
    container_factory(MembersService, nameko_config).start()
    with ServiceRpcProxy("members", nameko_config, timeout=30) as proxy:
        proxy.create_staff_account(
            {
                "email": EMAIL,
                "full_name": "Lucie Martin",
                "password": PASSWORD,
                "role": "coordinator",
            }
        )
        yield proxy, database, nameko_config


def _fail(rpc, email, times, address=None):
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            rpc.authenticate({"email": email, "password": "pas-le-bon", "client_address": address})


def _unlock(database, key):
    """Time passing: the lock ends (the failures stay counted)."""
    with database.unit_of_work() as uow:
        row = uow.session.get(SignInThrottle, key)
        row.locked_until = row.last_failure_at
        uow.commit()


def _lock_seconds(database, key) -> float:
    with database.unit_of_work() as uow:
        row = uow.session.get(SignInThrottle, key)
        return round((row.locked_until - row.last_failure_at).total_seconds())


@pytest.mark.parametrize("email", [EMAIL, "personne@maillage.test"], ids=["known", "unknown"])
def test_five_failures_lock_the_email_even_with_the_right_password_and_the_same_for_unknown_ones(
    members, email
):
    rpc, database, _ = members
    _fail(rpc, email, 5)
    with pytest.raises(TooManyAttempts) as refused:
        rpc.authenticate({"email": email, "password": PASSWORD})
    assert 1 <= refused.value.retry_after <= 1


def test_the_lock_grows_1_2_4_seconds_and_stops_at_15_minutes(members):
    rpc, database, _ = members
    key = "account:" + EMAIL
    _fail(rpc, EMAIL, 5)
    seen = [_lock_seconds(database, key)]
    for _ in range(3):
        _unlock(database, key)
        _fail(rpc, EMAIL, 1)
        seen.append(_lock_seconds(database, key))
    assert seen == [1, 2, 4, 8]
    with database.unit_of_work() as uow:
        uow.session.get(SignInThrottle, key).failures = 40
        uow.commit()
    _unlock(database, key)
    _fail(rpc, EMAIL, 1)
    assert _lock_seconds(database, key) == 15 * 60


def test_a_success_forgets_the_emails_failures(members):
    rpc, database, _ = members
    _fail(rpc, EMAIL, 4)
    assert rpc.authenticate({"email": EMAIL, "password": PASSWORD})["email"] == EMAIL
    _fail(rpc, EMAIL, 4)  # four more are again only wrong passwords, not a lock
    assert rpc.authenticate({"email": EMAIL, "password": PASSWORD})["email"] == EMAIL


def test_one_address_trying_many_emails_is_locked_too(members):
    rpc, database, _ = members
    for number in range(sign_in_throttle.ADDRESS_LIMIT):
        _fail(rpc, f"essai{number}@maillage.test", 1, address="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        rpc.authenticate({"email": EMAIL, "password": PASSWORD, "client_address": "203.0.113.9"})
    # another address is not held back by it
    assert rpc.authenticate(
        {"email": EMAIL, "password": PASSWORD, "client_address": "198.51.100.4"}
    )


def test_the_counts_are_kept_in_the_members_database(members):
    """Where they survive a restart and every replica of the gateway and of members sees them."""
    rpc, database, _ = members
    _fail(rpc, EMAIL, 2, address="203.0.113.9")
    with database.unit_of_work() as uow:
        rows = {row.key: row.failures for row in uow.session.scalars(select(SignInThrottle))}
    assert rows == {"account:" + EMAIL: 2, "address:203.0.113.9": 2}


@pytest.fixture
def standard_cost(monkeypatch):
    """argon2 at its production cost (the suite hashes lightly: tests/conftest.py), for the tests
    of what a check's real cost does to the service. A check takes its cost from the hash it
    checks: the unknown e-mails' stand-in hash is made again at that cost."""
    hasher = passwords.PasswordHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(accounts, "DUMMY_HASH", hasher.hash("not-a-real-password"))


def test_wrong_sign_ins_do_not_hold_up_the_other_calls(standard_cost, members):
    """Six wrong sign-ins at once (argon2 each, ~160 ms of CPU), then a cheap call: it is answered
    while most of the sign-ins are still being checked, not after them."""
    rpc, database, config = members
    finished = []
    proxies = [ServiceRpcProxy("members", config, timeout=60) for _ in range(6)]
    # connected beforehand: the six requests then leave together
    threads = [
        eventlet.spawn(_sign_in_with, proxy.start(), number, finished)
        for number, proxy in enumerate(proxies)
    ]
    eventlet.sleep(0.05)  # the six requests are in the service's hands
    rpc.list_villages(None)
    finished.append("cheap call")
    for thread in threads:
        thread.wait()
    for proxy in proxies:
        proxy.stop()
    assert len(finished) == 7
    assert finished.index("cheap call") <= 3, finished


def _sign_in_with(proxy, number, finished):
    try:
        proxy.authenticate({"email": f"inconnu{number}@maillage.test", "password": "faux"})
    except AuthenticationFailed:
        finished.append(f"sign-in {number}")
    except TooManyAttempts:  # beyond MAILLAGE_HASH_QUEUE waiting: told at once to come back
        finished.append(f"sign-in {number} refused")


def test_a_flood_of_sign_ins_is_told_to_come_back_instead_of_queueing_for_the_cpu(
    standard_cost, members
):
    """Twelve at once: a few are checked, the others answered at once "try again in a second"
    (they would otherwise hold the service's workers for seconds, and the gateway's)."""
    rpc, database, config = members
    answers = []

    def sign_in(proxy, number):
        try:
            proxy.authenticate({"email": f"inconnu{number}@maillage.test", "password": "faux"})
        except AuthenticationFailed:
            answers.append("checked")
        except TooManyAttempts as refused:
            answers.append(("come back", refused.retry_after))

    proxies = [ServiceRpcProxy("members", config, timeout=60) for _ in range(12)]
    threads = [
        eventlet.spawn(sign_in, proxy.start(), number) for number, proxy in enumerate(proxies)
    ]
    for thread in threads:
        thread.wait()
    for proxy in proxies:
        proxy.stop()
    assert len(answers) == 12
    assert answers.count("checked") >= 2
    assert ("come back", 1) in answers, answers
