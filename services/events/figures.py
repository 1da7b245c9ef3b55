"""The events service's figures for the coordinator (and funders), per village, over a period
(dates "YYYY-MM-DD", inclusive, in the network's local time, Europe/Paris).

Figures (per village):
- `animations_held`: animations the village hosted that took place (attendance taken) and started
  in the period.
- `attendance`: people reached at those animations (members present + guests present, or the head
  count given at attendance); an animation whose count was not given adds nothing.
- `volunteer_minutes_at_animations`: minutes credited to volunteers holding a role at those
  animations.
- `suggestions_made`: suggestions recorded in the village in the period.
- `suggestions_answered`: suggestions of the village first answered (moved out of "new") in the
  period.
- `median_answer_days`: median days from a suggestion being made to its first answer, over those
  answered in the period (null when none was).

Details:
- `recurring_needs`: categories of suggestions made in the period in at least 3 of the villages
  asked about (network signals): category, label, villages, village_ids, suggestions.
- `upcoming_animations`: animations still scheduled that start after `now`, hosted by or open to
  the villages asked about: id, village_id (host), invited_village_ids, title, kind, starts_at,
  capacity, registered, waiting.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select

from backbone.clock import utcnow
from backbone.figures import period_bounds
from services.events.models import Animation, KnownVillage, Suggestion
from services.events.schemas import CATEGORY_LABELS, KIND_LABELS
from services.events.suggestions import SIGNAL_VILLAGES

FIGURES = (
    "animations_held",
    "attendance",
    "volunteer_minutes_at_animations",
    "suggestions_made",
    "suggestions_answered",
    "median_answer_days",
)


def village_figures(
    uow, date_from: date, date_to: date, village_ids=None, *, now: datetime | None = None
) -> dict:
    start, end = period_bounds(date_from, date_to)
    now = now or utcnow()
    if village_ids is None:
        village_ids = list(uow.session.scalars(select(KnownVillage.id)))
    wanted = set(village_ids)
    figures = {v: {name: 0 for name in FIGURES} for v in village_ids}

    held = uow.session.scalars(
        select(Animation).where(
            Animation.status == "held",
            Animation.village_id.in_(wanted),
            Animation.starts_at >= start,
            Animation.starts_at < end,
        )
    ).all()
    for a in held:
        row = figures[a.village_id]
        row["animations_held"] += 1
        row["attendance"] += a.people_reached or 0
        row["volunteer_minutes_at_animations"] += sum(h.minutes or 0 for h in a.role_volunteers)

    made = uow.session.scalars(
        select(Suggestion).where(
            Suggestion.village_id.in_(wanted),
            Suggestion.created_at >= start,
            Suggestion.created_at < end,
        )
    ).all()
    by_category: dict[str, dict] = defaultdict(lambda: {"village_ids": set(), "suggestions": 0})
    for s in made:
        figures[s.village_id]["suggestions_made"] += 1
        by_category[s.category]["village_ids"].add(s.village_id)
        by_category[s.category]["suggestions"] += 1

    answered = uow.session.scalars(
        select(Suggestion).where(
            Suggestion.village_id.in_(wanted),
            Suggestion.answered_at >= start,
            Suggestion.answered_at < end,
        )
    ).all()
    delays: dict[str, list[float]] = defaultdict(list)
    for s in answered:
        figures[s.village_id]["suggestions_answered"] += 1
        delays[s.village_id].append((s.answered_at - s.created_at).total_seconds() / 86400)
    for village_id, row in figures.items():
        row["median_answer_days"] = (
            round(statistics.median(delays[village_id]), 2) if delays[village_id] else None
        )

    recurring = sorted(
        (
            {
                "category": c,
                "category_label": CATEGORY_LABELS.get(c, c),
                "villages": len(e["village_ids"]),
                "village_ids": sorted(e["village_ids"]),
                "suggestions": e["suggestions"],
            }
            for c, e in by_category.items()
            if len(e["village_ids"]) >= SIGNAL_VILLAGES
        ),
        key=lambda e: (-e["villages"], -e["suggestions"], e["category"]),
    )
    upcoming = [
        a
        for a in uow.session.scalars(
            select(Animation)
            .where(Animation.status == "scheduled", Animation.starts_at >= now)
            .order_by(Animation.starts_at)
        )
        if set(a.village_ids) & wanted
    ]
    return {
        "figures": figures,
        "details": {
            "recurring_needs": recurring,
            "upcoming_animations": [
                {
                    "id": a.id,
                    "village_id": a.village_id,
                    "invited_village_ids": a.village_ids[1:],
                    "title": a.title,
                    "kind": a.kind,
                    "kind_label": KIND_LABELS.get(a.kind, a.kind),
                    "starts_at": a.starts_at.isoformat(),
                    "capacity": a.capacity,
                    "registered": sum(1 for r in a.registrations if r.status == "registered"),
                    "waiting": sum(1 for r in a.registrations if r.status == "waiting"),
                }
                for a in upcoming
            ],
        },
    }
