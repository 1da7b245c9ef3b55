"""Notices: telling members what concerns them: an animation they registered for (or were waiting
for) was cancelled (`animation.cancelled`, from the events service); a parcel waits for them at the
counter, with its pickup code (`parcel.received`); their order is ready, where and when to collect
it (`order.ready`, from the orders service).

- The consumer (inbox: a redelivered event tells nobody twice; and one notice per source and
  member whatever the event id) writes one notice per member, with the channel chosen from the
  member's consents and contacts (`choose_channel`) and its text from the templates
  (`notice_templates`, files the network edits).
- A timer runs `send_pending` with the channels configured (`channels/`: SMTP e-mail, Brevo SMS;
  a trial run writes them to a file). SMS wait for the end of the quiet hours (20:00–08:00
  Europe/Paris); a provider that fails is tried again after growing pauses, and after
  `max_attempts()` the notice is parked and becomes a call.
- Calls are for the concierge: the list "à prévenir" of their village (`list_notices`), and
  `mark_done` once they called; what was sent, failed or parked: `delivery_log`.

Guests (not members) are not here: the events service lists them for the concierge to call.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import lazyload

from backbone import config, formats, metrics
from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, NotFound
from backbone.paging import windowed
from services.members import channels, notice_templates, opt_out, villages
from services.members.channels.outbox import OutboxFileSender  # noqa: F401  the trial run's sender
from services.members.models import Member, StaffAccount, Village
from services.members.models.notices import Notice, WaitingParcel
from services.members.schemas.notices import (
    DELIVERY_OUTCOMES,
    NOTICE_CHANNELS,
    NOTICE_SOURCES,
    NOTICE_STATUSES,
    DeliveryLogOutput,
    NoticeOutput,
)
from services.members.schemas.people import display_phone

log = logging.getLogger("maillage.members.notices")
MOBILE_PREFIXES = ("+336", "+337")  # French mobiles: the numbers that receive SMS
QUIET_STARTS, QUIET_ENDS = 20, 8  # no SMS from 20:00 to 08:00, Europe/Paris


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


def _new_notice(
    member: Member, source_type: str, source_ref: str, template: str, context: dict
) -> Notice:
    """A notice to send: its text (the SMS, the call list's line) rendered now from the template;
    the e-mail's subject and HTML part are rendered from the same context when it is sent."""
    return Notice(
        village_id=member.village_id,
        member_id=member.id,
        source_type=source_type,
        source_ref=source_ref,
        channel=choose_channel(member),
        status="to_send",
        message=notice_templates.render_text(template, context)[:600],
        template=template,
        context=json.dumps(context, ensure_ascii=False),
        created_at=utcnow(),
    )


def _cancelled_context(payload: dict) -> dict:
    starts = payload["starts_at"]
    if isinstance(starts, str):
        starts = datetime.fromisoformat(starts)
    return {
        "title": payload["title"],
        "when": formats.day_and_time(starts),
        "reason": payload.get("reason"),
    }


def record_animation_cancelled(uow, envelope: dict) -> None:
    """One notice per member registered or waiting; unknown or erased members are skipped."""
    payload = envelope["payload"]
    context = _cancelled_context(payload)
    for member_id in payload["member_ids"]:
        member = _member_to_tell(uow, member_id)
        if member is None or member.erased_at is not None:
            log.info(
                "animation %s cancelled: member %s unknown or erased, not told",
                payload["animation_id"],
                member_id,
            )
            continue
        already = uow.session.scalar(
            select(Notice.id).where(
                Notice.source_type == envelope["type"],
                Notice.source_ref == payload["animation_id"],
                Notice.member_id == member_id,
            )
        )
        if already is not None:
            continue
        uow.session.add(
            _new_notice(
                member, envelope["type"], payload["animation_id"], "animation_cancelled", context
            )
        )
    uow.commit()


def _parcel_context(village: Village | None, payload: dict) -> dict:
    return {
        "village_name": village.name if village is not None else None,
        "pickup_code": payload.get("pickup_code"),
    }


def record_parcel_received(uow, envelope: dict) -> None:
    """One notice for the member the parcel waits for (none for an unknown or erased member, or an
    event without a member). A redelivery tells nobody twice. The parcel is remembered until it
    is handed over or returned: the reminders are counted from it."""
    payload = envelope["payload"]
    member = _member_to_tell(uow, payload["member_id"]) if payload.get("member_id") else None
    if member is None or member.erased_at is not None:
        log.info("parcel %s: no member to tell", payload["parcel_id"])
        uow.commit()
        return
    if uow.session.get(WaitingParcel, payload["parcel_id"]) is None:
        uow.session.add(
            WaitingParcel(
                parcel_id=payload["parcel_id"],
                village_id=payload["village_id"],
                member_id=member.id,
                pickup_code=payload.get("pickup_code"),
                received_at=_aware(payload["occurred_at"]),
            )
        )
    if not _already(uow, envelope["type"], payload["parcel_id"], member.id):
        uow.session.add(
            _new_notice(
                member,
                envelope["type"],
                payload["parcel_id"],
                "parcel_received",
                _parcel_context(uow.session.get(Village, payload["village_id"]), payload),
            )
        )
    uow.commit()


def _aware(moment) -> datetime:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def record_parcel_handed_over(uow, envelope: dict) -> None:
    """The parcel was collected: no reminder any more."""
    parcel = uow.session.get(WaitingParcel, envelope["payload"]["parcel_id"])
    if parcel is not None and parcel.closed_at is None:
        parcel.closed_at = _aware(envelope["payload"]["occurred_at"])
    uow.commit()


def record_parcel_returned(uow, envelope: dict) -> None:
    """The parcel went back to its sender: its member (known from `parcel.received`) is told,
    once; no reminder any more. A parcel this service never heard of tells nobody."""
    payload = envelope["payload"]
    parcel = uow.session.get(WaitingParcel, payload["parcel_id"])
    if parcel is None:
        log.info("parcel %s returned: no member known for it", payload["parcel_id"])
        return
    if parcel.closed_at is None:
        parcel.closed_at = _aware(payload["occurred_at"])
    context = {
        **_parcel_context(uow.session.get(Village, parcel.village_id), {}),
        "reason": payload.get("reason"),
    }
    _tell(uow, parcel.member_id, envelope["type"], parcel.parcel_id, "parcel_returned", context)
    uow.commit()


RESENT = "parcel.code_resent"


def resend_parcel_code(uow, village_id: str, parcel_id: str) -> dict:
    """The concierge asks for a waiting parcel's pickup code to be sent to its member again, by
    the member's channel (`choose_channel`: a call when nothing else will do). One at a time: while
    the last one has not gone, asking again answers it rather than making another. A parcel this
    service has not heard of yet (the event is on its way) is a 409; a parcel of another village,
    or one whose member was erased, is not found; a parcel collected or returned, a 409."""
    parcel = uow.session.get(WaitingParcel, str(parcel_id))
    if parcel is None:
        raise Conflict("parcel_not_known_yet", details={"parcel": str(parcel_id)})
    if parcel.village_id != village_id:
        raise NotFound("parcel", str(parcel_id))
    if parcel.closed_at is not None:
        raise Conflict("parcel_not_waiting", field="status")
    member = _member_to_tell(uow, parcel.member_id)
    if member is None or member.erased_at is not None:
        raise NotFound("parcel", str(parcel_id))
    pending = uow.session.scalars(
        select(Notice).where(
            Notice.member_id == member.id,
            Notice.source_type == RESENT,
            Notice.source_ref.startswith(f"{parcel.parcel_id}/"),
            Notice.status == "to_send",
        )
    ).first()
    if pending is None:
        context = _parcel_context(
            uow.session.get(Village, parcel.village_id), {"pickup_code": parcel.pickup_code}
        )
        pending = _new_notice(
            member, RESENT, f"{parcel.parcel_id}/{uuid.uuid4().hex}", "parcel_received", context
        )
        uow.session.add(pending)
        uow.session.flush()
    answer = _dump(pending, member)
    uow.commit()
    return answer


def parcel_reminder_days() -> list[int]:
    """MAILLAGE_PARCEL_REMINDER_DAYS ("3,7"): after how many days a parcel still waiting is
    recalled to its member, once each."""
    return sorted(set(config.value("MAILLAGE_PARCEL_REMINDER_DAYS")))


def remind_parcels(uow, now: datetime) -> int:
    """A reminder for each parcel still waiting past one of `parcel_reminder_days()`: the latest
    step reached, once per parcel and step (source `parcel.reminder`, "<parcel id>/<days>"; a
    step missed while the service was down is not sent late after a later one). Returns how many
    notices were made."""
    days = parcel_reminder_days()
    if not days:
        return 0
    waiting = uow.session.scalars(
        select(WaitingParcel)
        .where(
            WaitingParcel.closed_at.is_(None),
            WaitingParcel.received_at <= now - timedelta(days=days[0]),
        )
        .order_by(WaitingParcel.received_at)
    ).all()
    made, villages_ = 0, {}
    for parcel in waiting:
        step = max(d for d in days if parcel.received_at <= now - timedelta(days=d))
        if parcel.village_id not in villages_:
            villages_[parcel.village_id] = uow.session.get(Village, parcel.village_id)
        context = {
            **_parcel_context(villages_[parcel.village_id], {"pickup_code": parcel.pickup_code}),
            "days": step,
        }
        ref = f"{parcel.parcel_id}/{step}"
        made += _tell(uow, parcel.member_id, "parcel.reminder", ref, "parcel_reminder", context)
    uow.commit()
    return made


def _tell(
    uow, member_id: str | None, source_type: str, source_ref: str, template: str, context: dict
) -> bool:
    """One notice for a member, once per source (whatever the event id); an unknown or erased
    member is not told. Does not commit; returns whether a notice was made."""
    member = _member_to_tell(uow, member_id) if member_id else None
    if member is None or member.erased_at is not None:
        log.info("%s %s: member %s unknown or erased, not told", source_type, source_ref, member_id)
        return False
    if _already(uow, source_type, source_ref, member.id):
        return False
    uow.session.add(_new_notice(member, source_type, source_ref, template, context))
    uow.session.flush()  # the next check of the same source sees it
    return True


# --- animations: registration, promotion, the day before ------------------------------------------


def _animation_context(uow, payload: dict) -> dict:
    starts = _aware(payload["starts_at"]).astimezone(PARIS)
    village = uow.session.get(Village, payload["village_id"])
    return {
        "title": payload["title"],
        "place": payload.get("place"),
        "when": starts.strftime("%d/%m à %Hh%M"),
        "day": f"{FRENCH_DAYS[starts.strftime('%A').lower()]} {starts:%d/%m}",
        "time": starts.strftime("%Hh%M"),
        "village_name": village.name if village is not None else None,
    }


def _registration_ref(payload: dict) -> str:
    """One notice per registration and place in the queue: a member who cancelled and came back
    (a new position) is told again."""
    return f"{payload['registration_id']}/{payload['position']}"


def record_animation_registered(uow, envelope: dict) -> None:
    """`animation.registered`: the member is told they have a place, or that they are on the
    waiting list; once per registration (and place in the queue)."""
    payload = envelope["payload"]
    context = {**_animation_context(uow, payload), "waiting": payload["status"] == "waiting"}
    template = "animation_waiting" if context["waiting"] else "animation_registered"
    _tell(
        uow, payload["member_id"], envelope["type"], _registration_ref(payload), template, context
    )
    uow.commit()


def record_animation_promoted(uow, envelope: dict) -> None:
    """`animation.promoted`: a place freed up for a member who was waiting."""
    payload = envelope["payload"]
    _tell(
        uow,
        payload["member_id"],
        envelope["type"],
        _registration_ref(payload),
        "animation_promoted",
        _animation_context(uow, payload),
    )
    uow.commit()


def record_animation_reminder(uow, envelope: dict) -> None:
    """`animation.reminder_due`: each member with a place is reminded the day before, once."""
    payload = envelope["payload"]
    context = _animation_context(uow, payload)
    for member_id in payload["member_ids"]:
        _tell(
            uow, member_id, envelope["type"], payload["animation_id"], "animation_reminder", context
        )
    uow.commit()


# --- campaigns: a pledge's thanks, funded or failed -----------------------------------------------


def _euros(cents: int) -> str:
    euros, rest = divmod(int(cents), 100)
    whole = f"{euros:,}".replace(",", "\u202f")
    return f"{whole},{rest:02d} €" if rest else f"{whole} €"


def record_campaign_pledged(uow, envelope: dict) -> None:
    """`campaign.pledged`: a member who pledged is thanked (a partner's pledge tells nobody)."""
    payload = envelope["payload"]
    if payload.get("member_id"):
        context = {"title": payload["title"], "amount": _euros(payload["amount_cents"])}
        _tell(
            uow,
            payload["member_id"],
            envelope["type"],
            payload["pledge_id"],
            "campaign_pledge_thanks",
            context,
        )
    uow.commit()


def record_campaign_closed(uow, envelope: dict) -> None:
    """`campaign.funded` / `campaign.failed`: each member who pledged is told, once per campaign.
    An event without its pledgers (`member_ids`) tells nobody."""
    payload = envelope["payload"]
    funded = envelope["type"] == "campaign.funded"
    context = {
        "title": payload.get("title") or "la campagne de financement",
        "goal": _euros(payload["goal_cents"]),
        "pledged": _euros(payload["pledged_cents"]),
        "pledges": payload["pledges"],
    }
    for member_id in payload.get("member_ids") or []:
        _tell(
            uow,
            member_id,
            envelope["type"],
            payload["campaign_id"],
            "campaign_funded" if funded else "campaign_failed",
            context,
        )
    uow.commit()


# --- the till's receipt by e-mail ----------------------------------------------------------------

RECEIPT_SOURCE = "sale.receipt_requested"
PAYMENT_LABELS = {"cash": "Espèces", "card": "Carte", "cheque": "Chèque", "voucher": "Bon d'achat"}


def _receipt_context(village: Village | None, payload: dict) -> dict:
    money = formats.money
    return {
        "village_name": village.name if village is not None else None,
        "when": formats.day_and_time(_aware(payload["occurred_at"])),
        "lines": [
            {
                "name": line["name"],
                "quantity": line["quantity"],
                "unit_price": money(line["unit_price_cents"]),
                "total": money(line["total_cents"]),
                "solidarity": line.get("solidarity", False),
            }
            for line in payload["lines"]
        ],
        "vat_by_rate": [
            {
                "rate": f"{formats.number(r['vat_rate'] / 10, 1)} %",
                "net": money(r["net_cents"]),
                "vat": money(r["vat_cents"]),
                "total": money(r["total_cents"]),
            }
            for r in payload["vat_by_rate"]
        ],
        "payments": [
            {
                "label": PAYMENT_LABELS.get(p["method"], p["method"]),
                "amount": money(p["amount_cents"]),
            }
            for p in payload["payments"]
        ],
        "total": money(payload["total_cents"]),
        "vat": money(payload["vat_cents"]),
        "given": money(payload["given_cents"]) if payload.get("given_cents") else None,
        "change": money(payload.get("change_cents") or 0),
    }


def record_receipt_requested(uow, envelope: dict) -> None:
    """`sale.receipt_requested`: the receipt of a sale at the till, by e-mail to the address typed
    there. The buyer need not be a member (a walk-in): the address rides on the notice until the
    e-mail is sent or given up, then goes. Asked for at the counter, it is sent whatever the
    consents, with no opt-out link, and never becomes a call. One per sale whatever the event id;
    a member erased since is not written to."""
    payload = envelope["payload"]
    sale_id = payload["sale_id"]
    if uow.session.scalar(
        select(Notice.id).where(Notice.source_type == RECEIPT_SOURCE, Notice.source_ref == sale_id)
    ):
        return
    member_id = payload.get("member_id")
    if member_id:
        member = uow.session.get(Member, member_id)
        if member is not None and member.erased_at is not None:
            log.info("receipt of sale %s: the buyer was erased, not sent", sale_id)
            return
        member_id = member.id if member is not None else None
    context = _receipt_context(uow.session.get(Village, payload["village_id"]), payload)
    uow.session.add(
        Notice(
            village_id=payload["village_id"],
            member_id=member_id,
            source_type=RECEIPT_SOURCE,
            source_ref=sale_id,
            channel="email",
            status="to_send",
            address=payload["email"],
            message=notice_templates.render_text("till_receipt", context)[:600],
            template="till_receipt",
            context=json.dumps(context, ensure_ascii=False),
            created_at=utcnow(),
        )
    )
    uow.commit()


# --- staff accounts: a set-your-password link -----------------------------------------------------

STAFF_TEMPLATES = {
    "staff.account_created": "staff_account_created",
    "staff.password_reset": "staff_password_reset",
}


def set_password_link(email: str, code: str) -> str:
    """The console's page where a staff member chooses their password with a one-time code:
    `<GATEWAY_PUBLIC_URL>/console/mot-de-passe?courriel=…&code=…` (the gateway serves the console;
    without it, the network's public address)."""
    base = config.gateway_public_url() or config.public_url()
    query = urlencode({"courriel": email, "code": code})
    return f"{base}/console/mot-de-passe?{query}"


def record_staff_link(uow, account, source_type: str, code: str, expires_at: datetime) -> None:
    """An e-mail to a staff member with the link to choose their password (an account created, a
    password reset by the coordinator): one per code issued (a new code, a new e-mail). The link
    is kept only until it is sent; the line kept says it without it. Does not commit."""
    context = {
        "full_name": account.full_name,
        "email": account.email,
        "link": set_password_link(account.email, code),
        "expires": expires_at.astimezone(PARIS).strftime("%d/%m à %Hh%M"),
    }
    template = STAFF_TEMPLATES[source_type]
    uow.session.add(
        Notice(
            village_id=account.village_id,
            member_id=None,
            account_id=account.id,
            source_type=source_type,
            source_ref=str(uuid.uuid4()),
            channel="email",
            status="to_send",
            message=notice_templates.render_text(template, {**context, "link": None})[:600],
            template=template,
            context=json.dumps(context, ensure_ascii=False),
            created_at=utcnow(),
        )
    )


def _forget_link(notice: Notice) -> None:
    """A staff notice or a personal sign-in link sent or given up: its one-time code is not kept
    (nor in the SMS's text, which carried it); an address typed for one e-mail (a receipt) is not
    kept either, nor in the provider's answer that may quote it (« 550 <a@b>: … »)."""
    if notice.address and notice.last_error:
        notice.last_error = notice.last_error.replace(notice.address, "[adresse effacée]")
    notice.address = None
    if (notice.account_id is not None or notice.source_type == LINK_SOURCE) and notice.context:
        context = json.loads(notice.context)
        context.pop("link", None)
        notice.context = json.dumps(context, ensure_ascii=False)
        if notice.source_type == LINK_SOURCE:
            notice.message = notice_templates.render_text(notice.template, context)[:600]


# --- personal sign-in links -----------------------------------------------------------------------

LINK_SOURCE = "member.sign_in_link"


def record_personal_link(
    uow, member: Member, link_id: str, channel: str, url: str, expires_at: datetime
) -> None:
    """The message carrying a person's sign-in link, by the channel they typed (their e-mail or
    their mobile): asked for by the person, so it goes whatever their consents, day or night, and
    is never turned into a call. The link leaves the row once sent. Does not commit."""
    village = uow.session.get(Village, member.village_id)
    context = {
        "link": url,
        "expires": expires_at.astimezone(PARIS).strftime("%Hh%M"),
        "village_name": village.name if village is not None else None,
    }
    uow.session.add(
        Notice(
            village_id=member.village_id,
            member_id=member.id,
            source_type=LINK_SOURCE,
            source_ref=link_id,
            channel=channel,
            status="to_send",
            message=notice_templates.render_text("personal_link", context)[:600],
            template="personal_link",
            context=json.dumps(context, ensure_ascii=False),
            created_at=utcnow(),
        )
    )


# --- order ready ----------------------------------------------------------------------------------

FRENCH_DAYS = {
    "monday": "lundi",
    "tuesday": "mardi",
    "wednesday": "mercredi",
    "thursday": "jeudi",
    "friday": "vendredi",
    "saturday": "samedi",
    "sunday": "dimanche",
}
FULFILMENT_LABELS = {
    "counter": "à la conciergerie",
    "locker": "au casier",
    "truck_stop": "au camion",
    "home_delivery": "livraison à domicile",
}


def _hours_lines(uow, village_id: str) -> list[str]:
    weekly = villages.get_opening_hours(uow, village_id)["weekly"]
    return [
        f"{FRENCH_DAYS[s['day']]} {s['opens'].replace(':', 'h')}–{s['closes'].replace(':', 'h')}"
        for s in weekly
    ]


def _order_context(uow, village: Village | None, payload: dict, now: datetime) -> dict:
    context = {
        "village_name": None,
        "place": None,
        "hours": [],
        "next_opening": None,
        "fulfilment": payload["fulfilment"],
        "fulfilment_label": FULFILMENT_LABELS[payload["fulfilment"]],
        "locker_compartment": payload.get("locker_compartment"),
        "locker_code": payload.get("locker_code"),
        "truck_stop": payload.get("truck_stop"),
        "delivery_date": str(payload["delivery_date"]),
    }
    if village is not None:
        context.update(
            village_name=village.name,
            hours=_hours_lines(uow, village.id),
            place=", ".join(
                p for p in (village.street, f"{village.postcode} {village.commune}") if p
            ),
        )
        status = villages.get_opening_status(uow, village.id, now)
        if not status["open"] and status["next_opening"]:
            context["next_opening"] = formats.day_and_time(status["next_opening"], weekday=True)
    return context


def record_order_ready(uow, envelope: dict) -> None:
    """`order.ready`: the member who ordered is told where and when to collect it (the locker's
    compartment and code when there is one). An event without `member_id` (published before the
    field existed) tells nobody: the counter still has the order."""
    payload = envelope["payload"]
    member = _member_to_tell(uow, payload["member_id"]) if payload.get("member_id") else None
    if member is None or member.erased_at is not None:
        log.info("order %s ready: no member to tell", payload["order_id"])
        return
    if _already(uow, envelope["type"], payload["order_id"], member.id):
        return
    context = _order_context(
        uow, uow.session.get(Village, payload["village_id"]), payload, utcnow()
    )
    uow.session.add(
        _new_notice(member, envelope["type"], payload["order_id"], "order_ready", context)
    )
    uow.commit()


def _already(uow, source_type: str, source_ref: str, member_id: str) -> bool:
    return (
        uow.session.scalar(
            select(Notice.id).where(
                Notice.source_type == source_type,
                Notice.source_ref == source_ref,
                Notice.member_id == member_id,
            )
        )
        is not None
    )


# --- sending --------------------------------------------------------------------------------------


def default_sender() -> channels.Channels:
    """The channels configured for this process (`channels.configured()`)."""
    return channels.configured()


def poll_seconds() -> float:
    """MAILLAGE_NOTICE_POLL_SECONDS (5): the longest wait of the senders between two looks for
    notices due. A commit that made one wakes them at once, a retry's time too (`WOKEN_BY_NOTICE`,
    `seconds_to_next_look`, backbone/woken_timer.py); this catches notices another process wrote."""
    return max(0.1, config.value("MAILLAGE_NOTICE_POLL_SECONDS"))


# notices still due after a run (a provider out of reach, beyond the run's limit, held by another
# replica) are looked at again after this long, not at once
LOOK_AGAIN_AFTER = 1.0


def _made_due(notice: Notice) -> bool:
    """A notice a sender has to look at now: a new SMS or e-mail (a failed one plans its retry,
    which the sender's own wait covers)."""
    return notice.status == "to_send" and notice.channel != "call" and not notice.attempts


# what wakes each sender after a commit: the sign-in links have their own (the person waits)
WOKEN_BY_NOTICE = (Notice, lambda notice: _made_due(notice) and notice.source_type != LINK_SOURCE)
WOKEN_BY_LINK = (Notice, lambda notice: _made_due(notice) and notice.source_type == LINK_SOURCE)


def seconds_to_next_look(uow, now: datetime, source_type: str | None = None) -> float | None:
    """When a sender should look again after a run: when the next SMS or e-mail to send falls
    due, but not sooner than LOOK_AGAIN_AFTER; None when none waits."""
    query = select(func.min(func.coalesce(Notice.next_attempt_at, Notice.created_at))).where(
        Notice.status == "to_send", Notice.channel != "call"
    )
    if source_type is not None:
        query = query.where(Notice.source_type == source_type)
    due = uow.session.scalar(query)
    if due is None:
        return None
    return max(LOOK_AGAIN_AFTER, (due - now).total_seconds())


def max_attempts() -> int:
    """MAILLAGE_NOTICE_MAX_ATTEMPTS (6): failed sendings before a notice is parked and called."""
    return config.value("MAILLAGE_NOTICE_MAX_ATTEMPTS")


def retry_pause(attempts: int) -> timedelta:
    """After the n-th failure: MAILLAGE_NOTICE_RETRY_BASE (60 s) doubled each time, at most 6 h."""
    base = config.value("MAILLAGE_NOTICE_RETRY_BASE")
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 6 * 3600))


