"""Parcels at the counter (dépôt / retrait): a parcel or goods left for an inhabitant by a carrier,
La Poste or a neighbour, kept on a shelf or in a locker compartment, handed over with its pickup
code.

- `waiting` → `handed_over` (the right code) or `returned` (to the sender);
- a reminder is due `REMIND_AFTER_DAYS` days after it arrived, then again every
  `REMIND_AFTER_DAYS` days after the last reminder (the concierge records it: `remind`);
- after `RETURN_AFTER_DAYS` days it goes back to its sender: `return_overdue(now)` (a timer) returns
  every parcel waiting that long; the concierge may return one earlier.
Events: parcel.received, parcel.handed_over, parcel.returned (no member data, no code, except
parcel.received's member and code for the members service's notice); `partner_id` names the
logistics partner who brought it (La Poste, a carrier of the network), whose feed receives them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from backbone import offline_actions
from backbone.clock import utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.orders.idempotency import made_once
from services.orders.models import KnownMember, OfflineAction, Parcel
from services.orders.schemas.parcels import (
    SENDER_LABELS,
    STATUS_LABELS,
    ParcelOutput,
)

REMIND_AFTER_DAYS = 3
RETURN_AFTER_DAYS = 14
RETURN_REASON = f"Not collected within {RETURN_AFTER_DAYS} days."


def _flags(parcel: Parcel, now: datetime) -> dict:
    waiting = parcel.status == "waiting"
    since = parcel.reminded_at or parcel.received_at
    return_due = waiting and now - parcel.received_at >= timedelta(days=RETURN_AFTER_DAYS)
    return {
        "days_waiting": max(0, (now - parcel.received_at).days) if waiting else 0,
        "return_due": return_due,
        "reminder_due": waiting
        and not return_due
        and now - since >= timedelta(days=REMIND_AFTER_DAYS),
    }


_PARCEL_OUT = ParcelOutput()  # one instance: building a schema costs more than dumping with it


def _dump(parcel: Parcel, names: dict, now: datetime) -> dict:
    """A parcel as every answer shows it: without its pickup code, which only the answer to its
    receipt carries (`receive`), so that no list or page shows it again."""
    return _PARCEL_OUT.dump(
        {
            "id": parcel.id,
            "village_id": parcel.village_id,
            "member_id": parcel.member_id,
            "member_name": names.get(parcel.member_id),
            "sender_kind": parcel.sender_kind,
            "sender_label": SENDER_LABELS[parcel.sender_kind],
            "sender_name": parcel.sender_name,
            "partner_id": parcel.partner_id,
            "description": parcel.description,
            "place_kind": parcel.place_kind,
            "place": parcel.place,
            "status": parcel.status,
            "status_label": STATUS_LABELS[parcel.status],
            "received_at": parcel.received_at,
            "reminders": parcel.reminders,
            "reminded_at": parcel.reminded_at,
            "closed_at": parcel.closed_at,
            "return_reason": parcel.return_reason,
            **_flags(parcel, now),
        }
    )


def _dump_all(uow, parcels, now) -> list[dict]:
    ids = list({p.member_id for p in parcels})
    names = (
        {
            m.id: m.display_name
            for m in uow.session.scalars(select(KnownMember).where(KnownMember.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [_dump(p, names, now) for p in parcels]


def _find(uow, parcel_id, village_ids, *, lock: bool = False) -> Parcel:
    query = select(Parcel).where(Parcel.id == str(parcel_id))
    if lock:
        query = query.with_for_update()
    parcel = uow.session.scalars(query).first()
    if parcel is None or (village_ids is not None and parcel.village_id not in village_ids):
        raise NotFound("parcel", str(parcel_id))
    return parcel


def _event(uow, type_: str, parcel: Parcel, now: datetime, **extra) -> None:
    uow.record_event(
        type_,
        {
            "parcel_id": parcel.id,
            "village_id": parcel.village_id,
            "sender_kind": parcel.sender_kind,
            "place_kind": parcel.place_kind,
            "partner_id": parcel.partner_id,
            "occurred_at": now,
            **extra,
        },
        village_id=parcel.village_id,
    )


def get_parcel(uow, parcel_id, village_ids, now: datetime | None = None) -> dict:
    return _dump_all(uow, [_find(uow, parcel_id, village_ids)], now or utcnow())[0]


def _with_code(uow, parcel_id, village_id: str, now: datetime) -> dict:
    """The answer to a receipt (the first or a repeat of the same idempotency key): the parcel
    and its pickup code, to give to the inhabitant."""
    parcel = _find(uow, parcel_id, [village_id])
    return {**_dump_all(uow, [parcel], now)[0], "pickup_code": parcel.pickup_code}


def list_parcels(
    uow,
    village_id: str,
    filters: dict | None = None,
    now: datetime | None = None,
    window: dict | None = None,
) -> list[dict]:
    query = select(Parcel).where(Parcel.village_id == village_id)
    if filters["status"]:
        query = query.where(Parcel.status == filters["status"])
    if filters.get("member_id"):
        query = query.where(Parcel.member_id == filters["member_id"])
    rows = uow.session.scalars(
        windowed(query.order_by(Parcel.received_at), window, Parcel.id)
    ).all()
    return _dump_all(uow, rows, now or utcnow())


def own_parcels(uow, village_id: str, member_id: str, now: datetime | None = None) -> list[dict]:
    """One person's parcels for their own page (/moi), the waiting ones with their pickup code:
    theirs to give at the counter (every other answer leaves it out)."""
    rows = uow.session.scalars(
        select(Parcel)
        .where(Parcel.village_id == village_id, Parcel.member_id == str(member_id))
        .order_by(Parcel.received_at, Parcel.id)
    ).all()
    return [
        {**answer, "pickup_code": parcel.pickup_code} if parcel.status == "waiting" else answer
        for answer, parcel in zip(_dump_all(uow, rows, now or utcnow()), rows, strict=True)
    ]


CODE_CHECK_ITERATIONS = 5000


def code_check(code: str, salt: str, parcel_id: str) -> str:
    """What the offline console checks a typed pickup code against, never the code itself:
    PBKDF2-SHA256 of the code, salted with the page's salt and the parcel's id (the device
    computes the same with WebCrypto). The service checks the code again when the hand-over is
    replayed."""
    return hashlib.pbkdf2_hmac(
        "sha256", code.encode(), f"{salt}:{parcel_id}".encode(), CODE_CHECK_ITERATIONS
    ).hex()


def counter_offline(uow, village_id: str, salt: str) -> dict:
    """What the offline counter keeps besides the day's lists: the village's inhabitants by name
    (to receive a parcel or take an order for one of them; no contact details) and, for each
    parcel waiting, the check of its pickup code (`code_check`)."""
    members = uow.session.execute(
        select(KnownMember.id, KnownMember.display_name)
        .where(KnownMember.village_id == village_id, KnownMember.erased_at.is_(None))
        .order_by(KnownMember.display_name, KnownMember.id)
    ).all()
    waiting = uow.session.execute(
        select(Parcel.id, Parcel.pickup_code).where(
            Parcel.village_id == village_id, Parcel.status == "waiting"
        )
    ).all()
    return {
        "members": [{"id": m.id, "name": m.display_name} for m in members],
        "iterations": CODE_CHECK_ITERATIONS,
        "code_checks": {p.id: code_check(p.pickup_code, salt, p.id) for p in waiting},
    }


def _commit_and_answer(uow, parcel: Parcel, now: datetime) -> dict:
    """Commit a change of the parcel and answer it as it now is, dumped before the commit (which
    would expire what was loaded: reading it again would cost a query)."""
    answer = _dump_all(uow, [parcel], now)[0]
    uow.commit()
    return answer


def waiting_parcels(uow, village_id: str, now: datetime) -> list[dict]:
    return list_parcels(uow, village_id, {"status": "waiting"}, now)


def receive(uow, village_id: str, data, now: datetime | None = None) -> dict:
    """Record a parcel left for a known member of the village; its pickup code is made here and
    shown once to the concierge (to give to the inhabitant): this answer is the only one that
    carries it. The same idempotency key again answers the same parcel, with its code
    (`idempotency.made_once`)."""
    now = now or utcnow()
    return made_once(
        uow,
        Parcel,
        village_id,
        data["idempotency_key"],
        lambda: _receive(uow, village_id, data, now),
        lambda parcel_id: _with_code(uow, parcel_id, village_id, now),
    )


def _backdated(uow, data: dict, now: datetime) -> datetime:
    """When the action counts (`offline_actions.when`); a day already rolled up is reopened for
    it (`figures.reopen_day`)."""
    from services.orders import figures  # figures reads parcels: imported here, not above

    at = offline_actions.when(data.get("occurred_at"), now)
    if at < now:
        figures.reopen_day(uow, at)
    return at


def _receive(uow, village_id: str, data: dict, received: datetime) -> dict:
    now = _backdated(uow, data, received)
    member = uow.session.get(KnownMember, data["member_id"])
    if member is None or member.erased_at is not None or member.village_id != village_id:
        raise InvalidInput({"member_id": [msg("unknown_member_here", member=data["member_id"])]})
    parcel = Parcel(
        village_id=village_id,
        member_id=member.id,
        idempotency_key=data["idempotency_key"],
        sender_kind=data["sender_kind"],
        sender_name=data["sender_name"],
        partner_id=data["partner_id"],
        description=data["description"],
        place_kind=data["place_kind"],
        place=data["place"].strip(),
        pickup_code=f"{secrets.randbelow(10**6):06d}",
        status="waiting",
        received_at=now,
        reminders=0,
    )
    uow.session.add(parcel)
    uow.session.flush()
    if data.get("occurred_at") is not None:  # its key is on its own row
        offline_actions.record(
            uow,
            OfflineAction,
            village_id,
            "parcel.received",
            data["idempotency_key"],
            parcel.id,
            data.get("occurred_at"),
            received,
        )
    _event(
        uow,
        "parcel.received",
        parcel,
        now,
        member_id=parcel.member_id,
        pickup_code=parcel.pickup_code,
    )
    answer = {**_dump_all(uow, [parcel], now)[0], "pickup_code": parcel.pickup_code}
    uow.commit()
    return answer


def _waiting(parcel: Parcel) -> None:
    if parcel.status != "waiting":
        raise Conflict("parcel_not_waiting", field="status", details={"status": parcel.status})


def hand_over(uow, parcel_id, data, village_ids, now: datetime | None = None) -> dict:
    """The right code hands the parcel over; the same idempotency key again answers the parcel as
    it now is (a replay of the offline counter), never a second hand-over."""
    now = now or utcnow()
    parcel = _find(uow, parcel_id, village_ids, lock=True)
    return offline_actions.once(
        uow,
        OfflineAction,
        parcel.village_id,
        "parcel.handed_over",
        data.get("idempotency_key"),
        parcel.id,
        lambda: _hand_over(uow, parcel, data, now),
        lambda: get_parcel(uow, parcel.id, [parcel.village_id], now),
    )


def _hand_over(uow, parcel: Parcel, data: dict, received: datetime) -> dict:
    _waiting(parcel)
    if not secrets.compare_digest(data["code"].strip(), parcel.pickup_code):
        raise Conflict("wrong_pickup_code", field="code")
    now = _backdated(uow, data, received)
    parcel.status, parcel.closed_at = "handed_over", now
    offline_actions.record(
        uow,
        OfflineAction,
        parcel.village_id,
        "parcel.handed_over",
        data.get("idempotency_key"),
        parcel.id,
        data.get("occurred_at"),
        received,
    )
    _event(uow, "parcel.handed_over", parcel, now)
    return _commit_and_answer(uow, parcel, received)


def remind(uow, parcel_id, village_ids, now: datetime | None = None) -> dict:
    """The concierge reminded the inhabitant (a call, a word at the counter)."""
    now = now or utcnow()
    parcel = _find(uow, parcel_id, village_ids, lock=True)
    _waiting(parcel)
    parcel.reminders += 1
    parcel.reminded_at = now
    return _commit_and_answer(uow, parcel, now)


def _return(uow, parcel: Parcel, reason: str | None, now: datetime) -> None:
    parcel.status, parcel.closed_at, parcel.return_reason = "returned", now, reason
    _event(uow, "parcel.returned", parcel, now, reason=reason)


def return_to_sender(uow, parcel_id, data, village_ids, now: datetime | None = None) -> dict:
    now = now or utcnow()
    parcel = _find(uow, parcel_id, village_ids, lock=True)
    _waiting(parcel)
    _return(uow, parcel, data["reason"], now)
    return _commit_and_answer(uow, parcel, now)


def return_overdue(uow, now: datetime | None = None) -> list[str]:
    """Every parcel waiting for `RETURN_AFTER_DAYS` days goes back to its
    sender (the timer's work)."""
    now = now or utcnow()
    overdue = uow.session.scalars(
        select(Parcel)
        .where(
            Parcel.status == "waiting",
            Parcel.received_at <= now - timedelta(days=RETURN_AFTER_DAYS),
        )
        .with_for_update()
    ).all()
    for parcel in overdue:
        _return(uow, parcel, RETURN_REASON, now)
    uow.commit()
    return [p.id for p in overdue]


# --- RGPD (to be called from read_models' member.erased handler and member_data export) -----------


def member_parcels(uow, member_id: str, now: datetime | None = None) -> list[dict]:
    """Every parcel left for one member (RGPD export)."""
    rows = uow.session.scalars(
        select(Parcel).where(Parcel.member_id == str(member_id)).order_by(Parcel.received_at)
    ).all()
    return _dump_all(uow, rows, now or utcnow())


def scrub_member(uow, member_id: str) -> int:
    """Erase the free text of a member's parcels (who sent it, what it is); does not commit."""
    rows = uow.session.scalars(select(Parcel).where(Parcel.member_id == str(member_id))).all()
    for parcel in rows:
        parcel.sender_name, parcel.description = None, None
    return len(rows)
