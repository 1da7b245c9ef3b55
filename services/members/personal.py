"""Personal sign-in of inhabitants and volunteers, without a password (the gateway's /moi pages).

A person types their e-mail or mobile number (`request_link`): when a member of the network has
it, a single-use link valid LINK_LIFETIME goes to that contact (notices.record_personal_link, sent
within seconds by the links' own timer). The answer is the same whether the contact is known or
not, and requests are limited per contact and per client address, known or not. Opening the link
(`open_link`) uses it up and opens a session of at most SESSION_LIFETIME, which the person ends
(`end_session`) or their village's concierge ends (`end_member_sessions`). Only SHA-256 hashes of
the link's and the session's secrets are kept."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from backbone import config
from backbone.clock import utcnow
from backbone.errors import AuthenticationFailed, NotFound, TooManyAttempts
from services.members import notices
from services.members.models import (
    Member,
    PersonalLink,
    PersonalSession,
    SignInThrottle,
    Volunteer,
)
from services.members.schemas.people import normalise_phone

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=30)
# links asked for one contact, and from one address (a village's counter may help many people),
# within WINDOW: beyond, the next request waits for the window's end
CONTACT_LIMIT, ADDRESS_LIMIT, WINDOW = 3, 20, timedelta(minutes=15)
MOBILE_PREFIXES = notices.MOBILE_PREFIXES
HOME_DELIVERY_TAGS = ("fragile", "reduced_mobility", "no_car")  # orders' rule, shown beforehand


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_url(token: str) -> str:
    base = config.gateway_public_url() or config.public_url()
    return f"{base}/moi/lien?jeton={token}"


def _address_limit() -> int:
    return config.value("MAILLAGE_LINK_ADDRESS_LIMIT") or ADDRESS_LIMIT


def _count_request(uow, key: str, limit: int, now: datetime) -> None:
    """One more request under `key` in its window; over the limit, TooManyAttempts with the wait.
    The sign-in counters' table, under keys of its own ("link-contact:", "link-address:")."""
    uow.session.execute(
        uow.insert(SignInThrottle)
        .values(key=key, failures=0, last_failure_at=now)
        .on_conflict_do_nothing()
    )
    row = uow.session.scalar(
        select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    )
    if row.failures == 0 or now - row.last_failure_at >= WINDOW:
        row.failures, row.last_failure_at = 0, now  # a new window starts with this request
    if row.failures >= limit:
        wait = row.last_failure_at + WINDOW - now
        raise TooManyAttempts(max(1, math.ceil(wait.total_seconds())))
    row.failures += 1


def _contact(text: str) -> tuple[str, str] | None:
    """("email", address) or ("sms", E.164 mobile) of what was typed; None when it is neither."""
    text = (text or "").strip()
    if "@" in text:
        return "email", text.lower()
    try:
        phone = normalise_phone(text)
    except ValueError:
        return None
    return ("sms", phone) if phone.startswith(MOBILE_PREFIXES) else None


