"""How an erasure (people.erase_member) reaches every table of the members service that holds a
member id or personal data. A table added without a rule here fails
tests/services/test_erasure_rules.py.

Beyond the tables: the dead letters in the broker (whole event bodies) are swept by
`sweep_dead_letters`, hourly and right after each erasure.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from backbone import config
from backbone.dead_letters import DeadLetterQueue
from services.members.models import Member

log = logging.getLogger("maillage.members.erasure")

ERASURE: dict[str, str] = {
    "members": "names, contacts, address, search name and tags "
    "emptied, erased_at set (people.erase_member)",
    "member_tags": "deleted with the member's tags (people.erase_member)",
    "member_consents": "kept: the proof of consent (purpose and dates) against an id only",
    "member_notices": "deleted, and their lines in the notices outbox file "
    "(notices.forget_member); a till receipt's address (a walk-in's too) emptied once sent or "
    "given up (notices.send_pending)",
    "member_waiting_parcels": "deleted: the parcels reminders count from (notices.forget_member)",
    "member_personal_links": "deleted: the sign-in links sent (personal.forget_member)",
    "member_personal_sessions": "deleted: the sessions opened by a link (personal.forget_member)",
    "volunteers": "profile emptied and hidden (volunteers.forget_member)",
    "time_bank_entries": "kept: hours against an id only (the network's figures)",
    "outbox": "published rows naming the member scrubbed (backbone.retention.scrub_outbox), all "
    "published rows purged after MAILLAGE_OUTBOX_RETENTION_DAYS",
    "staff_accounts": "not an inhabitant's: staff accounts, removed by the coordinator",
    "villages": "not personal: a hub's public address",
    "grappes": "not personal: clusters of villages",
    "known_partners": "not personal: organisations",
    "village_stops": "not personal: the truck's stops",
    "village_permanences": "not personal: a service held at the hub (La Poste, a social worker)",
}


def erased_member_ids(uow) -> list[str]:
    return list(uow.session.scalars(select(Member.id).where(Member.erased_at.is_not(None))))


def scrub_dead_letters(member_ids, queue: DeadLetterQueue | None = None) -> int:
    """Right after an erasure: the dead letters naming these members scrubbed; the broker being away
    is logged (the hourly sweep catches up)."""
    try:
        return (queue or DeadLetterQueue()).scrub(member_ids)
    except Exception as exc:  # noqa: BLE001 — the erasure itself is committed; the sweep retries
        log.warning(
            "dead letters not scrubbed after an erasure, the broker did not answer: %s",
            type(exc).__name__,
        )
        return 0


def sweep_dead_letters(uow, now: datetime, queue: DeadLetterQueue | None = None) -> dict[str, int]:
    """Dead letters older than MAILLAGE_DEAD_LETTER_RETENTION_DAYS removed; the personal fields of
    those naming any erased member emptied (every erased id, not only today's: a letter can die
    after the erasure of a person it names). The broker being away is logged, never raised: the next
    run catches up."""
    queue = queue or DeadLetterQueue()
    try:
        purged = queue.purge(now, config.dead_letter_retention_days())
        scrubbed = queue.scrub(erased_member_ids(uow))
    except Exception as exc:  # noqa: BLE001 — a timer that raises only logs, and so do we, more plainly
        log.warning("dead letters not swept, the broker did not answer: %s", type(exc).__name__)
        return {"purged": 0, "scrubbed": 0}
    if purged or scrubbed:
        log.info(
            "dead letters swept: %d past retention removed, %d naming an erased member scrubbed",
            purged,
            scrubbed,
        )
    return {"purged": purged, "scrubbed": scrubbed}
