"""A volunteer never double-booked across the two services, on the real broker: an animation role
taken in events reaches orders, which refuses a coup de main at those hours in a village 35 km
away (no time for the road); a coup de main asked in orders reaches events, which refuses a role at
those hours; each refusal names the mission, the village and the hours."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.clock import paris_today
from backbone.contracts import build_envelope
from backbone.errors import Conflict
from services.events.models import KnownMember as EventsMember
from services.events.models import VolunteerBooking as EventsBooking
from services.events.service import EventsService
from services.orders.models import KnownVolunteer
from services.orders.models import VolunteerBooking as OrdersBooking
from services.orders.service import OrdersService
from tests.support.reliability import count, village_envelope, wait_until

pytestmark = pytest.mark.broker

PARIS = ZoneInfo("Europe/Paris")
ALL_WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _member(village_id, member_id):
    return build_envelope(
        "member.registered",
        {"member_id": member_id, "village_id": village_id, "display_name": "Léa Faure", "tags": []},
        village_id=village_id,
        source="members",
    )


def _volunteer(village_ids, member_id):
    return build_envelope(
        "volunteer.available",
        {
            "volunteer_id": str(uuid.uuid4()),
            "member_id": member_id,
            "home_village_id": village_ids[0],
            "village_ids": village_ids,
            "skills": [{"skill": "bricolage", "level": "confirme"}],
            "availability": [{"day": d, "start": "00:00", "end": "24:00"} for d in ALL_WEEK],
            "max_distance_km": None,
            "has_licence": True,
            "has_vehicle": True,
            "network_visible": True,
            "active": True,
        },
        village_id=village_ids[0],
        source="members",
    )


def test_a_volunteer_is_never_booked_twice_across_orders_and_events(
    amqp_uri, nameko_config, service_db, start_container, broker_client, relay
):
    orders_db, events_db = service_db("orders"), service_db("events")
    for service in (OrdersService, EventsService):
        start_container(service, nameko_config)
    relay("orders"), relay("events")
    client = broker_client(amqp_uri)
    bourg = village_envelope(name="Le Bourg", latitude=45.6231, longitude=2.0412)
    aubin = village_envelope(name="Saint-Aubin", latitude=45.9412, longitude=2.0935)
    lea, requester = str(uuid.uuid4()), str(uuid.uuid4())
    for envelope in (
        bourg,
        aubin,
        _member(bourg["village_id"], lea),
        _member(bourg["village_id"], requester),
        _volunteer([bourg["village_id"], aubin["village_id"]], lea),
    ):
        client.publish_envelope(envelope)
    wait_until(
        lambda: count(orders_db, KnownVolunteer) == 1 and count(events_db, EventsMember) == 2,
        message="the volunteer known to both services",
    )
    day = paris_today() + timedelta(days=3)
    ten = datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS)

    def help_request(orders, village, starts):
        return orders.create_help_request(
            village,
            {
                "requester_member_id": requester,
                "skill": "bricolage",
                "place": "3 rue du Lavoir",
                "description": "Fixer une étagère",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            },
        )

    def animation(events, village, title, starts):
        return events.create_animation(
            village,
            {
                "kind": "atelier",
                "title": title,
                "place": "Salle des fêtes",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "capacity": 10,
                "roles": [{"role": "accueil", "needed": 1}],
            },
        )

    with (
        ServiceRpcProxy("orders", nameko_config, timeout=10) as orders,
        ServiceRpcProxy("events", nameko_config, timeout=10) as events,
    ):
        # a role at Saint-Aubin, 10:00-11:00 ...
        loto = animation(events, aubin["village_id"], "Loto", ten)
        events.fill_role(loto["id"], {"member_id": lea, "role": "accueil"})
        wait_until(lambda: count(orders_db, OrdersBooking) == 1, message="the role known to orders")
        # ... leaves no time to be at the Bourg at 11:30 (35 km)
        asked = help_request(orders, bourg["village_id"], ten + timedelta(minutes=90))
        [candidate] = asked["candidates"]
        with pytest.raises(Conflict) as busy:
            orders.assign_help_request(asked["id"], {"volunteer_id": candidate["volunteer_id"]})
        assert busy.value.reason == "volunteer_busy"
        assert busy.value.details["mission"] == "l'animation « Loto »"
        assert busy.value.details["village"] == "Saint-Aubin"

        # a coup de main at the Bourg, 15:00-16:00 ...
        later = help_request(orders, bourg["village_id"], ten + timedelta(hours=5))
        orders.assign_help_request(later["id"], {"volunteer_id": candidate["volunteer_id"]})
        wait_until(
            lambda: count(events_db, EventsBooking) == 1, message="the coup de main known to events"
        )
        # ... refuses a role at Saint-Aubin at 16:15
        choir = animation(
            events, aubin["village_id"], "Chorale", ten + timedelta(hours=6, minutes=15)
        )
        with pytest.raises(Conflict) as taken:
            events.fill_role(choir["id"], {"member_id": lea, "role": "accueil"})
        assert taken.value.details["mission"] == "un coup de main"
        assert taken.value.details["village"] == "Le Bourg"


def _booking(member_id, occurred_at, booked):
    starts = datetime(2026, 12, 19, 10, 0, tzinfo=PARIS)
    return build_envelope(
        "animation.volunteer_booking",
        {
            "booking_id": f"animation:a-1:{member_id}",
            "member_id": member_id,
            "village_id": "v-1",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=1),
            "what": "l'animation « Loto »",
            "booked": booked,
        },
        village_id="v-1",
        source="events",
        occurred_at=occurred_at,
    )


def _held(database, member_id):
    with database.unit_of_work() as uow:
        row = uow.session.get(OrdersBooking, f"animation:a-1:{member_id}")
        return None if row is None else row.booked


def test_a_booking_redelivered_late_or_sent_while_orders_is_down_ends_as_the_newest(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders_db = service_db("orders")
    container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    lea, now = str(uuid.uuid4()), datetime.now(PARIS)
    released = _booking(lea, now, False)
    client.publish_envelope(released)
    client.publish_envelope(released)  # a duplicate delivery
    client.publish_envelope(_booking(lea, now - timedelta(minutes=5), True))  # older, late
    wait_until(
        lambda: workers.runs("on_animation_volunteer_booking", ok=True) == 3,
        message="the three deliveries handled",
    )
    assert _held(orders_db, lea) is False, "the release is the newest"
    container.kill()
    client.publish_envelope(_booking(lea, now + timedelta(minutes=1), True))
    start_container(OrdersService, nameko_config)
    wait_until(lambda: _held(orders_db, lea) is True, message="the booking after the restart")
