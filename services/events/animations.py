"""Service layer for animations: the calendar of a village, registrations with a waiting list
promoted first come first served, volunteer roles, attendance and cancellation, guests' data
erased on request or after a retention period. Every change that others need to know is an event
written in the same transaction (outbox).

Several villages: an animation has a host village (`village_id`) and may invite others
(`invited_village_ids`): it shows on each one's calendar and public feed, and each one's hub
registers its own inhabitants. Only the host changes it (capacity, roles, attendance,
cancellation); an invited village trying is a 409 `animation_hosted_elsewhere`.

Visibility: `village_ids` is what the gateway says the caller may see (None: the coordinator, all
villages); an animation neither hosted by nor open to one of them is "not found". Names and phones
of the people registered show only to the hub that registered them: the host sees the others'
registrations (status, hub) without them.
Concurrency: registrations, cancellations and capacity changes lock the animation's row first
(`SELECT … FOR UPDATE` on PostgreSQL), so two people cannot take the last place at once.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from backbone import offline_actions, volunteer_bookings
from backbone.clock import PARIS, tomorrow_if_reminding, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.formats import day_and_time
from backbone.messages import msg
from backbone.paging import windowed
from backbone.tables import new_id
from services.events.models import (
    Animation,
    AnimationCoOrganiser,
    AnimationVillage,
    KnownMember,
    KnownPartner,
    KnownVillage,
    OfflineAction,
    Registration,
    RoleVolunteer,
    VolunteerBooking,
    VolunteerRole,
)
from services.events.schemas import (
    ANIMATION_STATUS_LABELS,
    KIND_LABELS,
    MAX_OCCURRENCES,
    REGISTRATION_STATUS_LABELS,
    AnimationOutput,
    GuestEraseOutput,
)

ACTIVE = ("registered", "waiting")
# the roll call (and the volunteers' hours it credits) is taken from the animation's start until
# this many days after its end: late enough for a concierge back from a weekend, never ahead
ATTENDANCE_DAYS_AFTER = 7


# --- reading -----------------------------------------------------------------------------------


def _names(uow, member_ids) -> dict[str, str | None]:
    ids = [m for m in member_ids if m]
    if not ids:
        return {}
    return {
        m.id: m.display_name
        for m in uow.session.scalars(select(KnownMember).where(KnownMember.id.in_(ids)))
    }


def _hub(animation: Animation, registration: Registration) -> str:
    return registration.village_id or animation.village_id


def _shown(animation: Animation, registration: Registration, village_ids) -> bool:
    """Whether the caller sees this registration's name and phone: its own hub's (or everything,
    for the coordinator)."""
    return village_ids is None or _hub(animation, registration) in village_ids


def _guests_to_call(animation: Animation, village_ids) -> list[dict]:
    """Guests registered (or waiting) from the caller's hubs, with their phone:
    nobody else can tell them."""
    return [
        {
            "registration_id": r.id,
            "village_id": _hub(animation, r),
            "guest_name": r.guest_name,
            "guest_phone": r.guest_phone,
            "status": r.status,
            "status_label": REGISTRATION_STATUS_LABELS[r.status],
        }
        for r in animation.registrations
        if r.status in ACTIVE
        and r.member_id is None
        and r.guest_erased_at is None
        and _shown(animation, r, village_ids)
    ]


def _dump(uow, animation: Animation, village_ids=None) -> dict:
    registrations = [r for r in animation.registrations if r.status in ACTIVE]
    names = _names(uow, [r.member_id for r in registrations if _shown(animation, r, village_ids)])
    holders: dict[str, list[str]] = {}
    for holder in animation.role_volunteers:
        holders.setdefault(holder.role, []).append(holder.member_id)
    return AnimationOutput().dump(
        {
            "id": animation.id,
            "series_id": animation.series_id,
            "village_id": animation.village_id,
            "invited_village_ids": animation.village_ids[1:],
            "kind": animation.kind,
            "kind_label": KIND_LABELS.get(animation.kind, animation.kind),
            "title": animation.title,
            "place": animation.place,
            "starts_at": animation.starts_at,
            "ends_at": animation.ends_at,
            "capacity": animation.capacity,
            "status": animation.status,
            "status_label": ANIMATION_STATUS_LABELS[animation.status],
            "cancel_reason": animation.cancel_reason,
            "people_reached": animation.people_reached,
            "guests": animation.guests,
            "co_organiser_ids": sorted(c.partner_id for c in animation.co_organisers),
            "registered": sum(1 for r in registrations if r.status == "registered"),
            "waiting": sum(1 for r in registrations if r.status == "waiting"),
            "registrations": [
                _dump_registration(r, names, _hub(animation, r), _shown(animation, r, village_ids))
                for r in registrations
            ],
            "roles": [
                {
                    "role": role.role,
                    "needed": role.needed,
                    "member_ids": sorted(holders.get(role.role, [])),
                }
                for role in sorted(animation.roles, key=lambda r: r.role)
            ],
        }
    )


def _dump_registration(r: Registration, names: dict, hub: str, shown: bool) -> dict:
    row = {
        "id": r.id,
        "village_id": hub,
        "member_id": r.member_id,
        "status": r.status,
        "status_label": REGISTRATION_STATUS_LABELS[r.status],
        "registered_at": r.registered_at,
        "promoted_at": r.promoted_at,
        "present": r.present,
        "guest_erased": r.guest_erased_at is not None,
        "display_name": None,
        "guest_name": None,
        "guest_phone": None,
    }
    if shown:
        row.update(
            display_name=names.get(r.member_id) if r.member_id else r.guest_name,
            guest_name=r.guest_name,
            guest_phone=r.guest_phone,
        )
    return row


def _find(uow, animation_id, village_ids, *, lock: bool = False, host: bool = False) -> Animation:
    """The animation if the caller's villages host it or are invited; `host=True` (a change): the
    caller must be the host village (or the coordinator)."""
    query = select(Animation).where(Animation.id == str(animation_id))
    if lock:
        query = query.with_for_update()
    animation = uow.session.scalars(query).first()
    if animation is None or (
        village_ids is not None and not set(animation.village_ids) & set(village_ids)
    ):
        raise NotFound("animation", str(animation_id))
    if host and village_ids is not None and animation.village_id not in village_ids:
        raise Conflict(
            "animation_hosted_elsewhere",
            details={"animation_id": animation.id, "host_village_id": animation.village_id},
        )
    return animation


def get_animation(uow, animation_id, village_ids) -> dict:
    return _dump(uow, _find(uow, animation_id, village_ids), village_ids)


def _on_calendar_of(village_id: str):
    """Animations hosted by the village or open to it."""
    invited = select(AnimationVillage.animation_id).where(AnimationVillage.village_id == village_id)
    return (Animation.village_id == village_id) | Animation.id.in_(invited)


def list_animations(
    uow, village_id: str, *, include_past: bool = True, window: dict | None = None
) -> list[dict]:
    """A village's calendar: what it hosts and what it is invited to."""
    query = select(Animation).where(_on_calendar_of(village_id)).order_by(Animation.starts_at)
    if not include_past:
        query = query.where(Animation.ends_at >= utcnow())
    return [
        _dump(uow, a, [village_id])
        for a in uow.session.scalars(windowed(query, window, Animation.id)).all()
    ]


