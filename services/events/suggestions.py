"""Service layer for suggestions: what inhabitants ask for, recorded by the concierge, supported by
members of any village of the network (once each), answered through a workflow, and the
coordinator's view across villages.

Workflow (`Suggestion.LIFECYCLE`, `Suggestion.move_to`): new → under_study → planned → done, or
declined (with a reason) from any open state. A jump that skips a step is a 409 naming the current,
requested and possible states.

What answered it: when planned or done, `answered_by` may name an offer (known from
`offer.published`), an animation (of this service) or a partner (known from `partner.joined`);
one that points to nothing is refused naming `answered_by`. It stays when a later step does not
name another; declining clears it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from sqlalchemy import select

from backbone.clock import utcnow
from backbone.errors import InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from backbone.state_machine import record_events
from services.events import signals
from services.events.models import (
    Animation,
    KnownGrappe,
    KnownMember,
    KnownOffer,
    KnownPartner,
    KnownVillage,
    Suggestion,
    SuggestionSupport,
)
from services.events.schemas import (
    CATEGORY_LABELS,
    SUGGESTION_STATUS_LABELS,
    SuggestionOutput,
    SuggestionOverviewOutput,
)

SIGNAL_VILLAGES = 3  # the same category raised in this many villages is a network signal


def _dump(suggestion: Suggestion) -> dict:
    return SuggestionOutput().dump(
        {
            "id": suggestion.id,
            "village_id": suggestion.village_id,
            "category": suggestion.category,
            "category_label": CATEGORY_LABELS.get(suggestion.category, suggestion.category),
            "text": suggestion.text,
            "member_id": suggestion.member_id,
            "status": suggestion.status,
            "status_label": SUGGESTION_STATUS_LABELS[suggestion.status],
            "decline_reason": suggestion.decline_reason,
            "supports": len(suggestion.supports),
            "created_at": suggestion.created_at,
            "answered_at": suggestion.answered_at,
            "answered_by": suggestion.answered_by,
        }
    )


_ANSWER_MODELS = {"offer": KnownOffer, "animation": Animation, "partner": KnownPartner}
_UNKNOWN_ANSWER = {
    "offer": "unknown_offer",
    "animation": "unknown_animation",
    "partner": "unknown_partner",
}


def _check_answer(uow, answered_by: dict) -> None:
    kind = answered_by["kind"]
    if uow.session.get(_ANSWER_MODELS[kind], answered_by["id"]) is None:
        raise InvalidInput(
            {"answered_by": {"id": [msg(_UNKNOWN_ANSWER[kind], **{kind: answered_by["id"]})]}}
        )


def _find(uow, suggestion_id, village_ids, *, lock: bool = False) -> Suggestion:
    query = select(Suggestion).where(Suggestion.id == str(suggestion_id))
    if lock:
        query = query.with_for_update()
    suggestion = uow.session.scalars(query).first()
    if suggestion is None or (village_ids is not None and suggestion.village_id not in village_ids):
        raise NotFound("suggestion", str(suggestion_id))
    return suggestion


def _known_member(uow, member_id: str, village_id: str) -> None:
    """A suggestion's author lives in its village: another village's member is refused like an
    unknown one (their hub alone records what they ask for). Supporters may live anywhere
    (`support`)."""
    member = uow.session.get(KnownMember, member_id)
    if member is None or member.erased_at is not None:
        raise InvalidInput({"member_id": [msg("unknown_member", member=member_id)]})
    if member.village_id != village_id:
        raise InvalidInput({"member_id": [msg("unknown_member_here", member=member_id)]})


def categories() -> list[dict]:
    return [{"code": code, "label": label} for code, label in CATEGORY_LABELS.items()]


def create_suggestion(uow, village_id: str, data: dict) -> dict:
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)
    if data["member_id"]:
        _known_member(uow, data["member_id"], village_id)
    now = utcnow()
    suggestion = Suggestion(
        village_id=village_id,
        category=data["category"],
        text=data["text"],
        member_id=data["member_id"],
        status="new",
        created_at=now,
        updated_at=now,
    )
    uow.session.add(suggestion)
    uow.session.flush()
    signals.record(uow, "suggestion", suggestion.id, suggestion.category, village_id, now)
    uow.record_event(
        "suggestion.made",
        {
            "suggestion_id": suggestion.id,
            "village_id": village_id,
            "category": suggestion.category,
            "text": suggestion.text,
        },
        village_id=village_id,
    )
    uow.commit()
    return _dump(suggestion)


def get_suggestion(uow, suggestion_id, village_ids) -> dict:
    return _dump(_find(uow, suggestion_id, village_ids))


def list_suggestions(
    uow, village_id: str, filters: dict | None = None, window: dict | None = None
) -> list[dict]:
    query = select(Suggestion).where(Suggestion.village_id == village_id)
    for name in ("status", "category"):
        if (filters or {}).get(name):
            query = query.where(getattr(Suggestion, name) == filters[name])
    query = windowed(query.order_by(Suggestion.created_at.desc()), window, Suggestion.id)
    return [_dump(s) for s in uow.session.scalars(query).all()]


OPEN = ("new", "under_study", "planned")
NEIGHBOURS_SHOWN = 20


def neighbour_suggestions(uow, village_id: str) -> list[dict]:
    """The open suggestions of the other villages of the village's grappes (KnownGrappe), newest
    first (NEIGHBOURS_SHOWN at most): what its inhabitants may support too."""
    neighbours = {
        v
        for grappe in uow.session.scalars(select(KnownGrappe))
        if village_id in grappe.village_ids
        for v in grappe.village_ids
        if v != village_id
    }
    if not neighbours:
        return []
    query = (
        select(Suggestion)
        .where(Suggestion.village_id.in_(sorted(neighbours)), Suggestion.status.in_(OPEN))
        .order_by(Suggestion.created_at.desc(), Suggestion.id)
        .limit(NEIGHBOURS_SHOWN)
    )
    return [_dump(s) for s in uow.session.scalars(query)]


def support(uow, suggestion_id, data: dict, village_ids) -> dict:
    """A member of any village of the network supports a suggestion (a need felt in a neighbouring
    village counts too), once: a second support by the same person changes nothing and answers the
    suggestion as it is. `village_ids` (the hubs acting; None: any) must hold the suggestion's
    village or the supporter's: a hub records a support for its own suggestions by anyone of the
    network, or by its own inhabitants for any suggestion; otherwise the suggestion is not found.
    A member unknown to the network (or erased) is refused naming `member_id`. The support counts
    in the signals under the supporter's village."""
    suggestion = _find(uow, suggestion_id, None, lock=True)
    member = uow.session.get(KnownMember, data["member_id"])
    if member is not None and member.erased_at is not None:
        member = None
    ours = village_ids is None or suggestion.village_id in village_ids
    if not ours and (member is None or member.village_id not in village_ids):
        raise NotFound("suggestion", str(suggestion_id))
    if member is None:
        raise InvalidInput({"member_id": [msg("unknown_member", member=data["member_id"])]})
    if any(s.member_id == member.id for s in suggestion.supports):
        return _dump(suggestion)
    now = utcnow()
    suggestion.supports.append(SuggestionSupport(member_id=member.id, supported_at=now))
    signals.record(
        uow,
        "support",
        f"{suggestion.id}:{member.id}",
        suggestion.category,
        member.village_id,
        now,
    )
    uow.commit()
    return _dump(suggestion)


