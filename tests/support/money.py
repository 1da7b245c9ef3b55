"""Envelopes of the money events the partners service reads (the till's sales and refunds, orders,
services delivered), as the orders and events services publish them; and a partners database with
villages, a producer and a commune to read them into."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from backbone.contracts import build_envelope, parse_envelope
from backbone.schemas import load
from services.partners import partners, read_models
from services.partners.schemas import PartnerInput

NOV = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)


def _id() -> str:
    return str(uuid.uuid4())


def sale_line(partner_id, quantity, unit_price_cents, *, name="Tomme", vat_rate=55) -> dict:
    return {
        "line_id": _id(),
        "item_id": _id(),
        "partner_id": partner_id,
        "name": name,
        "quantity": quantity,
        "unit_price_cents": unit_price_cents,
        "vat_rate": vat_rate,
        "total_cents": quantity * unit_price_cents,
    }


def sale(village_id, lines, at=NOV, method="cash") -> dict:
    total = sum(line["total_cents"] for line in lines)
    return build_envelope(
        "sale.recorded",
        {
            "sale_id": _id(),
            "village_id": village_id,
            "partner_ids": sorted({line["partner_id"] for line in lines if line["partner_id"]}),
            "lines": lines,
            "payments": [{"method": method, "amount_cents": max(total, 1)}],
            "total_cents": total,
            "member_id": None,
            "occurred_at": at,
        },
        village_id=village_id,
        source="orders",
    )


def refund(village_id, sold: dict, lines, at=NOV, reason="Produit abîmé") -> dict:
    return build_envelope(
        "sale.refunded",
        {
            "refund_id": _id(),
            "sale_id": sold["payload"]["sale_id"],
            "village_id": village_id,
            "partner_ids": sorted({line["partner_id"] for line in lines if line["partner_id"]}),
            "lines": lines,
            "method": "cash",
            "total_cents": sum(line["total_cents"] for line in lines),
            "reason": reason,
            "occurred_at": at,
        },
        village_id=village_id,
        source="orders",
    )


def order_line(partner_id, quantity, unit_price_cents, status="confirmed") -> dict:
    return {
        "line_id": _id(),
        "item_id": _id(),
        "partner_id": partner_id,
        "name": "Panier de légumes",
        "unit": "pièce",
        "quantity": quantity,
        "unit_price_cents": unit_price_cents,
        "status": status,
    }


def order_event(
    kind, village_id, order_id, lines, at=NOV, fulfilment="counter", refused_line_ids=()
) -> dict:
    """`order.<kind>` of one order (lines only in `placed`, as the contract says)."""
    payload = {
        "order_id": order_id,
        "village_id": village_id,
        "status": kind,
        "fulfilment": fulfilment,
        "delivery_date": at.date(),
        "partner_ids": sorted({line["partner_id"] for line in lines}),
        "total_cents": sum(
            line["quantity"] * line["unit_price_cents"]
            for line in lines
            if line["status"] != "refused" and line["line_id"] not in refused_line_ids
        ),
        "reason": "Annulée au comptoir" if kind == "cancelled" else None,
        "refused_line_ids": list(refused_line_ids),
        "occurred_at": at,
    }
    if kind == "placed":
        payload["lines"] = lines
    return build_envelope(f"order.{kind}", payload, village_id=village_id, source="orders")


def help_completed(village_id, minutes, at=NOV) -> dict:
    return build_envelope(
        "help_request.completed",
        {
            "help_request_id": _id(),
            "village_id": village_id,
            "member_id": _id(),
            "skill": "jardinage",
            "minutes": minutes,
            "completed_at": at,
        },
        village_id=village_id,
        source="orders",
    )


def animation_attended(village_id, at=NOV) -> dict:
    return build_envelope(
        "animation.attended",
        {"animation_id": _id(), "village_id": village_id, "volunteers": [], "people_reached": 12},
        village_id=village_id,
        source="events",
        occurred_at=at,
    )


def village_opened(name: str) -> dict:
    village_id = _id()
    return build_envelope(
        "village.opened",
        {
            "village_id": village_id,
            "slug": f"{name.lower()}-{village_id[:6]}",
            "name": name,
            "commune": name,
            "insee_code": "19164",
            "kind": "fixed",
            "population": 600,
        },
        village_id=village_id,
        source="members",
    )


def money_world(database, villages=("Peyrelevade", "Tarnac"), commission=150) -> dict:
    """Villages known to partners, a producer serving them (its commission per mille) and a commune
    (local authority) of the first. Returns `villages`, `names`, `producer`, `producer_key` and
    `commune`."""
    opened = [village_opened(name) for name in villages]
    with database.unit_of_work() as uow:
        for envelope in opened:
            read_models.record_village(uow, parse_envelope(envelope))
    ids = [e["payload"]["village_id"] for e in opened]
    with database.unit_of_work() as uow:
        producer = partners.register_partner(
            uow,
            load(
                PartnerInput(),
                {
                    "name": "Ferme du Plateau",
                    "kind": "producer",
                    "village_ids": ids,
                    "relationships": ["supplier"],
                    "commission_per_mille": commission,
                },
            ),
        )
    with database.unit_of_work() as uow:
        commune = partners.register_partner(
            uow,
            load(
                PartnerInput(),
                {
                    "name": "Commune de Peyrelevade",
                    "kind": "local_authority",
                    "village_ids": ids[:1],
                    "relationships": ["client"],
                },
            ),
        )
    return {
        "villages": ids,
        "names": dict(zip(ids, villages)),
        "producer": producer["partner"]["id"],
        "producer_key": producer["api_key"],
        "commune": commune["partner"]["id"],
    }