def animations_of_day(uow, village_id: str, day: date) -> list[dict]:
    """The animations on a village's calendar (hosted or invited) taking place on `day` (Paris),
    whatever their status: the offline counter's section for the door (who registered, the roll
    call). Seen as the village's hub sees them (`[village_id]`)."""
    starts = datetime.combine(day, time(0), tzinfo=PARIS)
    ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
    query = (
        select(Animation)
        .where(_on_calendar_of(village_id), Animation.starts_at < ends, Animation.ends_at > starts)
        .order_by(Animation.starts_at, Animation.id)
    )
    return [_dump(uow, a, [village_id]) for a in uow.session.scalars(query).all()]


def _public_rows(uow, animations: list[Animation]) -> list[dict]:
    names = {v.id: v.name for v in uow.session.scalars(select(KnownVillage))}
    return [
        {
            "id": a.id,
            "title": a.title,
            "kind_label": KIND_LABELS.get(a.kind, a.kind),
            "place": a.place,
            "starts_at": a.starts_at.isoformat(),
            "ends_at": a.ends_at.isoformat(),
            "status": a.status,
            "village_names": [names.get(v, v) for v in a.village_ids],
            "updated_at": (a.cancelled_at or a.attended_at or a.created_at).isoformat(),
        }
        for a in animations
    ]


