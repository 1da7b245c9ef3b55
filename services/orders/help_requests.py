"""Service layer for help requests (coups de main): window washing, small gardening, DIY help,
furniture removal… for an inhabitant, by a volunteer.

The workflow is the model's (`HelpRequest.LIFECYCLE`, `HelpRequest.move_to`): requested (or
unmatched) → assigned → accepted → done (minutes) → confirmed, or cancelled before it is done.

Events (outbox, same transaction): `help_request.requested` when asked (demand signal of the skills
map); `help_request.unmatched` when nobody can take it (missing-skill signal);
`help_request.assigned`, `help_request.accepted` and, once the day before,
`help_request.reminder_due` for the members' notices; and `help_request.completed` with the minutes
once the requester confirmed: members credits the volunteer's time bank once (its inbox);
`help_request.volunteer_booking` when a coup de main holds a volunteer's time or gives it back (the
events service keeps it: backbone/volunteer_bookings.py). Matching
is `matching.rank_candidates` over the volunteers' read model; candidates are recomputed each time
they are shown.

Visibility: `village_ids` is what the caller may see (None: all); a request of another village is
"not found".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from backbone import volunteer_bookings
from backbone.clock import PARIS, tomorrow_if_reminding, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from backbone.state_machine import record_events
from services.orders import matching
from services.orders.idempotency import made_once
from services.orders.models import (
    CatalogueItem,
    HelpRequest,
    KnownMember,
    KnownVillage,
    VolunteerBooking,
)
from services.orders.schemas.help_requests import (
    HELP_STATUS_LABELS,
    HelpRequestOutput,
)
from services.orders.volunteers import known_volunteers

WAITING = ("requested", "unmatched")
RECENT_WEEKS = 4  # "how much each volunteer already did": minutes given over the last weeks


# --- reading -----------------------------------------------------------------------------------


def _names(uow, member_ids) -> dict[str, str | None]:
    ids = [m for m in member_ids if m]
    if not ids:
        return {}
    return {
        m.id: m.display_name
        for m in uow.session.scalars(select(KnownMember).where(KnownMember.id.in_(ids)))
    }


def coordinates(uow) -> dict[str, tuple[float, float]]:
    """Every known village's (latitude, longitude), when it has them."""
    return {
        v.id: (v.latitude, v.longitude)
        for v in uow.session.scalars(select(KnownVillage))
        if v.latitude is not None and v.longitude is not None
    }


def recent_minutes(uow, now: datetime) -> dict[str, int]:
    """Minutes each volunteer (member id) gave through help requests done in the last weeks."""
    rows = uow.session.execute(
        select(HelpRequest.volunteer_member_id, func.sum(HelpRequest.minutes))
        .where(
            HelpRequest.status.in_(("done", "confirmed")),
            HelpRequest.done_at >= now - timedelta(weeks=RECENT_WEEKS),
        )
        .group_by(HelpRequest.volunteer_member_id)
    ).all()
    return {member_id: int(total or 0) for member_id, total in rows}


def _candidates(uow, request: HelpRequest, now: datetime) -> tuple[list[dict], str | None]:
    candidates, why = matching.rank_candidates(
        {
            "village_id": request.village_id,
            "skill": request.skill,
            "starts_at": request.starts_at,
            "ends_at": request.ends_at,
        },
        known_volunteers(uow, None, request.skill),
        coordinates(uow),
        recent_minutes(uow, now),
    )
    declined = _declined(request)
    candidates = [c for c in candidates if c["member_id"] not in declined]
    names = _names(uow, [c["member_id"] for c in candidates])
    for candidate in candidates:
        candidate["display_name"] = names.get(candidate["member_id"])
    return candidates, why


def _declined(request: HelpRequest) -> list[str]:
    return [m for m in (request.declined_member_ids or "").split(",") if m]


