"""RGPD erasure reaches every store (issue 21), on the real broker and both databases: a person with
an order delivered at home, a parcel, a help request, a round stop, a suggestion, a pledge, a notice
(and its line in the notices outbox file), a partner's delivery of their round, and published events
naming them, and a dead letter naming them, is erased; then every table of every service's database,
every message in every queue of the broker (the dead letters included) and the log files of the
processes (the services' as deploy/nameko.yaml configures them, the relay's) are searched for their
name, phone, e-mail and address, and nothing is found. The export, before, lists every store."""

import json
import logging
import logging.config
import re
import uuid
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import pika
import pytest
import requests
import yaml
from sqlalchemy import inspect, select, text

from backbone import config
from backbone.clock import utcnow
from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope
from backbone.schemas import load
from backbone.tables import OutboxEvent
from backbone.topology import declare_pika
from services.events.models import Suggestion
from services.events.service import EventsService
from services.members import erasure as members_erasure
from services.members import notices, people
from services.members.channels.email import SmtpSender, parse_smtp_url
from services.members.models.notices import Notice
from services.members.schemas.people import MemberInput
from services.orders.models import (
    HelpRequest,
    KnownMember,
    Order,
    Parcel,
    Round,
    RoundStop,
    Vehicle,
)
from services.orders.service import OrdersService
from services.partners import erasure as partners_erasure
from services.partners.models import Campaign, Delivery, Partner, Pledge
from services.partners.service import PartnersService
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT
from tests.support.network import REPO
from tests.support.reliability import inbox_count, open_village, pending, wait_until

pytestmark = pytest.mark.broker

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

FIRST, LAST = "Honorine", "Chabrat-Lavergne"
PHONE = "06 41 27 83 95"  # stored +33641278395
EMAIL = "honorine.chabrat@exemple.fr"
ADDRESS = "12 chemin des Tilleuls-Bleus"
TRACES = (FIRST, LAST, "641278395", "41 27 83 95", EMAIL, "Tilleuls-Bleus")


def _published(uow, event_type, payload, village_id):
    """An event this service sent already (the relay marked it), as it stays in the outbox table."""
    envelope = build_envelope(event_type, payload, village_id=village_id, source="test")
    uow.session.add(
        OutboxEvent(
            event_id=envelope["event_id"],
            type=event_type,
            version=1,
            village_id=village_id,
            body=json.dumps(envelope, default=str),
            published_at=utcnow(),
        )
    )
    return envelope


def _give_orders_a_life(orders, village_id, member_id):
    now, today = utcnow(), date.today()
    with orders.unit_of_work() as uow:
        order = Order(
            village_id=village_id,
            member_id=member_id,
            idempotency_key=str(uuid.uuid4()),
            status="delivered",
            fulfilment="home_delivery",
            delivery_date=today,
            delivery_address=ADDRESS,
            note=f"sonner chez {FIRST} {LAST}",
            total_cents=1200,
        )
        uow.session.add(order)
        uow.session.add(
            Parcel(
                village_id=village_id,
                member_id=member_id,
                idempotency_key=str(uuid.uuid4()),
                sender_kind="neighbour",
                sender_name=f"sa sœur {LAST}",
                description=f"pour {FIRST}",
                place_kind="shelf",
                place="A1",
                pickup_code="4321",
            )
        )
        uow.session.add(
            HelpRequest(
                village_id=village_id,
                requester_member_id=member_id,
                skill="jardinage",
                description=f"{FIRST} ne peut plus tondre",
                place=ADDRESS,
                status="requested",
                starts_at=now + timedelta(days=1),
                ends_at=now + timedelta(days=1, hours=2),
            )
        )
        vehicle = Vehicle(
            name=f"Kangoo {uuid.uuid4().hex[:6]}", depot_village_id=village_id, capacity=20
        )
        uow.session.add(vehicle)
        uow.session.flush()
        round_ = Round(
            vehicle_id=vehicle.id,
            on_date=today,
            depot_village_id=village_id,
            village_ids=[village_id],
            capacity=20,
            load=1,
            distance_km=4.2,
            status="completed",
        )
        uow.session.add(round_)
        uow.session.flush()
        stop = RoundStop(
            round_id=round_.id,
            sequence=1,
            kind="home_delivery",
            village_id=village_id,
            order_id=order.id,
            member_id=member_id,
            address=ADDRESS,
            items_count=1,
            latitude=45.8123,
            longitude=1.9876,
            status="done",
        )
        uow.session.add(stop)
        uow.session.flush()
        planned = _published(
            uow,
            "round.planned",
            {
                "round_id": round_.id,
                "date": today,
                "vehicle_id": vehicle.id,
                "vehicle_name": vehicle.name,
                "capacity": 20,
                "load": 1,
                "driver_member_id": None,
                "driver_partner_id": None,
                "village_ids": [village_id],
                "distance_km": 4.2,
                "stops": [
                    {
                        "stop_id": stop.id,
                        "sequence": 1,
                        "kind": "home_delivery",
                        "village_id": village_id,
                        "order_id": order.id,
                        "purchase_order_id": None,
                        "supplier_name": None,
                        "address": ADDRESS,
                        "items_count": 1,
                    }
                ],
            },
            village_id,
        )
        uow.commit()
    return planned