def sms_allowed_from(now: datetime) -> datetime:
    """No SMS between 20:00 and 08:00 Europe/Paris: when one may leave, `now` or the next 08:00."""
    local = now.astimezone(PARIS)
    if QUIET_ENDS <= local.hour < QUIET_STARTS:
        return now
    day = local.date() if local.hour < QUIET_ENDS else local.date() + timedelta(days=1)
    return datetime.combine(day, time(QUIET_ENDS), tzinfo=PARIS).astimezone(UTC)


def unsubscribe_url(member_id: str) -> str:
    return f"{opt_out.public_url()}/desabonnement?jeton={opt_out.token_for(member_id)}"


def _outgoing(notice: Notice, to: str) -> channels.Outgoing:
    if notice.channel == "sms" or not notice.template:
        return channels.Outgoing(notice.id, notice.channel, to, notice.message, subject="Maillage")
    context = json.loads(notice.context or "{}")
    # a staff member's e-mail and a sign-in link are service messages: no opt-out
    if notice.member_id is not None and notice.source_type not in (LINK_SOURCE, RECEIPT_SOURCE):
        context["unsubscribe_url"] = unsubscribe_url(notice.member_id)
    subject, text, html = notice_templates.render_email(notice.template, context)
    return channels.Outgoing(
        notice.id,
        "email",
        to,
        text,
        subject=subject,
        html=html,
        unsubscribe_url=context.get("unsubscribe_url"),
    )