def public_calendar(uow, village_id: str, *, days_back: int = 30) -> dict:
    """What anyone may read of a village's calendar (the public iCalendar feed): no registrations,
    no personal data. Held and scheduled animations from `days_back` days ago, those it hosts and
    those it is invited to, cancelled ones marked so (a calendar that subscribed removes them)."""
    village = uow.session.get(KnownVillage, village_id)
    if village is None:
        raise NotFound("village", village_id)
    rows = uow.session.scalars(
        select(Animation)
        .where(
            _on_calendar_of(village_id), Animation.ends_at >= utcnow() - timedelta(days=days_back)
        )
        .order_by(Animation.starts_at)
    ).all()
    return {
        "village_id": village.id,
        "village_name": village.name,
        "animations": _public_rows(uow, rows),
    }


def public_network_calendar(uow, *, days_back: int = 30) -> dict:
    """The whole network's calendar, public like a village's: titles, places, times and the
    villages' names, nothing about who registered."""
    rows = uow.session.scalars(
        select(Animation)
        .where(Animation.ends_at >= utcnow() - timedelta(days=days_back))
        .order_by(Animation.starts_at)
    ).all()
    return {
        "village_id": None,
        "village_name": "réseau Maillage",
        "animations": _public_rows(uow, rows),
    }


def guests_to_call(uow, animation_id, village_ids) -> list[dict]:
    """The guests of a cancelled animation registered from the caller's hub, with their phone
    (members are told by the members service's notices; guests are not members). Empty while the
    animation is not cancelled."""
    animation = _find(uow, animation_id, village_ids)
    return _guests_to_call(animation, village_ids) if animation.status == "cancelled" else []


def kinds() -> list[dict]:
    return [{"code": code, "label": label} for code, label in KIND_LABELS.items()]


# --- writing -----------------------------------------------------------------------------------


def _known_member(uow, member_id: str, field: str = "member_id") -> KnownMember:
    member = uow.session.get(KnownMember, member_id)
    if member is None or member.erased_at is not None:
        raise InvalidInput({field: [msg("unknown_member", member=member_id)]})
    return member


def _member_of(uow, member_id: str, village_ids) -> KnownMember:
    """The member if they live in one of `village_ids`. A member of another village is refused
    like an unknown one there: their hub alone may register them, and the answer would show their
    name to a hub that has no business knowing it."""
    member = _known_member(uow, member_id)
    if member.village_id not in village_ids:
        raise InvalidInput(
            {"member_id": [msg("not_member_of_animation_villages", member=member_id)]}
        )
    return member


