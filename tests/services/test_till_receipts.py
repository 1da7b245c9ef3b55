"""The till's receipt by e-mail, on SQLite and PostgreSQL: a sale with an address writes
`sale.receipt_requested` (its lines, VAT and payments) once whatever the retries, and no partner
ever receives it; a bad address is refused at the till naming the field, nothing written; the
members service makes one notice per sale whatever the redeliveries, for a walk-in who is no
member, sends it to a real SMTP server in French without an opt-out link, then forgets the
address; an erased buyer is not written to; and over the real broker, from the till to the
mailbox, the e-mail arrives once though the event is delivered twice."""

import email
import email.policy
import json
import uuid
from datetime import timedelta

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.errors import InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.members import notices, people, villages
from services.members.channels.email import SmtpSender, parse_smtp_url
from services.members.models import Notice
from services.members.schemas import VillageInput
from services.members.schemas.people import MemberInput
from services.members.service import MembersService
from services.orders.models import TillSale
from services.orders.service import OrdersService
from services.partners import audience
from tests.support.counter import NOW
from tests.support.metrics import sample
from tests.support.reliability import Broker, WorkerLog, wait_until
from tests.support.till import receipt_event, sale_input, sell

RECEIPT = "sale.receipt_requested"
VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}


def receipts(database):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == RECEIPT).order_by(OutboxEvent.id)
        )
        return [json.loads(r.body) for r in rows]


def count(database, model):
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# --- orders: the event -------------------------------------------------------------------------


def test_a_sale_with_an_address_asks_for_its_receipt_once_and_no_partner_sees_it(counter_world):
    world = counter_world
    data = sale_input(
        (world.bread, 2),
        (world.cheese, 1),
        payments=[("card", 1000), ("cash", 1000)],
        email="passant@example.org",
    )
    sale = sell(world, data)
    sell(world, dict(data))  # the same key again: the same sale, no second receipt
    sell(world, sale_input((world.bread, 1), payments=[("cash", 320)]))  # no address, no receipt
    (event,) = receipts(world.db)
    # the till keeps no address (a walk-in's has no erasure to reach it): it leaves with the event
    assert sale["receipt_emailed"] is True and "email" not in sale
    with world.db.engine.connect() as conn:
        assert "passant@example.org" not in repr(conn.execute(select(TillSale)).all())
    assert event["village_id"] == world.village
    payload = event["payload"]
    assert payload["sale_id"] == sale["id"] and payload["email"] == "passant@example.org"
    assert payload["member_id"] is None
    assert [(line["name"], line["quantity"], line["total_cents"]) for line in payload["lines"]] == [
        (line["name"], line["quantity"], line["total_cents"]) for line in sale["lines"]
    ]
    assert payload["total_cents"] == 1890 and payload["vat_cents"] == sale["vat_cents"]
    assert sum(r["total_cents"] for r in payload["vat_by_rate"]) == 1890
    assert payload["payments"] == [
        {"method": "card", "amount_cents": 1000},
        {"method": "cash", "amount_cents": 890},
    ]
    assert payload["given_cents"] == 1000 and payload["change_cents"] == 110
    # it carries an address: no audience rule, so no partner is ever sent it
    assert RECEIPT not in audience.RULES and RECEIPT not in audience.EVENT_TYPES


@pytest.mark.parametrize("address", ["pas-une-adresse", "jeanne@", "a" * 250 + "@example.org"])
def test_a_bad_address_is_refused_at_the_till_naming_the_field(counter_world, address):
    world = counter_world
    with pytest.raises(InvalidInput) as error:
        sell(world, sale_input((world.bread, 1), payments=[("cash", 320)], email=address))
    assert "email" in error.value.errors and "email" in error.value.errors_fr
    assert count(world.db, TillSale) == 0 and count(world.db, OutboxEvent) == 0


# --- members: the notice and the e-mail --------------------------------------------------------


@pytest.fixture
def members_world(service_db):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))["id"]
    return database, village


def handle(database, envelope):
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow, "members.on_sale_receipt_requested", notices.record_receipt_requested, envelope
        )


def receipt_notices(database):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(select(Notice).where(Notice.source_type == RECEIPT)).all()
        uow.session.expunge_all()
        return rows


def smtp(smtp_server):
    port, received = smtp_server()
    return SmtpSender(parse_smtp_url(f"smtp://127.0.0.1:{port}"), "conciergerie@example.org"), (
        received
    )


