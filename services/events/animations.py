"""Service layer for animations: the calendar of a village, registrations with a waiting list
promoted first come first served, volunteer roles, attendance and cancellation. Every change that
others need to know is an event written in the same transaction (outbox).

Visibility: `village_ids` is what the gateway says the caller may see (None: the coordinator, all
villages); an animation of another village is "not found".
Concurrency: registrations, cancellations and capacity changes lock the animation's row first
(`SELECT … FOR UPDATE` on PostgreSQL), so two people cannot take the last place at once.
"""
from __future__ import annotations

import calendar
import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from backbone.tables import utcnow
from services.events.models import (
    Animation, AnimationCoOrganiser, KnownMember, KnownPartner, KnownVillage, Registration, RoleVolunteer,
    VolunteerRole,
)
from services.events.schemas import (
    ANIMATION_STATUS_LABELS, KIND_LABELS, MAX_OCCURRENCES, REGISTRATION_STATUS_LABELS, AnimationInput, AnimationOutput,
    AttendanceInput, CancelInput, CapacityInput, RegistrationInput, RoleFillInput,
)

ACTIVE = ("registered", "waiting")
LOCAL = ZoneInfo("Europe/Paris")  # the network's villages are in France


# --- reading -----------------------------------------------------------------------------------

def _names(uow, member_ids) -> dict[str, str | None]:
    ids = [m for m in member_ids if m]
    if not ids:
        return {}
    return {m.id: m.display_name for m in uow.session.scalars(select(KnownMember).where(KnownMember.id.in_(ids)))}


def _dump(uow, animation: Animation) -> dict:
    registrations = [r for r in animation.registrations if r.status in ACTIVE]
    names = _names(uow, [r.member_id for r in registrations])
    holders: dict[str, list[str]] = {}
    for holder in animation.role_volunteers:
        holders.setdefault(holder.role, []).append(holder.member_id)
    return AnimationOutput().dump({
        "id": animation.id, "series_id": animation.series_id, "village_id": animation.village_id,
        "kind": animation.kind,
        "kind_label": KIND_LABELS.get(animation.kind, animation.kind), "title": animation.title,
        "place": animation.place, "starts_at": animation.starts_at, "ends_at": animation.ends_at,
        "capacity": animation.capacity, "status": animation.status,
        "status_label": ANIMATION_STATUS_LABELS[animation.status], "cancel_reason": animation.cancel_reason,
        "people_reached": animation.people_reached,
        "co_organiser_ids": sorted(c.partner_id for c in animation.co_organisers),
        "registered": sum(1 for r in registrations if r.status == "registered"),
        "waiting": sum(1 for r in registrations if r.status == "waiting"),
        "registrations": [{
            "id": r.id, "member_id": r.member_id, "display_name": names.get(r.member_id) if r.member_id else r.guest_name,
            "guest_name": r.guest_name, "guest_phone": r.guest_phone, "status": r.status,
            "status_label": REGISTRATION_STATUS_LABELS[r.status], "registered_at": r.registered_at,
            "promoted_at": r.promoted_at} for r in registrations],
        "roles": [{"role": role.role, "needed": role.needed, "member_ids": sorted(holders.get(role.role, []))}
                  for role in sorted(animation.roles, key=lambda r: r.role)],
    })


def _find(uow, animation_id, village_ids, *, lock: bool = False) -> Animation:
    query = select(Animation).where(Animation.id == str(animation_id))
    if lock:
        query = query.with_for_update()
    animation = uow.session.scalars(query).first()
    if animation is None or (village_ids is not None and animation.village_id not in village_ids):
        raise NotFound("animation", str(animation_id))
    return animation


def get_animation(uow, animation_id, village_ids) -> dict:
    return _dump(uow, _find(uow, animation_id, village_ids))


def list_animations(uow, village_id: str, *, include_past: bool = True) -> list[dict]:
    query = select(Animation).where(Animation.village_id == village_id).order_by(Animation.starts_at)
    if not include_past:
        query = query.where(Animation.ends_at >= utcnow())
    return [_dump(uow, a) for a in uow.session.scalars(query).all()]


def public_calendar(uow, village_id: str, *, days_back: int = 30) -> dict:
    """What anyone may read of a village's calendar (the public iCalendar feed): no registrations,
    no personal data. Held and scheduled animations from `days_back` days ago, cancelled ones
    marked so (a calendar that subscribed removes them)."""
    village = uow.session.get(KnownVillage, village_id)
    if village is None:
        raise NotFound("village", village_id)
    rows = uow.session.scalars(select(Animation).where(
        Animation.village_id == village_id, Animation.ends_at >= utcnow() - timedelta(days=days_back))
        .order_by(Animation.starts_at)).all()
    return {"village_id": village.id, "village_name": village.name, "animations": [{
        "id": a.id, "title": a.title, "kind_label": KIND_LABELS.get(a.kind, a.kind), "place": a.place,
        "starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat(), "status": a.status,
        "updated_at": (a.cancelled_at or a.attended_at or a.created_at).isoformat()} for a in rows]}


