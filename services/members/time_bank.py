"""The time bank: an hours ledger credited from other services' events, idempotently.

Twice over: the inbox (`@consume_event` claims each event in the transaction of its lines) makes
a redelivered event a no-op; and a ledger line is unique per (source event, member)
and per (source, member) — a help request or an animation republished under a new event id does
not credit the same person twice either.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from services.members.models import HelpDemand, TimeBankEntry, Village, Volunteer
from services.members.schemas.volunteers import TimeBankTotalOutput, VolunteerHoursOutput
from services.members.volunteers import _find

log = logging.getLogger("maillage.members.time_bank")


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _credit(
    uow,
    envelope: dict,
    *,
    member_id: str,
    village_id: str,
    minutes: int,
    source_ref: str,
    occurred_at: datetime,
    skill: str | None = None,
    role: str | None = None,
) -> bool:
    source_type = envelope["type"]
    already = uow.session.scalar(
        select(TimeBankEntry.id).where(
            TimeBankEntry.source_type == source_type,
            TimeBankEntry.source_ref == source_ref,
            TimeBankEntry.member_id == member_id,
        )
    )
    if already is not None:
        log.warning(
            "%s %s already credited to %s (event %s): not credited again",
            source_type,
            source_ref,
            member_id,
            envelope["event_id"],
        )
        return False
    uow.session.add(
        TimeBankEntry(
            member_id=member_id,
            village_id=village_id,
            minutes=minutes,
            source_type=source_type,
            source_ref=source_ref,
            source_event_id=envelope["event_id"],
            skill_code=skill,
            role=role,
            occurred_at=occurred_at,
        )
    )
    return True


def credit_help_request(uow, envelope: dict) -> None:
    """`help_request.completed`: the volunteer's minutes, once; the demand is marked answered."""
    p = envelope["payload"]
    _credit(
        uow,
        envelope,
        member_id=p["member_id"],
        village_id=p["village_id"],
        minutes=p["minutes"],
        source_ref=p["help_request_id"],
        occurred_at=p["completed_at"],
        skill=p["skill"],
    )
    demand = _demand(uow, p["help_request_id"], p["village_id"], p["skill"])
    demand.completed_at = demand.completed_at or p["completed_at"]
    uow.commit()


def credit_animation(uow, envelope: dict) -> None:
    """`animation.attended`: each volunteer who held a role, once, on the day attendance was
    taken (a roll call kept offline and sent later counts on its own day)."""
    p = envelope["payload"]
    for volunteer in p["volunteers"]:
        _credit(
            uow,
            envelope,
            member_id=volunteer["member_id"],
            village_id=p["village_id"],
            minutes=volunteer["minutes"],
            source_ref=p["animation_id"],
            occurred_at=p.get("attended_at") or envelope["occurred_at"],
            role=volunteer["role"],
        )
    uow.commit()


# --- demand read model (help_request.requested / .unmatched) -----------------------------------


def _demand(uow, help_request_id: str, village_id: str, skill: str) -> HelpDemand:
    """Events may arrive in any order, and at once (requested and unmatched are published together):
    whichever comes first creates the row, the other waits for it rather than failing on its key."""
    return uow.ensure_row(
        HelpDemand,
        {"help_request_id": help_request_id, "village_id": village_id, "skill_code": skill},
    )


def record_demand(uow, envelope: dict) -> None:
    p = envelope["payload"]
    demand = _demand(uow, p["help_request_id"], p["village_id"], p["skill"])
    if envelope["type"] == "help_request.requested":
        demand.requested_at = p["requested_at"]
        demand.skill_code = p["skill"]
    else:
        demand.unmatched_at = demand.unmatched_at or envelope["occurred_at"]
    uow.commit()


# --- reading -----------------------------------------------------------------------------------


def volunteer_hours(uow, volunteer_id: str, village_ids=None) -> dict:
    """Balance and history of one volunteer (same visibility as their profile)."""
    volunteer: Volunteer = _find(uow, volunteer_id, village_ids)
    return VolunteerHoursOutput().dump(
        {"volunteer_id": volunteer.id, **member_ledger(uow, volunteer.member_id)}
    )


def member_ledger(uow, member_id: str) -> dict:
    """Every line credited to one person, newest first, with the balance
    (also their RGPD export)."""
    lines = uow.session.scalars(
        select(TimeBankEntry)
        .where(TimeBankEntry.member_id == member_id)
        .order_by(TimeBankEntry.occurred_at.desc(), TimeBankEntry.id.desc())
    ).all()
    minutes = sum(line.minutes for line in lines)
    return {
        "member_id": member_id,
        "minutes": minutes,
        "hours": _hours(minutes),
        "history": [
            {
                "village_id": line.village_id,
                "minutes": line.minutes,
                "source_type": line.source_type,
                "source_ref": line.source_ref,
                "skill": line.skill_code,
                "role": line.role,
                "occurred_at": line.occurred_at,
            }
            for line in lines
        ],
    }


def totals(uow, village_ids=None, *, month: str | None = None, by_month: bool = True) -> list[dict]:
    """Hours given per village (where the help was given), per month (`YYYY-MM`, UTC) and all time
    (month null). `month` keeps that month only. Aggregated in Python: portable and small."""
    query = select(TimeBankEntry)
    if village_ids is not None:
        query = query.where(TimeBankEntry.village_id.in_(village_ids))
    groups: dict[tuple, list] = defaultdict(list)
    for line in uow.session.scalars(query).all():
        line_month = line.occurred_at.strftime("%Y-%m")
        if month and line_month != month:
            continue
        if by_month:
            groups[(line.village_id, line_month)].append(line)
        if not month:
            groups[(line.village_id, None)].append(line)
    names = dict(uow.session.execute(select(Village.id, Village.name)).all())
    rows = []
    for (village_id, line_month), lines in groups.items():
        minutes = sum(line.minutes for line in lines)
        rows.append(
            {
                "village_id": village_id,
                "village_name": names.get(village_id),
                "month": line_month,
                "minutes": minutes,
                "hours": _hours(minutes),
                "volunteers": len({line.member_id for line in lines}),
                "entries": len(lines),
            }
        )
    rows.sort(
        key=lambda r: (
            r["village_name"] or r["village_id"],
            r["month"] is not None,
            r["month"] or "",
        )
    )
    return TimeBankTotalOutput(many=True).dump(rows)
