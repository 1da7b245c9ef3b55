"""Steps of the till's tests in the counter's world (tests/support/counter.py): a sale's input, a
sale made through the service layer, and the `sale.receipt_requested` members receives."""

import uuid

from backbone.contracts import build_envelope, parse_envelope
from backbone.schemas import load
from services.orders import till
from services.orders.schemas.till import SaleInput
from tests.support.counter import NOW


def sale_input(*lines, payments=(), **change):
    """A sale of `lines` ((item, quantity) pairs; an item is a dict with its `item_id`) paid by
    `payments` ((method, cents) pairs), with a new idempotency key."""
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "lines": [{"item_id": item["item_id"], "quantity": quantity} for item, quantity in lines],
        "payments": [{"method": method, "amount_cents": cents} for method, cents in payments],
    }
    data.update(change)
    return data


def sell(world, data, now=NOW):
    with world.db.unit_of_work() as uow:
        return till.record_sale(uow, world.village, load(SaleInput(), data), now)


def receipt_event(village_id, *, sale_id=None, member_id=None, address="passant@example.org"):
    return parse_envelope(
        build_envelope(
            "sale.receipt_requested",
            {
                "sale_id": sale_id or str(uuid.uuid4()),
                "village_id": village_id,
                "email": address,
                "member_id": member_id,
                "lines": [
                    {
                        "name": "Pain de campagne",
                        "quantity": 2,
                        "unit_price_cents": 320,
                        "vat_rate": 55,
                        "total_cents": 640,
                    },
                    {
                        "name": "Tomme de Millevaches",
                        "quantity": 1,
                        "unit_price_cents": 1250,
                        "vat_rate": 55,
                        "total_cents": 1250,
                        "solidarity": True,
                    },
                ],
                "vat_by_rate": [
                    {"vat_rate": 55, "net_cents": 1792, "vat_cents": 98, "total_cents": 1890}
                ],
                "payments": [{"method": "cash", "amount_cents": 1890}],
                "total_cents": 1890,
                "vat_cents": 98,
                "given_cents": 2000,
                "change_cents": 110,
                "occurred_at": NOW,
            },
            village_id=village_id,
            source="orders",
        )
    )