def test_a_walk_in_s_receipt_reaches_a_real_smtp_server_once_then_the_address_goes(
    members_world, smtp_server
):
    database, village = members_world
    sender, received = smtp(smtp_server)
    event = receipt_event(village)
    handle(database, event)
    handle(database, event)  # redelivered: the inbox
    again = dict(event, event_id=str(uuid.uuid4()))
    handle(database, again)  # the same sale under another event id: one notice per sale
    (notice,) = receipt_notices(database)
    assert notice.member_id is None and notice.channel == "email"
    assert notice.address == "passant@example.org"
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW) == 1
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW + timedelta(hours=1)) == 0
    (got,) = received()
    assert got["rcpt_tos"] == ["passant@example.org"]
    message = email.message_from_bytes(got["data"].encode(), policy=email.policy.default)
    assert message["Subject"] == "Votre ticket de caisse — conciergerie de Peyrelevade"
    assert message["List-Unsubscribe"] is None  # asked for at the counter: no opt-out
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "2 × Pain de campagne à 3,20\xa0€ : 6,40\xa0€" in text
    assert "Tomme de Millevaches (prix solidaire)" in text
    assert "Total TTC : 18,90\xa0€ (dont TVA 0,98\xa0€)" in text
    assert "Espèces remises : 20,00\xa0€, monnaie rendue : 1,10\xa0€" in text
    assert "<strong>18,90\xa0€</strong>" in html and "Pain de campagne" in html
    (sent,) = receipt_notices(database)
    assert sent.status == "sent" and sent.address is None  # kept no longer than needed
    assert "passant@example.org" not in (sent.context or "") + sent.message
    with database.unit_of_work() as uow:  # never on the concierge's list « à prévenir »
        assert notices.list_notices(uow, village) == []


def test_a_receipt_that_cannot_leave_is_given_up_not_called_and_its_address_goes(
    members_world, monkeypatch
):
    database, village = members_world
    monkeypatch.setenv("MAILLAGE_NOTICE_MAX_ATTEMPTS", "1")

    class Refusing:
        def has(self, channel):
            return True

        def send(self, outgoing):
            raise RuntimeError("550 no such mailbox")

    handle(database, receipt_event(village))
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, Refusing(), NOW) == 0
    (notice,) = receipt_notices(database)
    assert notice.parked_at is not None and notice.address is None
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, Refusing(), NOW + timedelta(days=1)) == 0


def test_an_erased_buyer_is_not_written_to(members_world, smtp_server):
    database, village = members_world
    sender, received = smtp(smtp_server)
    with database.unit_of_work() as uow:
        member = people.register_member(
            uow,
            load(
                MemberInput(),
                {
                    "village_id": village,
                    "first_name": "Jeanne",
                    "last_name": "Martin",
                    "email": "jeanne@example.org",
                    "preferred_channel": "email",
                },
            ),
        )["id"]
    handle(database, receipt_event(village, member_id=member))
    (notice,) = receipt_notices(database)
    assert notice.member_id == member and notice.address == "passant@example.org"
    with database.unit_of_work() as uow:
        people.erase_member(uow, village, member)
    assert receipt_notices(database) == []  # the erasure takes the member's notices
    handle(database, receipt_event(village, member_id=member))  # one still on its way
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW) == 0
    assert received() == [] and receipt_notices(database) == []


