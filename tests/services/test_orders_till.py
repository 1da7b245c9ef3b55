"""The hub's till, on SQLite and PostgreSQL: a sale priced from the village's catalogue and shelf,
paid by several methods with the change computed, `sale.recorded` written once whatever the
retries; refunds never beyond what was sold; the day's closing (Z) equal to the sum of its sales
and closed once; the shelf never below zero; solidarity prices for eligible members only; bad
input refused with the field named and nothing written; and over the real broker, a sale retried
with its key published exactly once."""

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pika
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from backbone import config
from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.orders import figures, read_models, solidarity, stock, till
from services.orders.models import StockMovement, TillRefund, TillSale
from services.orders.schemas.till import (
    ClosingInput,
    EligibilityInput,
    MovementInput,
    RefundInput,
    SolidarityPriceInput,
    StockItemInput,
)
from services.orders.service import OrdersService
from tests.support.counter import NOW
from tests.support.till import sale_input, sell

LATER = NOW + timedelta(hours=2)


def outbox(database, prefix="sale."):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.startswith(prefix)).order_by(OutboxEvent.id)
        )
        return [json.loads(r.body) for r in rows]


def count(database, model):
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def refund(world, data, now=LATER):
    with world.db.unit_of_work() as uow:
        return till.refund_sale(uow, world.village, load(RefundInput(), data), now)


def close(world, now=LATER, **data):
    with world.db.unit_of_work() as uow:
        return till.close_day(uow, world.village, load(ClosingInput(), data), now)


def shelf(world, **data):
    with world.db.unit_of_work() as uow:
        return stock.add_item(uow, world.village, load(StockItemInput(), data))


def movement(world, stock_item_id, **data):
    with world.db.unit_of_work() as uow:
        return stock.record_movement(
            uow, world.village, stock_item_id, load(MovementInput(), data), NOW
        )


def test_a_walk_in_sale_paid_in_cash_gives_the_change_and_tells_it_once(counter_world):
    world = counter_world
    data = sale_input((world.bread, 2), (world.cheese, 1), payments=[("cash", 5000)])
    sale = sell(world, data)
    assert sale["total_cents"] == 2 * 320 + 1250 == 1890
    assert sale["given_cents"] == 5000 and sale["change_cents"] == 5000 - 1890
    assert sale["payments"] == [{"method": "cash", "method_label": "Espèces", "amount_cents": 1890}]
    # VAT at 5.5 % from the VAT-included total of each line, half up: 640 → 33.36 → 33
    assert [line["vat_cents"] for line in sale["lines"]] == [33, 65]
    assert sale["vat_cents"] == 98
    again = sell(world, dict(data))
    assert again["id"] == sale["id"] and count(world.db, TillSale) == 1
    (event,) = outbox(world.db)
    assert event["type"] == "sale.recorded" and event["village_id"] == world.village
    payload = event["payload"]
    assert payload["partner_ids"] == sorted([world.baker, world.cheese_maker])
    assert payload["member_id"] is None and payload["total_cents"] == 1890
    assert payload["payments"] == [{"method": "cash", "amount_cents": 1890}]
    assert [(line["quantity"], line["total_cents"]) for line in payload["lines"]] == [
        (2, 640),
        (1, 1250),
    ]


def test_a_split_payment_card_then_cash_and_a_member_buyer(counter_world):
    world = counter_world
    sale = sell(
        world,
        sale_input(
            (world.cheese, 2),
            payments=[("card", 2000), ("cash", 1000)],
            member_id=world.alice,
        ),
    )
    assert sale["member_id"] == world.alice and sale["total_cents"] == 2500
    assert {p["method"]: p["amount_cents"] for p in sale["payments"]} == {
        "card": 2000,
        "cash": 500,
    }
    assert sale["change_cents"] == 500
    assert outbox(world.db)[0]["payload"]["member_id"] == world.alice