def _paid_options(uow, village_id: str) -> list[dict]:
    """Paid services of the village's catalogue (items of kind "service"), as an alternative."""
    rows = uow.session.scalars(
        select(CatalogueItem)
        .where(
            CatalogueItem.village_id == village_id,
            CatalogueItem.kind == "service",
            CatalogueItem.available.is_(True),
        )
        .order_by(CatalogueItem.name)
    ).all()
    return [
        {
            "item_id": r.item_id,
            "name": r.name,
            "partner_id": r.partner_id,
            "partner_name": r.partner_name,
            "price_cents": r.price_cents,
            "unit": r.unit,
        }
        for r in rows
    ]


def _dump(
    uow,
    request: HelpRequest,
    *,
    now: datetime | None = None,
    with_options: bool = True,
    candidates: list[dict] | None = None,
) -> dict:
    """The request as answered; while it waits, with its candidates (ranked now unless given) and
    the village's paid services."""
    declined = _declined(request)
    names = _names(uow, [request.requester_member_id, request.volunteer_member_id, *declined])
    data = {
        column: getattr(request, column)
        for column in (
            "id",
            "village_id",
            "requester_member_id",
            "skill",
            "place",
            "description",
            "starts_at",
            "ends_at",
            "status",
            "volunteer_id",
            "volunteer_member_id",
            "minutes",
            "unmatched_reason",
            "cancel_reason",
            "created_at",
            "assigned_at",
            "accepted_at",
            "done_at",
            "confirmed_at",
            "cancelled_at",
            "declined_at",
        )
    }
    data.update(
        status_label=HELP_STATUS_LABELS[request.status],
        requester_name=names.get(request.requester_member_id),
        volunteer_name=names.get(request.volunteer_member_id),
        declined_names=[names.get(m) or "—" for m in declined],
        candidates=[],
        paid_options=[],
    )
    if with_options and request.status in WAITING:
        data["candidates"] = (
            candidates if candidates is not None else _candidates(uow, request, now or utcnow())[0]
        )
        data["paid_options"] = _paid_options(uow, request.village_id)
    return HelpRequestOutput().dump(data)


def _find(uow, help_request_id, village_ids, *, lock: bool = False) -> HelpRequest:
    query = select(HelpRequest).where(HelpRequest.id == str(help_request_id))
    if lock:
        query = query.with_for_update()
    request = uow.session.scalars(query).first()
    if request is None or (village_ids is not None and request.village_id not in village_ids):
        raise NotFound("help_request", str(help_request_id))
    return request


def get_help_request(uow, help_request_id, village_ids, now: datetime | None = None) -> dict:
    return _dump(uow, _find(uow, help_request_id, village_ids), now=now)


def list_help_requests(
    uow, village_id: str, status: str | None = None, window: dict | None = None
) -> list[dict]:
    """A village's help requests, newest window first (candidates are shown on one request)."""
    if status is not None and status not in HELP_STATUS_LABELS:
        raise InvalidInput({"status": [msg("one_of", choices=", ".join(HELP_STATUS_LABELS))]})
    query = select(HelpRequest).where(HelpRequest.village_id == village_id)
    if status:
        query = query.where(HelpRequest.status == status)
    rows = uow.session.scalars(
        windowed(query.order_by(HelpRequest.starts_at.desc()), window, HelpRequest.id)
    ).all()
    return [_dump(uow, row, with_options=False) for row in rows]


# --- writing -----------------------------------------------------------------------------------


def create_help_request(uow, village_id: str, data: dict, now: datetime | None = None) -> dict:
    """Checks the village, the requester (a known member of this village) and that the window is
    not in the past; matches at once: with no candidate the request is `unmatched` and
    `help_request.unmatched` is published beside `help_request.requested`. The same idempotency key
    again answers the same request (`idempotency.made_once`)."""
    now = now or utcnow()
    return made_once(
        uow,
        HelpRequest,
        village_id,
        data["idempotency_key"],
        lambda: _create(uow, village_id, data, now),
        lambda request_id: get_help_request(uow, request_id, [village_id], now),
    )