def kinds() -> list[dict]:
    return [{"code": code, "label": label} for code, label in KIND_LABELS.items()]


# --- writing -----------------------------------------------------------------------------------

def _known_member(uow, member_id: str, field: str = "member_id") -> KnownMember:
    member = uow.session.get(KnownMember, member_id)
    if member is None or member.erased_at is not None:
        raise InvalidInput({field: [f"Unknown member: {member_id}."]})
    return member


def _add_months(moment, months: int):
    """Same day of the month, or the month's last day when it has fewer (31 → 30, 28 or 29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrence_starts(starts_at, recurrence: dict | None) -> list:
    """The start of every occurrence, the first included (one when there is no recurrence). Steps are
    taken in the network's local time (Europe/Paris): a 14:00 workshop stays at 14:00 across a
    daylight saving change."""
    if not recurrence:
        return [starts_at]
    starts_at = starts_at.astimezone(LOCAL)
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
            raise InvalidInput({"recurrence": [f"At most {MAX_OCCURRENCES} occurrences."]})
        starts.append(moment)
        n += 1
    return starts


def create_animation(uow, village_id: str, data: dict) -> dict:
    """Checks the village and each co-organiser are known (an unknown one is named); announces
    `animation.scheduled` for each occurrence (a recurrence creates them all, sharing a `series_id`)."""
    data = load(AnimationInput(), data)
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)
    known = set(uow.session.scalars(select(KnownPartner.id).where(KnownPartner.id.in_(data["co_organiser_ids"]))))
    unknown = [p for p in data["co_organiser_ids"] if p not in known]
    if unknown:
        raise InvalidInput({"co_organiser_ids": [f"Unknown partner: {', '.join(unknown)}."]})
    starts = occurrence_starts(data["starts_at"], data["recurrence"])
    duration = data["ends_at"] - data["starts_at"]
    series_id = str(uuid.uuid4()) if data["recurrence"] else None
    created = []
    for start in starts:
        animation = Animation(village_id=village_id, series_id=series_id, kind=data["kind"], title=data["title"],
                              place=data["place"], starts_at=start, ends_at=start + duration,
                              capacity=data["capacity"], status="scheduled")
        animation.co_organisers = [AnimationCoOrganiser(partner_id=p) for p in data["co_organiser_ids"]]
        animation.roles = [VolunteerRole(role=r["role"], needed=r["needed"]) for r in data["roles"]]
        uow.session.add(animation)
        uow.session.flush()
        uow.record_event("animation.scheduled", {
            "animation_id": animation.id, "village_id": village_id, "kind": animation.kind,
            "title": animation.title, "place": animation.place, "starts_at": start, "ends_at": start + duration,
            "capacity": animation.capacity, "co_organiser_ids": data["co_organiser_ids"]}, village_id=village_id)
        created.append(animation)
    uow.commit()
    result = _dump(uow, created[0])
    if series_id:
        result["occurrences"] = [a["starts_at"] for a in AnimationOutput(many=True, only=("starts_at",)).dump(created)]
    return result


def _must_be_scheduled(animation: Animation) -> None:
    if animation.status == "cancelled":
        raise Conflict("animation_cancelled", details={"animation_id": animation.id})
    if animation.status == "held":
        raise Conflict("animation_held", details={"animation_id": animation.id})


def _promote(animation: Animation) -> None:
    """Fill free places from the waiting list, first come first served."""
    taken = sum(1 for r in animation.registrations if r.status == "registered")
    for registration in sorted((r for r in animation.registrations if r.status == "waiting"),
                               key=lambda r: r.position):
        if taken >= animation.capacity:
            break
        registration.status, registration.promoted_at = "registered", utcnow()
        taken += 1


def _person_key(data: dict) -> tuple[str, str]:
    if data.get("member_id"):
        return f"member:{data['member_id']}", "member_id"
    return "guest:" + re.sub(r"\D", "", data["guest_phone"])[-12:], "guest_phone"


def register(uow, animation_id, data: dict, village_ids) -> dict:
    """A place if one is free, else the waiting list. One registration per person: twice is a 409
    (a person who cancelled may come back: at the end of the queue)."""
    data = load(RegistrationInput(), data)
    animation = _find(uow, animation_id, village_ids, lock=True)
    _must_be_scheduled(animation)
    if data.get("member_id"):
        _known_member(uow, data["member_id"])
    key, field = _person_key(data)
    existing = next((r for r in animation.registrations if r.person_key == key), None)
    if existing is not None and existing.status in ACTIVE:
        raise Conflict("already_registered", field=field,
                       details={"registration_id": existing.id, "status": existing.status})
    taken = sum(1 for r in animation.registrations if r.status == "registered")
    status = "registered" if taken < animation.capacity else "waiting"
    position = max((r.position for r in animation.registrations), default=0) + 1
    if existing is None:
        existing = Registration(animation_id=animation.id, person_key=key, position=position, status=status)
        animation.registrations.append(existing)
    existing.status, existing.position, existing.registered_at = status, position, utcnow()
    existing.member_id = data.get("member_id")
    existing.guest_name, existing.guest_phone = data.get("guest_name"), data.get("guest_phone")
    existing.promoted_at = existing.cancelled_at = None
    uow.session.flush()
    registration_id = existing.id
    uow.commit()
    result = _dump(uow, animation)
    result["registration"] = next(r for r in result["registrations"] if r["id"] == registration_id)
    return result


def cancel_registration(uow, animation_id, registration_id, village_ids) -> dict:
    """The place freed goes to the first person waiting."""
    animation = _find(uow, animation_id, village_ids, lock=True)
    _must_be_scheduled(animation)
    registration = next((r for r in animation.registrations if r.id == str(registration_id)), None)
    if registration is None or registration.status == "cancelled":
        raise NotFound("registration", str(registration_id))
    registration.status, registration.cancelled_at = "cancelled", utcnow()
    _promote(animation)
    uow.commit()
    return _dump(uow, animation)


def change_capacity(uow, animation_id, data: dict, village_ids) -> dict:
    """Never below the places already taken (409 naming `capacity`); more places promote people waiting."""
    data = load(CapacityInput(), data)
    animation = _find(uow, animation_id, village_ids, lock=True)
    _must_be_scheduled(animation)
    taken = sum(1 for r in animation.registrations if r.status == "registered")
    if data["capacity"] < taken:
        raise Conflict("capacity_below_registrations", field="capacity",
                       details={"registered": taken, "requested": data["capacity"]})
    animation.capacity = data["capacity"]
    _promote(animation)
    uow.commit()
    return _dump(uow, animation)


def fill_role(uow, animation_id, data: dict, village_ids) -> dict:
    data = load(RoleFillInput(), data)
    animation = _find(uow, animation_id, village_ids, lock=True)
    _must_be_scheduled(animation)
    role = next((r for r in animation.roles if r.role == data["role"]), None)
    if role is None:
        raise InvalidInput({"role": [f"Unknown role: {data['role']}."]})
    _known_member(uow, data["member_id"])
    current = next((h for h in animation.role_volunteers if h.member_id == data["member_id"]), None)
    if current is not None:
        raise Conflict("already_volunteering", field="member_id", details={"role": current.role})
    if sum(1 for h in animation.role_volunteers if h.role == role.role) >= role.needed:
        raise Conflict("role_full", field="role", details={"role": role.role, "needed": role.needed})
    animation.role_volunteers.append(RoleVolunteer(member_id=data["member_id"], role=role.role))
    uow.commit()
    return _dump(uow, animation)


def take_attendance(uow, animation_id, data: dict, village_ids) -> dict:
    """Once: the animation is held, `animation.attended` credits each volunteer's minutes (their
    given minutes, or the animation's duration). A second attendance is a 409."""
    data = load(AttendanceInput(), data)
    animation = _find(uow, animation_id, village_ids, lock=True)
    if animation.status == "held":
        raise Conflict("attendance_already_taken", details={"animation_id": animation.id})
    _must_be_scheduled(animation)
    roles = {h.member_id: h.role for h in animation.role_volunteers}
    if data["volunteers"] is None:
        minutes = max(1, min(24 * 60, int((animation.ends_at - animation.starts_at).total_seconds() // 60)))
        volunteers = [{"member_id": m, "role": r, "minutes": minutes} for m, r in sorted(roles.items())]
    else:
        strangers = [v["member_id"] for v in data["volunteers"] if v["member_id"] not in roles]
        if strangers:
            raise InvalidInput({"volunteers": [f"Holds no role at this animation: {', '.join(strangers)}."]})
        ids = [v["member_id"] for v in data["volunteers"]]
        if len(ids) != len(set(ids)):
            raise InvalidInput({"volunteers": ["Each volunteer appears once."]})
        volunteers = [{"member_id": v["member_id"], "role": roles[v["member_id"]], "minutes": v["minutes"]}
                      for v in data["volunteers"]]
    animation.status, animation.attended_at = "held", utcnow()
    animation.people_reached = data["people_reached"]
    uow.record_event("animation.attended", {"animation_id": animation.id, "village_id": animation.village_id,
                                            "volunteers": volunteers}, village_id=animation.village_id)
    uow.commit()
    return _dump(uow, animation)


def cancel_animation(uow, animation_id, data: dict, village_ids) -> dict:
    """Announces `animation.cancelled` with the members registered or waiting, so they can be told."""
    data = load(CancelInput(), data)
    animation = _find(uow, animation_id, village_ids, lock=True)
    _must_be_scheduled(animation)
    member_ids = sorted({r.member_id for r in animation.registrations if r.status in ACTIVE and r.member_id})
    animation.status, animation.cancelled_at, animation.cancel_reason = "cancelled", utcnow(), data["reason"]
    uow.record_event("animation.cancelled", {
        "animation_id": animation.id, "village_id": animation.village_id, "title": animation.title,
        "starts_at": animation.starts_at, "reason": data["reason"], "member_ids": member_ids},
        village_id=animation.village_id)
    uow.commit()
    return _dump(uow, animation)