@pytest.mark.parametrize(
    "lines, payments, member, field",
    [
        ((("bread", -1),), [("cash", 500)], None, ("lines", 0, "quantity")),
        ((("bread", 0),), [("cash", 500)], None, ("lines", 0, "quantity")),
        ((("nope", 1),), [("cash", 500)], None, ("lines", 0, "item_id")),
        ((("B", 1),), [("cash", 5000)], None, ("lines", 0, "item_id")),  # village B's item
        ((("soldout", 1),), [("cash", 500)], None, ("lines", 0, "item_id")),
        ((("bread", 1),), [("cash", 100)], None, ("payments",)),  # short
        ((("bread", 1),), [("card", 400)], None, ("payments",)),  # card above the total
        ((("bread", 1),), [("card", 320), ("cash", 100)], None, ("payments",)),  # cash not needed
        ((("bread", 1),), [], None, ("payments",)),
        ((("bread", 1),), [("bitcoin", 320)], None, ("payments", 0, "method")),
        ((("bread", 1),), [("cash", -5)], None, ("payments", 0, "amount_cents")),
        ((("bread", 1),), [("cash", 200), ("cash", 200)], None, ("payments",)),
        ((("bread", 1), ("bread", 2)), [("cash", 2000)], None, ("lines",)),
        ((), [("cash", 100)], None, ("lines",)),
        ((("bread", 1),), [("cash", 500)], "C", ("member_id",)),  # a member of village B
        ((("bread", 1),), [("cash", 500)], "unknown", ("member_id",)),
    ],
)
def test_bad_sales_name_the_field_and_write_nothing(counter_world, lines, payments, member, field):
    world = counter_world
    names = {
        "bread": world.bread,
        "B": world.cheese_b,
        "soldout": world.soldout,
        "nope": {"item_id": str(uuid.uuid4())},
    }
    members = {"C": world.chloe, "unknown": str(uuid.uuid4()), None: None}
    data = sale_input(
        *((names[key], quantity) for key, quantity in lines),
        payments=payments,
        member_id=members[member],
    )
    with pytest.raises(InvalidInput) as error:
        sell(world, data)
    errors = error.value.errors
    for key in field:
        errors = errors[key]
    assert errors and all(isinstance(m, str) for m in errors)
    assert count(world.db, TillSale) == 0 and outbox(world.db) == []


def test_a_refund_gives_back_lines_never_more_than_sold(counter_world):
    world = counter_world
    sale = sell(world, sale_input((world.bread, 3), (world.cheese, 1), payments=[("card", 2210)]))
    bread_line, cheese_line = (line["id"] for line in sale["lines"])
    key = str(uuid.uuid4())
    data = {
        "idempotency_key": key,
        "sale_id": sale["id"],
        "lines": [{"line_id": bread_line, "quantity": 2}],
        "method": "cash",
        "reason": "Pain rassis",
    }
    after = refund(world, data)
    assert after["lines"][0]["refunded"] == 2 and after["refunds"][0]["total_cents"] == 640
    assert refund(world, dict(data))["refunds"] == after["refunds"], "the same key: one refund"
    assert count(world.db, TillRefund) == 1
    for too_many in (2, 4):
        with pytest.raises(InvalidInput) as error:
            refund(
                world,
                dict(
                    data,
                    idempotency_key=str(uuid.uuid4()),
                    lines=[{"line_id": bread_line, "quantity": too_many}],
                ),
            )
        assert "quantity" in error.value.errors["lines"][0]
    with pytest.raises(InvalidInput) as error:
        refund(world, dict(data, idempotency_key=str(uuid.uuid4()), reason="   "))
    assert "reason" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        refund(
            world,
            dict(
                data,
                idempotency_key=str(uuid.uuid4()),
                lines=[{"line_id": str(uuid.uuid4()), "quantity": 1}],
            ),
        )
    assert "line_id" in error.value.errors["lines"][0]
    assert count(world.db, TillRefund) == 1
    events = outbox(world.db)
    assert [e["type"] for e in events] == ["sale.recorded", "sale.refunded"]
    refunded = events[1]["payload"]
    assert refunded["total_cents"] == 640 and refunded["reason"] == "Pain rassis"
    assert refunded["lines"][0]["line_id"] == bread_line and refunded["partner_ids"] == [
        world.baker
    ]
    assert cheese_line