def _create(uow, village_id: str, data: dict, now: datetime) -> dict:
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)
    if data["starts_at"] < now:
        raise InvalidInput({"starts_at": [msg("date_in_past")]})
    requester = uow.session.get(KnownMember, data["requester_member_id"])
    if requester is None or requester.erased_at is not None or requester.village_id != village_id:
        raise InvalidInput(
            {"requester_member_id": [msg("unknown_member", member=data["requester_member_id"])]}
        )
    request = HelpRequest(village_id=village_id, status="requested", created_at=now, **data)
    uow.session.add(request)
    uow.session.flush()
    candidates, why = _candidates(uow, request, now)
    uow.record_event(
        "help_request.requested",
        {
            "help_request_id": request.id,
            "village_id": village_id,
            "skill": request.skill,
            "requested_at": now,
        },
        village_id=village_id,
    )
    if not candidates:
        request.status, request.unmatched_reason = "unmatched", matching.UNMATCHED_REASONS[why]
        uow.record_event(
            "help_request.unmatched",
            {
                "help_request_id": request.id,
                "village_id": village_id,
                "skill": request.skill,
                "reason": request.unmatched_reason,
            },
            village_id=village_id,
        )
    # dumped before the commit (which would expire what was loaded), with the candidates just ranked
    answer = _dump(uow, request, now=now, candidates=candidates)
    uow.commit()
    return answer


def _commit_and_answer(uow, request: HelpRequest) -> dict:
    """Commit a change of the request and answer it as it now is, dumped before the commit: read
    after it, the names would open a transaction of their own (a connection taken again from the
    pool, and a rollback)."""
    answer = _dump(uow, request)
    uow.commit()
    return answer


BOOKED = ("assigned", "accepted")  # a volunteer's coups de main that hold their time


def _refuse_double_booking(uow, request: HelpRequest, member_id: str) -> None:
    """A volunteer is never asked for a coup de main they cannot do: another one, or an animation
    role (events' `animation.volunteer_booking`), in any village, at overlapping hours or leaving
    too little time to travel between the villages (backbone/volunteer_bookings.py). Refused (409
    naming volunteer_id) with what, where and when they are already expected."""
    mission = {
        "village_id": request.village_id,
        "starts_at": request.starts_at,
        "ends_at": request.ends_at,
    }
    around = volunteer_bookings.SEARCH_AROUND
    own = uow.session.scalars(
        select(HelpRequest).where(
            HelpRequest.volunteer_member_id == member_id,
            HelpRequest.status.in_(BOOKED),
            HelpRequest.id != request.id,
            HelpRequest.starts_at < request.ends_at + around,
            HelpRequest.ends_at > request.starts_at - around,
        )
    ).all()
    others = [("un coup de main", o.village_id, o.starts_at, o.ends_at) for o in own] + [
        (b.what, b.village_id, b.starts_at, b.ends_at)
        for b in volunteer_bookings.booked_elsewhere(uow, VolunteerBooking, member_id, mission)
    ]
    if not others:
        return
    places = coordinates(uow)
    volunteer_bookings.refuse_first_clash(
        uow, KnownVillage, mission, others, places, field="volunteer_id"
    )


def _announce_booking(uow, request: HelpRequest, member_id: str, booked: bool) -> None:
    """`help_request.volunteer_booking`: the events service keeps the coups de main holding a
    volunteer's time."""
    uow.record_event(
        "help_request.volunteer_booking",
        {
            "booking_id": f"help_request:{request.id}",
            "member_id": member_id,
            "village_id": request.village_id,
            "starts_at": request.starts_at,
            "ends_at": request.ends_at,
            "what": "un coup de main",
            "booked": booked,
        },
        village_id=request.village_id,
    )