def _give_partners_a_life(partners, village_id, member_id, planned):
    with partners.unit_of_work() as uow:
        partner = Partner(name="Transports du Plateau", kind="logistics")
        campaign = Campaign(
            village_id=village_id,
            title="Un four à pain",
            purpose="Le four du bourg",
            goal_cents=500000,
            deadline=utcnow() + timedelta(days=30),
            status="running",
        )
        uow.session.add_all([partner, campaign])
        uow.session.flush()
        uow.session.add(
            Pledge(
                campaign_id=campaign.id,
                member_id=member_id,
                pledger_name=f"{FIRST} {LAST}",
                amount_cents=2000,
            )
        )
        # the driver's copy of the round, sent already: an address and an order id, no member id
        uow.session.add(
            Delivery(
                partner_id=partner.id,
                channel="amqp",
                target=f"feed:{partner.id}",
                event_id=planned["event_id"],
                event_type="round.planned",
                body=json.dumps(planned, default=str),
                status="delivered",
                attempts=1,
                settled_at=utcnow(),
            )
        )
        uow.commit()


def _give_events_a_life(events, village_id, member_id):
    with events.unit_of_work() as uow:
        uow.session.add(
            Suggestion(
                village_id=village_id,
                category="commerce",
                member_id=member_id,
                text=f"{FIRST} {LAST} voudrait un marché le jeudi",
            )
        )
        uow.commit()


def _traces_in(database) -> list[str]:
    """Every cell of every table holding one of the person's traces: "table: value"."""
    found = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                cells = " | ".join(str(value) for value in row)
                found += [f"{table}: {trace}" for trace in TRACES if trace in cells]
    return found