def _add_months(moment, months: int):
    """Same day of the month, or the month's last day when it has fewer (31 → 30, 28 or 29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrence_starts(starts_at, recurrence: dict | None) -> list:
    """The start of every occurrence, the first included (one when there is no recurrence). Steps
    are taken in the network's local time (Europe/Paris): a 14:00 workshop stays at 14:00 across a
    daylight saving change."""
    if not recurrence:
        return [starts_at]
    starts_at = starts_at.astimezone(PARIS)
    starts, n = [], 0
    while True:
        if recurrence["frequency"] == "weekly":
            moment = starts_at + timedelta(weeks=n)
        else:
            moment = _add_months(starts_at, n)
        if recurrence["count"] is not None and n >= recurrence["count"]:
            break
        if recurrence["until"] is not None and moment.date() > recurrence["until"]:
            break
        if len(starts) >= MAX_OCCURRENCES:
            raise InvalidInput({"recurrence": [msg("too_many_occurrences", count=MAX_OCCURRENCES)]})
        starts.append(moment)
        n += 1
    return starts


def create_animation(uow, village_id: str, data: dict) -> dict:
    """Checks the village and each co-organiser are known (an unknown one is named) and still
    partners (one whose partnership ended is named, refused); announces
    `animation.scheduled` for each occurrence (a recurrence creates them all,
    sharing a `series_id`)."""
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)
    partners = {
        p.id: p
        for p in uow.session.scalars(
            select(KnownPartner).where(KnownPartner.id.in_(data["co_organiser_ids"]))
        )
    }
    unknown = [p for p in data["co_organiser_ids"] if p not in partners]
    if unknown:
        raise InvalidInput(
            {"co_organiser_ids": [msg("unknown_partner", partner=", ".join(unknown))]}
        )
    ended = [partners[p].name for p in data["co_organiser_ids"] if partners[p].ended_at]
    if ended:
        raise InvalidInput(
            {"co_organiser_ids": [msg("co_organiser_ended", partner=", ".join(ended))]}
        )
    invited = data["invited_village_ids"]
    if village_id in invited:
        raise InvalidInput({"invited_village_ids": [msg("host_not_invited")]})
    known_villages = set(
        uow.session.scalars(select(KnownVillage.id).where(KnownVillage.id.in_(invited)))
    )
    strangers = [v for v in invited if v not in known_villages]
    if strangers:
        raise InvalidInput(
            {"invited_village_ids": [msg("unknown_village", village=", ".join(strangers))]}
        )
    starts = occurrence_starts(data["starts_at"], data["recurrence"])
    duration = data["ends_at"] - data["starts_at"]
    series_id = new_id() if data["recurrence"] else None
    created = []
    for start in starts:
        animation = Animation(
            village_id=village_id,
            series_id=series_id,
            kind=data["kind"],
            title=data["title"],
            place=data["place"],
            starts_at=start,
            ends_at=start + duration,
            capacity=data["capacity"],
            status="scheduled",
        )
        animation.co_organisers = [
            AnimationCoOrganiser(partner_id=p) for p in data["co_organiser_ids"]
        ]
        animation.roles = [VolunteerRole(role=r["role"], needed=r["needed"]) for r in data["roles"]]
        animation.invited = [AnimationVillage(village_id=v) for v in invited]
        uow.session.add(animation)
        uow.session.flush()
        uow.record_event(
            "animation.scheduled",
            {
                "animation_id": animation.id,
                "village_id": village_id,
                "kind": animation.kind,
                "title": animation.title,
                "place": animation.place,
                "starts_at": start,
                "ends_at": start + duration,
                "capacity": animation.capacity,
                "co_organiser_ids": data["co_organiser_ids"],
                "invited_village_ids": sorted(invited),
            },
            village_id=village_id,
        )
        created.append(animation)
    uow.commit()
    result = _dump(uow, created[0], [village_id])
    if series_id:
        result["occurrences"] = [
            a["starts_at"] for a in AnimationOutput(many=True, only=("starts_at",)).dump(created)
        ]
    return result


def _must_be_scheduled(animation: Animation) -> None:
    if animation.status == "cancelled":
        raise Conflict("animation_cancelled", details={"animation_id": animation.id})
    if animation.status == "held":
        raise Conflict("animation_held", details={"animation_id": animation.id})


def _announce(uow, type_: str, animation: Animation, registration: Registration, **extra):
    """`animation.registered` / `animation.promoted` for a member (the members service tells
    them); a guest is not announced: the hub that registered them calls them."""
    if registration.member_id is None:
        return
    uow.session.flush()  # the registration's id
    uow.record_event(
        type_,
        {
            "animation_id": animation.id,
            "village_id": animation.village_id,
            "title": animation.title,
            "place": animation.place,
            "starts_at": animation.starts_at,
            "registration_id": registration.id,
            "member_id": registration.member_id,
            "position": registration.position,
            **extra,
        },
        village_id=animation.village_id,
    )


def _promote(uow, animation: Animation) -> None:
    """Fill free places from the waiting list, first come first served (`animation.promoted`)."""
    taken = sum(1 for r in animation.registrations if r.status == "registered")
    for registration in sorted(
        (r for r in animation.registrations if r.status == "waiting"), key=lambda r: r.position
    ):
        if taken >= animation.capacity:
            break
        registration.status, registration.promoted_at = "registered", utcnow()
        _announce(uow, "animation.promoted", animation, registration)
        taken += 1


def _person_key(data: dict) -> tuple[str, str]:
    if data.get("member_id"):
        return f"member:{data['member_id']}", "member_id"
    return "guest:" + re.sub(r"\D", "", data["guest_phone"])[-12:], "guest_phone"


def register(uow, animation_id, data: dict, village_ids) -> dict:
    """A place if one is free, else the waiting list. One registration per person: twice is a 409
    (a person who cancelled may come back: at the end of the queue). The hub registering is the
    caller's village (the host when the caller may act on it, else the invited village); a member
    must live in the host or an invited village that the caller acts for (else 400 naming
    `member_id`, without their name), and their own village is their hub."""
    animation = _find(uow, animation_id, village_ids, lock=True)
    hub = next(v for v in animation.village_ids if village_ids is None or v in village_ids)
    _must_be_scheduled(animation)
    if data.get("member_id"):
        allowed = [v for v in animation.village_ids if village_ids is None or v in village_ids]
        hub = _member_of(uow, data["member_id"], allowed).village_id
    key, field = _person_key(data)
    existing = next((r for r in animation.registrations if r.person_key == key), None)
    if existing is not None and existing.status in ACTIVE:
        raise Conflict(
            "already_registered",
            field=field,
            details={"registration_id": existing.id, "status": existing.status},
        )
    taken = sum(1 for r in animation.registrations if r.status == "registered")
    status = "registered" if taken < animation.capacity else "waiting"
    position = max((r.position for r in animation.registrations), default=0) + 1
    if existing is None:
        existing = Registration(
            animation_id=animation.id, person_key=key, position=position, status=status
        )
        animation.registrations.append(existing)
    existing.status, existing.position, existing.registered_at = status, position, utcnow()
    existing.member_id, existing.village_id = data.get("member_id"), hub
    existing.guest_name, existing.guest_phone = data.get("guest_name"), data.get("guest_phone")
    existing.promoted_at = existing.cancelled_at = None
    uow.session.flush()
    _announce(uow, "animation.registered", animation, existing, status=status)
    registration_id = existing.id
    uow.commit()
    result = _dump(uow, animation, village_ids)
    result["registration"] = next(r for r in result["registrations"] if r["id"] == registration_id)
    return result


def cancel_registration(uow, animation_id, registration_id, village_ids) -> dict:
    """The place freed goes to the first person waiting. A hub cancels the registrations it made;
    the host any."""
    animation = _find(uow, animation_id, village_ids, lock=True)
    _must_be_scheduled(animation)
    registration = next((r for r in animation.registrations if r.id == str(registration_id)), None)
    if (
        registration is None
        or registration.status == "cancelled"
        or not (_shown(animation, registration, village_ids) or animation.village_id in village_ids)
    ):
        raise NotFound("registration", str(registration_id))
    registration.status, registration.cancelled_at = "cancelled", utcnow()
    _promote(uow, animation)
    uow.commit()
    return _dump(uow, animation, village_ids)


def change_capacity(uow, animation_id, data: dict, village_ids) -> dict:
    """Never below the places already taken (409 naming `capacity`); more places
    promote people waiting."""
    animation = _find(uow, animation_id, village_ids, lock=True, host=True)
    _must_be_scheduled(animation)
    taken = sum(1 for r in animation.registrations if r.status == "registered")
    if data["capacity"] < taken:
        raise Conflict(
            "capacity_below_registrations",
            field="capacity",
            details={"registered": taken, "requested": data["capacity"]},
        )
    animation.capacity = data["capacity"]
    _promote(uow, animation)
    uow.commit()
    return _dump(uow, animation, village_ids)


def _what(animation: Animation) -> str:
    return f"l'animation « {animation.title} »"


def _refuse_double_booking(uow, animation: Animation, member_id: str) -> None:
    """A volunteer never holds a role they cannot do: another animation's role, or a coup de main
    (orders' `help_request.volunteer_booking`), in any village, at overlapping hours or leaving
    too little time to travel between the villages (backbone/volunteer_bookings.py; this service
    knows no village's position, so TRAVEL_WHEN_UNKNOWN between two villages). Refused (409 naming
    member_id) with what, where and when they are already expected."""
    mission = {
        "village_id": animation.village_id,
        "starts_at": animation.starts_at,
        "ends_at": animation.ends_at,
    }
    around = volunteer_bookings.SEARCH_AROUND
    roles = uow.session.scalars(
        select(Animation)
        .join(RoleVolunteer, RoleVolunteer.animation_id == Animation.id)
        .where(
            RoleVolunteer.member_id == member_id,
            Animation.id != animation.id,
            Animation.status == "scheduled",
            Animation.starts_at < animation.ends_at + around,
            Animation.ends_at > animation.starts_at - around,
        )
    ).all()
    others = [(_what(a), a.village_id, a.starts_at, a.ends_at) for a in roles] + [
        (b.what, b.village_id, b.starts_at, b.ends_at)
        for b in volunteer_bookings.booked_elsewhere(uow, VolunteerBooking, member_id, mission)
    ]
    volunteer_bookings.refuse_first_clash(uow, KnownVillage, mission, others, {}, field="member_id")


def _announce_booking(uow, animation: Animation, member_id: str, booked: bool) -> None:
    """`animation.volunteer_booking`: the orders service keeps the roles holding a volunteer's
    time."""
    uow.record_event(
        "animation.volunteer_booking",
        {
            "booking_id": f"animation:{animation.id}:{member_id}",
            "member_id": member_id,
            "village_id": animation.village_id,
            "starts_at": animation.starts_at,
            "ends_at": animation.ends_at,
            "what": _what(animation)[:200],
            "booked": booked,
        },
        village_id=animation.village_id,
    )


def fill_role(uow, animation_id, data: dict, village_ids) -> dict:
    animation = _find(uow, animation_id, village_ids, lock=True, host=True)
    _must_be_scheduled(animation)
    role = next((r for r in animation.roles if r.role == data["role"]), None)
    if role is None:
        raise InvalidInput({"role": [msg("unknown_role", role=data["role"])]})
    _known_member(uow, data["member_id"])
    current = next((h for h in animation.role_volunteers if h.member_id == data["member_id"]), None)
    if current is not None:
        raise Conflict("already_volunteering", field="member_id", details={"role": current.role})
    if sum(1 for h in animation.role_volunteers if h.role == role.role) >= role.needed:
        raise Conflict(
            "role_full", field="role", details={"role": role.role, "needed": role.needed}
        )
    _refuse_double_booking(uow, animation, data["member_id"])
    animation.role_volunteers.append(RoleVolunteer(member_id=data["member_id"], role=role.role))
    _announce_booking(uow, animation, data["member_id"], True)
    uow.commit()
    return _dump(uow, animation, village_ids)


def _count_present(animation: Animation, data: dict) -> tuple[int, int | None]:
    """(people reached, guests) from the registrations marked present and the walk-ins; or the
    head count alone (guests then unknown). Marks each active registration present or not."""
    if data["present"] is None:
        return data["people_reached"], None
    active = {r.id: r for r in animation.registrations if r.status in ACTIVE}
    strangers = [p for p in data["present"] if p not in active]
    if strangers:
        raise InvalidInput(
            {"present": [msg("not_a_registration_here", registration=", ".join(strangers))]}
        )
    for registration in active.values():
        registration.present = registration.id in data["present"]
    came = [active[p] for p in data["present"]]
    guests = sum(1 for r in came if r.member_id is None) + data["walk_ins"]
    return sum(1 for r in came if r.member_id is not None) + guests, guests


def _attendance_window(animation: Animation, now: datetime) -> None:
    """The roll call is taken once the animation has begun and at most ATTENDANCE_DAYS_AFTER days
    after it ends (hours are credited to the volunteers then, never ahead); otherwise refused,
    naming the people present field and the dates."""
    if now < animation.starts_at:
        raise InvalidInput(
            {
                "present": [
                    msg(
                        "attendance_before_start",
                        starts=day_and_time(animation.starts_at, weekday=True),
                    )
                ]
            }
        )
    until = animation.ends_at + timedelta(days=ATTENDANCE_DAYS_AFTER)
    if now > until:
        raise InvalidInput(
            {
                "present": [
                    msg(
                        "attendance_too_late",
                        days=ATTENDANCE_DAYS_AFTER,
                        until=day_and_time(until, weekday=True),
                    )
                ]
            }
        )


def take_attendance(
    uow, animation_id, data: dict, village_ids, now: datetime | None = None
) -> dict:
    """Once, by the host, within the attendance window (`_attendance_window`): the animation is
    held, `animation.attended` credits each volunteer's minutes (their given minutes, or the
    animation's duration) and carries the people reached (members present + guests present) and
    the guests. A second attendance is a 409, except the same idempotency key again (the
    offline console's replay), which answers the animation as it now is. Taken offline
    (`occurred_at`, bounded and audited: backbone/offline_actions.py), it is checked and stamped
    as at that time."""
    now = now or utcnow()
    animation = _find(uow, animation_id, village_ids, lock=True, host=True)
    return offline_actions.once(
        uow,
        OfflineAction,
        animation.village_id,
        "animation.attended",
        data.get("idempotency_key"),
        animation.id,
        lambda: _take_attendance(uow, animation, data, village_ids, now),
        lambda: _dump(uow, animation, village_ids),
    )


def _take_attendance(uow, animation, data: dict, village_ids, received: datetime) -> dict:
    now = offline_actions.when(data.get("occurred_at"), received)
    if animation.status == "held":
        raise Conflict("attendance_already_taken", details={"animation_id": animation.id})
    _must_be_scheduled(animation)
    _attendance_window(animation, now)
    roles = {h.member_id: h for h in animation.role_volunteers}
    if data["volunteers"] is None:
        minutes = max(
            1, min(24 * 60, int((animation.ends_at - animation.starts_at).total_seconds() // 60))
        )
        volunteers = [
            {"member_id": m, "role": h.role, "minutes": minutes} for m, h in sorted(roles.items())
        ]
    else:
        strangers = [v["member_id"] for v in data["volunteers"] if v["member_id"] not in roles]
        if strangers:
            raise InvalidInput({"volunteers": [msg("holds_no_role", member=", ".join(strangers))]})
        ids = [v["member_id"] for v in data["volunteers"]]
        if len(ids) != len(set(ids)):
            raise InvalidInput({"volunteers": [msg("volunteer_listed_twice")]})
        volunteers = [
            {
                "member_id": v["member_id"],
                "role": roles[v["member_id"]].role,
                "minutes": v["minutes"],
            }
            for v in data["volunteers"]
        ]
    for volunteer in volunteers:
        roles[volunteer["member_id"]].minutes = volunteer["minutes"]
    people_reached, guests = _count_present(animation, data)
    animation.status, animation.attended_at = "held", now
    animation.people_reached, animation.guests = people_reached, guests
    offline_actions.record(
        uow,
        OfflineAction,
        animation.village_id,
        "animation.attended",
        data.get("idempotency_key"),
        animation.id,
        data.get("occurred_at"),
        received,
    )
    uow.record_event(
        "animation.attended",
        {
            "animation_id": animation.id,
            "village_id": animation.village_id,
            "volunteers": volunteers,
            "people_reached": people_reached,
            "guests": guests,
            "attended_at": now,
        },
        village_id=animation.village_id,
    )
    uow.commit()
    return _dump(uow, animation, village_ids)


def cancel_animation(uow, animation_id, data: dict, village_ids) -> dict:
    """By the host. Announces `animation.cancelled` with the members registered or waiting (the
    members service tells each one); the answer lists the guests registered from the caller's hub,
    with their phone, to call."""
    animation = _find(uow, animation_id, village_ids, lock=True, host=True)
    _must_be_scheduled(animation)
    member_ids = sorted(
        {r.member_id for r in animation.registrations if r.status in ACTIVE and r.member_id}
    )
    animation.status, animation.cancelled_at, animation.cancel_reason = (
        "cancelled",
        utcnow(),
        data["reason"],
    )
    for holder in animation.role_volunteers:
        _announce_booking(uow, animation, holder.member_id, False)
    uow.record_event(
        "animation.cancelled",
        {
            "animation_id": animation.id,
            "village_id": animation.village_id,
            "title": animation.title,
            "starts_at": animation.starts_at,
            "reason": data["reason"],
            "member_ids": member_ids,
        },
        village_id=animation.village_id,
    )
    uow.commit()
    result = _dump(uow, animation, village_ids)
    result["guests_to_call"] = _guests_to_call(animation, village_ids)
    return result


def remind_tomorrow(uow, now) -> list[str]:
    """`animation.reminder_due` for each scheduled animation taking place tomorrow (Paris), once,
    from 10:00 the day before, listing its members with a place. Returns the animations reminded;
    run again, it finds nothing more to do."""
    window = tomorrow_if_reminding(now)
    if window is None:
        return []
    day_starts, day_ends = window
    due = uow.session.scalars(
        select(Animation)
        .where(
            Animation.status == "scheduled",
            Animation.reminded_at.is_(None),
            Animation.starts_at >= day_starts,
            Animation.starts_at < day_ends,
        )
        .order_by(Animation.starts_at, Animation.id)
        .with_for_update()
    ).all()
    for animation in due:
        animation.reminded_at = now
        uow.record_event(
            "animation.reminder_due",
            {
                "animation_id": animation.id,
                "village_id": animation.village_id,
                "title": animation.title,
                "place": animation.place,
                "starts_at": animation.starts_at,
                "member_ids": sorted(
                    {
                        r.member_id
                        for r in animation.registrations
                        if r.status == "registered" and r.member_id
                    }
                ),
            },
            village_id=animation.village_id,
        )
    ids = [a.id for a in due]
    uow.commit()
    return ids


# --- guests' personal data -----------------------------------------------------------------------


def _scrub_guest(registration: Registration, now) -> None:
    """Name and phone go; the registration stays (its status counts in the figures)."""
    registration.guest_name = registration.guest_phone = None
    registration.person_key = f"erased:{registration.id}"
    registration.guest_erased_at = now


def erase_guest(uow, animation_id, registration_id, village_ids, *, now=None) -> dict:
    """On the guest's request: by the hub that registered them (or the host). A member is erased
    through the members service (`member.erased`), not here (409 `not_a_guest`); twice is a 409."""
    animation = _find(uow, animation_id, village_ids, lock=True)
    registration = next((r for r in animation.registrations if r.id == str(registration_id)), None)
    if registration is None or not (
        _shown(animation, registration, village_ids) or animation.village_id in village_ids
    ):
        raise NotFound("registration", str(registration_id))
    if registration.member_id is not None:
        raise Conflict("not_a_guest", details={"registration_id": registration.id})
    if registration.guest_erased_at is not None:
        raise Conflict(
            "guest_already_erased",
            details={
                "registration_id": registration.id,
                "erased_at": registration.guest_erased_at.isoformat(),
            },
        )
    _scrub_guest(registration, now or utcnow())
    uow.commit()
    return GuestEraseOutput().dump(
        {"registration_id": registration.id, "guest_erased_at": registration.guest_erased_at}
    )


def erase_expired_guests(uow, now, retention_days: int) -> int:
    """The retention rule: guests' names and phones are erased `retention_days` after the animation
    ended (held or cancelled alike). Returns how many were erased; run by a timer."""
    rows = uow.session.scalars(
        select(Registration)
        .join(Animation, Animation.id == Registration.animation_id)
        .where(
            Registration.member_id.is_(None),
            Registration.guest_erased_at.is_(None),
            Animation.ends_at < now - timedelta(days=retention_days),
        )
    ).all()
    for registration in rows:
        _scrub_guest(registration, now)
    uow.commit()
    return len(rows)