def assign(uow, help_request_id, data: dict, village_ids, now: datetime | None = None) -> dict:
    """The concierge picks one of the current candidates (anyone else is a
    409 naming volunteer_id)."""
    now = now or utcnow()
    request = _find(uow, help_request_id, village_ids, lock=True)
    HelpRequest.LIFECYCLE.check(request.status, "assigned")  # a wrong step before who is asked
    candidates, _why = _candidates(uow, request, now)
    chosen = next((c for c in candidates if c["volunteer_id"] == data["volunteer_id"]), None)
    if chosen is None:
        raise Conflict(
            "volunteer_not_candidate",
            field="volunteer_id",
            details={"volunteer_id": data["volunteer_id"]},
        )
    _refuse_double_booking(uow, request, chosen["member_id"])
    record_events(uow, request.move_to("assigned", now))
    request.volunteer_id, request.volunteer_member_id = chosen["volunteer_id"], chosen["member_id"]
    request.unmatched_reason = None
    record_events(uow, [request.people_event("help_request.assigned")])
    _announce_booking(uow, request, chosen["member_id"], True)
    return _commit_and_answer(uow, request)


def accept(uow, help_request_id, village_ids, now: datetime | None = None) -> dict:
    request = _find(uow, help_request_id, village_ids, lock=True)
    record_events(uow, request.move_to("accepted", now or utcnow()))
    return _commit_and_answer(uow, request)


def mark_done(uow, help_request_id, data: dict, village_ids, now: datetime | None = None) -> dict:
    """The volunteer did it; `minutes` (1–1440) is the time they gave."""
    request = _find(uow, help_request_id, village_ids, lock=True)
    record_events(uow, request.move_to("done", now or utcnow()))
    request.minutes = data["minutes"]
    return _commit_and_answer(uow, request)


def confirm(uow, help_request_id, village_ids, now: datetime | None = None) -> dict:
    """The requester confirmed: `help_request.completed` carries the minutes to the time bank (once:
    a second confirmation is a 409, and members' inbox ignores a redelivery)."""
    request = _find(uow, help_request_id, village_ids, lock=True)
    record_events(uow, request.move_to("confirmed", now or utcnow()))
    return _commit_and_answer(uow, request)


def cancel(uow, help_request_id, data: dict, village_ids, now: datetime | None = None) -> dict:
    request = _find(uow, help_request_id, village_ids, lock=True)
    record_events(uow, request.move_to("cancelled", now or utcnow()))
    request.cancel_reason = data["reason"]
    if request.volunteer_member_id:
        _announce_booking(uow, request, request.volunteer_member_id, False)
    return _commit_and_answer(uow, request)


# --- the volunteer's own answer (the /moi pages) -------------------------------------------------

VOLUNTEER_STATUSES = ("assigned", "accepted", "done", "confirmed")


def volunteer_help_requests(uow, member_id: str, now: datetime | None = None) -> list[dict]:
    """The coups de main proposed to a volunteer (member id) or taken by them: those to answer,
    those to come, and those of the last weeks; soonest first."""
    since = (now or utcnow()) - timedelta(weeks=RECENT_WEEKS)
    rows = uow.session.scalars(
        select(HelpRequest)
        .where(
            HelpRequest.volunteer_member_id == str(member_id),
            HelpRequest.status.in_(VOLUNTEER_STATUSES),
            HelpRequest.ends_at >= since,
        )
        .order_by(HelpRequest.starts_at, HelpRequest.id)
    ).all()
    return [_dump(uow, row, with_options=False) for row in rows]


def answer(uow, help_request_id, member_id: str, data: dict, now: datetime | None = None) -> dict:
    """The volunteer it was proposed to accepts it (as the concierge's `accept` would record) or
    declines it: it goes back to the concierge, `requested`, without them among its candidates.
    Another person's request is not found; an answer once it moved on is a 409."""
    now = now or utcnow()
    request = _find(uow, help_request_id, None, lock=True)
    if request.volunteer_member_id != str(member_id) and str(member_id) not in _declined(request):
        raise NotFound("help_request", str(help_request_id))
    if data["answer"] == "accept":
        if request.volunteer_member_id != str(member_id):  # declined before, since reassigned
            raise NotFound("help_request", str(help_request_id))
        record_events(uow, request.move_to("accepted", now))
        return _commit_and_answer(uow, request)
    if request.volunteer_member_id != str(member_id):  # declined already
        raise Conflict(
            "help_request_transition",
            field="status",
            details={"current": request.status, "requested": "requested", "allowed": []},
        )
    record_events(uow, request.move_to("requested", now))
    _announce_booking(uow, request, str(member_id), False)
    request.declined_member_ids = ",".join([*_declined(request), str(member_id)])
    request.declined_at = now
    request.volunteer_id = request.volunteer_member_id = None
    request.assigned_at = None
    return _commit_and_answer(uow, request)


