"""Notices: telling members what concerns them: an animation they registered for (or were waiting
for) was cancelled (`animation.cancelled`, from the events service); a parcel waits for them at the
counter, with its pickup code (`parcel.received`, from the orders service).

- The consumer (inbox: a redelivered event tells nobody twice; and one notice per animation and
  member whatever the event id) writes one notice per member, with the channel chosen from the
  member's consents and contacts (`choose_channel`).
- A sender adapter sends the SMS and e-mails; a timer runs `send_pending`. No real SMS or mail
  gateway is plugged in here: `OutboxFileSender` writes each message as one JSON line to a local
  file (backbone.config.notices_outbox()). A real gateway is a class with the same `send` method,
  returned by `default_sender()`. Sending is at least once: a crash between the write and the
  commit sends that batch again.
- Calls are for the concierge: the list "à prévenir" of their village (`list_notices`), and
  `mark_done` once they called.

Guests (not members) are not here: the events service lists them for the concierge to call.
"""
from __future__ import annotations

import fcntl
import json
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from backbone import config
from backbone.errors import Conflict, NotFound
from backbone.tables import utcnow
from services.members.models import Member, Village
from services.members.models.notices import Notice
from services.members.schemas.notices import NOTICE_CHANNELS, NOTICE_STATUSES, NoticeOutput
from services.members.schemas.people import display_phone

log = logging.getLogger("maillage.members.notices")
LOCAL = ZoneInfo("Europe/Paris")
MOBILE_PREFIXES = ("+336", "+337")  # French mobiles: the numbers that receive SMS


def _has_contact_consent(member: Member) -> bool:
    return any(c.purpose == "contact" and c.withdrawn_at is None for c in member.consents)


def _mobile(member: Member) -> bool:
    return bool(member.phone) and member.phone.startswith(MOBILE_PREFIXES)


def choose_channel(member: Member) -> str:
    """sms, email or call:
    1. no current consent to be contacted ("contact") → call: the concierge tells them;
    2. the preferred channel when it can be used (email with an address, sms with a mobile);
    3. a preference for the phone or the counter → call (they want a person);
    4. else whatever can be used: a mobile → sms, an address → email, nothing → call."""
    if not _has_contact_consent(member):
        return "call"
    if member.preferred_channel == "email" and member.email:
        return "email"
    if member.preferred_channel == "sms" and _mobile(member):
        return "sms"
    if member.preferred_channel in ("phone", "counter"):
        return "call"
    if _mobile(member):
        return "sms"
    return "email" if member.email else "call"


def _member_to_tell(uow, member_id: str) -> Member | None:
    """The member with their consents and contacts (what `choose_channel` reads), without their
    profile tags, which a notice does not need (a query fewer per notice)."""
    return uow.session.get(Member, member_id, options=[lazyload(Member.tags)])


def _cancelled_message(payload: dict) -> str:
    starts = payload["starts_at"]
    if isinstance(starts, str):
        starts = datetime.fromisoformat(starts)
    when = starts.astimezone(LOCAL).strftime("%d/%m à %Hh%M")
    text = f"Maillage : l'animation « {payload['title']} » du {when} est annulée."
    if payload.get("reason"):
        text += f" Motif : {payload['reason']}."
    return (text + " Votre conciergerie.")[:600]


def record_animation_cancelled(uow, envelope: dict) -> None:
    """One notice per member registered or waiting; unknown or erased members are skipped."""
    payload = envelope["payload"]
    message = _cancelled_message(payload)
    for member_id in payload["member_ids"]:
        member = _member_to_tell(uow, member_id)
        if member is None or member.erased_at is not None:
            log.info("animation %s cancelled: member %s unknown or erased, not told",
                     payload["animation_id"], member_id)
            continue
        already = uow.session.scalar(select(Notice.id).where(
            Notice.source_type == envelope["type"], Notice.source_ref == payload["animation_id"],
            Notice.member_id == member_id))
        if already is not None:
            continue
        uow.session.add(Notice(village_id=member.village_id, member_id=member_id, source_type=envelope["type"],
                               source_ref=payload["animation_id"], channel=choose_channel(member),
                               status="to_send", message=message, created_at=utcnow()))
    uow.commit()


def _parcel_message(village: Village | None, payload: dict) -> str:
    where = f"à la conciergerie de {village.name}" if village is not None else "à votre conciergerie"
    text = f"Maillage : un colis vous attend {where}."
    if payload.get("pickup_code"):
        text += f" Code de retrait : {payload['pickup_code']}."
    return text + " Votre conciergerie."


def record_parcel_received(uow, envelope: dict) -> None:
    """One notice for the member the parcel waits for (none for an unknown or erased member, or an
    event without a member). A redelivery tells nobody twice."""
    payload = envelope["payload"]
    member = _member_to_tell(uow, payload["member_id"]) if payload.get("member_id") else None
    if member is None or member.erased_at is not None:
        log.info("parcel %s: no member to tell", payload["parcel_id"])
    else:
        uow.session.add(Notice(village_id=member.village_id, member_id=member.id, source_type=envelope["type"],
                               source_ref=payload["parcel_id"], channel=choose_channel(member), status="to_send",
                               message=_parcel_message(uow.session.get(Village, payload["village_id"]), payload),
                               created_at=utcnow()))
    uow.commit()


# --- sending ---------------------------------------------------------------------------------------