def change_status(uow, suggestion_id, data: dict, village_ids) -> dict:
    suggestion = _find(uow, suggestion_id, village_ids, lock=True)
    Suggestion.LIFECYCLE.check(suggestion.status, data["status"])  # a wrong step before the answer
    if data["answered_by"]:
        _check_answer(uow, data["answered_by"])
    events = suggestion.move_to(
        data["status"], utcnow(), reason=data["reason"], answered_by=data["answered_by"]
    )
    record_events(uow, events)
    uow.commit()
    return _dump(suggestion)


def overview(uow, village_ids) -> dict:
    """The coordinator's view: each category with the villages that raised it (a network signal
    when at least SIGNAL_VILLAGES did), and the median time from new to a first answer."""
    query = select(Suggestion)
    if village_ids is not None:
        query = query.where(Suggestion.village_id.in_(village_ids))
    rows = uow.session.scalars(query).all()
    by_category: dict[str, dict] = defaultdict(
        lambda: {"village_ids": set(), "suggestions": 0, "supports": 0}
    )
    delays = []
    for s in rows:
        entry = by_category[s.category]
        entry["village_ids"].add(s.village_id)
        entry["suggestions"] += 1
        entry["supports"] += len(s.supports)
        if s.answered_at is not None:
            delays.append((s.answered_at - s.created_at).total_seconds() / 3600)
    categories_ = sorted(
        (
            {
                "category": c,
                "category_label": CATEGORY_LABELS.get(c, c),
                "village_ids": sorted(e["village_ids"]),
                "villages": len(e["village_ids"]),
                "suggestions": e["suggestions"],
                "supports": e["supports"],
            }
            for c, e in by_category.items()
        ),
        key=lambda e: (-e["villages"], -e["suggestions"], e["category"]),
    )
    return SuggestionOverviewOutput().dump(
        {
            "signals": [c for c in categories_ if c["villages"] >= SIGNAL_VILLAGES],
            "categories": categories_,
            "median_answer_hours": round(statistics.median(delays), 2) if delays else None,
            "answered": len(delays),
            "open": sum(1 for s in rows if s.status in OPEN),
        }
    )
