"""The commune as a client: a service contract (the services a local authority buys for its
villages, at unit prices, over a period) and its monthly invoice, built from what was really
delivered there, as the services themselves told it:
- `help_request.completed`: a coup de main, invoiced by the hour (its minutes);
- `order.delivered` of a home delivery: a delivery;
- `animation.attended`: an animation held.
Each fact is kept once per source (`DeliveredService`): told twice, it counts once. The premises the
commune lends are valued per month and shown in kind, never invoiced.

An invoice is issued once per contract and month: its lines are frozen and its number given then,
`<year>-<0001>`, the next of the year of issue without a gap (`InvoiceCounter`, moved in the same
transaction); issuing it again is refused (409). Then it is sent, then paid, each once.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from services.partners.consignment import check_month, month_of, round_half_away
from services.partners.models import (
    DeliveredService,
    Invoice,
    InvoiceCounter,
    KnownVillage,
    Partner,
    ServiceContract,
)

SERVICES = (
    # kind of delivered service, the contract's unit price, label, unit
    ("help_minutes", "help_hour_cents", "Coups de main", "heure"),
    ("home_delivery", "home_delivery_cents", "Livraisons à domicile", "livraison"),
    ("animation", "animation_cents", "Animations", "animation"),
)


# --- what was delivered ---------------------------------------------------------------------------


def _keep(uow, kind: str, source_id: str, village_id: str, moment, quantity: int) -> None:
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    uow.session.execute(
        insert(DeliveredService.__table__)
        .values(
            kind=kind,
            source_id=source_id,
            village_id=village_id,
            month=month_of(moment),
            quantity=quantity,
        )
        .on_conflict_do_nothing(index_elements=["kind", "source_id"])
    )


def record_delivered(uow, event) -> None:
    payload, kind = event["payload"], event["type"]
    if kind == "help_request.completed":
        _keep(
            uow,
            "help_minutes",
            payload["help_request_id"],
            payload["village_id"],
            payload["completed_at"],
            payload["minutes"],
        )
    elif kind == "order.delivered" and payload["fulfilment"] == "home_delivery":
        _keep(
            uow,
            "home_delivery",
            payload["order_id"],
            payload["village_id"],
            payload["occurred_at"],
            1,
        )
    elif kind == "animation.attended":
        _keep(
            uow,
            "animation",
            payload["animation_id"],
            payload["village_id"],
            payload.get("attended_at") or event["occurred_at"],
            1,
        )


# --- contracts ------------------------------------------------------------------------------------


def _dump_contract(uow, contract: ServiceContract) -> dict:
    partner = uow.session.get(Partner, contract.partner_id)
    return {
        **{
            c: getattr(contract, c)
            for c in (
                "id",
                "partner_id",
                "name",
                "help_hour_cents",
                "home_delivery_cents",
                "animation_cents",
                "premises_month_cents",
            )
        },
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "village_ids": list(contract.village_ids),
        "partner_name": partner.name,
        "created_at": contract.created_at.isoformat(),
    }


def create_contract(uow, data: dict) -> dict:
    partner = uow.session.get(Partner, data["partner_id"])
    if partner is None:
        raise InvalidInput({"partner_id": [msg("unknown_partner", partner=data["partner_id"])]})
    if partner.kind != "local_authority":
        raise InvalidInput({"partner_id": [msg("contract_buyer_not_authority")]})
    unknown = [v for v in data["village_ids"] if uow.session.get(KnownVillage, v) is None]
    if unknown:
        raise InvalidInput({"village_ids": [msg("unknown_village", village=v) for v in unknown]})
    contract = ServiceContract(**data)
    uow.session.add(contract)
    uow.session.flush()
    uow.commit()
    return _dump_contract(uow, contract)


def _contract(uow, contract_id) -> ServiceContract:
    contract = uow.session.get(ServiceContract, str(contract_id))
    if contract is None:
        raise NotFound("service_contract", str(contract_id))
    return contract


def list_contracts(uow, partner_id=None) -> list[dict]:
    query = select(ServiceContract).order_by(ServiceContract.starts_on, ServiceContract.name)
    if partner_id is not None:
        query = query.where(ServiceContract.partner_id == str(partner_id))
    return [_dump_contract(uow, c) for c in uow.session.scalars(query)]


def get_contract(uow, contract_id) -> dict:
    contract = _contract(uow, contract_id)
    return {
        **_dump_contract(uow, contract),
        "invoices": [
            _dump_invoice(uow, i, contract)
            for i in uow.session.scalars(
                select(Invoice).where(Invoice.contract_id == contract.id).order_by(Invoice.month)
            )
        ],
    }


# --- the month's statement and its invoice --------------------------------------------------------


def _in_period(contract: ServiceContract, month: str) -> bool:
    year, number = int(month[:4]), int(month[5:])
    first = date(year, number, 1)
    last = date(year + number // 12, number % 12 + 1, 1)
    return first <= contract.ends_on and last > contract.starts_on


def _lines(uow, contract: ServiceContract, month: str) -> tuple[list[dict], int]:
    delivered: dict[tuple[str, str], int] = {}
    for kind, village_id, quantity in uow.session.execute(
        select(DeliveredService.kind, DeliveredService.village_id, DeliveredService.quantity).where(
            DeliveredService.month == month,
            DeliveredService.village_id.in_(list(contract.village_ids)),
        )
    ):
        delivered[(village_id, kind)] = delivered.get((village_id, kind), 0) + quantity
    names = dict(
        uow.session.execute(
            select(KnownVillage.id, KnownVillage.name).where(
                KnownVillage.id.in_(list(contract.village_ids))
            )
        ).all()
    )
    lines = []
    for village_id in sorted(contract.village_ids, key=lambda v: (names.get(v, v), v)):
        for kind, price_field, label, unit in SERVICES:
            quantity, price = delivered.get((village_id, kind), 0), getattr(contract, price_field)
            if not quantity or not price:
                continue
            exact = Fraction(quantity * price, 60) if kind == "help_minutes" else quantity * price
            lines.append(
                {
                    "village_id": village_id,
                    "village_name": names.get(village_id, village_id),
                    "kind": kind,
                    "label": label,
                    "unit": unit,
                    "quantity": quantity,  # minutes for the coups de main
                    "unit_price_cents": price,
                    "amount_cents": round_half_away(Fraction(exact)),
                }
            )
    return lines, contract.premises_month_cents


def month_statement(uow, contract_id, month) -> dict:
    """What the contract's villages received in the month, priced: the invoice as it would be
    issued now (or as it was, once issued)."""
    month = check_month(month)
    contract = _contract(uow, contract_id)
    if not _in_period(contract, month):
        raise InvalidInput({"month": [msg("month_outside_contract")]})
    issued = uow.session.scalars(
        select(Invoice).where(Invoice.contract_id == contract.id, Invoice.month == month)
    ).first()
    if issued is not None:
        return _dump_invoice(uow, issued, contract)
    lines, in_kind = _lines(uow, contract, month)
    return {
        "id": None,
        "number": None,
        "status": "draft",
        "contract": _dump_contract(uow, contract),
        "month": month,
        "lines": lines,
        "total_cents": sum(line["amount_cents"] for line in lines),
        "in_kind_cents": in_kind,
        "issued_at": None,
        "sent_at": None,
        "sent_to": None,
        "paid_at": None,
    }


def _next_number(uow, year: int) -> str:
    """Moves the year's counter in this transaction (an upsert holding the row until commit)."""
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = InvoiceCounter.__table__
    statement = insert(table).values(year=year, last=1)
    last = uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["year"], set_={"last": table.c.last + 1}
        ).returning(table.c.last)
    ).scalar_one()
    return f"{year:04d}-{last:04d}"