# --- the day before ------------------------------------------------------------------------------


def remind_tomorrow(uow, now: datetime) -> list[str]:
    """`help_request.reminder_due` for each accepted request taking place tomorrow (Paris), once,
    from 10:00 the day before. Returns the requests reminded; run again, it finds nothing more."""
    window = tomorrow_if_reminding(now)
    if window is None:
        return []
    day_starts, day_ends = window
    due = uow.session.scalars(
        select(HelpRequest)
        .where(
            HelpRequest.status == "accepted",
            HelpRequest.reminded_at.is_(None),
            HelpRequest.starts_at >= day_starts,
            HelpRequest.starts_at < day_ends,
        )
        .order_by(HelpRequest.starts_at, HelpRequest.id)
        .with_for_update()
    ).all()
    for request in due:
        request.reminded_at = now
        record_events(uow, [request.people_event("help_request.reminder_due")])
    ids = [r.id for r in due]
    uow.commit()
    return ids


# --- figures -----------------------------------------------------------------------------------


def help_figures(uow, date_from, date_to, village_ids=None) -> dict[str, dict[str, int]]:
    """Per village, over [date_from, date_to] (dates, inclusive, by the day the window starts,
    Europe/Paris): help_requests_done (done or confirmed), help_minutes (their minutes),
    help_requests_unmatched (still without a volunteer)."""
    start = datetime.combine(date_from, datetime.min.time()).replace(tzinfo=PARIS)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time()).replace(tzinfo=PARIS)
    query = select(HelpRequest).where(HelpRequest.starts_at >= start, HelpRequest.starts_at < end)
    if village_ids is not None:
        query = query.where(HelpRequest.village_id.in_(village_ids))
    figures: dict[str, dict[str, int]] = {}
    for row in uow.session.scalars(query):
        village = figures.setdefault(
            row.village_id,
            {"help_requests_done": 0, "help_minutes": 0, "help_requests_unmatched": 0},
        )
        if row.status in ("done", "confirmed"):
            village["help_requests_done"] += 1
            village["help_minutes"] += row.minutes or 0
        elif row.status == "unmatched":
            village["help_requests_unmatched"] += 1
    return figures


# --- RGPD: one person's help requests -----------------------------------------------------------

ERASED_PLACE = ""  # `place` is required while the request lives; erased, it says nothing


def member_help_requests(uow, member_id: str) -> list[dict]:
    """The help requests one member asked for or gave a hand to (RGPD
    export), without candidates."""
    rows = uow.session.scalars(
        select(HelpRequest)
        .where(
            (HelpRequest.requester_member_id == str(member_id))
            | (HelpRequest.volunteer_member_id == str(member_id))
        )
        .order_by(HelpRequest.created_at)
    ).all()
    return [_dump(uow, row, with_options=False) for row in rows]


def scrub_member(uow, member_id: str) -> int:
    """Erase where and what a member asked a hand for (place, description, the reasons written about
    it); the request stays, counted in the figures. Does not commit. Returns
    how many were scrubbed."""
    rows = uow.session.scalars(
        select(HelpRequest).where(HelpRequest.requester_member_id == str(member_id))
    ).all()
    for request in rows:
        request.place, request.description = ERASED_PLACE, None
        request.unmatched_reason, request.cancel_reason = None, None
    return len(rows)
