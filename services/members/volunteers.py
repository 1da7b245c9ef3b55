"""Service layer for volunteers: who may see and manage whom, what a profile may hold, and the
`volunteer.available` event every change causes (same transaction, through the outbox).

Visibility (`village_ids` is what the gateway says the caller may see; None is the coordinator):
- read: a concierge sees the volunteers whose home village is theirs or who serve it; the
  coordinator sees the volunteers who opted in to be visible network-wide: `network_visible`,
  which records the member's `share_with_network` consent (dated) when it is set, and stops
  at once when that consent is withdrawn (people.withdraw_consent);
- manage: a concierge manages the volunteers whose home village is theirs; the coordinator
  those who opted in. Anything else is "not found": a concierge never learns it exists.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select

from backbone.clock import utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.members.models import (
    AvailabilitySlot,
    Consent,
    Member,
    Skill,
    Village,
    Volunteer,
    VolunteerSkill,
    VolunteerVillage,
)
from services.members.schemas.volunteers import DAY_LABELS, LEVEL_LABELS, VolunteerOutput
from services.members.skills import listed_codes, skill_labels

_out = VolunteerOutput()


# --- reading -----------------------------------------------------------------------------------

SHARING = "share_with_network"  # the consent purpose (schemas/people.py CONSENT_PURPOSES)

_shares = exists().where(
    and_(Consent.member_id == Member.id, Consent.purpose == SHARING, Consent.withdrawn_at.is_(None))
)


def _consents(member: Member) -> bool:
    return any(c.purpose == SHARING and c.withdrawn_at is None for c in member.consents)


def _shared(volunteer: Volunteer) -> bool:
    return volunteer.network_visible and _consents(volunteer.member)


def _visible(query, village_ids, *, manage: bool = False):
    query = query.join(Member, Member.id == Volunteer.member_id).where(Member.erased_at.is_(None))
    if village_ids is None:
        return query.where(Volunteer.network_visible.is_(True), _shares)
    if manage:
        return query.where(Member.village_id.in_(village_ids))
    serving = select(VolunteerVillage.volunteer_id).where(
        VolunteerVillage.village_id.in_(village_ids)
    )
    return query.where(or_(Member.village_id.in_(village_ids), Volunteer.id.in_(serving)))


def _find(uow, volunteer_id: str, village_ids, *, manage: bool = False) -> Volunteer:
    volunteer = uow.session.scalar(
        _visible(select(Volunteer), village_ids, manage=manage).where(Volunteer.id == volunteer_id)
    )
    if volunteer is None:
        raise NotFound("volunteer", volunteer_id)
    return volunteer


def served_village_ids(volunteer: Volunteer) -> list[str]:
    return sorted({volunteer.member.village_id, *(v.village_id for v in volunteer.villages)})


def _dump(volunteer: Volunteer, skills: dict[str, Skill]) -> dict:
    member = volunteer.member
    return _out.dump(
        {
            "id": volunteer.id,
            "member_id": volunteer.member_id,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "home_village_id": member.village_id,
            "village_ids": served_village_ids(volunteer),
            "skills": [
                {
                    "skill": s.skill_code,
                    "label": skills[s.skill_code].label if s.skill_code in skills else s.skill_code,
                    "level": s.level,
                    "level_label": LEVEL_LABELS.get(s.level, s.level),
                }
                for s in volunteer.skills
            ],
            "availability": [
                {
                    "day": s.day,
                    "day_label": DAY_LABELS.get(s.day, s.day),
                    "start": s.starts_at,
                    "end": s.ends_at,
                }
                for s in volunteer.slots
            ],
            "max_distance_km": volunteer.max_distance_km,
            "has_licence": volunteer.has_licence,
            "has_vehicle": volunteer.has_vehicle,
            "network_visible": _shared(volunteer),
            "active": volunteer.active,
            "created_at": volunteer.created_at,
            "updated_at": volunteer.updated_at,
        }
    )


def get_volunteer(uow, volunteer_id: str, village_ids=None) -> dict:
    return _dump(_find(uow, volunteer_id, village_ids), skill_labels(uow))


def list_volunteers(
    uow,
    village_ids=None,
    *,
    skill: str | None = None,
    village_id: str | None = None,
    window: dict | None = None,
) -> list[dict]:
    """Visible volunteers, by name; `skill` keeps those who have it,
    `village_id` those serving it."""
    query = _visible(select(Volunteer), village_ids).order_by(
        Member.last_name, Member.first_name, Volunteer.id
    )
    if skill:
        query = query.where(
            Volunteer.id.in_(
                select(VolunteerSkill.volunteer_id).where(VolunteerSkill.skill_code == skill)
            )
        )
    if village_id:
        serving = select(VolunteerVillage.volunteer_id).where(
            VolunteerVillage.village_id == village_id
        )
        query = query.where(or_(Member.village_id == village_id, Volunteer.id.in_(serving)))
    skills = skill_labels(uow)
    return [_dump(v, skills) for v in uow.session.scalars(windowed(query, window)).unique().all()]


# --- writing -----------------------------------------------------------------------------------


def _check_references(uow, data: dict, volunteer: Volunteer | None = None) -> None:
    """Skills not offered and unknown villages, each named by its field and position (like
    marshmallow). A skill retired since the volunteer got it stays theirs."""
    errors: dict = {}
    kept = {skill.skill_code for skill in volunteer.skills} if volunteer else set()
    known_skills = listed_codes(uow) | kept
    bad = {
        i: {"skill": [msg("unknown_skill", skill=item["skill"])]}
        for i, item in enumerate(data.get("skills") or [])
        if item["skill"] not in known_skills
    }
    if bad:
        errors["skills"] = bad
    village_ids = data.get("village_ids") or []
    if village_ids:
        known = set(
            uow.session.scalars(select(Village.id).where(Village.id.in_(village_ids))).all()
        )
        bad = {
            i: [msg("unknown_village", village=v)]
            for i, v in enumerate(village_ids)
            if v not in known
        }
        if bad:
            errors["village_ids"] = bad
    if errors:
        raise InvalidInput(errors)


def _apply(uow, volunteer: Volunteer, home_village_id: str, data: dict) -> None:
    if data.get("network_visible") and not _consents(volunteer.member):
        from services.members import people  # people reads volunteers: imported here

        before = people.described(volunteer.member)
        volunteer.member.consents.append(
            Consent(purpose=SHARING, given_at=utcnow())
        )  # the opt-in, dated
        people.announce_change(uow, volunteer.member, before)
    for name in ("max_distance_km", "has_licence", "has_vehicle", "network_visible", "active"):
        if name in data:
            setattr(volunteer, name, data[name])
    if "skills" in data:
        volunteer.skills = [
            VolunteerSkill(skill_code=s["skill"], level=s["level"]) for s in data["skills"]
        ]
    if "availability" in data:
        volunteer.slots = [
            AvailabilitySlot(day=s["day"], starts_at=s["start"], ends_at=s["end"])
            for s in data["availability"]
        ]
    if "village_ids" in data:
        wanted = {home_village_id, *data["village_ids"]}
        kept = [v for v in volunteer.villages if v.village_id in wanted]
        have = {v.village_id for v in kept}
        volunteer.villages = kept + [VolunteerVillage(village_id=v) for v in sorted(wanted - have)]


def _announce(uow, volunteer: Volunteer) -> None:
    uow.record_event(
        "volunteer.available",
        {
            "volunteer_id": volunteer.id,
            "member_id": volunteer.member_id,
            "home_village_id": volunteer.member.village_id,
            "village_ids": served_village_ids(volunteer),
            "skills": [{"skill": s.skill_code, "level": s.level} for s in volunteer.skills],
            "availability": [
                {"day": s.day, "start": s.starts_at, "end": s.ends_at} for s in volunteer.slots
            ],
            "max_distance_km": volunteer.max_distance_km,
            "has_licence": volunteer.has_licence,
            "has_vehicle": volunteer.has_vehicle,
            "network_visible": _shared(volunteer),
            "active": volunteer.active,
        },
        village_id=volunteer.member.village_id,
    )


def create_volunteer(uow, data: dict, village_ids=None) -> dict:
    """A member becomes a volunteer (once: a volunteer serving three villages is one person)."""
    member = uow.session.get(Member, data["member_id"])
    if (
        member is None
        or member.erased_at is not None
        or (village_ids is not None and member.village_id not in village_ids)
    ):
        raise NotFound("member", data["member_id"])
    if uow.session.scalar(select(Volunteer.id).where(Volunteer.member_id == member.id)) is not None:
        raise Conflict("already_volunteer", "member_id")
    _check_references(uow, data)
    volunteer = Volunteer(
        member_id=member.id,
        member=member,
        max_distance_km=None,
        has_licence=False,
        has_vehicle=False,
        network_visible=False,
        active=True,
    )
    _apply(
        uow, volunteer, member.village_id, {**data, "village_ids": data.get("village_ids") or []}
    )
    uow.session.add(volunteer)
    uow.session.flush()
    _announce(uow, volunteer)
    uow.commit()
    return _dump(volunteer, skill_labels(uow))


def update_volunteer(uow, volunteer_id: str, data: dict, village_ids=None) -> dict:
    volunteer = _find(uow, volunteer_id, village_ids, manage=True)
    _check_references(uow, data, volunteer)
    _apply(uow, volunteer, volunteer.member.village_id, data)
    uow.session.flush()
    _announce(uow, volunteer)
    uow.commit()
    return _dump(volunteer, skill_labels(uow))


def profile_of_member(uow, member_id: str) -> dict | None:
    """The volunteer profile of one person, whoever may see it (their RGPD export), or None."""
    volunteer = uow.session.scalar(select(Volunteer).where(Volunteer.member_id == member_id))
    return _dump(volunteer, skill_labels(uow)) if volunteer is not None else None


def forget_member(uow, member_id: str) -> bool:
    """Erasure (RGPD) of a volunteer's profile, for the people service layer to call when it erases
    a member: skills, availability and villages go, the profile stays inactive and hidden; the hours
    ledger keeps its lines (they point at an id, not a person). Does not commit."""
    volunteer = uow.session.scalar(select(Volunteer).where(Volunteer.member_id == member_id))
    if volunteer is None:
        return False
    volunteer.skills, volunteer.slots, volunteer.villages = [], [], []
    volunteer.active, volunteer.network_visible, volunteer.has_licence, volunteer.has_vehicle = (
        False,
        False,
        False,
        False,
    )
    volunteer.max_distance_km = None
    return True
