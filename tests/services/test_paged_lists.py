"""Every list is cut in the database (issue 21), on SQLite and PostgreSQL: walked page by page as
the gateway asks (gateway/paging.py: one row more than the page, to know whether another follows),
the pages hold at most `per_page` rows, say truthfully whether more follow, and together give the
whole list once, in its order — even when rows tie on the sort key (same hour, same day)."""

from datetime import UTC, date

import pytest

from backbone.errors import InvalidInput
from backbone.schemas import load
from services.orders import ordering, parcels, rounds
from services.orders.models import Round, Vehicle
from services.orders.schemas.orders import (
    OrderListQuery,
)
from services.orders.schemas.parcels import (
    ParcelListQuery,
)
from tests.support.counter import NOW, order_input, place, receive


def walk(fetch, per_page=2):
    """`fetch(window)` page after page; the ids of the whole list and of each page."""
    pages, page = [], 0
    while True:
        rows = fetch({"limit": per_page + 1, "offset": page * per_page})
        pages.append([row["id"] for row in rows[:per_page]])
        if len(rows) <= per_page:
            return pages
        page += 1


def check_pages(database, listing, expected_count, per_page=2):
    with database.unit_of_work() as uow:
        whole = [row["id"] for row in listing(uow, None)]
    assert len(whole) == expected_count

    def fetch(window):
        with database.unit_of_work() as uow:
            return listing(uow, window)

    pages = walk(fetch, per_page)
    assert all(0 < len(p) <= per_page for p in pages), pages
    assert len(pages) == -(-expected_count // per_page), "no empty page, none missing"
    assert [row_id for p in pages for row_id in p] == whole, "each row once, in the list's order"


def test_orders_and_a_partners_orders_are_cut_in_pages(counter_world):
    world = counter_world
    for _ in range(
        5
    ):  # placed at the same instant, delivered the same day: only the id tells them apart
        place(world, world.village, order_input(world, (world.bread, 1), (world.cheese, 1)))
    place(
        world, world.other_village, order_input(world, (world.cheese_b, 1), member_id=world.chloe)
    )
    check_pages(
        world.db,
        lambda uow, window: ordering.list_orders(
            uow, world.village, load(OrderListQuery(), {}), window
        ),
        5,
    )
    # one row per order though each has two lines
    check_pages(
        world.db, lambda uow, window: ordering.partner_orders(uow, world.baker, None, window), 5
    )
    check_pages(
        world.db,
        lambda uow, window: ordering.partner_orders(uow, world.cheese_maker, None, window),
        6,
        per_page=4,
    )


def test_parcels_received_at_the_same_instant_are_cut_in_pages(counter_world):
    world = counter_world
    for _ in range(5):
        receive(world)
    check_pages(
        world.db,
        lambda uow, window: parcels.list_parcels(
            uow, world.village, load(ParcelListQuery(), {"status": "waiting"}), NOW, window
        ),
        5,
    )


def test_rounds_touching_a_village_are_chosen_and_cut_in_the_query(counter_world):
    world = counter_world
    other = "0" * 36
    with world.db.unit_of_work() as uow:
        for n, (depot, served) in enumerate(
            (
                (world.village, [world.village]),
                (other, [other, world.village]),
                (other, [world.other_village, world.village]),
                (other, [other]),
                (world.other_village, [world.other_village]),
            )
        ):
            van = Vehicle(
                name=f"Kangoo {n}", depot_village_id=other, capacity=20
            )  # one round a day each
            uow.session.add(van)
            uow.session.flush()
            uow.session.add(
                Round(
                    vehicle_id=van.id,
                    on_date=date(2026, 12, 3),
                    depot_village_id=depot,
                    village_ids=served,
                    capacity=20,
                    load=0,
                    distance_km=0.0,
                    status="planned",
                )
            )
        uow.commit()
    check_pages(
        world.db,
        lambda uow, window: rounds.list_rounds(uow, [world.village], None, None, window),
        3,
    )
    check_pages(
        world.db,
        lambda uow, window: rounds.list_rounds(uow, [world.other_village], None, None, window),
        2,
        per_page=1,
    )
    check_pages(world.db, lambda uow, window: rounds.list_rounds(uow, None, None, None, window), 5)


@pytest.mark.parametrize(
    "window, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 202}, "limit"),
        ({"limit": 10, "offset": -1}, "offset"),
        ({"limit": 10, "offset": 10**20}, "offset"),
    ],
)
def test_a_window_out_of_bounds_is_refused_naming_its_field(counter_world, window, field):
    with counter_world.db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        ordering.list_orders(uow, counter_world.village, load(OrderListQuery(), {}), window)
    assert field in refused.value.errors


