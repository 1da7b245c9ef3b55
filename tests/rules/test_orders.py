"""An order's status, through the counter's service layer (services/orders/ordering.py) on a unit
of work in memory: what may follow what, what each move tells, and what a refusal leaves."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from backbone.errors import Conflict
from backbone.schemas import load
from backbone.testing import FakeUnitOfWork
from services.orders import ordering
from services.orders.models import Order, OrderLine
from services.orders.schemas.orders import (
    CollectInput,
    LineAnswerInput,
    ReadyInput,
    ReasonInput,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
VILLAGE = str(uuid.uuid4())
BAKER, FARM = str(uuid.uuid4()), str(uuid.uuid4())


def _line(position: int, partner_id: str, status: str = "confirmed") -> OrderLine:
    return OrderLine(
        position=position,
        item_id=str(uuid.uuid4()),
        offer_id=str(uuid.uuid4()),
        partner_id=partner_id,
        partner_name="Partenaire",
        name="Pain de campagne",
        unit="pièce",
        quantity=2,
        unit_price_cents=320,
        vat_rate=550,
        status=status,
    )


def an_order(status: str = "confirmed", fulfilment: str = "counter", **columns) -> Order:
    order = Order(
        village_id=VILLAGE,
        member_id=str(uuid.uuid4()),
        idempotency_key=str(uuid.uuid4()),
        status=status,
        fulfilment=fulfilment,
        delivery_date=date(2026, 12, 3),
        placed_at=NOW,
        **columns,
    )
    order.lines = [_line(0, BAKER), _line(1, FARM)]
    order.total_cents = 1280
    return order


def counter_with(order: Order) -> FakeUnitOfWork:
    return FakeUnitOfWork("orders", [order, *order.lines])


def test_an_order_made_ready_in_a_locker_tells_where_and_how_to_collect_it():
    order = an_order(fulfilment="locker", locker_code="042517")
    uow = counter_with(order)
    answer = ordering.mark_ready(
        uow, order.id, load(ReadyInput(), {"compartment": "B3"}), [VILLAGE], LATER
    )
    assert answer["status"] == "ready" and answer["locker_compartment"] == "B3"
    assert order.ready_at == LATER
    [(type_, payload)] = uow.committed_events
    assert type_ == "order.ready"
    assert payload["partner_ids"] == sorted([BAKER, FARM]) and payload["total_cents"] == 1280
    assert (payload["member_id"], payload["locker_compartment"], payload["locker_code"]) == (
        order.member_id,
        "B3",
        "042517",
    )


def test_collecting_an_order_closes_it_and_tells_it():
    order = an_order("ready")
    uow = counter_with(order)
    assert (
        ordering.collect(uow, order.id, load(CollectInput(), {}), [VILLAGE], LATER)["status"]
        == "collected"
    )
    assert order.closed_at == LATER
    assert [type_ for type_, _payload in uow.committed_events] == ["order.collected"]


def test_an_order_not_yet_ready_cannot_be_collected_and_nothing_is_told():
    order = an_order("confirmed")
    uow = counter_with(order)
    with pytest.raises(Conflict) as refused:
        ordering.collect(uow, order.id, load(CollectInput(), {}), [VILLAGE], LATER)
    assert refused.value.reason == "order_status_transition"
    assert refused.value.details == {
        "current": "confirmed",
        "requested": "collected",
        "allowed": ["ready", "cancelled"],
    }
    assert order.status == "confirmed" and order.closed_at is None
    assert uow.committed_events == [] and uow.commits == 0


def test_a_wrong_locker_code_keeps_the_order_ready():
    order = an_order("ready", fulfilment="locker", locker_code="042517")
    uow = counter_with(order)
    with pytest.raises(Conflict) as refused:
        ordering.collect(uow, order.id, load(CollectInput(), {"code": "000000"}), [VILLAGE], LATER)
    assert refused.value.reason == "wrong_pickup_code"
    assert order.status == "ready" and uow.committed_events == []


def test_a_cancelled_order_keeps_its_reason_and_tells_it():
    order = an_order("placed")
    uow = counter_with(order)
    answer = ordering.cancel(
        uow, order.id, load(ReasonInput(), {"reason": "Plus besoin"}), [VILLAGE], LATER
    )
    assert answer["status"] == "cancelled" and answer["reason"] == "Plus besoin"
    [(type_, payload)] = uow.committed_events
    assert type_ == "order.cancelled" and payload["reason"] == "Plus besoin"
    assert "locker_code" not in payload  # only `order.ready` says how to collect


def test_a_closed_order_cannot_be_cancelled():
    order = an_order("collected", closed_at=NOW)
    uow = counter_with(order)
    with pytest.raises(Conflict) as refused:
        ordering.cancel(uow, order.id, load(ReasonInput(), {"reason": "Erreur"}), [VILLAGE], LATER)
    assert refused.value.details["allowed"] == []
    assert order.closed_at == NOW and order.reason is None


def test_an_order_whose_every_line_is_refused_is_refused_with_the_reasons():
    order = an_order("placed")
    for line in order.lines:
        line.status = "pending"
    uow = counter_with(order)
    first, second = order.lines
    ordering.answer_line(
        uow,
        BAKER,
        order.id,
        first.id,
        "refuse",
        load(LineAnswerInput(), {"reason": "Four en panne"}),
    )
    assert order.status == "placed" and uow.committed_events == []
    ordering.answer_line(
        uow, FARM, order.id, second.id, "refuse", load(LineAnswerInput(), {"reason": "Gel"}), LATER
    )
    assert (order.status, order.reason, order.closed_at) == ("refused", "Four en panne; Gel", LATER)
    [(type_, payload)] = uow.committed_events
    assert type_ == "order.refused" and payload["total_cents"] == 0


def test_an_order_whose_last_pending_line_is_confirmed_is_confirmed():
    order = an_order("placed")
    order.lines[1].status = "pending"
    uow = counter_with(order)
    ordering.answer_line(
        uow, FARM, order.id, order.lines[1].id, "confirm", load(LineAnswerInput(), {}), LATER
    )
    assert (order.status, order.confirmed_at) == ("confirmed", LATER)
    assert [type_ for type_, _payload in uow.committed_events] == ["order.confirmed"]


def test_a_home_delivery_is_delivered_not_collected():
    order = an_order("ready", fulfilment="home_delivery", delivery_address="3 rue du Four")
    uow = counter_with(order)
    with pytest.raises(Conflict) as refused:
        ordering.collect(uow, order.id, load(CollectInput(), {}), [VILLAGE], LATER)
    assert refused.value.reason == "order_is_home_delivery"
    assert ordering.deliver(uow, order.id, [VILLAGE], LATER)["status"] == "delivered"
    assert [type_ for type_, _payload in uow.committed_events] == ["order.delivered"]