def test_the_closing_counts_the_day_compares_the_cash_and_is_made_once(counter_world):
    world = counter_world
    sell(world, sale_input((world.bread, 2), payments=[("cash", 1000)]))  # 640 cash
    sale = sell(world, sale_input((world.cheese, 2), payments=[("card", 1500), ("cash", 1000)]))
    sell(world, sale_input((world.bread, 1), payments=[("voucher", 320)]))
    refund(
        world,
        {
            "idempotency_key": str(uuid.uuid4()),
            "sale_id": sale["id"],
            "lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}],
            "method": "cash",
            "reason": "Fromage trop sec",
        },
    )
    z = close(world, counted_cash_cents=5000 + 640 + 1000 - 1250 - 200, float_cents=5000)
    totals = z["totals"]
    assert totals["sales"] == 3 and totals["refunds"] == 1
    assert totals["sales_cents"] == 640 + 2500 + 320 and totals["net_cents"] == 3460 - 1250
    assert {m["method"]: m["total_cents"] for m in totals["by_method"]} == {
        "cash": 640 + 1000 - 1250,
        "card": 1500,
        "cheque": 0,
        "voucher": 320,
    }
    assert {p["partner_id"]: p["total_cents"] for p in totals["by_partner"]} == {
        world.baker: 960,
        world.cheese_maker: 1250,
    }
    assert z["expected_cash_cents"] == 5000 + 390 and z["difference_cents"] == -200
    with pytest.raises(Conflict) as twice:
        close(world, counted_cash_cents=0)
    assert twice.value.reason == "till_already_closed"
    with pytest.raises(Conflict) as closed:
        sell(world, sale_input((world.bread, 1), payments=[("cash", 320)]), now=LATER)
    assert closed.value.reason == "till_day_closed"
    tomorrow = LATER + timedelta(days=1)
    assert sell(world, sale_input((world.bread, 1), payments=[("cash", 320)]), now=tomorrow)
    with pytest.raises(InvalidInput) as future:
        close(world, counted_cash_cents=0, day=(date(2026, 12, 9)).isoformat())
    assert "day" in future.value.errors


def test_a_sale_replayed_after_its_day_closed_answers_the_sale(counter_world):
    world = counter_world
    data = sale_input((world.bread, 1), payments=[("cash", 320)])
    first = sell(world, data)
    close(world, counted_cash_cents=320)
    assert sell(world, dict(data), now=LATER)["id"] == first["id"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=99_999),
            st.sampled_from([0, 21, 55, 100, 200]),
            st.integers(min_value=1, max_value=20),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_vat_per_line_rounds_half_up_and_adds_up(lines):
    """A line's VAT is its VAT-included total × rate / (1000 + rate), to the nearest cent (half
    up), so that the net plus the VAT is the total to the cent; a sale's VAT is the sum of its
    lines'."""
    for price, rate, quantity in lines:
        total = price * quantity
        vat = till.vat_of(total, rate)
        exact = total * rate / (1000 + rate)
        assert abs(vat - exact) <= 0.5 and 0 <= vat <= total
        assert 2 * total * rate >= (2 * vat - 1) * (1000 + rate)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=9),
            st.integers(min_value=0, max_value=5),
            st.sampled_from(["cash", "card", "cheque", "voucher"]),
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(min_value=0, max_value=10**6),
)
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_closing_totals_are_the_sum_of_the_sales(counter_world, sales, day_offset):
    """Whatever is sold and however it is paid, the Z's totals per method, per partner and per VAT
    rate each add up to the sum of the sales, to the cent."""
    world = counter_world
    day = NOW + timedelta(days=1 + day_offset % 10_000)
    made = []
    for bread, cheese, method in sales:
        lines = [(world.bread, bread)] + ([(world.cheese, cheese)] if cheese else [])
        total = bread * 320 + cheese * 1250
        made.append(sell(world, sale_input(*lines, payments=[(method, total)]), now=day))
    with world.db.unit_of_work() as uow:
        totals = till.day_totals(uow, world.village, till.day_of(day))
    total = sum(sale["total_cents"] for sale in made)
    assert totals["sales_cents"] == total == totals["net_cents"]
    assert sum(m["total_cents"] for m in totals["by_method"]) == total
    assert sum(p["total_cents"] for p in totals["by_partner"]) == total
    assert sum(r["total_cents"] for r in totals["by_vat_rate"]) == total
    assert totals["vat_cents"] == sum(sale["vat_cents"] for sale in made)


