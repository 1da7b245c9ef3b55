"""Service layer for people (inhabitants): registration with duplicate detection, the counter
search, edits, consents, RGPD export and erasure, and figures for the coordinator.

A member belongs to one home village; every call names the village it acts in (the gateway checks
the caller may act there) and a member of another village is "not found" from it."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, or_, select

from backbone import offline_actions, retention
from backbone.clock import PARIS, paris_today, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.members import notices, personal, time_bank, volunteers
from services.members.models import Consent, Member, MemberTag, OfflineAction, Village
from services.members.schemas.people import (
    SERVICE_TAGS,
    MemberOutput,
    MemberSummaryOutput,
    SharedMemberOutput,
    display_phone,
    normalise_name,
    normalise_phone,
)

_out = MemberOutput()
_summary = MemberSummaryOutput()

_PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "address",
    "postcode",
    "city",
    "latitude",
    "longitude",
)
_SCALAR_FIELDS = _PERSONAL_FIELDS + ("preferred_channel", "joined_on", "fee_cents", "renewal_on")


# --- reading -------------------------------------------------------------------------------------


def display_name(member: Member) -> str:
    if member.erased_at is not None:
        return "(personne effacée)"
    return f"{member.first_name} {member.last_name}"


def _active_purposes(member: Member) -> set[str]:
    return {c.purpose for c in member.consents if c.withdrawn_at is None}


def _one_line_address(member: Member) -> str | None:
    town = " ".join(part for part in (member.postcode, member.city) if part)
    return ", ".join(part for part in (member.address, town) if part) or None


def described(member: Member) -> dict:
    """The member as the other services keep them (`member.updated`; `member.registered` carries
    its first four fields)."""
    return {
        "member_id": member.id,
        "village_id": member.village_id,
        "display_name": display_name(member),
        "tags": sorted(t.tag for t in member.tags if t.tag in SERVICE_TAGS),
        "address": _one_line_address(member),
        "latitude": member.latitude,
        "longitude": member.longitude,
        "consents": sorted(_active_purposes(member)),
    }


def announce_change(uow, member: Member, before: dict) -> None:
    """`member.updated` in the unit of work when what the other services keep of the member
    changed since `before` (`described` taken before the edit); nothing otherwise, nothing
    for an erased member (`member.erased` says it all)."""
    after = described(member)
    if member.erased_at is None and after != before:
        uow.record_event("member.updated", after, village_id=member.village_id)


def _as_dict(member: Member, duplicates=()) -> dict:
    return {
        **{name: getattr(member, name) for name in _SCALAR_FIELDS},
        "id": member.id,
        "village_id": member.village_id,
        "display_name": display_name(member),
        "phone_display": display_phone(member.phone),
        "tags": sorted(t.tag for t in member.tags),
        "consents": [
            {"purpose": c.purpose, "given_at": c.given_at, "withdrawn_at": c.withdrawn_at}
            for c in member.consents
        ],
        "shared_with_network": "share_with_network" in _active_purposes(member),
        "likely_duplicates": list(duplicates),
        "created_at": member.created_at,
        "erased_at": member.erased_at,
    }


def _member(uow, member_id: str, *, erased_ok: bool = False) -> Member:
    """The member (not erased, unless `erased_ok`): otherwise NotFound."""
    member = uow.session.get(Member, str(member_id))
    if member is None or (member.erased_at and not erased_ok):
        raise NotFound("member", str(member_id))
    return member


def _member_in(uow, village_id: str, member_id: str, *, erased_ok: bool = False) -> Member:
    """The member, if it belongs to `village_id` (and is not erased): otherwise NotFound."""
    member = _member(uow, member_id, erased_ok=erased_ok)
    if member.village_id != village_id:
        raise NotFound("member", str(member_id))
    return member


def _likely_duplicates(
    uow, village_id: str, search_name: str | None, phone: str | None, exclude_id: str | None = None
) -> list[dict]:
    """Members of the village with the same normalised phone or the same normalised name."""
    clauses = []
    if phone:
        clauses.append(Member.phone == phone)
    if search_name:
        clauses.append(Member.search_name == search_name)
    if not clauses:
        return []
    query = select(Member).where(
        Member.village_id == village_id, Member.erased_at.is_(None), or_(*clauses)
    )
    if exclude_id:
        query = query.where(Member.id != exclude_id)
    found = []
    for other in uow.session.scalars(query.order_by(Member.created_at)).all():
        reason = "same_phone" if phone and other.phone == phone else "same_name"
        found.append({"member_id": other.id, "display_name": display_name(other), "reason": reason})
    return found


def village_of_member(uow, member_id: str) -> str:
    """The village of a member of the network (not erased): otherwise NotFound."""
    return _member(uow, member_id).village_id


def get_member(uow, village_id: str, member_id: str) -> dict:
    member = _member_in(uow, village_id, member_id)
    return _out.dump(
        _as_dict(
            member, _likely_duplicates(uow, village_id, member.search_name, member.phone, member.id)
        )
    )


_PHONE_LIKE = re.compile(r"^[\d\s.+()/-]+$")


def search_members(uow, village_id: str, q: str = "", limit: int = 20) -> list[dict]:
    """The counter search, in one village: by name (any accents and case, every word must match
    the start of a word of the name... or any part of it) or by phone, in any format typed
    (a full number, or its last digits). Results flag likely duplicates."""
    query = select(Member).where(Member.village_id == village_id, Member.erased_at.is_(None))
    q = (q or "").strip()
    digits = re.sub(r"\D", "", q)
    if q and _PHONE_LIKE.match(q) and len(digits) >= 2:
        try:
            query = query.where(Member.phone == normalise_phone(q))
        except ValueError:  # part of a number: match its digits (national form, leading 0 dropped)
            query = query.where(Member.phone.contains(digits.lstrip("0") or digits))
    elif q:
        for word in normalise_name(q).split():
            query = query.where(Member.search_name.contains(word))
    members = uow.session.scalars(query.order_by(Member.search_name).limit(limit)).all()
    # duplicates of the results, in one query: same phone or same name elsewhere in the village
    phones = {m.phone for m in members if m.phone}
    names = {m.search_name for m in members if m.search_name}
    twins = []
    if (
        members
    ):  # the columns a duplicate's line needs, not whole members with their tags and consents
        twins = uow.session.execute(
            select(
                Member.id,
                Member.first_name,
                Member.last_name,
                Member.erased_at,
                Member.phone,
                Member.search_name,
            ).where(
                Member.village_id == village_id,
                Member.erased_at.is_(None),
                or_(Member.phone.in_(phones or {""}), Member.search_name.in_(names or {""})),
            )
        ).all()
    rows = []
    for member in members:
        duplicates = [
            {
                "member_id": t.id,
                "display_name": display_name(t),
                "reason": "same_phone" if member.phone and t.phone == member.phone else "same_name",
            }
            for t in twins
            if t.id != member.id
            and ((member.phone and t.phone == member.phone) or t.search_name == member.search_name)
        ]
        rows.append(_as_dict(member, duplicates))
    return _summary.dump(rows, many=True)


# --- writing -------------------------------------------------------------------------------------


def _check_village(uow, village_id: str) -> None:
    if uow.session.get(Village, village_id) is None:
        raise NotFound("village", village_id)


def _refuse_duplicates(duplicates: list[dict]) -> None:
    if duplicates:
        first = duplicates[0]
        raise Conflict(
            "duplicate_member",
            None,
            {
                "member_id": first["member_id"],
                "name": first["display_name"],
                "match": first["reason"],
            },
        )


def new_member(uow, data: dict) -> tuple[Member, list[dict]]:
    """Build a member (and its event) in the unit of work, without committing; used by the
    single registration and by the import (one transaction for the whole file)."""
    if data.get("joined_on") is None:
        data = {**data, "joined_on": paris_today()}
    search_name = normalise_name(f"{data['first_name']} {data['last_name']}")
    duplicates = _likely_duplicates(uow, data["village_id"], search_name, data.get("phone"))
    if not data.get("confirm_duplicate"):
        _refuse_duplicates(duplicates)
    member = Member(
        village_id=data["village_id"],
        search_name=search_name,
        **{name: data.get(name) for name in _SCALAR_FIELDS},
    )
    member.first_name, member.last_name = data["first_name"].strip(), data["last_name"].strip()
    member.tags = [MemberTag(tag=tag) for tag in data.get("tags", [])]
    now = utcnow()
    member.consents = [
        Consent(purpose=purpose, given_at=now)
        for purpose in dict.fromkeys(data.get("consents", []))
    ]
    uow.session.add(member)
    uow.session.flush()
    registered = described(member)
    uow.record_event(
        "member.registered",
        {name: registered[name] for name in ("member_id", "village_id", "display_name", "tags")},
        village_id=member.village_id,
    )
    # what registration does not carry (address, consents) follows at once, so that a reader
    # knows a new member as well as an edited one
    announce_change(
        uow,
        member,
        registered | {"address": None, "latitude": None, "longitude": None, "consents": []},
    )
    return member, duplicates


def register_member(uow, data: dict, now: datetime | None = None) -> dict:
    """Register an inhabitant and announce it (`member.registered`, no contact details) in the same
    transaction. A likely duplicate is refused (409 naming the existing member) unless
    `confirm_duplicate` is set. Registered offline and replayed (`occurred_at`, bounded and
    audited: backbone/offline_actions.py), the member joined on that day; the same idempotency
    key again answers the member it made."""
    now = now or utcnow()
    village_id = data["village_id"]
    return offline_actions.made_with_key(
        uow,
        OfflineAction,
        village_id,
        "member.registered",
        data.get("idempotency_key"),
        lambda: _register(uow, data, now),
        lambda member_id: _out.dump(_as_dict(_member_in(uow, village_id, member_id))),
    )


def _register(uow, data: dict, now: datetime) -> dict:
    at = offline_actions.when(data.get("occurred_at"), now)
    _check_village(uow, data["village_id"])
    if data.get("joined_on") is None:
        data = {**data, "joined_on": at.astimezone(PARIS).date()}
    member, duplicates = new_member(uow, data)
    offline_actions.record(
        uow,
        OfflineAction,
        member.village_id,
        "member.registered",
        data.get("idempotency_key"),
        member.id,
        data.get("occurred_at"),
        now,
    )
    uow.commit()
    return _out.dump(_as_dict(member, duplicates))


def update_member(uow, village_id: str, member_id: str, data: dict) -> dict:
    """Edit the record (what is given); a change other services keep is told them
    (`member.updated`, same transaction)."""
    member = _member_in(uow, village_id, member_id)
    before = described(member)
    for name in _SCALAR_FIELDS:
        if name in data:
            setattr(
                member,
                name,
                data[name].strip() if name in ("first_name", "last_name") else data[name],
            )
    if "tags" in data:
        member.tags = [MemberTag(tag=tag) for tag in data["tags"]]
    errors = {}
    if member.preferred_channel in ("phone", "sms") and not member.phone:
        errors["phone"] = [msg("channel_needs_phone")]
    if member.preferred_channel == "email" and not member.email:
        errors["email"] = [msg("channel_needs_email")]
    if not (member.phone or member.email or member.address):
        errors["phone"] = [msg("contact_missing")]
    if member.renewal_on and member.renewal_on < member.joined_on:
        errors["renewal_on"] = [msg("renewal_before_joined")]
    if errors:
        raise InvalidInput(errors)
    member.search_name = normalise_name(f"{member.first_name} {member.last_name}")
    duplicates = []
    if {"first_name", "last_name", "phone"} & set(data):
        duplicates = _likely_duplicates(
            uow, village_id, member.search_name, member.phone, member.id
        )
        if not data.get("confirm_duplicate"):
            _refuse_duplicates(duplicates)
    announce_change(uow, member, before)
    uow.commit()
    return _out.dump(_as_dict(member, duplicates))


def give_consent(uow, village_id: str, member_id: str, purpose: str) -> dict:
    member = _member_in(uow, village_id, member_id)
    if purpose not in _active_purposes(member):
        before = described(member)
        member.consents.append(Consent(purpose=purpose, given_at=utcnow()))
        announce_change(uow, member, before)
        uow.commit()
    return _out.dump(_as_dict(member))


def withdraw_consent(uow, village_id: str, member_id: str, purpose: str) -> dict:
    """Withdrawal keeps the history: the consent row gets its withdrawal date."""
    member = _member_in(uow, village_id, member_id)
    active = [c for c in member.consents if c.purpose == purpose and c.withdrawn_at is None]
    if not active:
        raise Conflict("consent_not_given", "purpose")
    before = described(member)
    for consent in active:
        consent.withdrawn_at = utcnow()
    announce_change(uow, member, before)
    uow.commit()
    return _out.dump(_as_dict(member))


# --- RGPD ----------------------------------------------------------------------------------------


def export_member(uow, village_id: str, member_id: str) -> dict:
    """Everything the members service holds about one person: their record, their volunteer profile
    and their time-bank lines (the gateway adds the other services')."""
    member = _member_in(uow, village_id, member_id)
    return {
        **_out.dump(_as_dict(member)),
        "volunteer": volunteers.profile_of_member(uow, member.id),
        "time_bank": time_bank.member_ledger(uow, member.id),
        "notices": notices.member_notices(uow, member.id),
    }


def erase_member(uow, village_id: str, member_id: str) -> dict:
    """Anonymise the member's row (names, contact details, profile tags) and announce
    `member.erased` so every service anonymises its copy. Erasing twice changes nothing."""
    member = _member_in(uow, village_id, member_id, erased_ok=True)
    if member.erased_at is None:
        notices.forget_member(uow, member)  # reads the contacts about to be cleared
        retention.scrub_outbox(uow.session, [member.id])  # member.registered sent with the name
        for name in _PERSONAL_FIELDS:
            setattr(member, name, None)
        member.search_name = None
        member.tags = []
        member.erased_at = utcnow()
        volunteers.forget_member(uow, member.id)
        personal.forget_member(uow, member.id)
        uow.record_event(
            "member.erased",
            {"member_id": member.id, "village_id": member.village_id},
            village_id=member.village_id,
        )
        uow.commit()
    return {"member_id": member.id, "erased_at": member.erased_at.isoformat()}


# --- across villages -----------------------------------------------------------------------------


def shared_members(uow, village_ids=None, window: dict | None = None) -> list[dict]:
    """Members who consent to be known across the network (`share_with_network`, not withdrawn):
    name and profile only, never contact details. Withdrawing the consent removes them at once."""
    query = (
        select(Member)
        .join(Consent)
        .where(
            Member.erased_at.is_(None),
            Consent.purpose == "share_with_network",
            Consent.withdrawn_at.is_(None),
        )
        .order_by(Member.search_name)
        .distinct()
    )
    if village_ids is not None:
        query = query.where(Member.village_id.in_(village_ids))
    members = uow.session.scalars(windowed(query, window, Member.id)).all()
    return SharedMemberOutput(many=True).dump([_as_dict(m) for m in members])


def member_stats(uow, village_ids=None) -> dict:
    """Counts per village and per tag: no personal data."""
    live = Member.erased_at.is_(None)
    where = [Member.village_id.in_(village_ids)] if village_ids is not None else []
    by_village = dict(
        uow.session.execute(
            select(Member.village_id, func.count()).where(live, *where).group_by(Member.village_id)
        ).all()
    )
    by_village_and_tag: dict[str, dict[str, int]] = {}
    by_tag: dict[str, int] = {}
    for village_id, tag, count in uow.session.execute(
        select(Member.village_id, MemberTag.tag, func.count())
        .join(MemberTag)
        .where(live, *where)
        .group_by(Member.village_id, MemberTag.tag)
    ).all():
        by_village_and_tag.setdefault(village_id, {})[tag] = count
        by_tag[tag] = by_tag.get(tag, 0) + count
    erased = uow.session.scalar(
        select(func.count()).select_from(Member).where(Member.erased_at.is_not(None), *where)
    )
    sharing = uow.session.scalar(
        select(func.count(func.distinct(Member.id)))
        .select_from(Member)
        .join(Consent)
        .where(
            live, Consent.purpose == "share_with_network", Consent.withdrawn_at.is_(None), *where
        )
    )
    return {
        "total": sum(by_village.values()),
        "erased": erased,
        "by_village": by_village,
        "by_tag": by_tag,
        "by_village_and_tag": by_village_and_tag,
        "sharing_with_network": sharing,
    }