def _to_call(notice: Notice, now: datetime, why: str, *, parked: bool = False) -> None:
    notice.channel, notice.next_attempt_at, notice.last_error = "call", None, why[:300]
    # no concierge calls anyone for a link: a staff member's, or a person's sign-in link
    # nor for a receipt: its buyer left the counter with the printed one
    if (
        parked
        or notice.account_id is not None
        or notice.source_type in (LINK_SOURCE, RECEIPT_SOURCE)
    ):
        notice.parked_at = now
        _forget_link(notice)


def _recipient(uow, notice: Notice) -> str | None:
    """Where the notice goes: the member's mobile or address (none once erased), or the staff
    account's address (none once disabled)."""
    if notice.account_id is not None:
        account = uow.session.get(StaffAccount, notice.account_id)
        return account.email if account is not None and account.disabled_at is None else None
    member = uow.session.get(Member, notice.member_id) if notice.member_id else None
    if notice.address is not None:  # typed for this e-mail (a receipt): none once erased
        return None if member is not None and member.erased_at is not None else notice.address
    if member is None or member.erased_at is not None:
        return None
    if notice.channel == "sms":
        return member.phone if _mobile(member) else None
    return member.email


def _next_due(uow, now: datetime, channels_up, source_type: str | None = None) -> Notice | None:
    """The oldest SMS or e-mail due, locked: replicas share the work, never a message."""
    query = select(Notice).where(
        Notice.status == "to_send",
        Notice.channel.in_(tuple(channels_up)),
        or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now),
    )
    if source_type is not None:
        query = query.where(Notice.source_type == source_type)
    return uow.session.scalars(
        query.order_by(Notice.created_at, Notice.id).limit(1).with_for_update(skip_locked=True)
    ).first()


