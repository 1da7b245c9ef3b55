"""Dead letters keep whole event bodies, names and addresses included (issue 21): past
MAILLAGE_DEAD_LETTER_RETENTION_DAYS they are removed, and an erasure empties the personal fields of
those naming the erased person. Against the real broker (a fresh vhost per test)."""

import json
from datetime import UTC, datetime, timedelta

import pika
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone import config
from backbone.clock import utcnow
from backbone.dead_letters import FIRST_SEEN_HEADER, DeadLetterQueue
from backbone.topology import declare_pika
from services.members import erasure
from services.members.service import MembersService

pytestmark = pytest.mark.broker

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _bury(
    amqp_uri,
    event_id,
    body,
    *,
    headers=None,
    routing_key="orders--on_member_registered",
    event_type="member.registered",
):
    """Put a message in the dead-letter queue the way our consumer does (backbone/consumer.py)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        declare_pika(channel)
        channel.confirm_delivery()
        channel.basic_publish(
            config.DEAD_LETTER_EXCHANGE,
            routing_key,
            body if isinstance(body, bytes) else json.dumps(body).encode(),
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                message_id=event_id,
                type=event_type,
                headers=headers or {},
            ),
        )
    finally:
        connection.close()


def _dead(days_ago, queue="orders--on_member_registered"):
    return {
        "x-maillage-dead-at": (NOW - timedelta(days=days_ago)).isoformat(),
        "x-maillage-queue": queue,
        "x-maillage-reason": "ValueError",
        "x-maillage-attempts": 5,
    }


def _envelope(member_id, name, occurred_days_ago=0):
    return {
        "event_id": "e",
        "type": "member.registered",
        "version": 1,
        "occurred_at": (NOW - timedelta(days=occurred_days_ago)).isoformat(),
        "payload": {"member_id": member_id, "display_name": name, "address": "4 chemin des Aulnes"},
    }


def test_dead_letters_older_than_the_retention_go_and_the_undated_are_dated_first(amqp_uri):
    _bury(amqp_uri, "old", _envelope("m1", "Ada"), headers=_dead(31))
    _bury(amqp_uri, "recent", _envelope("m2", "Bea"), headers=_dead(29))
    # unroutable (came through the alternate exchange): no header, dated by its envelope
    _bury(
        amqp_uri,
        "stray",
        _envelope("m3", "Cy", occurred_days_ago=40),
        routing_key="member.retired",
        event_type=None,
    )
    _bury(amqp_uri, "undated", b"not json at all")
    queue = DeadLetterQueue(amqp_uri)

    assert queue.purge(NOW, 30) == 2
    left = {letter.event_id: letter for letter in queue.list()}
    assert sorted(left) == ["recent", "undated"]
    assert left["undated"].headers[FIRST_SEEN_HEADER] == NOW.isoformat()

    assert queue.purge(NOW + timedelta(days=29), 30) == 1, "the recent one reaches its 30 days"
    assert queue.purge(NOW + timedelta(days=29), 30) == 0, (
        "the undated one counts from when it was seen"
    )
    assert queue.purge(NOW + timedelta(days=31), 30) == 1
    assert queue.list() == []


def test_a_scrub_empties_the_personal_fields_of_the_letters_naming_the_person_only(amqp_uri):
    _bury(amqp_uri, "hers", _envelope("m1", "Ada Lovelace"), headers=_dead(1))
    _bury(amqp_uri, "his", _envelope("m2", "Blaise Pascal"), headers=_dead(1))
    _bury(
        amqp_uri,
        "stray",
        _envelope("m1", "Ada Lovelace"),
        routing_key="member.retired",
        event_type=None,
    )
    queue = DeadLetterQueue(amqp_uri)

    assert queue.scrub(["m1"]) == 2
    letters = {letter.event_id: letter for letter in queue.list()}
    assert sorted(letters) == ["hers", "his", "stray"]
    for event_id in ("hers", "stray"):
        body = json.loads(letters[event_id].body)
        assert body["payload"] == {"member_id": "m1", "display_name": None, "address": None}
        assert b"Ada" not in letters[event_id].body and b"Aulnes" not in letters[event_id].body
    assert json.loads(letters["his"].body)["payload"]["display_name"] == "Blaise Pascal"
    # still an operator's dead letter: where it failed, why, and what nobody subscribed to
    assert letters["hers"].origin_queue == "orders--on_member_registered"
    assert letters["hers"].reason == "ValueError" and letters["hers"].attempts == 5
    assert letters["stray"].reason == "unroutable: no queue subscribes to member.retired"
    assert queue.scrub(["m1"]) == 0, "scrubbing twice changes nothing"


@pytest.fixture
def members(container_factory, nameko_config, service_db):
    database = service_db("members")
    container_factory(MembersService, nameko_config).start()
    with ServiceRpcProxy("members", nameko_config, timeout=10) as proxy:
        village = proxy.open_village(
            {
                "slug": "peyrelevade",
                "name": "Peyrelevade",
                "commune": "Peyrelevade",
                "insee_code": "19164",
                "postcode": "19290",
                "kind": "fixed",
                "population": 800,
            }
        )
        yield proxy, database, village["id"]


def test_erasing_a_member_scrubs_the_dead_letters_naming_them_and_the_sweep_purges(
    members, amqp_uri, monkeypatch
):
    rpc, database, village_id = members
    person = rpc.register_member(
        {
            "village_id": village_id,
            "first_name": "Hélène",
            "last_name": "Vasseur",
            "phone": "05 55 12 34 56",
        }
    )
    _bury(
        amqp_uri,
        "hers",
        _envelope(person["id"], "Hélène Vasseur"),
        headers={**_dead(0), "x-maillage-dead-at": utcnow().isoformat()},
    )
    rpc.erase_member(village_id, person["id"])
    [letter] = DeadLetterQueue(amqp_uri).list()
    assert (
        "Vasseur" not in letter.body.decode()
        and json.loads(letter.body)["payload"]["member_id"] == person["id"]
    )

    # a letter naming her that died after the erasure is caught by the sweep, and old ones go
    monkeypatch.setenv("MAILLAGE_DEAD_LETTER_RETENTION_DAYS", "30")
    _bury(
        amqp_uri,
        "late",
        _envelope(person["id"], "Hélène Vasseur"),
        headers={**_dead(0), "x-maillage-dead-at": utcnow().isoformat()},
    )
    _bury(
        amqp_uri,
        "old",
        _envelope("someone", "Zoé"),
        headers={**_dead(0), "x-maillage-dead-at": (utcnow() - timedelta(days=31)).isoformat()},
    )
    with database.unit_of_work() as uow:
        assert erasure.sweep_dead_letters(uow, utcnow()) == {"purged": 1, "scrubbed": 1}
    letters = DeadLetterQueue(amqp_uri).list()
    assert sorted(letter.event_id for letter in letters) == ["hers", "late"]
    assert all("Vasseur" not in letter.body.decode() for letter in letters)