def issue_invoice(uow, contract_id, month, now=None) -> dict:
    now = now or utcnow()
    statement = month_statement(uow, contract_id, month)
    if statement["number"] is not None:
        raise Conflict(
            "invoice_already_issued", field="month", details={"number": statement["number"]}
        )
    if statement["total_cents"] <= 0:
        raise Conflict("nothing_to_invoice", field="month")
    invoice = Invoice(
        contract_id=statement["contract"]["id"],
        month=statement["month"],
        number=_next_number(uow, now.astimezone(PARIS).year),
        lines=statement["lines"],
        total_cents=statement["total_cents"],
        in_kind_cents=statement["in_kind_cents"],
        issued_at=now,
    )
    uow.session.add(invoice)
    uow.session.flush()
    uow.commit()
    return _dump_invoice(uow, invoice)


def invoices_of(uow, partner_id) -> list[dict]:
    """The invoices issued to one commune (the partner buying), the latest first: what it reads
    through its link."""
    rows = uow.session.execute(
        select(Invoice, ServiceContract)
        .join(ServiceContract, ServiceContract.id == Invoice.contract_id)
        .where(ServiceContract.partner_id == str(partner_id))
        .order_by(Invoice.issued_at.desc(), Invoice.number.desc())
    ).all()
    return [_dump_invoice(uow, invoice, contract) for invoice, contract in rows]


