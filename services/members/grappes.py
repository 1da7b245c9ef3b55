"""Grappes, the coordinator's: villages gathered to pool the orders of shared suppliers and the
rounds that carry them to a depot. Each creation or change is told whole (`grappe.created`,
`grappe.updated`, same transaction, through the outbox): the orders service groups a supplier's
purchase orders per grappe from it.

A village is in one grappe at most (its pooled orders then have one home); the depot is one of the
grappe's villages. The shared suppliers are partners' ids, checked by the gateway against the
partners service (members keeps no copy of partners).
"""

from __future__ import annotations

from sqlalchemy import select

from backbone.clock import utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from services.members.models import Grappe, Village
from services.members.schemas.grappes import GrappeOutput

_out = GrappeOutput()
CARRIED = ("name", "village_ids", "supplier_partner_ids", "depot_village_id", "depot_place")


def _dump(grappe: Grappe) -> dict:
    return _out.dump(grappe)


def list_grappes(uow) -> list[dict]:
    return [_dump(g) for g in uow.session.scalars(select(Grappe).order_by(Grappe.name))]


def _grappe(uow, grappe_id: str) -> Grappe:
    grappe = uow.session.get(Grappe, str(grappe_id))
    if grappe is None:
        raise NotFound("grappe", str(grappe_id))
    return grappe


def get_grappe(uow, grappe_id: str) -> dict:
    return _dump(_grappe(uow, grappe_id))


def _check(uow, data: dict, grappe_id: str | None) -> None:
    """Every village known, none in another grappe, the name free; all village errors at once."""
    villages = {
        v.id: v.name
        for v in uow.session.execute(
            select(Village.id, Village.name).where(Village.id.in_(data["village_ids"]))
        )
    }
    problems = [
        msg("unknown_village", village=village_id)
        for village_id in data["village_ids"]
        if village_id not in villages
    ]
    for other in uow.session.scalars(select(Grappe).where(Grappe.id != (grappe_id or ""))):
        problems += [
            msg("village_in_other_grappe", village=villages[v], grappe=other.name)
            for v in data["village_ids"]
            if v in villages and v in other.village_ids
        ]
    if problems:
        raise InvalidInput({"village_ids": problems})
    same_name = uow.session.scalar(
        select(Grappe.id).where(Grappe.name == data["name"], Grappe.id != (grappe_id or ""))
    )
    if same_name is not None:
        raise Conflict("grappe_name_taken", field="name")


def _told(uow, type_: str, grappe: Grappe) -> None:
    uow.record_event(
        type_,
        {"grappe_id": grappe.id, **{k: getattr(grappe, k) for k in CARRIED}},
        village_id=None,
    )


def create_grappe(uow, data: dict) -> dict:
    data = {**data, "name": data["name"].strip()}
    _check(uow, data, None)
    now = utcnow()
    grappe = Grappe(**{k: data[k] for k in CARRIED}, created_at=now, updated_at=now)
    uow.session.add(grappe)
    uow.session.flush()
    _told(uow, "grappe.created", grappe)
    uow.commit()
    return _dump(grappe)


def update_grappe(uow, grappe_id: str, data: dict) -> dict:
    """The whole grappe as written again; nothing told when nothing changed."""
    data = {**data, "name": data["name"].strip()}
    grappe = _grappe(uow, grappe_id)
    _check(uow, data, grappe.id)
    before = {k: getattr(grappe, k) for k in CARRIED}
    after = {k: data[k] for k in CARRIED}
    if after != before:
        for key, value in after.items():
            setattr(grappe, key, value)
        grappe.updated_at = utcnow()
        _told(uow, "grappe.updated", grappe)
    uow.commit()
    return _dump(grappe)