# --- events ------------------------------------------------------------------------------------


def test_animations_and_suggestions_are_cut_in_pages(service_db):
    from services.events import animations, suggestions
    from services.events.models import Animation, AnimationVillage, Suggestion

    events = service_db("events")
    here, elsewhere = "1" * 36, "2" * 36
    with events.unit_of_work() as uow:
        for n in range(5):  # same hour: the id tells them apart
            hosted = Animation(
                village_id=here if n % 2 else elsewhere,
                kind="atelier",
                title=f"Atelier {n}",
                place="Salle",
                starts_at=NOW,
                ends_at=NOW,
                capacity=10,
            )
            uow.session.add(hosted)
            uow.session.flush()
            if n % 2 == 0 and n:  # invited from elsewhere
                uow.session.add(AnimationVillage(animation_id=hosted.id, village_id=here))
            uow.session.add(
                Suggestion(village_id=here, category="commerce", text=f"Idée {n}", created_at=NOW)
            )
        uow.commit()
    check_pages(
        events,
        lambda uow, window: animations.list_animations(uow, here, window=window),
        4,
        per_page=3,
    )
    check_pages(events, lambda uow, window: suggestions.list_suggestions(uow, here, {}, window), 5)


# --- partners ----------------------------------------------------------------------------------


def test_partners_offers_campaigns_and_funding_are_cut_in_pages(service_db):
    from services.partners import campaigns, funding, offers, partners
    from services.partners.models import (
        Campaign,
        FundingSource,
        KnownVillage,
        Offer,
        Partner,
        PartnerVillage,
    )

    db = service_db("partners")
    here, elsewhere = "1" * 36, "2" * 36
    with db.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(
                id=here,
                slug="ici",
                name="Ici",
                commune="Ici",
                insee_code="19164",
                opened_at=NOW,
                changed_at=NOW,
            )
        )
        uow.session.flush()
        made = []
        for serves in ([here], [], [elsewhere], [here, elsewhere], [], [elsewhere]):
            # the same name: the id orders them
            partner = Partner(name="Ferme du Plateau", kind="producer")
            uow.session.add(partner)
            uow.session.flush()
            uow.session.add_all(PartnerVillage(partner_id=partner.id, village_id=v) for v in serves)
            made.append(partner)
        for _ in range(5):
            uow.session.add(
                Offer(
                    partner_id=made[0].id,
                    name="Tomme",
                    kind="product",
                    unit="kg",
                    price_cents=100,
                    vat_rate=55,
                    lead_time_days=1,
                    cutoff_time="12:00",
                    days=["friday"],
                    perishable=True,
                    available=True,
                )
            )
            uow.session.add(
                Campaign(
                    village_id=here,
                    title="Four à pain",
                    purpose="Un four",
                    goal_cents=100,
                    deadline=NOW,
                    status="running",
                )
            )
            uow.session.add(
                FundingSource(
                    village_id=here,
                    kind="grant",
                    name="Région",
                    amount_cents=100,
                    starts_on=NOW.date(),
                    received_on=NOW.date(),
                    services=[],
                )
            )
        uow.commit()
    # serving "here": listed there, or network-wide (no village listed) once the village is known
    check_pages(db, lambda uow, window: partners.list_partners(uow, here, window), 4, per_page=3)
    check_pages(db, lambda uow, window: partners.list_partners(uow, elsewhere, window), 3)
    check_pages(db, lambda uow, window: partners.list_partners(uow, None, window), 6, per_page=4)
    check_pages(db, lambda uow, window: offers.list_offers(uow, made[0].id, window), 5)
    check_pages(db, lambda uow, window: campaigns.list_campaigns(uow, [here], window), 5)
    check_pages(db, lambda uow, window: funding.list_funding_sources(uow, None, window), 5)


# --- members -----------------------------------------------------------------------------------