def _invoice(uow, invoice_id) -> Invoice:
    invoice = uow.session.get(Invoice, str(invoice_id), with_for_update=True)
    if invoice is None:
        raise NotFound("invoice", str(invoice_id))
    return invoice


def mark_sent(uow, invoice_id, sent_to=None, now=None) -> dict:
    invoice = _invoice(uow, invoice_id)
    if invoice.sent_at is not None:
        raise Conflict("invoice_already_sent")
    invoice.sent_at, invoice.sent_to = now or utcnow(), sent_to
    uow.commit()
    return _dump_invoice(uow, invoice)


def mark_paid(uow, invoice_id, now=None) -> dict:
    invoice = _invoice(uow, invoice_id)
    if invoice.paid_at is not None:
        raise Conflict("invoice_already_paid")
    if invoice.sent_at is None:
        raise Conflict("invoice_not_sent")
    invoice.paid_at = now or utcnow()
    uow.commit()
    return _dump_invoice(uow, invoice)


def get_invoice(uow, invoice_id) -> dict:
    invoice = uow.session.get(Invoice, str(invoice_id))
    if invoice is None:
        raise NotFound("invoice", str(invoice_id))
    return _dump_invoice(uow, invoice)


def _dump_invoice(uow, invoice: Invoice, contract: ServiceContract | None = None) -> dict:
    contract = contract or uow.session.get(ServiceContract, invoice.contract_id)
    status = "paid" if invoice.paid_at else "sent" if invoice.sent_at else "issued"
    return {
        "id": invoice.id,
        "number": invoice.number,
        "status": status,
        "contract": _dump_contract(uow, contract),
        "month": invoice.month,
        "lines": list(invoice.lines),
        "total_cents": invoice.total_cents,
        "in_kind_cents": invoice.in_kind_cents,
        "issued_at": invoice.issued_at.isoformat(),
        "sent_at": invoice.sent_at.isoformat() if invoice.sent_at else None,
        "sent_to": invoice.sent_to,
        "paid_at": invoice.paid_at.isoformat() if invoice.paid_at else None,
    }


def invoiced_by_village(uow, months: list[str], village_ids=None) -> dict[str, int]:
    """What the communes were invoiced, per village, for these months (the funding mix)."""
    totals: dict[str, int] = {}
    for lines in uow.session.scalars(select(Invoice.lines).where(Invoice.month.in_(months))):
        for line in lines:
            if village_ids is None or line["village_id"] in village_ids:
                totals[line["village_id"]] = (
                    totals.get(line["village_id"], 0) + line["amount_cents"]
                )
    return totals


def premises_by_village(uow, months: list[str], village_ids=None) -> dict[str, int]:
    """The premises lent in kind under contracts running in these months, shared among each
    contract's villages (the cents left over go to the first ones)."""
    totals: dict[str, int] = {}
    for contract in uow.session.scalars(select(ServiceContract)):
        villages = sorted(contract.village_ids)
        if not villages or not contract.premises_month_cents:
            continue
        for month in months:
            if not _in_period(contract, month):
                continue
            share, left = divmod(contract.premises_month_cents, len(villages))
            for n, village_id in enumerate(villages):
                if village_ids is None or village_id in village_ids:
                    totals[village_id] = totals.get(village_id, 0) + share + (n < left)
    return totals