def request_link(uow, contact: str, client_address: str | None, now: datetime | None = None):
    """Send a sign-in link to `contact` when a member has it. Always answers {"asked": True}: a
    stranger learns nothing of who is known. Too many requests (for this contact or from this
    address): TooManyAttempts, whether the contact is known or not."""
    now = now or utcnow()
    found = _contact(contact)
    key = found[1] if found else (contact or "").strip().lower()[:200]
    try:
        if client_address:
            _count_request(uow, "link-address:" + client_address[:200], _address_limit(), now)
        _count_request(uow, "link-contact:" + key, CONTACT_LIMIT, now)
    except TooManyAttempts:
        uow.rollback()
        raise
    member = None
    if found:
        channel, value = found
        column = func.lower(Member.email) if channel == "email" else Member.phone
        member = uow.session.scalars(
            select(Member)
            .where(column == value, Member.erased_at.is_(None))
            .order_by(Member.created_at, Member.id)
            .limit(1)
        ).first()
    if member is not None:
        token = secrets.token_urlsafe(32)
        link = PersonalLink(
            token_hash=_hash(token),
            member_id=member.id,
            channel=channel,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
        uow.session.add(link)
        uow.session.flush()
        notices.record_personal_link(
            uow, member, link.id, channel, link_url(token), link.expires_at
        )
    uow.commit()
    return {"asked": True}


def open_link(uow, token: str, now: datetime | None = None) -> dict:
    """Use a link (once) and open a session: {"session_token", "expires_at"}. A link unknown,
    already used or expired, or whose member was erased since: AuthenticationFailed."""
    now = now or utcnow()
    link = uow.session.scalar(
        select(PersonalLink).where(PersonalLink.token_hash == _hash(token or "")).with_for_update()
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise AuthenticationFailed("personal_link_invalid")
    member = uow.session.get(Member, link.member_id)
    link.used_at = now
    if member is None or member.erased_at is not None:
        uow.commit()
        raise AuthenticationFailed("personal_link_invalid")
    session_token = secrets.token_urlsafe(32)
    session = PersonalSession(
        token_hash=_hash(session_token),
        member_id=member.id,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    uow.session.add(session)
    uow.commit()
    return {"session_token": session_token, "expires_at": session.expires_at.isoformat()}


def _live_session(uow, token: str, now: datetime) -> PersonalSession:
    session = uow.session.scalar(
        select(PersonalSession).where(PersonalSession.token_hash == _hash(token or ""))
    )
    if session is None or session.ended_at is not None or session.expires_at <= now:
        raise AuthenticationFailed("personal_session_ended")
    return session


def session_member(uow, token: str, now: datetime | None = None) -> dict:
    """Who a session is: the member's id, village, first name, what they may choose (home
    delivery) and their volunteer id when they are one. A session ended, expired or unknown, or a
    member erased: AuthenticationFailed."""
    now = now or utcnow()
    session = _live_session(uow, token, now)
    member = uow.session.get(Member, session.member_id)
    if member is None or member.erased_at is not None:
        raise AuthenticationFailed("personal_session_ended")
    volunteer = uow.session.scalar(
        select(Volunteer).where(Volunteer.member_id == member.id, Volunteer.active.is_(True))
    )
    tags = sorted(t.tag for t in member.tags)
    return {
        "member_id": member.id,
        "village_id": member.village_id,
        "first_name": member.first_name,
        "display_name": " ".join(p for p in (member.first_name, member.last_name) if p),
        "address": member.address,
        "tags": tags,
        "home_delivery": bool(set(tags) & set(HOME_DELIVERY_TAGS)),
        "volunteer_id": volunteer.id if volunteer is not None else None,
        "session_id": session.id,
        "erasure_requested": member.erasure_requested_at is not None,
        "expires_at": session.expires_at.isoformat(),
    }


def end_session(uow, token: str, now: datetime | None = None) -> dict:
    """The person signs out: this session ends (their others go on). Unknown or already ended:
    nothing to do."""
    now = now or utcnow()
    session = uow.session.scalar(
        select(PersonalSession).where(PersonalSession.token_hash == _hash(token or ""))
    )
    if session is not None and session.ended_at is None:
        session.ended_at, session.ended_by = now, "person"
        uow.commit()
    return {"ended": True}


def request_erasure(uow, token: str, now: datetime | None = None) -> dict:
    """The person asks to be erased: recorded for their concierge, who confirms (the erasure
    itself is people.erase_member). Asking again keeps the first date."""
    now = now or utcnow()
    member = uow.session.get(Member, _live_session(uow, token, now).member_id)
    if member.erasure_requested_at is None:
        member.erasure_requested_at = now
        uow.commit()
    return {"erasure_requested_at": member.erasure_requested_at.isoformat()}


def _member_of(uow, village_id: str, member_id: str) -> Member:
    member = uow.session.get(Member, member_id)
    if member is None or member.village_id != village_id:
        raise NotFound("member", member_id)
    return member


def member_sessions(uow, village_id: str, member_id: str, now: datetime | None = None) -> dict:
    """For the concierge: the member's open sessions (when opened, until when)."""
    now = now or utcnow()
    member = _member_of(uow, village_id, member_id)
    rows = uow.session.scalars(
        select(PersonalSession)
        .where(
            PersonalSession.member_id == member_id,
            PersonalSession.ended_at.is_(None),
            PersonalSession.expires_at > now,
        )
        .order_by(PersonalSession.created_at)
    ).all()
    asked = member.erasure_requested_at
    return {
        "member_id": member_id,
        "erasure_requested_at": asked.isoformat() if asked and not member.erased_at else None,
        "sessions": [
            {
                "id": s.id,
                "created_at": s.created_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
            }
            for s in rows
        ],
    }


def end_member_sessions(uow, village_id: str, member_id: str, now: datetime | None = None):
    """The concierge ends every open session of a member of their village (a lost phone); the
    links not used yet go too."""
    now = now or utcnow()
    _member_of(uow, village_id, member_id)
    ended = uow.session.execute(
        update(PersonalSession)
        .where(PersonalSession.member_id == member_id, PersonalSession.ended_at.is_(None))
        .values(ended_at=now, ended_by="concierge")
    ).rowcount
    uow.session.execute(
        update(PersonalLink)
        .where(PersonalLink.member_id == member_id, PersonalLink.used_at.is_(None))
        .values(used_at=now)
    )
    uow.commit()
    return {"member_id": member_id, "ended": ended}


def forget_member(uow, member_id: str) -> None:
    """Erasure: the member's links and sessions go (a session open would sign nobody in any
    more: the member is erased). Does not commit."""
    uow.session.execute(delete(PersonalLink).where(PersonalLink.member_id == member_id))
    uow.session.execute(delete(PersonalSession).where(PersonalSession.member_id == member_id))
