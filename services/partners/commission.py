"""A producer's commission rate over time: the hub keeps a share of what it sells of the producer's
goods (per mille: 150 = 15 %), agreed from a date. Each change is a row of `CommissionRate`; the
rate of a month is the one in force on its first day.

Why the month's rate and not each sale's day: a change takes effect on the first day of a month
(any other day is refused), so the rate in force on the first day is the rate of every day of that
month, and the statement's one rate is exactly the rate of each of its sales. The sales read model
keeps months, not days (`MonthlySales`), and a statement shows one rate beside its commission: a
mid-month change would need two rates on one statement, which the producer cannot check.

History is not rewritten: a change takes effect no earlier than the first day of the current month
(Europe/Paris; an earlier month's statement may already be paid) and no earlier than the latest
rate recorded. A change on the latest rate's own date corrects that rate (a typo caught before its
month is over); a change to the rate already in force from the latest date records nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backbone.clock import paris_today
from backbone.errors import InvalidInput
from backbone.messages import msg
from services.partners.models import CommissionRate

BEGINNING = date(1970, 1, 1)  # a rate agreed at registration (or migrated): in force since always
FIELD = "commission_effective_from"


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def history(uow, partner_id: str) -> list[CommissionRate]:
    """The partner's rates, oldest first."""
    return list(
        uow.session.scalars(
            select(CommissionRate)
            .where(CommissionRate.partner_id == partner_id)
            .order_by(CommissionRate.effective_from)
        )
    )


def rate_on(rates, day: date) -> int | None:
    """The rate in force on `day` among `rates` (oldest first): the last one from on or before it;
    None before the first (no commission agreed)."""
    rate = None
    for row in rates:
        if row.effective_from > day:
            break
        rate = row.per_mille
    return rate


def rates_of(uow, partner_ids) -> dict[str, list[CommissionRate]]:
    """Every rate of these partners (one query), oldest first, by partner."""
    by_partner: dict[str, list[CommissionRate]] = {pid: [] for pid in partner_ids}
    if not by_partner:
        return by_partner
    for row in uow.session.scalars(
        select(CommissionRate)
        .where(CommissionRate.partner_id.in_(list(by_partner)))
        .order_by(CommissionRate.partner_id, CommissionRate.effective_from)
    ):
        by_partner[row.partner_id].append(row)
    return by_partner


def month_start(month: str) -> date:
    """The first day of a month written YYYY-MM."""
    return date(int(month[:4]), int(month[5:7]), 1)


def dumped(rates) -> list[dict]:
    return [{"effective_from": r.effective_from, "per_mille": r.per_mille} for r in rates]


def agree(uow, partner_id: str, per_mille: int | None) -> None:
    """The rate agreed when the partner registers: in force since always. Does not flush."""
    if per_mille is not None:
        uow.session.add(
            CommissionRate(partner_id=partner_id, effective_from=BEGINNING, per_mille=per_mille)
        )


def change(uow, partner_id: str, per_mille: int | None, effective_from: date | None) -> bool:
    """A new rate from `effective_from` (the first day of a month; None: unchanged if the rate is
    the latest recorded, else from the first day of the current month). Refused naming
    `commission_effective_from` when the date is not a first of month, falls in a month gone by or
    comes before the latest rate recorded. Whether anything was recorded. Does not commit."""
    rates = history(uow, partner_id)
    latest = rates[-1] if rates else None
    if effective_from is None:
        if (latest is None and per_mille is None) or (
            latest is not None and latest.per_mille == per_mille
        ):
            return False
        effective_from = first_of_month(paris_today())
        if latest is not None and latest.effective_from > effective_from:
            effective_from = latest.effective_from  # a rate set for a coming month, corrected
    if effective_from.day != 1:
        raise InvalidInput({FIELD: [msg("commission_first_of_month")]})
    if effective_from < first_of_month(paris_today()):
        raise InvalidInput({FIELD: [msg("commission_month_gone")]})
    if latest is not None and effective_from < latest.effective_from:
        raise InvalidInput(
            {FIELD: [msg("commission_before_latest", since=latest.effective_from.isoformat())]}
        )
    if latest is not None and effective_from == latest.effective_from:
        if latest.per_mille == per_mille:
            return False
        latest.per_mille = per_mille  # a correction of the rate not yet in force for long
        return True
    if (latest.per_mille if latest is not None else None) == per_mille:
        return False
    uow.session.add(
        CommissionRate(partner_id=partner_id, effective_from=effective_from, per_mille=per_mille)
    )
    return True