def send_pending(
    uow, sender, now: datetime, *, limit: int = 200, source_type: str | None = None
) -> int:
    """Send the SMS and e-mails due; returns how many were sent. Each notice is sent and committed
    on its own (a crash re-sends at most the one message in flight).
    - a contact that vanished (erased, number removed) or a channel without a sender → a call;
    - an SMS in the quiet hours waits until 08:00 (Europe/Paris);
    - a failure counts an attempt, says why, and waits a growing pause; after `max_attempts()` the
      notice is parked and becomes a call on the concierge's list;
    - a provider that cannot be reached at all is not tried again in this run: its other messages
      wait for the next one (they would each wait for the same timeout),
      their attempts untouched.
    `source_type`: only these (the sign-in links, sent within seconds of being asked for)."""
    sent, channels_up = 0, {"sms", "email"}
    for _ in range(limit):
        notice = _next_due(uow, now, channels_up, source_type) if channels_up else None
        if notice is None:
            break
        to = _recipient(uow, notice)
        channel = notice.channel
        if not to:
            _to_call(notice, now, "plus de coordonnée utilisable / no usable contact any more")
            outcome = "to_call"
        elif hasattr(sender, "has") and not sender.has(notice.channel):
            _to_call(
                notice,
                now,
                f"aucun envoi {notice.channel} configuré / no {notice.channel} sender configured",
            )
            outcome = "to_call"
        elif (
            notice.channel == "sms"
            and notice.source_type != LINK_SOURCE  # the person just asked for it
            and sms_allowed_from(now) > now
        ):
            notice.next_attempt_at = sms_allowed_from(now)
            outcome = "deferred"
        else:
            try:
                sender.send(_outgoing(notice, to))
            except Exception as exc:  # noqa: BLE001  one failing message does not stop the others
                why = (
                    exc.reason
                    if isinstance(exc, channels.SendFailed)
                    else f"{type(exc).__name__}: {exc}"
                )
                log.warning("notice %s: sending by %s failed (%s)", notice.id, notice.channel, why)
                if getattr(exc, "unreachable", False):
                    channels_up.discard(notice.channel)
                notice.attempts += 1
                notice.last_error = why[:300]
                if notice.attempts >= max_attempts():
                    _to_call(
                        notice,
                        now,
                        f"abandonné après {notice.attempts} essais : {why}",
                        parked=True,
                    )
                    outcome = "parked"
                else:
                    notice.next_attempt_at = now + retry_pause(notice.attempts)
                    outcome = "failed"
            else:
                notice.status, notice.sent_at, notice.next_attempt_at = "sent", now, None
                _forget_link(notice)
                sent += 1
                outcome = "sent"
        uow.commit()
        metrics.NOTICES.labels(channel, outcome).inc()
    return sent