def test_staff_accounts_and_shared_members_are_cut_in_pages(service_db):
    from datetime import date as day

    from services.members import accounts, people
    from services.members.models import Consent, Member, StaffAccount
    from services.members.models.villages import Village

    db = service_db("members")
    with db.unit_of_work() as uow:
        village = Village(
            slug="ici",
            name="Ici",
            commune="Ici",
            insee_code="19164",
            postcode="19290",
            kind="fixed",
        )
        uow.session.add(village)
        uow.session.flush()
        for n in range(5):
            uow.session.add(
                StaffAccount(
                    email=f"c{n}@exemple.fr",
                    full_name="Camille",
                    password_hash="x",
                    role="concierge",
                    village_id=village.id,
                )
            )
            member = Member(
                village_id=village.id,
                first_name="Jean",
                last_name="Martin",
                search_name="jean martin",
                joined_on=day(2026, 1, 1),
            )  # namesakes: the id orders them
            uow.session.add(member)
            uow.session.flush()
            uow.session.add(Consent(member_id=member.id, purpose="share_with_network"))
        uow.commit()
    check_pages(db, lambda uow, window: accounts.list_staff_accounts(uow, window), 5)
    check_pages(db, lambda uow, window: people.shared_members(uow, None, window), 5)


def test_a_village_s_notices_and_their_delivery_log_are_cut_in_pages(service_db):
    """The call list keeps its order (what is still to do first, calls before messages, oldest
    first) and the log its outcome filter when both are cut in the query: the filter was applied
    after the log's 500 newest rows before, so older parked notices could not be found."""
    from datetime import date as day
    from datetime import datetime

    from services.members import notices
    from services.members.models import Member
    from services.members.models.notices import Notice
    from services.members.models.villages import Village

    db = service_db("members")
    same_instant = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    states = [
        ("sms", "sent", 0, False),
        ("call", "to_send", 0, False),
        ("email", "to_send", 2, False),
        ("sms", "to_send", 6, True),
        ("call", "done", 0, False),
        ("email", "to_send", 0, False),
        ("call", "to_send", 0, False),
    ]
    with db.unit_of_work() as uow:
        village = Village(
            slug="ici",
            name="Ici",
            commune="Ici",
            insee_code="19164",
            postcode="19290",
            kind="fixed",
        )
        uow.session.add(village)
        uow.session.flush()
        for n, (channel, status, attempts, parked) in enumerate(states):
            member = Member(
                village_id=village.id,
                first_name="Jean",
                last_name=f"Martin{n}",
                search_name=f"jean martin{n}",
                joined_on=day(2026, 1, 1),
            )
            uow.session.add(member)
            uow.session.flush()
            uow.session.add(
                Notice(
                    village_id=village.id,
                    member_id=member.id,
                    source_type="parcel.received",
                    source_ref=str(n),
                    channel=channel,
                    status=status,
                    message="m",
                    attempts=attempts,
                    created_at=same_instant,
                    parked_at=same_instant if parked else None,
                )
            )
        uow.commit()
    village_id = village.id
    check_pages(
        db, lambda uow, window: notices.list_notices(uow, village_id, None, window), len(states)
    )
    with db.unit_of_work() as uow:
        listed = notices.list_notices(uow, village_id)
    assert [(n["status"], n["channel"]) for n in listed][:2] == [
        ("to_send", "call"),
        ("to_send", "call"),
    ]
    assert [n["status"] for n in listed][-2:] in (["sent", "done"], ["done", "sent"])

    def log(uow, window, outcome=None):
        return [
            {**line, "id": line["notice_id"]}
            for line in notices.delivery_log(uow, village_id, outcome, window)
        ]

    check_pages(db, log, len(states))
    with db.unit_of_work() as uow:
        every = log(uow, None)
        for outcome in ("sent", "called", "parked", "to_call", "failed", "waiting"):
            assert [line["id"] for line in log(uow, None, outcome)] == [
                line["id"] for line in every if line["outcome"] == outcome
            ], outcome
        assert {line["outcome"] for line in every} == {
            "sent",
            "called",
            "parked",
            "to_call",
            "failed",
            "waiting",
        }


def test_villages_are_cut_in_pages_by_name(service_db):
    """A national network has a thousand villages: the list is cut in pages like the others
    (namesakes ordered by their id)."""
    from services.members import villages
    from services.members.models.villages import Village

    db = service_db("members")
    with db.unit_of_work() as uow:
        for n in range(5):
            uow.session.add(
                Village(
                    slug=f"saint-martin-{n}",
                    name="Saint-Martin" if n % 2 else f"Aubusson {n}",
                    commune="Ici",
                    insee_code="19164",
                    postcode="19290",
                    kind="fixed",
                )
            )
        uow.commit()
    check_pages(db, lambda uow, window: villages.list_villages(uow, None, window), 5)
