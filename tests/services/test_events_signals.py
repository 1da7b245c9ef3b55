"""Signals the network learns from (issue #26, point 6), in the events service on SQLite and
PostgreSQL: suggestions and their supports, coups de main nobody could take and orders every
supplier refused become one ledger, counted by theme, month, village and grappe; an event told
twice counts once; bad months are refused naming their field; the CSV's rows add up."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import InvalidInput, NotFound
from backbone.schemas import load
from services.events import signals, suggestions
from services.events.models import KnownMember, KnownVillage, SignalCount
from services.events.schemas import SignalQuery, SuggestionInput, SupportInput

NOW = datetime.now(UTC)
MONTH = signals.month_of(NOW)


@pytest.fixture
def world(service_db):
    """Three known villages with a member each."""
    database = service_db("events")
    villages = [str(uuid.uuid4()) for _ in range(3)]
    members = [str(uuid.uuid4()) for _ in range(3)]
    with database.unit_of_work() as uow:
        for n, (village, member) in enumerate(zip(villages, members)):
            uow.session.add(
                KnownVillage(id=village, slug=f"v{n}", name=f"V{n}", commune="C", opened_at=NOW)
            )
            uow.session.add(
                KnownMember(id=member, village_id=village, display_name="X", registered_at=NOW)
            )
        uow.commit()
    return database, villages, members


def told(type_, payload, occurred_at=NOW):
    return parse_envelope(
        build_envelope(
            type_,
            payload,
            village_id=payload.get("village_id"),
            source="orders" if type_ != "grappe.created" else "members",
            occurred_at=occurred_at,
        )
    )


def unmatched(village_id, skill="plomberie"):
    return told(
        "help_request.unmatched",
        {"help_request_id": str(uuid.uuid4()), "village_id": village_id, "skill": skill},
    )


def refused(village_id):
    return told(
        "order.refused",
        {
            "order_id": str(uuid.uuid4()),
            "village_id": village_id,
            "status": "refused",
            "fulfilment": "counter",
            "delivery_date": NOW.date(),
            "partner_ids": [],
            "total_cents": 0,
            "reason": "Rupture",
            "occurred_at": NOW,
        },
    )


def test_needs_from_every_source_are_counted_by_theme_village_grappe_and_month(world):
    database, (a, b, c), (ma, mb, _mc) = world
    with database.unit_of_work() as uow:
        made = suggestions.create_suggestion(
            uow, a, load(SuggestionInput(), {"category": "aide_domicile", "text": "Du jardinage"})
        )
    with database.unit_of_work() as uow:
        suggestions.support(uow, made["id"], load(SupportInput(), {"member_id": ma}), [a])
    help_b, order_c = unmatched(b), refused(c)
    for event in (help_b, help_b, order_c):  # the unmatched request told twice
        with database.unit_of_work() as uow:
            if event["type"] == "order.refused":
                signals.record_order_refused(uow, event)
            else:
                signals.record_help_unmatched(uow, event)
    grappe = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        signals.record_grappe(
            uow,
            told(
                "grappe.created",
                {
                    "grappe_id": grappe,
                    "name": "Plateau",
                    "village_ids": [a, b],
                    "supplier_partner_ids": [],
                    "depot_village_id": a,
                    "depot_place": None,
                },
            ),
        )
    with database.unit_of_work() as uow:
        seen = signals.signals(uow, MONTH, MONTH)
        only_grappe = signals.signals(uow, MONTH, MONTH, grappe)
        rows = signals.signal_rows(uow, MONTH, MONTH)
    themes = {t["theme"]: t for t in seen["themes"]}
    help_ = themes["aide_domicile"]
    assert help_["total"] == 3 and sorted(help_["village_ids"]) == sorted([a, b])
    assert {s["source"]: s["count"] for s in help_["by_source"]} == {
        "suggestion": 1,
        "support": 1,
        "help_unmatched": 1,
    }
    assert help_["by_month"] == [{"month": MONTH, "count": 3}]
    assert help_["grappes"] == [{"grappe_id": grappe, "name": "Plateau"}]
    assert themes["commerce"]["village_ids"] == [c] and themes["commerce"]["grappes"] == []
    assert seen["themes"][0]["theme"] == "aide_domicile", "the most villages first"
    assert [t["theme"] for t in only_grappe["themes"]] == ["aide_domicile"]
    assert sum(rows["total"]) == 4 and len(rows["village"]) == 3  # (theme, month, village) each
    assert [g[:2] for g in rows["groups"]] == [["aide_domicile", MONTH], ["commerce", MONTH]]
    grappe_of = dict(zip(rows["village_ids"], rows["grappes"]))
    assert grappe_of[b] == "Plateau" and grappe_of[c] == ""
    per_source = dict(zip(rows["sources"], rows["counts"]))
    assert sum(per_source["support"]) == 1 and sum(per_source["order_refused"]) == 1
    with database.unit_of_work() as uow:  # what record() kept, one need at a time, is the ledger
        kept = uow.session.execute(select(SignalCount.__table__).order_by("theme", "village_id"))
        kept = kept.all()
        signals.recount(uow)
        again = uow.session.execute(select(SignalCount.__table__).order_by("theme", "village_id"))
        assert kept == again.all() and len(kept) == 3


def test_a_year_of_months_with_none_yet_lists_each_month_and_bad_months_name_their_field(world):
    database, (a, _b, _c), _members = world
    with database.unit_of_work() as uow:
        signals.record_order_refused(uow, refused(a))
        year = signals.signals(uow, "2026-01", "2026-12")
    assert len(year["months"]) == 12 and year["months"][0] == "2026-01"
    for data, field in (
        ({"month_from": "2026-13", "month_to": "2026-12"}, "month_from"),
        ({"month_from": "2026-05", "month_to": "2026-04"}, "month_to"),
        ({"month_from": "2023-01", "month_to": "2026-12"}, "month_to"),
        ({"month_to": "2026-12"}, "month_from"),
    ):
        with pytest.raises(InvalidInput) as bad:
            load(SignalQuery(), data)
        assert field in bad.value.errors, (data, bad.value.errors)


def test_a_member_of_any_village_supports_once_and_counts_in_their_own_village(world):
    database, (a, b, c), (ma, mb, mc) = world
    with database.unit_of_work() as uow:
        made = suggestions.create_suggestion(
            uow, a, load(SuggestionInput(), {"category": "mobilite", "text": "Un bus le mardi"})
        )["id"]

    def support(member_id, hubs):
        with database.unit_of_work() as uow:
            return suggestions.support(
                uow, made, load(SupportInput(), {"member_id": member_id}), hubs
            )

    assert support(mb, [b])["supports"] == 1  # b's hub, for its inhabitant
    assert support(mb, [b])["supports"] == 1  # twice: nothing more
    assert support(mb, None)["supports"] == 1  # nor through the coordinator
    assert support(mc, [a])["supports"] == 2  # a's hub, for a neighbour at its counter
    with pytest.raises(NotFound):  # c's hub, for a's inhabitant on a's suggestion: not its own
        support(ma, [c])
    with pytest.raises(NotFound):  # nor for someone the network does not know
        support(str(uuid.uuid4()), [c])
    with pytest.raises(InvalidInput) as unknown:
        support(str(uuid.uuid4()), [a])
    assert list(unknown.value.errors) == ["member_id"]
    with database.unit_of_work() as uow:
        uow.session.get(KnownMember, ma).erased_at = NOW
        uow.commit()
    with pytest.raises(InvalidInput) as erased:
        support(ma, [a])
    assert list(erased.value.errors) == ["member_id"]

    with database.unit_of_work() as uow:
        [theme] = signals.signals(uow, MONTH, MONTH)["themes"]
        rows = signals.signal_rows(uow, MONTH, MONTH)
    assert theme["theme"] == "mobilite" and sorted(theme["village_ids"]) == sorted([a, b, c])
    assert {s["source"]: s["count"] for s in theme["by_source"]} == {"suggestion": 1, "support": 2}
    supports = dict(zip(rows["sources"], rows["counts"]))["support"]
    assert dict(zip([rows["village_ids"][n] for n in rows["village"]], supports)) == {
        a: 0,
        b: 1,
        c: 1,
    }


def test_an_inhabitant_sees_the_open_suggestions_of_the_villages_of_their_grappe(world):
    database, (a, b, c), _members = world
    made = {}
    for village in (a, b, c):
        with database.unit_of_work() as uow:
            made[village] = suggestions.create_suggestion(
                uow, village, load(SuggestionInput(), {"category": "sante", "text": "Un médecin"})
            )["id"]
    with database.unit_of_work() as uow:
        assert suggestions.neighbour_suggestions(uow, a) == [], "in no grappe yet"
        signals.record_grappe(
            uow,
            told(
                "grappe.created",
                {
                    "grappe_id": str(uuid.uuid4()),
                    "name": "Plateau",
                    "village_ids": [a, b],
                    "supplier_partner_ids": [],
                    "depot_village_id": a,
                    "depot_place": None,
                },
            ),
        )
    with database.unit_of_work() as uow:
        assert [s["id"] for s in suggestions.neighbour_suggestions(uow, a)] == [made[b]]
        assert [s["id"] for s in suggestions.neighbour_suggestions(uow, c)] == []