# --- over the real broker, from the till to the mailbox ----------------------------------------


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_from_the_till_to_the_mailbox_once_though_the_event_comes_twice(
    container_factory, nameko_config, counter_world, service_db, amqp_uri, smtp_server, monkeypatch
):
    world = counter_world
    members = service_db("members")
    port, received = smtp_server()
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "Conciergerie <conciergerie@example.org>")
    monkeypatch.setenv("MAILLAGE_NOTICE_POLL_SECONDS", "0.2")
    labels = {"consumer": "members.on_sale_receipt_requested", "type": RECEIPT}
    consumed = sample("maillage_events_consumed_total", **labels)
    duplicates = sample("maillage_inbox_duplicates_total", **labels)
    broker = Broker(amqp_uri)
    try:
        container_factory(MembersService, nameko_config).start()
        container_factory(OrdersService, {**nameko_config, "OUTBOX_RELAY": "in-process"}).start()
        with ServiceRpcProxy("orders", nameko_config, timeout=10) as orders:
            sale = orders.record_sale(
                world.village,
                sale_input(
                    (world.bread, 2), payments=[("cash", 1000)], email="passant@example.org"
                ),
            )
            with pytest.raises(InvalidInput) as bad:
                orders.record_sale(
                    world.village,
                    sale_input((world.bread, 1), payments=[("cash", 320)], email="pas-une-adresse"),
                )
            assert "email" in bad.value.errors
        wait_until(lambda: len(received()) == 1, timeout=30, message="the receipt e-mailed")
        (envelope,) = receipts(world.db)
        broker.publish_envelope(envelope)  # delivered again (a relay that died before its confirm)
        wait_until(
            lambda: sample("maillage_inbox_duplicates_total", **labels) - duplicates == 1,
            timeout=30,
            message="the copy to reach the inbox",
        )
        with members.unit_of_work() as uow:  # what the timer would send now, it sends now
            notices.send_pending(uow, notices.default_sender(), NOW + timedelta(days=1))
    finally:
        broker.close()
    assert sample("maillage_events_consumed_total", **labels) - consumed == 1
    (got,) = received()
    assert got["rcpt_tos"] == ["passant@example.org"]
    message = email.message_from_bytes(got["data"].encode(), policy=email.policy.default)
    assert "6,40\xa0€" in message.get_body(("plain",)).get_content()
    (notice,) = receipt_notices(members)
    assert notice.source_ref == sale["id"] and notice.status == "sent" and notice.address is None


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_receipt_leaves_when_its_event_is_committed_and_an_idle_sender_does_not_look(
    container_factory, nameko_config, members_world, amqp_uri, smtp_server, monkeypatch
):
    """The notices' senders are woken by the commit that made a notice (backbone/woken_timer.py):
    their fallback look is set beyond the test, so the e-mail below left without it, and while
    nothing is due they look for nothing."""
    database, village = members_world
    port, received = smtp_server()
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "Conciergerie <conciergerie@example.org>")
    monkeypatch.setenv("MAILLAGE_NOTICE_POLL_SECONDS", "120")
    container = container_factory(MembersService, nameko_config)
    workers = WorkerLog(container)
    container.start()
    wait_until(lambda: workers.runs("send_notices") == 1, message="the look at start")
    broker = Broker(amqp_uri)
    try:
        as_sent = json.loads(json.dumps(receipt_event(village), default=lambda v: v.isoformat()))
        broker.publish_envelope(as_sent)
        wait_until(lambda: len(received()) == 1, timeout=10, message="e-mailed at its commit")
    finally:
        broker.close()

    def waiting():
        with database.unit_of_work() as uow:
            return uow.session.scalar(
                select(func.count()).select_from(Notice).where(Notice.status == "to_send")
            )

    # the run that e-mailed it ends after the server answered: count the looks once it has ended
    wait_until(
        lambda: waiting() == 0 and workers.runs("send_notices") >= 2,
        timeout=10,
        message="the sending run ended",
    )

    def looks():
        return workers.runs("send_notices") + workers.runs("send_sign_in_links")

    before = looks()
    eventlet.sleep(2)
    assert looks() == before, "no look while nothing is due"


def test_a_walk_in_s_receipt_refused_by_a_real_smtp_server_shows_in_the_village_s_log(
    members_world, smtp_server, monkeypatch
):
    """What the concierge reads on « Envois »: the receipt failing, then given up, with the
    server's answer, the buyer as a walk-in (no member), and the address gone from it."""
    database, village = members_world
    monkeypatch.setenv("MAILLAGE_NOTICE_MAX_ATTEMPTS", "2")
    port, received = smtp_server("--refuse-recipients")
    sender = SmtpSender(parse_smtp_url(f"smtp://127.0.0.1:{port}"), "conciergerie@example.org")
    event = receipt_event(village)
    handle(database, event)

    def log():
        with database.unit_of_work() as uow:
            return notices.delivery_log(uow, village)

    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW) == 0
    (line,) = log()
    assert line["member_id"] is None and line["display_name"] == "Client·e de passage"
    assert line["source_label"] == "ticket de caisse par e-mail"
    assert line["source_ref"] == event["payload"]["sale_id"]
    assert line["outcome"] == "failed" and line["attempts"] == 1
    assert "Recipient address rejected" in line["why"] and "passant@example.org" in line["why"]
    with database.unit_of_work() as uow:
        assert notices.delivery_log(uow, village, "failed") == [line]
        assert notices.send_pending(uow, sender, NOW + timedelta(days=1)) == 0
    (line,) = log()
    assert line["outcome"] == "parked" and line["attempts"] == 2
    assert line["outcome_label"] == "abandonné après plusieurs échecs : ticket papier à proposer"
    assert "Recipient address rejected" in line["why"] and "passant@example.org" not in line["why"]
    (notice,) = receipt_notices(database)
    assert notice.address is None and "passant@example.org" not in notice.last_error
    assert received() == []
    with database.unit_of_work() as uow:
        assert notices.list_notices(uow, village) == []  # still nobody to call
        assert notices.delivery_log(uow, village, "parked") == [line]
        assert notices.delivery_log(uow, "another-village") == []
