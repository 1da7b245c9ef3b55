"""The end of a partnership through the running gateway and partners service, on the real broker and
its management API (SQLite and PostgreSQL): the partner's AMQP feed (its broker user, its feed queue
and a queue it declared itself) is gone after the removal and its open connection closed; with the
management API away the removal still stands and the service's timer deletes the feed once it
answers; the route wants a French reason, answers a second call the same, and an ended partner is
refused (401 for its key, 409 in French for new offers) and listed only when asked."""

import socket
import uuid

import pika
import pytest
import requests
from nameko.testing.services import entrypoint_hook

from gateway import auth
from services.partners import feed
from services.partners.models import Partner
from services.partners.service import PartnersService
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_HOST, RABBIT_MANAGEMENT

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def api(partners_api, amqp_uri, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "removal-test")
    started = partners_api("Ferme du Plateau")
    ((partner_id, key),) = started.partners
    yield {
        "base": started.base,
        "db": started.db,
        "partner_id": partner_id,
        "village_id": started.village_id,
        "key": {"X-API-Key": key},
        "coordinator": {"Authorization": "Bearer " + started.coordinator},
        "vhost": amqp_uri.rsplit("/", 1)[1],
        "partners": started.containers[PartnersService],
    }
    requests.delete(
        f"{RABBIT_MANAGEMENT}/users/{feed.username(partner_id)}", auth=RABBIT_AUTH, timeout=10
    )


def open_feed(api):
    """The partner opens its feed (over the API, by key) and connects: consuming its feed queue and
    a queue it declared itself."""
    account = requests.post(
        api["base"] + "/api/partner/feed", headers=api["key"], json={}, timeout=30
    )
    assert account.status_code == 201, account.text
    account = account.json()
    connection = pika.BlockingConnection(
        pika.URLParameters(
            f"amqp://{account['username']}:{account['password']}@{RABBIT_HOST}:5672/{api['vhost']}"
        )
    )
    channel = connection.channel()
    spare = f"partner-{api['partner_id']}.spare"
    channel.queue_declare(spare, durable=True)
    channel.basic_consume(account["queue"], lambda *_: None)
    return account, connection, spare


def broker_has(api, what: str, name: str) -> bool:
    path = (
        f"users/{name}"
        if what == "user"
        else f"queues/{api['vhost']}/{requests.utils.quote(name, safe='')}"
    )
    return (
        requests.get(f"{RABBIT_MANAGEMENT}/{path}", auth=RABBIT_AUTH, timeout=10).status_code == 200
    )


def remove(api, reason="Fin du contrat d'approvisionnement", headers=None):
    return requests.post(
        f"{api['base']}/api/partners/{api['partner_id']}/removal",
        headers=api["coordinator"] if headers is None else headers,
        json={"reason": reason},
        timeout=60,
    )


def feed_gone(api, account, spare) -> bool:
    return not any(
        (
            broker_has(api, "user", account["username"]),
            broker_has(api, "queue", account["queue"]),
            broker_has(api, "queue", spare),
        )
    )


def test_a_removal_deletes_the_partners_broker_user_and_queues(api):
    account, connection, spare = open_feed(api)
    assert broker_has(api, "user", account["username"]) and broker_has(api, "queue", spare)
    removed = remove(api)
    assert removed.status_code == 200, removed.text
    assert removed.json()["feed_deleted"] is True and removed.json()["api_keys_revoked"] == 1
    assert feed_gone(api, account, spare)
    with pytest.raises(
        pika.exceptions.ConnectionClosedByBroker
    ) as closed:  # its open connection is closed
        connection.process_data_events(time_limit=2)
    assert closed.value.reply_code == 320
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):  # and it cannot come back
        pika.BlockingConnection(
            pika.URLParameters(
                f"amqp://{account['username']}:{account['password']}@{RABBIT_HOST}:5672/{api['vhost']}"
            )
        )
    with api["db"].unit_of_work() as uow:
        assert uow.session.get(Partner, api["partner_id"]).feed_deleted_at is not None


def test_with_the_management_api_away_the_removal_stands_and_the_timer_deletes_the_feed_later(
    api, monkeypatch
):
    account, connection, spare = open_feed(api)
    connection.close()
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", f"http://127.0.0.1:{free_port()}/api")
    removed = remove(api)
    assert removed.status_code == 200, removed.text
    assert (
        removed.json()["feed_deleted"] is False
        and removed.json()["end_reason"] == "Fin du contrat d'approvisionnement"
    )
    assert (
        requests.get(api["base"] + "/api/partner/me", headers=api["key"], timeout=30).status_code
        == 401
    )
    assert broker_has(api, "user", account["username"]), "nothing could reach the broker"
    with entrypoint_hook(
        api["partners"], "delete_ended_feeds"
    ) as timer:  # still away: kept for later
        timer()
    assert broker_has(api, "user", account["username"])
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", RABBIT_MANAGEMENT)  # it answers again
    with entrypoint_hook(api["partners"], "delete_ended_feeds") as timer:
        timer()
    assert feed_gone(api, account, spare)
    with api["db"].unit_of_work() as uow:
        assert uow.session.get(Partner, api["partner_id"]).feed_deleted_at is not None