def test_the_shelf_is_decremented_by_the_till_and_never_goes_below_zero(counter_world):
    world = counter_world
    tracked = shelf(world, item_id=world.bread["item_id"], low_at=2)
    assert tracked["name"] == "Pain de campagne" and tracked["quantity"] == 0
    own = shelf(world, name="Café du comptoir", price_cents=150, vat_rate=100)
    movement(world, tracked["id"], kind="received", quantity=5, use_by="2026-12-03")
    movement(world, own["id"], kind="received", quantity=10)
    with pytest.raises(InvalidInput) as error:
        sell(world, sale_input((world.bread, 6), payments=[("cash", 5000)]))
    assert "quantity" in error.value.errors["lines"][0]
    assert "5" in error.value.errors_fr["lines"][0]["quantity"][0]
    assert count(world.db, TillSale) == 0
    sale = sell(
        world,
        sale_input((world.bread, 4), ({"item_id": own["id"]}, 2), payments=[("cash", 2000)]),
    )
    assert sale["total_cents"] == 4 * 320 + 2 * 150
    own_line = sale["lines"][1]
    assert own_line["partner_id"] is None and own_line["vat_rate"] == 100
    with world.db.unit_of_work() as uow:
        listed = stock.list_stock(uow, world.village, date(2026, 12, 1))
    quantities = {i["id"]: i["quantity"] for i in listed["items"]}
    assert quantities == {tracked["id"]: 1, own["id"]: 8}
    assert [i["id"] for i in listed["low"]] == [tracked["id"]]
    assert [i["id"] for i in listed["expiring"]] == [tracked["id"]]
    with pytest.raises(InvalidInput) as error:
        movement(world, own["id"], kind="lost", quantity=2)
    assert "reason" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        movement(world, own["id"], kind="spoilt", quantity=9, reason="Moisi")
    assert "quantity" in error.value.errors
    counted = movement(world, own["id"], kind="counted", quantity=6)
    assert counted["quantity"] == 6
    with world.db.unit_of_work() as uow:
        gaps = [
            (m.kind, m.change, m.quantity_after)
            for m in uow.session.scalars(
                select(StockMovement)
                .where(StockMovement.stock_item_id == own["id"])
                .order_by(StockMovement.at, StockMovement.quantity_after.desc())
            )
        ]
    assert gaps == [("received", 10, 10), ("sold", -2, 8), ("counted", -2, 6)]


def test_solidarity_prices_apply_to_eligible_members_only(counter_world):
    world = counter_world
    with world.db.unit_of_work() as uow:
        solidarity.set_price(
            uow,
            world.village,
            load(SolidarityPriceInput(), {"item_id": world.bread["item_id"], "price_cents": 200}),
        )
    with world.db.unit_of_work() as uow:
        solidarity.record_eligibility(
            uow,
            world.village,
            load(
                EligibilityInput(),
                {"member_id": world.alice, "given_by": "CCAS", "ends_on": "2026-12-31"},
            ),
            NOW,
        )
    alice = sell(
        world, sale_input((world.bread, 2), payments=[("cash", 400)], member_id=world.alice)
    )
    bruno = sell(
        world, sale_input((world.bread, 2), payments=[("cash", 640)], member_id=world.bruno)
    )
    anyone = sell(world, sale_input((world.bread, 1), payments=[("cash", 320)]))
    assert alice["lines"][0]["solidarity"] and alice["total_cents"] == 400
    assert not bruno["lines"][0]["solidarity"] and bruno["total_cents"] == 640
    assert anyone["total_cents"] == 320
    after_end = datetime(2027, 1, 1, 10, tzinfo=UTC)
    late = sell(
        world,
        sale_input((world.bread, 1), payments=[("cash", 320)], member_id=world.alice),
        now=after_end,
    )
    assert late["total_cents"] == 320, "an eligibility ended no longer applies"
    with world.db.unit_of_work() as uow:
        found = figures.village_figures(uow, date(2026, 12, 1), date(2026, 12, 1), [world.village])
    row = found["figures"][world.village]
    assert row["till_sales"] == 3 and row["solidarity_sales"] == 1
    assert row["solidarity_sales_cents"] == 400
    assert world.alice not in json.dumps(found), "the figures name nobody"
    for bad, field in (
        ({"member_id": world.chloe, "given_by": "CCAS", "ends_on": "2026-12-31"}, "member_id"),
        ({"member_id": world.bruno, "given_by": " ", "ends_on": "2026-12-31"}, "given_by"),
        ({"member_id": world.bruno, "given_by": "CCAS", "ends_on": "2026-11-01"}, "ends_on"),
    ):
        with pytest.raises(InvalidInput) as error, world.db.unit_of_work() as uow:
            solidarity.record_eligibility(uow, world.village, load(EligibilityInput(), bad), NOW)
        assert field in error.value.errors
    with pytest.raises(InvalidInput) as error, world.db.unit_of_work() as uow:
        solidarity.set_price(
            uow,
            world.village,
            load(SolidarityPriceInput(), {"item_id": world.bread["item_id"], "price_cents": 999}),
        )
    assert "price_cents" in error.value.errors


