"""Signals the network learns from (the coordinator's « Signaux »): the needs seen in every village,
counted by theme, village, grappe and month, whatever told them:

- a suggestion made (its category is its theme) and each support it gets (this service's own);
- a coup de main nobody could take (`help_request.unmatched`, from orders): theme `aide_domicile`,
  the skill kept as its detail;
- an order every supplier refused (`order.refused`, from orders): theme `commerce`;
- an item asked for at a counter that the village's catalogue does not offer (`item.asked`, from
  orders): its theme as the concierge gave it (`commerce` otherwise), the item kept as its detail.

A support counts in the supporter's village (a member of any village may support a suggestion of
another): the villages concerned are those where the need was felt.

Each is one row of a ledger (`Signal`, one per source and id: a redelivered event adds nothing),
written in the same transaction as the suggestion or support, or by the consumer with its inbox
claim; a row new to the ledger adds one to its (theme, month, village) row of `SignalCount`, in the
same statement's transaction (an upsert: two writers at once both count). Reading reads those
counts, never the ledger: by theme and month, by theme and village, and the CSV's rows as they are
stored (its primary key's order, no grouping, no sort). Grappes come from `grappe.*`
(KnownGrappe): a village counts in the grappe it belongs to today.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from sqlalchemy import case, func, select

from backbone.clock import PARIS
from backbone.errors import InvalidInput
from backbone.messages import msg
from services.events.models import KnownGrappe, Signal, SignalCount
from services.events.schemas import CATEGORY_LABELS, SIGNAL_SOURCES

HELP_THEME, ORDER_THEME = "aide_domicile", "commerce"
_COUNTS = SignalCount.__table__


def month_of(when: datetime) -> str:
    return when.astimezone(PARIS).strftime("%Y-%m")


def record(
    uow,
    source: str,
    source_id: str,
    theme: str,
    village_id: str,
    when: datetime,
    detail: str | None = None,
) -> None:
    """One need seen, once per source and id, and counted (does not commit)."""
    month = month_of(when)
    added = uow.session.execute(
        uow.insert(Signal)
        .values(
            source=source,
            source_id=str(source_id)[:80],
            theme=theme,
            detail=detail[:60] if detail else detail,
            village_id=village_id,
            month=month,
            seen_at=when,
        )
        .on_conflict_do_nothing()
    )
    if added.rowcount != 1:  # already in the ledger: already counted
        return
    statement = uow.insert(_COUNTS).values(
        theme=theme,
        month=month,
        village_id=village_id,
        **{s: int(s == source) for s in SIGNAL_SOURCES},
    )
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["theme", "month", "village_id"],
            set_={source: _COUNTS.c[source] + 1},
        )
    )


def recount(uow) -> None:
    """The counts made again from the ledger (the bench's seed, a repair; does not commit)."""
    uow.session.execute(_COUNTS.delete())
    uow.session.execute(
        _COUNTS.insert().from_select(
            ["theme", "month", "village_id", *SIGNAL_SOURCES],
            select(
                Signal.theme,
                Signal.month,
                Signal.village_id,
                *(
                    func.sum(case((Signal.source == source, 1), else_=0))
                    for source in SIGNAL_SOURCES
                ),
            ).group_by(Signal.theme, Signal.month, Signal.village_id),
        )
    )


def record_help_unmatched(uow, event: dict) -> None:
    payload = event["payload"]
    record(
        uow,
        "help_unmatched",
        payload["help_request_id"],
        HELP_THEME,
        payload["village_id"],
        event["occurred_at"],
        detail=payload["skill"],
    )
    uow.commit()


def record_order_refused(uow, event: dict) -> None:
    payload = event["payload"]
    record(
        uow,
        "order_refused",
        payload["order_id"],
        ORDER_THEME,
        payload["village_id"],
        event["occurred_at"],
    )
    uow.commit()


def record_item_asked(uow, event: dict) -> None:
    payload = event["payload"]
    record(
        uow,
        "item_asked",
        payload["asked_id"],
        payload.get("theme") or ORDER_THEME,
        payload["village_id"],
        payload["asked_at"],
        detail=payload["item"],
    )
    uow.commit()


def record_grappe(uow, event: dict) -> None:
    payload = event["payload"]
    uow.keep_latest(
        KnownGrappe,
        {
            "grappe_id": payload["grappe_id"],
            "name": payload["name"],
            "village_ids": payload["village_ids"],
            "changed_at": event["occurred_at"],
        },
        key="grappe_id",
    )
    uow.commit()


def _months(month_from: str, month_to: str) -> list[str]:
    year, month = map(int, month_from.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= month_to:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _where(month_from: str, month_to: str, village_ids) -> list:
    if month_from > month_to:
        raise InvalidInput({"month_to": [msg("end_after_start")]})
    where = [_COUNTS.c.month >= month_from, _COUNTS.c.month <= month_to]
    if village_ids is not None:
        where.append(_COUNTS.c.village_id.in_(list(village_ids)))
    return where


def _per_source():
    return [func.sum(_COUNTS.c[source]).label(source) for source in SIGNAL_SOURCES]


def _total():
    total = _COUNTS.c[next(iter(SIGNAL_SOURCES))]
    for source in list(SIGNAL_SOURCES)[1:]:
        total = total + _COUNTS.c[source]
    return total


def _grappes(uow) -> tuple[dict[str, str], dict[str, str]]:
    """(village → grappe id, grappe id → name)."""
    of, names = {}, {}
    for grappe in uow.session.scalars(select(KnownGrappe).order_by(KnownGrappe.name)):
        names[grappe.grappe_id] = grappe.name
        for village_id in grappe.village_ids:
            of.setdefault(village_id, grappe.grappe_id)
    return of, names


def signals(uow, month_from: str, month_to: str, grappe_id: str | None = None) -> dict:
    """Per theme over the months asked (YYYY-MM): its count each month (the trend), per source,
    the villages and grappes concerned; themes with the most villages first. `grappe_id`: only
    that grappe's villages."""
    grappe_of, grappe_names = _grappes(uow)
    village_ids = None
    if grappe_id:
        village_ids = [v for v, g in grappe_of.items() if g == grappe_id]
    months = _months(month_from, month_to)
    where = _where(month_from, month_to, village_ids)
    themes: dict[str, dict] = {}

    def entry_of(theme: str) -> dict:
        return themes.setdefault(
            theme,
            {
                "by_month": dict.fromkeys(months, 0),
                "by_source": dict.fromkeys(SIGNAL_SOURCES, 0),
                "villages": {},
            },
        )

    # two small groupings of the counts: a national year is a few hundred rows of (theme, month)
    # and a few thousand of (theme, village)
    for theme, month, *counts in uow.session.execute(
        select(_COUNTS.c.theme, _COUNTS.c.month, *_per_source())
        .where(*where)
        .group_by(_COUNTS.c.theme, _COUNTS.c.month)
    ):
        entry = entry_of(theme)
        for source, count in zip(SIGNAL_SOURCES, counts):
            entry["by_source"][source] += int(count or 0)
            entry["by_month"][month] += int(count or 0)
    for theme, village_id, count in uow.session.execute(
        select(_COUNTS.c.theme, _COUNTS.c.village_id, func.sum(_total()))
        .where(*where)
        .group_by(_COUNTS.c.theme, _COUNTS.c.village_id)
    ):
        entry_of(theme)["villages"][village_id] = int(count)
    out = []
    for theme, entry in themes.items():
        grappes = sorted({grappe_of[v] for v in entry["villages"] if v in grappe_of})
        out.append(
            {
                "theme": theme,
                "theme_label": CATEGORY_LABELS.get(theme, theme),
                "total": sum(entry["by_month"].values()),
                "by_month": [{"month": m, "count": entry["by_month"][m]} for m in months],
                "by_source": [
                    {"source": s, "label": SIGNAL_SOURCES[s], "count": n}
                    for s, n in entry["by_source"].items()
                    if n
                ],
                "village_ids": sorted(entry["villages"], key=lambda v: (-entry["villages"][v], v)),
                "grappes": [{"grappe_id": g, "name": grappe_names[g]} for g in grappes],
            }
        )
    out.sort(key=lambda t: (-len(t["village_ids"]), -t["total"], t["theme"]))
    return {"months": months, "themes": out, "grappes": grappe_names}


def signal_rows(uow, month_from: str, month_to: str, grappe_id: str | None = None) -> dict:
    """The CSV's rows as columns, ordered by theme, month and village (the counts' primary key:
    read in its order, nothing to sort), shaped for a short RPC reply: `groups`, the runs of rows of
    one theme and month (`[theme, month, rows]`); `village_ids`, each village once, with its
    grappe's name in `grappes` (same order; "" outside any); `village`, each row's place in
    `village_ids`; `counts`, one column per source (`sources` gives their order); `total`."""
    grappe_of, grappe_names = _grappes(uow)
    village_ids = [v for v, g in grappe_of.items() if g == grappe_id] if grappe_id else None
    rows = uow.session.execute(
        select(
            _COUNTS.c.theme,
            _COUNTS.c.month,
            _COUNTS.c.village_id,
            _total(),
            *(_COUNTS.c[source] for source in SIGNAL_SOURCES),
        )
        .where(*_where(month_from, month_to, village_ids))
        .order_by(_COUNTS.c.theme, _COUNTS.c.month, _COUNTS.c.village_id)
    ).all()
    themes, months, villages, total, *counts = (
        zip(*rows) if rows else [()] * (4 + len(SIGNAL_SOURCES))
    )
    groups = [[t, m, len(list(run))] for (t, m), run in groupby(zip(themes, months))]
    place: dict[str, int] = {}
    village = [place.setdefault(v, len(place)) for v in villages]
    return {
        "groups": groups,
        "village_ids": list(place),
        "grappes": [grappe_names[grappe_of[v]] if v in grappe_of else "" for v in place],
        "village": village,
        "sources": list(SIGNAL_SOURCES),
        "counts": [list(column) for column in counts],
        "total": list(total),
    }