def test_only_the_coordinator_removes_a_partner(api):
    concierge = {
        "Authorization": "Bearer "
        + auth.issue_token(
            {
                "id": str(uuid.uuid4()),
                "role": "concierge",
                "full_name": "Lucie",
                "village_id": api["village_id"],
            }
        )
    }
    for headers in (concierge, api["key"]):  # the partner itself neither
        refused = remove(api, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_forbidden", (
            refused.text
        )
    assert remove(api, headers={}).status_code == 401
    with api["db"].unit_of_work() as uow:
        assert uow.session.get(Partner, api["partner_id"]).ended_at is None


def test_a_management_api_that_hangs_leaves_a_committed_removal_answered_not_a_503(
    api, monkeypatch
):
    """It accepts the connection and never answers: the removal still answers
    within the RPC timeout."""
    account, connection, spare = open_feed(api)
    connection.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        monkeypatch.setenv(
            "MAILLAGE_RABBIT_MANAGEMENT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/api"
        )
        removed = remove(api)
    finally:
        silent.close()
    assert removed.status_code == 200, removed.text
    assert removed.json()["feed_deleted"] is False and broker_has(api, "user", account["username"])
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", RABBIT_MANAGEMENT)
    with entrypoint_hook(api["partners"], "delete_ended_feeds") as timer:
        timer()
    assert feed_gone(api, account, spare)


def test_the_removal_route_wants_a_reason_and_answers_twice_the_same(api):
    for body in ({}, {"reason": "  "}):
        refused = requests.post(
            f"{api['base']}/api/partners/{api['partner_id']}/removal",
            headers=api["coordinator"],
            json=body,
            timeout=30,
        )
        assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"], (
            refused.text
        )
    assert (
        requests.get(api["base"] + "/api/partner/me", headers=api["key"], timeout=30).status_code
        == 200
    )
    unknown = requests.post(
        f"{api['base']}/api/partners/{uuid.uuid4()}/removal",
        headers=api["coordinator"],
        json={"reason": "Fin du contrat"},
        timeout=30,
    )
    assert unknown.status_code == 404
    first, again = remove(api), remove(api, "Un autre motif")
    assert first.status_code == again.status_code == 200
    assert {k: again.json()[k] for k in ("ended_at", "end_reason")} == {
        k: first.json()[k] for k in ("ended_at", "end_reason")
    }
    # the partner's own key: refused at once, for its removal as for the rest
    assert remove(api, headers=api["key"]).status_code == 401


def test_an_ended_partner_is_refused_in_french_and_listed_only_when_asked(api):
    assert remove(api).status_code == 200
    offer = requests.post(
        f"{api['base']}/api/partners/{api['partner_id']}/offers",
        headers=api["coordinator"],
        timeout=30,
        json={
            "name": "Yaourts",
            "kind": "product",
            "unit": "piece",
            "price_cents": 250,
            "vat_rate": 55,
            "lead_time_days": 2,
            "cutoff_time": "18:00",
            "days": ["friday"],
            "village_ids": [api["village_id"]],
            "perishable": True,
        },
    )
    assert offer.status_code == 409, offer.text
    assert offer.json()["error"]["code"] == "partner_ended"
    assert offer.json()["error"]["message"].startswith("Ce partenariat a pris fin")
    listed = requests.get(
        api["base"] + "/api/partners", headers=api["coordinator"], timeout=30
    ).json()
    assert api["partner_id"] not in [p["id"] for p in listed]
    everyone = requests.get(
        api["base"] + "/api/partners?include_ended=1", headers=api["coordinator"], timeout=30
    )
    ended = [p for p in everyone.json() if p["id"] == api["partner_id"]]
    assert (
        ended
        and ended[0]["end_reason"] == "Fin du contrat d'approvisionnement"
        and ended[0]["ended_at"]
    )
    bad = requests.get(
        api["base"] + "/api/partners?include_ended=peut-etre",
        headers=api["coordinator"],
        timeout=30,
    )
    assert bad.status_code == 400 and "include_ended" in bad.json()["error"]["fields"]