# --- the concierge's list -------------------------------------------------------------------------


def _dump(notice: Notice, member: Member | None) -> dict:
    alive = member is not None and member.erased_at is None
    return NoticeOutput().dump(
        {
            "id": notice.id,
            "village_id": notice.village_id,
            "member_id": notice.member_id,
            "display_name": f"{member.first_name or ''} {member.last_name or ''}".strip()
            if alive
            else None,
            "phone": display_phone(member.phone) if alive and member.phone else None,
            "email": member.email if alive else None,
            "source_type": notice.source_type,
            "source_ref": notice.source_ref,
            "channel": notice.channel,
            "channel_label": NOTICE_CHANNELS[notice.channel],
            "status": notice.status,
            "status_label": NOTICE_STATUSES[notice.status],
            "message": notice.message,
            "attempts": notice.attempts,
            "created_at": notice.created_at,
            "sent_at": notice.sent_at,
            "done_at": notice.done_at,
            "next_attempt_at": notice.next_attempt_at,
            "last_error": notice.last_error,
            "parked_at": notice.parked_at,
            "unanswered_calls": notice.unanswered_calls or 0,
            "last_called_at": notice.last_called_at,
        }
    )


def list_notices(
    uow, village_id: str, status: str | None = None, window: dict | None = None
) -> list[dict]:
    """The village's notices ("à prévenir": status to_send), calls first, oldest first; members
    erased since are left out. `window`: one page of it, cut in the query (backbone/paging.py)."""
    query = (
        select(Notice, Member)
        .join(Member, Member.id == Notice.member_id)
        .where(
            Notice.village_id == village_id,
            Member.erased_at.is_(None),
            # nobody is called for a sign-in link nor for a receipt
            Notice.source_type.notin_((LINK_SOURCE, RECEIPT_SOURCE)),
        )
    )
    if status:
        query = query.where(Notice.status == status)
    query = windowed(
        query,
        window,
        case((Notice.status == "to_send", 0), else_=1),
        case((Notice.channel == "call", 0), else_=1),
        Notice.created_at,
        Notice.id,
    )
    return [_dump(notice, member) for notice, member in uow.session.execute(query).all()]


