"""The grappes as orders knows them (`grappe.created`, `grappe.updated`, published by members):
which purchase order a shared supplier's line joins. A village's line joins its grappe's purchase
order when the grappe lists that supplier; otherwise the one of the villages in no grappe for it."""

from __future__ import annotations

from sqlalchemy import select

from services.orders.models import KnownGrappe

_FIELDS = ("name", "village_ids", "supplier_partner_ids", "depot_village_id", "depot_place")
NO_GRAPPE = ""


def record_grappe(uow, event: dict) -> None:
    """Idempotent and order-proof: the latest description by `occurred_at` wins (a creation
    arriving after its update changes nothing)."""
    payload = event["payload"]
    uow.keep_latest(
        KnownGrappe,
        {
            "grappe_id": payload["grappe_id"],
            "changed_at": event["occurred_at"],
            **{name: payload.get(name) for name in _FIELDS},
        },
        key="grappe_id",
    )
    uow.commit()


def grappe_for(uow, village_id: str, supplier_partner_id: str) -> str:
    """The grappe pooling `supplier_partner_id`'s orders for `village_id` ("" when none). A handful
    of grappes per network: read whole, the JSON lists looked into here (SQLite and PostgreSQL)."""
    for grappe in uow.session.scalars(select(KnownGrappe).order_by(KnownGrappe.name)):
        if village_id in grappe.village_ids and supplier_partner_id in grappe.supplier_partner_ids:
            return grappe.grappe_id
    return NO_GRAPPE


def grappe_names(uow) -> dict[str, str]:
    return {g.grappe_id: g.name for g in uow.session.scalars(select(KnownGrappe))}


def known_grappes(uow) -> list[dict]:
    return [
        {"grappe_id": g.grappe_id, **{k: getattr(g, k) for k in _FIELDS}}
        for g in uow.session.scalars(select(KnownGrappe).order_by(KnownGrappe.name))
    ]
