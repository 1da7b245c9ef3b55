"""Notices of the coups de main (help requests of the orders service): the volunteer is asked
(`help_request.assigned`, with the link of their personal space to accept or decline), the person
helped is told who comes and when (`help_request.accepted`), and both are reminded the day before
(`help_request.reminder_due`).

Through `notices._tell`: one notice per source and person (a redelivery, or the same event again,
tells nobody twice), the channel from the person's consents and contacts, an erased or unknown
member not told."""

from __future__ import annotations

from backbone.clock import PARIS
from services.members import opt_out
from services.members.models import Member, Village
from services.members.models.volunteers import Skill
from services.members.notices import FRENCH_DAYS, _aware, _tell


def _context(uow, payload: dict) -> dict:
    starts = _aware(payload["starts_at"]).astimezone(PARIS)
    ends = _aware(payload["ends_at"]).astimezone(PARIS)
    skill = uow.session.get(Skill, payload["skill"])
    village = uow.session.get(Village, payload["village_id"])
    volunteer = uow.session.get(Member, payload["volunteer_member_id"])
    return {
        "skill": skill.label if skill is not None else payload["skill"],
        "day": f"{FRENCH_DAYS[starts.strftime('%A').lower()]} {starts:%d/%m}",
        "time": starts.strftime("%Hh%M"),
        "end_time": ends.strftime("%Hh%M"),
        "village_name": village.name if village is not None else None,
        # the person helped learns who comes by first name only; nobody once erased
        "volunteer_first_name": (
            volunteer.first_name if volunteer is not None and volunteer.erased_at is None else None
        ),
        "link": f"{opt_out.public_url()}/moi/coups-de-main",
    }


def record_assigned(uow, envelope: dict) -> None:
    """`help_request.assigned`: the volunteer is asked, once per request and volunteer."""
    payload = envelope["payload"]
    _tell(
        uow,
        payload["volunteer_member_id"],
        envelope["type"],
        payload["help_request_id"],
        "help_request_asked",
        _context(uow, payload),
    )
    uow.commit()


def record_accepted(uow, envelope: dict) -> None:
    """`help_request.accepted`: the person helped learns who comes and when."""
    payload = envelope["payload"]
    _tell(
        uow,
        payload.get("requester_member_id"),
        envelope["type"],
        payload["help_request_id"],
        "help_request_accepted",
        _context(uow, payload),
    )
    uow.commit()


def record_reminder(uow, envelope: dict) -> None:
    """`help_request.reminder_due`: the volunteer and the person helped, the day before."""
    payload = envelope["payload"]
    context = _context(uow, payload)
    for member_id, role in (
        (payload["volunteer_member_id"], "volunteer"),
        (payload.get("requester_member_id"), "requester"),
    ):
        _tell(
            uow,
            member_id,
            envelope["type"],
            payload["help_request_id"],
            "help_request_reminder",
            {**context, "for_volunteer": role == "volunteer"},
        )
    uow.commit()