class OutboxFileSender:
    """Writes each message as a JSON line to a local file instead of sending it (no SMS or mail
    gateway here). A real sender has the same `send(channel, to, text, notice_id)`."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, channel: str, to: str, text: str, notice_id: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # an erasure may be rewriting the file (forget)
            out.write(json.dumps({"notice_id": notice_id, "channel": channel, "to": to, "text": text,
                                  "at": utcnow().isoformat()}, ensure_ascii=False) + "\n")


    def forget(self, notice_ids, contacts) -> int:
        """Erasure: drop the lines of these notices or sent to these contacts (phone, e-mail);
        how many went. The file is rewritten in place under the lock `send` takes."""
        notice_ids, contacts = set(notice_ids), {c for c in contacts if c}
        if not self.path.exists() or not (notice_ids or contacts):
            return 0
        with self.path.open("r+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            lines = file.readlines()
            kept = [line for line in lines if not _names_them(line, notice_ids, contacts)]
            file.seek(0)
            file.writelines(kept)
            file.truncate()
        return len(lines) - len(kept)


def _names_them(line: str, notice_ids: set, contacts: set) -> bool:
    try:
        entry = json.loads(line)
    except ValueError:
        return any(c in line for c in contacts)
    return entry.get("notice_id") in notice_ids or entry.get("to") in contacts


def default_sender() -> OutboxFileSender:
    return OutboxFileSender(config.notices_outbox())


def send_pending(uow, sender, now: datetime, *, limit: int = 200) -> int:
    """Send the SMS and e-mails waiting; returns how many were sent. A contact that vanished since
    (erased, number removed) turns the notice into a call; a sender error leaves it to send (the
    next run retries) and counts the attempt."""
    rows = uow.session.scalars(select(Notice).where(Notice.status == "to_send", Notice.channel.in_(("sms", "email")))
                               .order_by(Notice.created_at).limit(limit)
                               .with_for_update(skip_locked=True)).all()  # replicas share the work
    sent = 0
    for notice in rows:
        member = uow.session.get(Member, notice.member_id)
        to = None if member is None or member.erased_at is not None else (
            member.phone if notice.channel == "sms" else member.email)
        if not to:
            notice.channel = "call"
            continue
        try:
            sender.send(notice.channel, to, notice.message, notice.id)
        except Exception:  # noqa: BLE001  one failing message does not stop the others
            log.exception("notice %s: sending by %s failed", notice.id, notice.channel)
            notice.attempts += 1
            continue
        notice.status, notice.sent_at = "sent", now
        sent += 1
    uow.commit()
    return sent


# --- the concierge's list --------------------------------------------------------------------------

def _dump(notice: Notice, member: Member | None) -> dict:
    alive = member is not None and member.erased_at is None
    return NoticeOutput().dump({
        "id": notice.id, "village_id": notice.village_id, "member_id": notice.member_id,
        "display_name": f"{member.first_name or ''} {member.last_name or ''}".strip() if alive else None,
        "phone": display_phone(member.phone) if alive and member.phone else None,
        "email": member.email if alive else None, "source_type": notice.source_type,
        "source_ref": notice.source_ref, "channel": notice.channel, "channel_label": NOTICE_CHANNELS[notice.channel],
        "status": notice.status, "status_label": NOTICE_STATUSES[notice.status], "message": notice.message,
        "attempts": notice.attempts, "created_at": notice.created_at, "sent_at": notice.sent_at,
        "done_at": notice.done_at})


def list_notices(uow, village_id: str, status: str | None = None) -> list[dict]:
    """The village's notices ("à prévenir": status to_send), calls first, oldest first; members
    erased since are left out."""
    query = (select(Notice, Member).join(Member, Member.id == Notice.member_id)
             .where(Notice.village_id == village_id, Member.erased_at.is_(None)))
    if status:
        query = query.where(Notice.status == status)
    rows = uow.session.execute(query.order_by(Notice.created_at, Notice.id)).all()
    rows = sorted(rows, key=lambda row: (row[0].status != "to_send", row[0].channel != "call"))
    return [_dump(notice, member) for notice, member in rows]


def mark_done(uow, village_id: str, notice_id: str, *, now: datetime | None = None) -> dict:
    """The concierge called: only a call is marked done by hand (409 otherwise), once (409)."""
    notice = uow.session.get(Notice, str(notice_id))
    if notice is None or notice.village_id != village_id:
        raise NotFound("notice", str(notice_id))
    if notice.channel != "call":
        raise Conflict("notice_not_a_call", details={"channel": notice.channel})
    if notice.status == "done":
        raise Conflict("notice_already_done", details={"done_at": notice.done_at.isoformat()})
    notice.status, notice.done_at = "done", now or utcnow()
    uow.commit()
    return _dump(notice, uow.session.get(Member, notice.member_id))


# --- RGPD: one person's notices ------------------------------------------------------------------

def member_notices(uow, member_id: str) -> list[dict]:
    """Every notice made for one member (RGPD export)."""
    member = uow.session.get(Member, str(member_id))
    rows = uow.session.scalars(select(Notice).where(Notice.member_id == str(member_id))
                               .order_by(Notice.created_at)).all()
    return [_dump(notice, member) for notice in rows]


def forget_member(uow, member: Member, sender=None) -> int:
    """Erasure: the member's notices go (nobody can be told any more; what was told says where
    they are awaited and the pickup code), and so do the lines the sender wrote for them. Call it
    before the member's contacts are cleared; does not commit. Returns how many notices went."""
    rows = uow.session.scalars(select(Notice).where(Notice.member_id == member.id)).all()
    (sender or default_sender()).forget([n.id for n in rows], [member.phone, member.email])
    for notice in rows:
        uow.session.delete(notice)
    return len(rows)