def _open_call(uow, village_id: str, notice_id: str) -> Notice:
    """A call still to make in this village: NotFound elsewhere, 409 for an SMS or an e-mail
    (the service sends them) or a call already made."""
    notice = uow.session.get(Notice, str(notice_id))
    if notice is None or notice.village_id != village_id:
        raise NotFound("notice", str(notice_id))
    if notice.channel != "call":
        raise Conflict("notice_not_a_call", details={"channel": notice.channel})
    if notice.status == "done":
        raise Conflict("notice_already_done", details={"done_at": notice.done_at.isoformat()})
    return notice


def mark_done(uow, village_id: str, notice_id: str, *, now: datetime | None = None) -> dict:
    """The concierge called: only a call is marked done by hand (409 otherwise), once (409)."""
    notice = _open_call(uow, village_id, notice_id)
    notice.status, notice.done_at = "done", now or utcnow()
    uow.commit()
    return _dump(notice, uow.session.get(Member, notice.member_id))


def record_call(
    uow, village_id: str, notice_id: str, outcome: str, *, now: datetime | None = None
) -> dict:
    """A call made: `reached` is `mark_done`; `no_answer` is counted, with when, and the notice
    stays on the list: the person still has to be told."""
    if outcome == "reached":
        return mark_done(uow, village_id, notice_id, now=now)
    notice = _open_call(uow, village_id, notice_id)
    notice.unanswered_calls = (notice.unanswered_calls or 0) + 1
    notice.last_called_at = now or utcnow()
    uow.commit()
    return _dump(notice, uow.session.get(Member, notice.member_id))