@pytest.fixture
def services_log(tmp_path):
    """The in-process services log as `nameko run --config deploy/nameko.yaml` makes them log
    (its formatter and filters), into a file; the root logger is given back at the end."""
    path = tmp_path / "services.log"
    text_ = re.sub(r"\$\{[A-Z_]+:([^}]*)\}", r"\1", (REPO / "deploy" / "nameko.yaml").read_text())
    logging_config = yaml.safe_load(text_)["LOGGING"]
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logging.config.dictConfig(logging_config)
    written = open(path, "w", encoding="utf-8")  # noqa: SIM115  closed below
    for handler in root.handlers:  # the configured handler (backbone.logs), into the file
        handler.setStream(written)
    yield path
    for handler in root.handlers:
        handler.flush()
    written.close()
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def _bury_a_dead_letter(amqp_uri, envelope):
    """A member.registered that a handler kept failing on, as
    backbone/consumer.py dead-letters it."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        declare_pika(channel)
        channel.confirm_delivery()
        channel.basic_publish(
            config.DEAD_LETTER_EXCHANGE,
            "orders--on_member_registered",
            json.dumps(envelope, default=str).encode(),
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                type=envelope["type"],
                message_id=envelope["event_id"],
                headers={
                    "x-maillage-queue": "orders--on_member_registered",
                    "x-maillage-reason": "handler failed 5 times: OperationalError",
                    "x-maillage-dead-at": utcnow().isoformat(),
                    "x-maillage-attempts": 5,
                },
            ),
        )
    finally:
        connection.close()


def _traces_in_the_broker(amqp_uri) -> tuple[list[str], int]:
    """Every message of every queue of the test's vhost read (and put back) through the management
    API: the traces found ("queue: trace") and how many messages were read."""
    vhost = quote(urlsplit(amqp_uri).path[1:], safe="")
    queues = requests.get(
        f"{RABBIT_MANAGEMENT}/queues/{vhost}", auth=RABBIT_AUTH, timeout=10
    ).json()
    found, read = [], 0
    for queue in queues:
        messages = requests.post(
            f"{RABBIT_MANAGEMENT}/queues/{vhost}/{quote(queue['name'], safe='')}/get",
            auth=RABBIT_AUTH,
            timeout=30,
            json={"count": 100000, "ackmode": "ack_requeue_true", "encoding": "auto"},
        ).json()
        for message in messages:
            read += 1
            seen = message["payload"] + json.dumps(
                message.get("properties", {}), ensure_ascii=False
            )
            found += [f"{queue['name']}: {trace}" for trace in TRACES if trace in seen]
    return found, read


def _traces_in_files(paths) -> list[str]:
    return [
        f"{path.name}: {trace}"
        for path in paths
        for trace in TRACES
        if trace in path.read_text(encoding="utf-8", errors="replace")
    ]


@BOTH
def test_an_erased_person_is_found_in_no_table_of_any_service_nor_in_the_notices_file(
    amqp_uri, nameko_config, service_db, relay, start_container, services_log, tmp_path, smtp_server
):
    members, orders = service_db("members"), service_db("orders")
    events, partners = service_db("events"), service_db("partners")
    for service_cls in (
        OrdersService,
        EventsService,
        PartnersService,
    ):  # subscribers before publishers
        start_container(service_cls, nameko_config)
    village = open_village(members)
    with members.unit_of_work() as uow:
        member = people.register_member(
            uow,
            load(
                MemberInput(),
                {
                    "village_id": village["id"],
                    "first_name": FIRST,
                    "last_name": LAST,
                    "phone": PHONE,
                    "email": EMAIL,
                    "address": ADDRESS,
                    "consents": ["contact"],
                },
            ),
        )
        uow.session.add(
            Notice(
                village_id=village["id"],
                member_id=member["id"],
                source_type="parcel.received",
                source_ref=str(uuid.uuid4()),
                channel="sms",
                status="to_send",
                message="Maillage : un colis vous attend. Code de retrait : 4321.",
            )
        )
        uow.commit()
    # sent in daytime whatever the hour of the run: SMS wait out the quiet
    # hours (20:00-08:00 in Paris)
    daytime = (utcnow() + timedelta(days=1)).replace(hour=9, minute=0)
    with members.unit_of_work() as uow:
        assert notices.send_pending(uow, notices.default_sender(), daytime) == 1
    assert "641278395" in config.notices_outbox().read_text()
    # an e-mail the mail server refuses, quoting her address in its answer (which the log repeats)
    port, _received = smtp_server("--refuse-recipients")
    with members.unit_of_work() as uow:
        uow.session.add(
            Notice(
                village_id=village["id"],
                member_id=member["id"],
                source_type="parcel.received",
                source_ref=str(uuid.uuid4()),
                channel="email",
                status="to_send",
                message="Maillage : un colis vous attend.",
            )
        )
        uow.commit()
    with members.unit_of_work() as uow:
        sender = SmtpSender(parse_smtp_url(f"smtp://127.0.0.1:{port}"), "conciergerie@example.org")
        assert notices.send_pending(uow, sender, daytime) == 0
    relay("members")
    wait_until(lambda: _known(orders, member["id"]), message="orders to know the member")
    _give_events_a_life(events, village["id"], member["id"])
    planned = _give_orders_a_life(orders, village["id"], member["id"])
    _give_partners_a_life(partners, village["id"], member["id"], planned)
    wait_until(lambda: pending(members) == 0, message="the relay to publish member.registered")
    with members.unit_of_work() as uow:  # member.registered, published, names them
        uow.session.execute(OutboxEvent.__table__.update().values(published_at=utcnow()))
        uow.commit()
    for database in (members, orders, events, partners):
        assert _traces_in(database), "the person is there before the erasure"
    with members.unit_of_work() as uow:
        registered = json.loads(
            uow.session.scalars(
                select(OutboxEvent.body).where(OutboxEvent.type == "member.registered")
            ).one()
        )
    _bury_a_dead_letter(amqp_uri, registered)
    assert _traces_in_the_broker(amqp_uri)[0], "the dead letter names the person before the erasure"

    with members.unit_of_work() as uow:
        people.erase_member(uow, village["id"], member["id"])
    members_erasure.scrub_dead_letters(
        [member["id"]]
    )  # what the members service's erase_member does next
    for database, consumer in (
        (orders, "orders.on_member_erased"),
        (events, "events.on_member_erased"),
        (partners, "partners.on_member_erased"),
    ):
        wait_until(
            lambda d=database, c=consumer: inbox_count(d, c) == 1, message=f"{consumer} to erase"
        )

    left = {
        name: _traces_in(db)
        for name, db in (
            ("members", members),
            ("orders", orders),
            ("events", events),
            ("partners", partners),
        )
    }
    assert left == {"members": [], "orders": [], "events": [], "partners": []}, left
    outbox_file = config.notices_outbox().read_text()
    assert not [t for t in TRACES if t in outbox_file], outbox_file
    in_the_broker, read = _traces_in_the_broker(amqp_uri)
    assert read >= 1 and in_the_broker == [], in_the_broker  # the dead letter stays, scrubbed
    logs = [services_log, *tmp_path.glob("relay-*.log")]
    assert services_log.stat().st_size > 0 and len(logs) >= 2, logs
    assert _traces_in_files(logs) == [], _traces_in_files(logs)
    # the figures keep their shape: the order, the help request, the stop and the pledge stay
    with orders.unit_of_work() as uow:
        assert (
            uow.session.scalar(select(Order.total_cents).where(Order.member_id == member["id"]))
            == 1200
        )
        assert uow.session.scalars(
            select(RoundStop).where(RoundStop.member_id == member["id"])
        ).one()
    with partners.unit_of_work() as uow:
        assert uow.session.scalars(select(Pledge.amount_cents)).all() == [2000]


def _known(orders, member_id) -> bool:
    with orders.unit_of_work() as uow:
        row = uow.session.get(KnownMember, member_id)
        return row is not None and row.display_name is not None


@BOTH
def test_partners_erase_once_a_redelivered_erasure_changes_nothing(service_db):
    """Through the inbox, like orders and events: the second delivery is ignored."""
    partners = service_db("partners")
    member_id, village_id = str(uuid.uuid4()), str(uuid.uuid4())
    erased = build_envelope(
        "member.erased",
        {"member_id": member_id, "village_id": village_id},
        village_id=village_id,
        source="members",
    )
    from backbone.contracts import parse_envelope

    envelope = parse_envelope(json.loads(json.dumps(erased, default=str)))
    with partners.unit_of_work() as uow:
        assert claim_and_handle(
            uow, "partners.on_member_erased", partners_erasure.record_member_erased, envelope
        )
    with partners.unit_of_work() as uow:
        assert not claim_and_handle(
            uow, "partners.on_member_erased", partners_erasure.record_member_erased, envelope
        )
    assert inbox_count(partners, "partners.on_member_erased") == 1