def test_till_sales_count_in_the_village_sales_figures_live_and_rolled_up(counter_world):
    world = counter_world
    own = shelf(world, name="Café du comptoir", price_cents=150, vat_rate=100)
    movement(world, own["id"], kind="received", quantity=10)
    sale = sell(
        world,
        sale_input((world.bread, 2), ({"item_id": own["id"]}, 1), payments=[("cash", 790)]),
    )
    refund(
        world,
        {
            "idempotency_key": str(uuid.uuid4()),
            "sale_id": sale["id"],
            "lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}],
            "method": "cash",
            "reason": "Erreur",
        },
    )
    # a second sale: the refund above is still counted once, against its own sale's line
    sell(world, sale_input(({"item_id": own["id"]}, 1), payments=[("cash", 150)]))
    day = date(2026, 12, 1)

    def check(what):
        with world.db.unit_of_work() as uow:
            found = figures.village_figures(uow, day, day, [world.village])
        assert found["figures"][world.village]["sales_cents"] == 320 + 150 + 150, what
        assert found["figures"][world.village]["till_sales"] == 2, what
        assert {p["partner_id"]: p["sales_cents"] for p in found["details"]["partner_sales"]} == {
            world.baker: 320
        }, what
        with world.db.unit_of_work() as uow:
            rows = figures.sales_by_village_and_partner(uow, day, day, [world.village])
        assert rows == [[world.village, world.baker, world.bread["partner_name"], 320]], what

    check("live")
    with world.db.unit_of_work() as uow:
        figures.roll_up(uow, NOW + timedelta(days=2))
    check("rolled up")


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_sale_retried_with_its_key_is_published_exactly_once(
    container_factory, nameko_config, counter_world, amqp_uri
):
    """Over the real broker: the RPC sent twice (a double click, a retry) makes one sale, and the
    relay publishes one `sale.recorded`; a bad sale crosses as InvalidInput naming the field."""
    world = counter_world
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare(
        config.EVENTS_EXCHANGE,
        "topic",
        durable=True,
        arguments={"alternate-exchange": config.DEAD_LETTER_EXCHANGE},
    )
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, config.EVENTS_EXCHANGE, "sale.*")
    # the service's own relay, as `maillage run` has it
    container_factory(OrdersService, {**nameko_config, "OUTBOX_RELAY": "in-process"}).start()
    data = sale_input((world.bread, 2), payments=[("cash", 1000)])
    try:
        with ServiceRpcProxy("orders", nameko_config, timeout=10) as orders:
            first = orders.record_sale(world.village, data)
            second = orders.record_sale(world.village, dict(data))
            with pytest.raises(InvalidInput) as bad:
                orders.record_sale(
                    world.village, sale_input((world.bread, -1), payments=[("cash", 1000)])
                )
            assert "quantity" in bad.value.errors["lines"]["0"]
        assert first["id"] == second["id"] and first["change_cents"] == 360
        received = []
        for _method, _properties, body in channel.consume(queue, inactivity_timeout=15):
            if body is not None:
                received.append(json.loads(body))
            break
        channel.cancel()
        for _attempt in range(100):  # the relay marks a row sent once the broker confirmed it
            if _published_all(world.db):
                break
            time.sleep(0.1)
        # every outbox row is confirmed: what the queue holds now is all that was published
        assert _published_all(world.db), (received, outbox(world.db, ""))
        while (left := channel.basic_get(queue, auto_ack=True))[0] is not None:
            received.append(json.loads(left[2]))
    finally:
        connection.close()
    assert [e["type"] for e in received] == ["sale.recorded"]
    assert received[0]["payload"]["sale_id"] == first["id"]


def _published_all(database) -> bool:
    with database.unit_of_work() as uow:
        return (
            uow.session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )
            == 0
        )


def test_an_erased_member_s_sales_stay_counted_as_a_walk_in_s(counter_world):
    world = counter_world
    sell(
        world,
        sale_input(
            (world.bread, 1),
            payments=[("cash", 320)],
            member_id=world.alice,
            email="alice@example.org",
        ),
    )
    with world.db.unit_of_work() as uow:
        solidarity.record_eligibility(
            uow,
            world.village,
            load(
                EligibilityInput(),
                {"member_id": world.alice, "given_by": "CCAS", "ends_on": "2026-12-31"},
            ),
            NOW,
        )
    with world.db.unit_of_work() as uow:
        assert read_models.member_data(uow, world.alice)["till_sales"][0]["receipt_emailed"]
        claim_and_handle(
            uow,
            "orders.on_member_erased",
            read_models.record_member_erased,
            parse_envelope(
                build_envelope(
                    "member.erased",
                    {"member_id": world.alice, "village_id": world.village},
                    village_id=world.village,
                    source="members",
                )
            ),
        )
    with world.db.unit_of_work() as uow:
        (sale,) = uow.session.scalars(select(TillSale)).all()
        assert sale.member_id is None and sale.total_cents == 320
        assert solidarity.eligibilities(uow, world.village) == []