# --- the delivery log -----------------------------------------------------------------------------


WALK_IN = "Client·e de passage"  # a till receipt's buyer who is no member
# nobody is called for a receipt: the buyer left with the printed one, and may ask for a copy
RECEIPT_GIVEN_UP = "abandonné après plusieurs échecs : ticket papier à proposer"


def _outcome(notice: Notice) -> str:
    if notice.status == "sent":
        return "sent"
    if notice.status == "done":
        return "called"
    if notice.parked_at is not None:
        return "parked"
    if notice.channel == "call":
        return "to_call"
    return "failed" if notice.attempts else "waiting"


def _outcome_is(outcome: str):
    """`_outcome` as a SQL condition, so that the log is filtered (and cut
    in pages) by the query."""
    open_ = and_(Notice.status.notin_(("sent", "done")), Notice.parked_at.is_(None))
    return {
        "sent": Notice.status == "sent",
        "called": Notice.status == "done",
        "parked": and_(Notice.status.notin_(("sent", "done")), Notice.parked_at.isnot(None)),
        "to_call": and_(open_, Notice.channel == "call"),
        "failed": and_(open_, Notice.channel != "call", Notice.attempts > 0),
        "waiting": and_(
            open_, Notice.channel != "call", or_(Notice.attempts == 0, Notice.attempts.is_(None))
        ),
    }[outcome]


