"""Help requests in the orders service, on SQLite and PostgreSQL: matching over the volunteers' read
model, the guarded workflow, the events it writes to the outbox (requested, unmatched, completed
once), bad input named field by field with nothing half-written, and the figures."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backbone import volunteer_bookings
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.orders import help_requests, volunteers
from services.orders.models import (
    CatalogueItem,
    HelpRequest,
    KnownMember,
    KnownVillage,
    VolunteerBooking,
)
from services.orders.schemas.help_requests import (
    AssignInput,
    DoneInput,
    HelpCancelInput,
    HelpRequestInput,
)
from tests.support.messages import without_code
from tests.support.reliability import outbox
from tests.support.statements import statements_during
from tests.support.volunteering import volunteer_available

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=PARIS)


def available(database, name, villages, skills, **options):
    return volunteer_available(database, name, villages, skills, known_since=NOW, **options)


@pytest.fixture
def world(service_db):
    """Two villages 35 km apart with coordinates, a requester in the first, volunteers: Bernard and
    Sandrine serve the Bourg, Thierry lives in Saint-Aubin and accepts 40 km."""
    database = service_db("orders")
    bourg, aubin = str(uuid.uuid4()), str(uuid.uuid4())
    requester, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(
                id=bourg,
                slug="bourg",
                name="Le Bourg",
                kind="fixed",
                latitude=45.6231,
                longitude=2.0412,
                opened_at=NOW,
            )
        )
        uow.session.add(
            KnownVillage(
                id=aubin,
                slug="aubin",
                name="Saint-Aubin",
                kind="fixed",
                latitude=45.9412,
                longitude=2.0935,
                opened_at=NOW,
            )
        )
        uow.session.add(
            KnownMember(
                id=requester, village_id=bourg, display_name="Marcelle Vergne", registered_at=NOW
            )
        )
        uow.session.add(
            KnownMember(
                id=stranger, village_id=aubin, display_name="Germaine Peyrat", registered_at=NOW
            )
        )
        uow.commit()
    people = {
        "bernard": available(
            database, "Bernard Couderc", [bourg], ["debarras_meubles", "bricolage"]
        ),
        "sandrine": available(database, "Sandrine Rebière", [bourg], ["bricolage"]),
        "thierry": available(database, "Thierry Lachaud", [aubin], ["bricolage"], km=40),
    }
    return database, bourg, aubin, requester, stranger, people


def body(requester, **change):
    data = {
        "requester_member_id": requester,
        "skill": "bricolage",
        "place": "3 rue du Lavoir",
        "description": "Fixer une étagère",
        "starts_at": SATURDAY.isoformat(),
        "ends_at": (SATURDAY + timedelta(hours=2)).isoformat(),
    }
    data.update(change)
    return data


def test_a_help_request_is_matched_done_confirmed_and_credited_once(world):
    database, bourg, _aubin, requester, _stranger, people = world
    with database.unit_of_work() as uow:
        created = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester)), now=NOW
        )
    assert created["status"] == "requested" and created["status_label"] == "Demandé"
    assert created["requester_name"] == "Marcelle Vergne"
    ranked = [c["display_name"] for c in created["candidates"]]
    assert (
        set(ranked[:2]) == {"Bernard Couderc", "Sandrine Rebière"}
        and ranked[2] == "Thierry Lachaud"
    )
    assert created["candidates"][2]["reasons"][2].startswith("Habite à")
    requested = outbox(database, "help_request.requested")
    assert [e["payload"]["help_request_id"] for e in requested] == [created["id"]]
    hid = created["id"]

    with database.unit_of_work() as uow, pytest.raises(Conflict) as stranger:
        help_requests.assign(
            uow, hid, load(AssignInput(), {"volunteer_id": str(uuid.uuid4())}), [bourg], now=NOW
        )
    assert (
        stranger.value.reason == "volunteer_not_candidate"
        and stranger.value.field == "volunteer_id"
    )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as early:
        help_requests.mark_done(uow, hid, load(DoneInput(), {"minutes": 60}), [bourg], now=NOW)
    assert early.value.reason == "help_request_transition"
    assert early.value.details == {
        "current": "requested",
        "requested": "done",
        "allowed": ["assigned", "cancelled"],
    }

    sandrine_id, sandrine_member = people["sandrine"]
    with database.unit_of_work() as uow:
        assigned = help_requests.assign(
            uow, hid, load(AssignInput(), {"volunteer_id": sandrine_id}), [bourg], now=NOW
        )
    assert assigned["status"] == "assigned" and assigned["volunteer_name"] == "Sandrine Rebière"
    assert assigned["candidates"] == []

    def accept():
        with database.unit_of_work() as uow:
            return help_requests.accept(uow, hid, [bourg], now=NOW)

    talk, accepted = statements_during(database, accept)
    assert accepted["status"] == "accepted" and accepted["volunteer_name"] == "Sandrine Rebière"
    assert accepted["accepted_at"] is not None
    assert talk[-1] == "COMMIT", f"answered as written, nothing read after the commit: {talk}"
    for minutes in (0, -30, 1441, "90", 1.5):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as bad:
            help_requests.mark_done(
                uow, hid, load(DoneInput(), {"minutes": minutes}), [bourg], now=NOW
            )
        assert "minutes" in bad.value.errors
    with database.unit_of_work() as uow:
        done = help_requests.mark_done(
            uow, hid, load(DoneInput(), {"minutes": 95}), [bourg], now=SATURDAY + timedelta(hours=2)
        )
    assert done["status"] == "done" and done["minutes"] == 95
    assert outbox(database, "help_request.completed") == [], (
        "credited only once the requester confirmed"
    )
    with database.unit_of_work() as uow:
        confirmed = help_requests.confirm(uow, hid, [bourg], now=SATURDAY + timedelta(hours=3))
    assert confirmed["status"] == "confirmed"
    with database.unit_of_work() as uow, pytest.raises(Conflict):
        help_requests.confirm(uow, hid, [bourg])
    completed = outbox(database, "help_request.completed")
    assert len(completed) == 1
    assert completed[0]["payload"] | {} == {
        "help_request_id": hid,
        "village_id": bourg,
        "member_id": sandrine_member,
        "skill": "bricolage",
        "minutes": 95,
        "completed_at": completed[0]["payload"]["completed_at"],
    }
    assert completed[0]["village_id"] == bourg

    # Sandrine gave 95 minutes lately: the next request proposes the others first
    with database.unit_of_work() as uow:
        next_week = SATURDAY + timedelta(weeks=1)
        again = help_requests.create_help_request(
            uow,
            bourg,
            load(
                HelpRequestInput(),
                body(
                    requester,
                    starts_at=next_week.isoformat(),
                    ends_at=(next_week + timedelta(hours=2)).isoformat(),
                ),
            ),
            now=NOW + timedelta(days=5),
        )
    assert again["candidates"][-1]["display_name"] == "Sandrine Rebière"
    assert again["candidates"][-1]["recent_minutes"] == 95


def test_a_new_request_ranks_its_candidates_once_and_answers_them(world, monkeypatch):
    """The answer carries the candidates ranked for the request, not ranked a second time."""
    from services.orders import matching

    database, bourg, _aubin, requester, _stranger, _people = world
    calls, real = [], matching.rank_candidates
    monkeypatch.setattr(
        matching, "rank_candidates", lambda *args: calls.append(args) or real(*args)
    )
    with database.unit_of_work() as uow:
        created = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester)), now=NOW
        )
    assert len(calls) == 1
    with database.unit_of_work() as uow:
        again = help_requests.get_help_request(uow, created["id"], [bourg], now=NOW)
    assert created["candidates"] == again["candidates"] and len(created["candidates"]) == 3
    assert created["paid_options"] == again["paid_options"] and created["id"] == again["id"]


def test_the_same_idempotency_key_twice_makes_one_request(world):
    """A form sent twice, or a call retried after its answer was lost, records one request and one
    event: the second answers the first (even once the window is past); a key is unique per village;
    without a key, each call is a new request."""
    database, bourg, aubin, requester, stranger, _people = world
    key = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        first = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester, idempotency_key=key)), now=NOW
        )
    with database.unit_of_work() as uow:
        again = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester, idempotency_key=key)), now=NOW
        )
    with database.unit_of_work() as uow:
        late = help_requests.create_help_request(
            uow,
            bourg,
            load(HelpRequestInput(), body(requester, idempotency_key=key)),
            now=SATURDAY + timedelta(days=1),
        )
    assert first["id"] == again["id"] == late["id"] and again["candidates"]
    assert len(outbox(database, "help_request.requested")) == 1
    with database.unit_of_work() as uow:
        other = help_requests.create_help_request(
            uow, aubin, load(HelpRequestInput(), body(stranger, idempotency_key=key)), now=NOW
        )
    assert other["id"] != first["id"], "a key is unique per village"
    for _ in range(2):
        with database.unit_of_work() as uow:
            help_requests.create_help_request(
                uow, bourg, load(HelpRequestInput(), body(requester)), now=NOW
            )
    with database.unit_of_work() as uow:
        assert len(help_requests.list_help_requests(uow, bourg)) == 3


def test_nobody_can_take_it_is_a_missing_skill_signal(world):
    database, bourg, _aubin, requester, _stranger, people = world
    with database.unit_of_work() as uow:
        created = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester, skill="couture")), now=NOW
        )
    assert created["status"] == "unmatched" and created["candidates"] == []
    assert created["unmatched_reason"] == "Aucun·e bénévole n'a cette compétence."
    unmatched = outbox(database, "help_request.unmatched")
    assert [e["payload"]["skill"] for e in unmatched] == ["couture"]
    assert unmatched[0]["payload"]["reason"] == created["unmatched_reason"]
    assert len(outbox(database, "help_request.requested")) == 1

    # Nobody free on Monday morning either
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    with database.unit_of_work() as uow:
        later = help_requests.create_help_request(
            uow,
            bourg,
            load(
                HelpRequestInput(),
                body(
                    requester,
                    starts_at=monday.isoformat(),
                    ends_at=(monday + timedelta(hours=1)).isoformat(),
                ),
            ),
            now=NOW,
        )
    assert later["unmatched_reason"] == "Personne n'est disponible sur ce créneau."

    # a volunteer who turns up later can still be assigned
    couturiere, _member = available(database, "Josette Lavaud", [bourg], ["couture"])
    with database.unit_of_work() as uow:
        seen = help_requests.get_help_request(uow, created["id"], [bourg], now=NOW)
    assert [c["volunteer_id"] for c in seen["candidates"]] == [couturiere]
    with database.unit_of_work() as uow:
        assert (
            help_requests.assign(
                uow,
                created["id"],
                load(AssignInput(), {"volunteer_id": couturiere}),
                [bourg],
                now=NOW,
            )["unmatched_reason"]
            is None
        )


def test_bad_input_is_named_and_nothing_is_half_written(world):
    database, bourg, aubin, requester, stranger, _people = world
    cases = [
        (
            body(
                requester,
                starts_at=(NOW - timedelta(days=1)).isoformat(),
                ends_at=(NOW - timedelta(hours=20)).isoformat(),
            ),
            "starts_at",
        ),
        (body(requester, ends_at=SATURDAY.isoformat()), "ends_at"),
        (body(requester, ends_at=(SATURDAY + timedelta(hours=13)).isoformat()), "ends_at"),
        (body(requester, starts_at="2026-12-05T10:00:00"), "starts_at"),
        (body(requester, skill="Bricolage!"), "skill"),
        (body(requester, place=""), "place"),
        (body(str(uuid.uuid4())), "requester_member_id"),
        (body(stranger), "requester_member_id"),  # a member of another village
        (body(requester, idempotency_key="court"), "idempotency_key"),
    ]
    for data, field in cases:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as bad:
            help_requests.create_help_request(uow, bourg, load(HelpRequestInput(), data), now=NOW)
        assert field in bad.value.errors, (field, bad.value.errors)
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        help_requests.create_help_request(
            uow, str(uuid.uuid4()), load(HelpRequestInput(), body(requester)), now=NOW
        )
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(HelpRequest)) == 0
    assert outbox(database) == []

    with database.unit_of_work() as uow:
        created = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester)), now=NOW
        )
    with database.unit_of_work() as uow, pytest.raises(NotFound):  # another village's concierge
        help_requests.get_help_request(uow, created["id"], [aubin])
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        help_requests.cancel(uow, created["id"], load(HelpCancelInput(), {}), [aubin])
    with database.unit_of_work() as uow, pytest.raises(Conflict):
        help_requests.accept(uow, created["id"], [bourg])
    with database.unit_of_work() as uow:
        cancelled = help_requests.cancel(
            uow, created["id"], load(HelpCancelInput(), {"reason": "Sa fille est venue"}), [bourg]
        )
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "Sa fille est venue"
    with database.unit_of_work() as uow, pytest.raises(Conflict) as after:
        help_requests.assign(
            uow, created["id"], load(AssignInput(), {"volunteer_id": "x"}), [bourg], now=NOW
        )
    assert after.value.details["current"] == "cancelled" and after.value.details["allowed"] == []
    with database.unit_of_work() as uow, pytest.raises(InvalidInput):
        help_requests.list_help_requests(uow, bourg, "lost")
    with database.unit_of_work() as uow:
        assert [r["status"] for r in help_requests.list_help_requests(uow, bourg)] == ["cancelled"]
        assert help_requests.list_help_requests(uow, bourg, "requested") == []
        assert help_requests.list_help_requests(uow, aubin) == []


def test_figures_count_help_given_and_requests_unanswered(world):
    database, bourg, _aubin, requester, _stranger, people = world
    with database.unit_of_work() as uow:
        hid = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester)), now=NOW
        )["id"]
        help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester, skill="couture")), now=NOW
        )
    for step in (
        lambda uow: help_requests.assign(
            uow, hid, load(AssignInput(), {"volunteer_id": people["bernard"][0]}), None, now=NOW
        ),
        lambda uow: help_requests.accept(uow, hid, None),
        lambda uow: help_requests.mark_done(uow, hid, load(DoneInput(), {"minutes": 120}), None),
    ):
        with database.unit_of_work() as uow:
            step(uow)
    with database.unit_of_work() as uow:
        figures = help_requests.help_figures(uow, date(2026, 12, 1), date(2026, 12, 31))
        assert figures == {
            bourg: {"help_requests_done": 1, "help_minutes": 120, "help_requests_unmatched": 1}
        }
        assert help_requests.help_figures(uow, date(2026, 12, 6), date(2026, 12, 31)) == {}
        assert (
            help_requests.help_figures(
                uow, date(2026, 12, 1), date(2026, 12, 31), [str(uuid.uuid4())]
            )
            == {}
        )


def test_max_distance_comes_from_the_volunteer_event(world):
    database, _bourg, aubin, _requester, _stranger, people = world
    with database.unit_of_work() as uow:
        thierry = next(
            v
            for v in volunteers.known_volunteers(uow, aubin)
            if v["volunteer_id"] == people["thierry"][0]
        )
    assert thierry["max_distance_km"] == 40


def test_paid_services_of_the_catalogue_are_offered_beside_the_volunteers(world):
    database, bourg, aubin, requester, _stranger, _people = world
    with database.unit_of_work() as uow:
        for village_id, item, kind, available in (
            (bourg, "Lavage de vitres (1 h)", "service", True),
            (bourg, "Tomme du plateau", "product", True),
            (bourg, "Tonte de pelouse", "service", False),
            (aubin, "Petits travaux (1 h)", "service", True),
        ):
            uow.session.add(
                CatalogueItem(
                    village_id=village_id,
                    item_id=str(uuid.uuid4()),
                    offer_id=str(uuid.uuid4()),
                    partner_id="p-asso",
                    partner_name="Association Coups de main du Plateau",
                    shared_supplier=False,
                    name=item,
                    kind=kind,
                    unit="hour",
                    price_cents=1800,
                    vat_rate=200,
                    lead_time_days=1,
                    cutoff_time="18:00",
                    days=[],
                    perishable=False,
                    available=available,
                )
            )
        uow.commit()
    with database.unit_of_work() as uow:
        created = help_requests.create_help_request(
            uow, bourg, load(HelpRequestInput(), body(requester, skill="couture")), now=NOW
        )
    assert created["status"] == "unmatched"
    assert [(o["name"], o["partner_name"], o["price_cents"]) for o in created["paid_options"]] == [
        ("Lavage de vitres (1 h)", "Association Coups de main du Plateau", 1800)
    ]


@pytest.mark.parametrize(
    "schema, data",
    [
        (
            HelpRequestInput(),
            {
                "requester_member_id": "",
                "skill": "Couture!",
                "place": "x",
                "starts_at": "demain",
                "ends_at": "2026-12-05T10:00:00",
                "extra": 1,
            },
        ),
        (
            HelpRequestInput(),
            {
                "requester_member_id": "m",
                "skill": "couture",
                "place": "Chez elle",
                "starts_at": "2026-12-05T10:00:00+01:00",
                "ends_at": "2026-12-05T09:00:00+01:00",
            },
        ),
        (
            HelpRequestInput(),
            {
                "requester_member_id": "m",
                "skill": "couture",
                "place": "Chez elle",
                "starts_at": "2026-12-05T10:00:00+01:00",
                "ends_at": "2026-12-06T10:00:00+01:00",
            },
        ),
        (AssignInput(), {}),
        (DoneInput(), {"minutes": 0}),
        (DoneInput(), {"minutes": "soixante"}),
    ],
)
def test_every_message_of_these_schemas_reads_in_french(schema, data):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError) as err:
        schema.load(data)

    assert without_code(err.value.messages) == []


def _request(database, village, requester, starts, minutes):
    with database.unit_of_work() as uow:
        return help_requests.create_help_request(
            uow,
            village,
            load(
                HelpRequestInput(),
                body(
                    requester,
                    starts_at=starts.isoformat(),
                    ends_at=(starts + timedelta(minutes=minutes)).isoformat(),
                ),
            ),
            now=NOW,
        )["id"]


def _assign(database, hid, volunteer_id, village):
    with database.unit_of_work() as uow:
        return help_requests.assign(
            uow, hid, load(AssignInput(), {"volunteer_id": volunteer_id}), [village], now=NOW
        )


def test_a_volunteer_is_never_booked_twice_nor_without_time_to_travel_between_villages(world):
    database, bourg, aubin, requester, stranger, people = world
    thierry, _member = people["thierry"]
    at_home = _request(database, aubin, stranger, SATURDAY - timedelta(hours=1), 60)  # 9:00-10:00
    _assign(database, at_home, thierry, aubin)
    # 35 km to the Bourg at 40 km/h: 10:30 leaves half an hour, not the 53 minutes of the road
    too_soon = _request(database, bourg, requester, SATURDAY + timedelta(minutes=30), 60)
    with pytest.raises(Conflict) as busy:
        _assign(database, too_soon, thierry, bourg)
    assert (busy.value.reason, busy.value.field) == ("volunteer_busy", "volunteer_id")
    assert busy.value.details["village"] == "Saint-Aubin"
    assert busy.value.details["when"] == "samedi 05/12 à 09h00"
    with database.unit_of_work() as uow:
        assert uow.session.get(HelpRequest, too_soon).status == "requested", "nothing written"
    in_time = _request(database, bourg, requester, SATURDAY + timedelta(hours=1), 60)  # 11:00
    assert _assign(database, in_time, thierry, bourg)["status"] == "assigned"

    sandrine, _member = people["sandrine"]  # one village: one mission after the other is fine
    first = _request(database, bourg, requester, SATURDAY - timedelta(hours=1), 60)
    then = _request(database, bourg, requester, SATURDAY, 60)
    _assign(database, first, sandrine, bourg)
    assert _assign(database, then, sandrine, bourg)["status"] == "assigned"
    overlapping = _request(database, bourg, requester, SATURDAY + timedelta(minutes=30), 60)
    with pytest.raises(Conflict):
        _assign(database, overlapping, sandrine, bourg)
    with database.unit_of_work() as uow:  # a cancelled coup de main frees the hours
        help_requests.cancel(uow, then, load(HelpCancelInput(), {}), [bourg], now=NOW)
    assert _assign(database, overlapping, sandrine, bourg)["status"] == "assigned"


def test_an_animation_role_known_from_events_holds_the_volunteer_and_orders_tells_its_own(world):
    database, bourg, aubin, requester, _stranger, people = world
    sandrine, sandrine_member = people["sandrine"]
    role = parse_envelope(
        build_envelope(
            "animation.volunteer_booking",
            {
                "booking_id": f"animation:a-1:{sandrine_member}",
                "member_id": sandrine_member,
                "village_id": aubin,
                "starts_at": SATURDAY - timedelta(hours=1),
                "ends_at": SATURDAY,
                "what": "l'animation « Loto »",
                "booked": True,
            },
            village_id=aubin,
            source="events",
        )
    )
    with database.unit_of_work() as uow:
        volunteer_bookings.record_booking(uow, VolunteerBooking, role)
    hid = _request(database, bourg, requester, SATURDAY + timedelta(minutes=30), 60)
    with pytest.raises(Conflict) as busy:
        _assign(database, hid, sandrine, bourg)
    assert busy.value.details["mission"] == "l'animation « Loto »"
    assert busy.value.details["village"] == "Saint-Aubin"
    later = _request(database, bourg, requester, SATURDAY + timedelta(hours=1), 60)
    _assign(database, later, sandrine, bourg)
    with database.unit_of_work() as uow:
        help_requests.cancel(uow, later, load(HelpCancelInput(), {}), [bourg], now=NOW)
    told = [e["payload"] for e in outbox(database, "help_request.volunteer_booking")]
    assert [(t["booking_id"], t["member_id"], t["booked"]) for t in told] == [
        (f"help_request:{later}", sandrine_member, True),
        (f"help_request:{later}", sandrine_member, False),
    ]
