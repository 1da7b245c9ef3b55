"""Personal data kept no longer than needed, in the backbone's own tables: published outbox rows are
purged after a retention period, and an erasure scrubs the erased person from the bodies still kept.

Each service's hourly timer (`RetentionTimer`, a base of its service class) calls `purge_expired`;
its `member.erased` handler (or, in the members service, the erasure itself) calls `scrub_outbox`.
Rows not yet published are never touched: they must leave as they were written (the relay owns them
until then).

`scrub_json` is shared with the stores that keep event bodies of their own (partners' deliveries).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from eventlet import Timeout
from sqlalchemy import delete, or_, select

from backbone import config
from backbone.clock import utcnow
from backbone.tables import OutboxEvent
from backbone.timer import Timer

# Keys of an event body that hold what identifies a person (names, contacts, places, free text
# they wrote or that was written about them, their profile tags, where they live).
PERSONAL_KEYS = frozenset(
    {
        "display_name",
        "first_name",
        "last_name",
        "name",
        "full_name",
        "phone",
        "email",
        "address",
        "delivery_address",
        "postcode",
        "city",
        "place",
        "description",
        "note",
        "text",
        "tags",
        "pledger_name",
        "guest_name",
        "guest_phone",
        "sender_name",
        "latitude",
        "longitude",
        "to",
    }
)


def _mentions(value: dict, needles: frozenset[str]) -> bool:
    return any(isinstance(v, str) and v in needles for v in value.values()) or any(
        isinstance(v, list) and any(isinstance(x, str) and x in needles for x in v)
        for v in value.values()
    )


def scrub_json(value, needles) -> tuple[object, bool]:
    """`value` with the personal keys emptied in every object that names one of `needles` (a member
    id, their orders' ids), and in what such an object holds; whether anything changed. Objects that
    name nobody erased (another member's stop on the same round) keep their data."""
    needles = frozenset(needles)
    changed = False

    def walk(node, inside: bool):
        nonlocal changed
        if isinstance(node, dict):
            inside = inside or _mentions(node, needles)
            out = {}
            for key, item in node.items():
                if inside and key in PERSONAL_KEYS and item not in (None, "", []):
                    out[key], changed = None, True
                else:
                    out[key] = walk(item, inside)
            return out
        if isinstance(node, list):
            return [walk(item, inside) for item in node]
        return node

    return walk(value, False), changed


def scrub_text(body: str, needles) -> str | None:
    """A JSON body scrubbed of the people in `needles`, or None when it names none of them."""
    if not any(needle in body for needle in needles):
        return None
    scrubbed, changed = scrub_json(json.loads(body), needles)
    return json.dumps(scrubbed) if changed else None


def scrub_outbox(session, needles) -> int:
    """Scrub the published outbox rows that name one of `needles`; how many changed. Does not
    commit: the erasure's unit of work does."""
    needles = [str(n) for n in needles if n]
    if not needles:
        return 0
    rows = session.scalars(
        select(OutboxEvent).where(
            OutboxEvent.published_at.is_not(None),
            or_(*(OutboxEvent.body.contains(n) for n in needles)),
        )
    ).all()
    changed = 0
    for row in rows:
        body = scrub_text(row.body, needles)
        if body is not None:
            row.body, changed = body, changed + 1
    return changed


def purge_published_outbox(session, now: datetime, retention_days: int) -> int:
    """Delete the outbox rows published more than `retention_days` ago; how
    many. Does not commit."""
    cutoff = now - timedelta(days=retention_days)
    result = session.execute(
        delete(OutboxEvent).where(
            OutboxEvent.published_at.is_not(None), OutboxEvent.published_at < cutoff
        )
    )
    return result.rowcount or 0


def purge_expired(uow, now: datetime) -> int:
    """The daily purge every service runs (a timer in its service.py): published outbox rows older
    than MAILLAGE_OUTBOX_RETENTION_DAYS go. Commits; returns how many went."""
    purged = purge_published_outbox(uow.session, now, config.outbox_retention_days())
    uow.commit()
    return purged


class SoonAfterStartTimer(Timer):
    """nameko's timer, its first run `first_after` seconds after the start rather than at once or an
    interval later: a restart never postpones a purge by more than that, and a process that lives
    less (one started again and again while the broker or its database is away, a test's) does
    not purge and sweep the dead letters at each start."""

    def __init__(self, interval: float, first_after: float, **kwargs):
        self.first_after = first_after
        super().__init__(interval, **kwargs)

    def _run(self):
        # a loop of its own, not nameko's after the first pause: nameko's keeps to a schedule
        # from the start and runs sooner after a late run; this one leaves the interval between
        # the starts of two runs (tests/backbone/test_retention.py checks both)
        pause = self.first_after
        while True:
            with Timeout(pause, exception=False):
                self.should_stop.wait()
                break
            self.began = time.monotonic()  # the moment the run begins, as the schedule counts it
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()
            pause = max(self.interval - (time.monotonic() - self.began), 0)


class RetentionTimer:
    """A base of each service class: a minute after the start, then hourly.
    `purge_own_expired` is where a service purges what it alone keeps."""

    @SoonAfterStartTimer.decorator(interval=3600, first_after=60)
    def purge_expired_personal_data(self):
        """Retention (docs/rgpd.md): published events kept past MAILLAGE_OUTBOX_RETENTION_DAYS go,
        and what the service keeps of its own past its period."""
        now = utcnow()
        with self.db.unit_of_work() as uow:
            self.purge_own_expired(uow, now)
            purge_expired(uow, now)

    def purge_own_expired(self, uow, now: datetime) -> None:
        """Nothing beyond the outbox, unless the service says otherwise."""