def delivery_log(
    uow,
    village_id: str,
    outcome: str | None = None,
    window: dict | None = None,
    *,
    limit: int = 500,
) -> list[dict]:
    """The village's notices as sent, failed, parked or called, with why; newest first. Members
    erased since are not there (their notices went with them). A walk-in's till receipt (no
    member) is there too, as « Client·e de passage »: its e-mail failing or given up is the
    concierge's to see (the buyer may come back for a paper copy). Without a window, the newest
    `limit` lines."""
    query = (
        select(Notice, Member)
        .outerjoin(Member, Member.id == Notice.member_id)
        .where(
            Notice.village_id == village_id,
            or_(
                and_(Member.id.is_not(None), Member.erased_at.is_(None)),
                and_(Notice.member_id.is_(None), Notice.source_type == RECEIPT_SOURCE),
            ),
        )
    )
    if outcome:
        query = query.where(_outcome_is(outcome))
    query = windowed(query, window, Notice.created_at.desc(), Notice.id)
    rows = uow.session.execute(query if window is not None else query.limit(limit)).all()
    lines = []
    for notice, member in rows:
        what = _outcome(notice)
        lines.append(
            DeliveryLogOutput().dump(
                {
                    "notice_id": notice.id,
                    "member_id": notice.member_id,
                    "display_name": f"{member.first_name or ''} {member.last_name or ''}".strip()
                    if member is not None
                    else WALK_IN,
                    "source_type": notice.source_type,
                    "source_ref": notice.source_ref,
                    "source_label": NOTICE_SOURCES.get(notice.source_type, notice.source_type),
                    "channel": notice.channel,
                    "channel_label": NOTICE_CHANNELS[notice.channel],
                    "outcome": what,
                    "outcome_label": RECEIPT_GIVEN_UP
                    if what == "parked" and notice.source_type == RECEIPT_SOURCE
                    else DELIVERY_OUTCOMES[what],
                    "attempts": notice.attempts,
                    "why": notice.last_error,
                    "created_at": notice.created_at,
                    "sent_at": notice.sent_at,
                    "next_attempt_at": notice.next_attempt_at,
                    "parked_at": notice.parked_at,
                    "done_at": notice.done_at,
                }
            )
        )
    return lines


# --- RGPD: one person's notices ------------------------------------------------------------------


def member_notices(uow, member_id: str) -> list[dict]:
    """Every notice made for one member (RGPD export)."""
    member = uow.session.get(Member, str(member_id))
    rows = uow.session.scalars(
        select(Notice).where(Notice.member_id == str(member_id)).order_by(Notice.created_at)
    ).all()
    return [_dump(notice, member) for notice in rows]


def forget_member(uow, member: Member, sender=None) -> int:
    """Erasure: the member's notices go (nobody can be told any more; what was told says where
    they are awaited and the pickup code), and so do the lines the sender wrote for them. Call it
    before the member's contacts are cleared; does not commit. Returns how many notices went."""
    rows = uow.session.scalars(select(Notice).where(Notice.member_id == member.id)).all()
    (sender or default_sender()).forget([n.id for n in rows], [member.phone, member.email])
    for notice in rows:
        uow.session.delete(notice)
    uow.session.execute(delete(WaitingParcel).where(WaitingParcel.member_id == member.id))
    return len(rows)
