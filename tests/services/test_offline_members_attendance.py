"""The offline counter's registrations and roll calls replayed (backbone/offline_actions.py), on
SQLite and PostgreSQL: a member registered over real RPC with the time it happened (joined that
day, audited beside the time received) and its idempotency key (sent twice: one member, one
event); a roll call taken offline, replayed once; a time out of bounds refused naming the field in
French; the counter's animations of the day (hosted and invited, names for the hub's own
registrations only); a roll call replayed over real RPC answers what the first did; an animation
cancelled meanwhile, a time before its start or too old, refused with a French reason and no
effect."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from backbone.clock import PARIS
from backbone.errors import Conflict, InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.events import animations
from services.events.models import Animation, KnownMember, KnownVillage
from services.events.models import OfflineAction as EventsAction
from services.events.schemas import AnimationInput, AttendanceInput, CancelInput, RegistrationInput
from services.events.service import EventsService
from services.members.models import Member, OfflineAction
from services.members.service import MembersService

VILLAGE = {
    "slug": "gentioux",
    "name": "Gentioux",
    "commune": "Gentioux-Pigerolles",
    "insee_code": "23090",
    "postcode": "23340",
    "kind": "fixed",
    "population": 350,
}


def outbox(database, type_):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(select(OutboxEvent).where(OutboxEvent.type == type_))
        return [json.loads(r.body) for r in rows]


@pytest.mark.broker
def test_a_registration_replayed_makes_one_member_who_joined_the_day_it_happened(
    container_factory, nameko_config, service_db
):
    database = service_db("members")
    container_factory(MembersService, nameko_config).start()
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    key = str(uuid.uuid4())
    person = {
        "first_name": "Odette",
        "last_name": "Vergne",
        "phone": "05 55 67 00 11",
        "idempotency_key": key,
        "occurred_at": yesterday.isoformat(),
    }
    with ServiceRpcProxy("members", nameko_config, timeout=10) as members:
        village = members.open_village(VILLAGE)["id"]
        too_old = {**person, "occurred_at": (now - timedelta(days=4)).isoformat()}
        with pytest.raises(InvalidInput) as err:
            members.register_member({**too_old, "village_id": village})
        assert list(err.value.errors) == ["occurred_at"]
        assert "plus de 3 jours" in err.value.errors_fr["occurred_at"][0]
        first = members.register_member({**person, "village_id": village})
        again = members.register_member({**person, "village_id": village})
    assert again["id"] == first["id"], "the same key answers the member it made"
    assert first["joined_on"] == yesterday.astimezone(PARIS).date().isoformat()
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Member)) == 1
        [audit] = uow.session.scalars(select(OfflineAction)).all()
    assert (audit.action, audit.target_id, audit.idempotency_key) == (
        "member.registered",
        first["id"],
        key,
    )
    assert audit.occurred_at == yesterday and audit.received_at >= now
    assert len(outbox(database, "member.registered")) == 1


def test_a_roll_call_taken_offline_is_stamped_then_and_replayed_once(service_db):
    database = service_db("events")
    village = str(uuid.uuid4())
    now = datetime.now(UTC)
    start = now - timedelta(hours=30)
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(id=village, slug="g", name="Gentioux", commune="G", opened_at=start)
        )
        uow.commit()
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow,
            village,
            load(
                AnimationInput(),
                {
                    "kind": "atelier",
                    "title": "Atelier tricot",
                    "place": "Salle des fêtes",
                    "starts_at": (now + timedelta(days=1)).isoformat(),
                    "ends_at": (now + timedelta(days=1, hours=2)).isoformat(),
                    "capacity": 10,
                },
            ),
        )["id"]
    with database.unit_of_work() as uow:  # it took place yesterday
        animation = uow.session.get(Animation, aid)
        animation.starts_at, animation.ends_at = start, start + timedelta(hours=2)
        uow.commit()
    taken = start + timedelta(hours=1)
    key = str(uuid.uuid4())
    roll_call = {"people_reached": 7, "idempotency_key": key, "occurred_at": taken.isoformat()}
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        animations.take_attendance(
            uow,
            aid,
            load(
                AttendanceInput(),
                {**roll_call, "occurred_at": (now + timedelta(hours=1)).isoformat()},
            ),
            None,
            now=now,
        )
    assert "dans le futur" in err.value.errors_fr["occurred_at"][0]
    for _ in range(2):
        with database.unit_of_work() as uow:
            held = animations.take_attendance(
                uow, aid, load(AttendanceInput(), roll_call), None, now=now
            )
        assert held["status"] == "held" and held["people_reached"] == 7
    with database.unit_of_work() as uow:
        assert uow.session.get(Animation, aid).attended_at == taken
        assert [(a.action, a.occurred_at) for a in uow.session.scalars(select(EventsAction))] == [
            ("animation.attended", taken)
        ]
    assert len(outbox(database, "animation.attended")) == 1, "hours credited once"


def _two_villages(database, now):
    """Gentioux (with Odette, a member) and Faux-la-Montagne."""
    villages = {"gentioux": str(uuid.uuid4()), "faux": str(uuid.uuid4())}
    member = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        for slug, village in villages.items():
            uow.session.add(
                KnownVillage(id=village, slug=slug, name=slug, commune="C", opened_at=now)
            )
        uow.session.add(
            KnownMember(
                id=member,
                village_id=villages["gentioux"],
                display_name="Odette Vergne",
                registered_at=now,
            )
        )
        uow.commit()
    return villages, member


def _animation(database, village, starts, *, title="Atelier tricot", invited=(), hours=2):
    """An animation at `starts` (set in the row afterwards when it is already past)."""
    later = datetime.now(UTC) + timedelta(days=1)
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow,
            village,
            load(
                AnimationInput(),
                {
                    "kind": "atelier",
                    "title": title,
                    "place": "Salle des fêtes",
                    "starts_at": later.isoformat(),
                    "ends_at": (later + timedelta(hours=hours)).isoformat(),
                    "capacity": 10,
                    "invited_village_ids": list(invited),
                },
            ),
        )["id"]
    with database.unit_of_work() as uow:
        animation = uow.session.get(Animation, aid)
        animation.starts_at, animation.ends_at = starts, starts + timedelta(hours=hours)
        uow.commit()
    return aid


def _register(database, aid, data, village):
    with database.unit_of_work() as uow:
        animations.register(uow, aid, load(RegistrationInput(), data), [village])


def test_the_counter_lists_the_days_animations_hosted_and_invited_with_its_own_names(
    service_db,
):
    database = service_db("events")
    now = datetime.now(UTC)
    villages, member = _two_villages(database, now)
    gentioux, faux = villages["gentioux"], villages["faux"]
    day = datetime(2026, 12, 8, tzinfo=PARIS)
    hosted = _animation(database, gentioux, day + timedelta(hours=14), title="Tricot")
    invited = _animation(
        database, faux, day + timedelta(hours=9), title="Marché", invited=[gentioux]
    )
    _animation(database, faux, day + timedelta(hours=10), title="Chez Faux seulement")
    _animation(database, gentioux, day + timedelta(days=1, hours=10), title="Le lendemain")
    _animation(database, gentioux, day - timedelta(hours=2), title="La veille", hours=2)
    _register(database, hosted, {"member_id": member}, gentioux)
    _register(
        database, invited, {"guest_name": "Léon Marty", "guest_phone": "05 55 00 00 01"}, faux
    )
    _register(database, invited, {"member_id": member}, gentioux)
    with database.unit_of_work() as uow:
        seen = animations.animations_of_day(uow, gentioux, day.date())
    assert [a["title"] for a in seen] == ["Marché", "Tricot"]
    market, knitting = seen
    assert [r["display_name"] for r in knitting["registrations"]] == ["Odette Vergne"]
    assert sorted(
        (r["village_id"] == gentioux, r["display_name"], r["guest_phone"])
        for r in market["registrations"]
    ) == [(False, None, None), (True, "Odette Vergne", None)], "Faux's guest stays Faux's"


def test_a_roll_call_replayed_over_rpc_answers_the_first_and_credits_once(
    container_factory, nameko_config, service_db
):
    database = service_db("events")
    container_factory(EventsService, nameko_config).start()
    now = datetime.now(UTC)
    villages, member = _two_villages(database, now)
    gentioux = villages["gentioux"]
    aid = _animation(database, gentioux, now - timedelta(hours=1))
    _register(database, aid, {"member_id": member}, gentioux)
    with database.unit_of_work() as uow:
        [registration] = uow.session.get(Animation, aid).registrations
        registration_id = registration.id
    taken = now - timedelta(minutes=20)
    roll_call = {
        "present": [registration_id],
        "walk_ins": 2,
        "idempotency_key": str(uuid.uuid4()),
        "occurred_at": taken.isoformat(),
    }
    with ServiceRpcProxy("events", nameko_config, timeout=10) as events:
        first = events.take_attendance(aid, roll_call, [gentioux])
        again = events.take_attendance(aid, roll_call, [gentioux])
        with pytest.raises(Conflict) as err:  # another roll call, another key: refused
            events.take_attendance(
                aid, {**roll_call, "idempotency_key": str(uuid.uuid4())}, [gentioux]
            )
    assert err.value.reason == "attendance_already_taken"
    assert first == again and first["people_reached"] == 3 and first["guests"] == 2
    with database.unit_of_work() as uow:
        assert uow.session.get(Animation, aid).attended_at == taken
    assert len(outbox(database, "animation.attended")) == 1, "one event, hours credited once"


def test_a_roll_call_for_an_animation_cancelled_meanwhile_is_a_conflict_with_no_effect(
    service_db,
):
    database = service_db("events")
    now = datetime.now(UTC)
    villages, _member = _two_villages(database, now)
    gentioux = villages["gentioux"]
    aid = _animation(database, gentioux, now - timedelta(hours=3))
    with database.unit_of_work() as uow:  # cancelled online while the counter was offline
        animations.cancel_animation(
            uow, aid, load(CancelInput(), {"reason": "Salle inondée"}), [gentioux]
        )
    roll_call = {
        "people_reached": 6,
        "idempotency_key": str(uuid.uuid4()),
        "occurred_at": (now - timedelta(hours=2)).isoformat(),
    }
    for _ in range(2):  # replayed: the same answer, still nothing recorded
        with database.unit_of_work() as uow, pytest.raises(Conflict) as err:
            animations.take_attendance(
                uow, aid, load(AttendanceInput(), roll_call), [gentioux], now=now
            )
        assert err.value.reason == "animation_cancelled"
    with database.unit_of_work() as uow:
        assert uow.session.get(Animation, aid).people_reached is None
        assert not uow.session.scalars(select(EventsAction)).all()
    assert not outbox(database, "animation.attended")


def test_a_roll_call_stamped_before_the_start_or_too_long_ago_is_refused_in_french(service_db):
    database = service_db("events")
    now = datetime.now(UTC)
    villages, _member = _two_villages(database, now)
    gentioux = villages["gentioux"]
    aid = _animation(database, gentioux, now - timedelta(minutes=30))
    early = {
        "people_reached": 4,
        "idempotency_key": str(uuid.uuid4()),
        "occurred_at": (now - timedelta(hours=1)).isoformat(),  # before its start, received after
    }
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        animations.take_attendance(uow, aid, load(AttendanceInput(), early), [gentioux], now=now)
    assert list(err.value.errors) == ["present"]
    assert "à partir du début de l'animation" in err.value.errors_fr["present"][0]
    old = _animation(database, gentioux, now - timedelta(days=5), title="Loto")
    too_old = {**early, "occurred_at": (now - timedelta(days=4)).isoformat()}
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        animations.take_attendance(uow, old, load(AttendanceInput(), too_old), [gentioux], now=now)
    assert "plus de 3 jours" in err.value.errors_fr["occurred_at"][0]
    with database.unit_of_work() as uow:
        assert {uow.session.get(Animation, a).status for a in (aid, old)} == {"scheduled"}
        assert not uow.session.scalars(select(EventsAction)).all()
    assert not outbox(database, "animation.attended")
