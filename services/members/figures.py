"""The members service's part of the coordinator's figures: `village_figures(date_from, date_to,
village_ids=None)` -> {"figures": {village_id: {name: number}}, "details": {name: [rows]}}.

A period is two dates ("YYYY-MM-DD", inclusive) on the wall clock of Europe/Paris. Every village
asked for (all when `village_ids` is None) has a line, with zeros when nothing happened.

Figures (per village):
- `members`: inhabitants registered in the village at the end of the period (erased ones excluded);
- `new_members`: inhabitants who joined (`joined_on`) during the period;
- `volunteer_minutes`: minutes credited to the time bank for help given in the village during the
  period (help requests completed, volunteer roles at animations held);
- `active_volunteers`: distinct people credited in the village during the period;
- `volunteers`: the village's volunteer pool: active volunteers who serve it (home or chosen);
- `missing_skills`: skills asked for in the village (help requests) that no
  volunteer within reach has.

Details (no personal data, counts only):
- `volunteer_pool`: per village and skill, how many active volunteers serve it
  (village_id, village_name, skill, label, volunteers);
- `missing_skills`: per village, each missing skill with its demand
  (village_id, village_name, skill, label, requested, unmatched).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select, true

from backbone.figures import period_bounds
from services.members import skills_map
from services.members.models import Member, TimeBankEntry, Village


def village_figures(uow, date_from: date, date_to: date, village_ids=None) -> dict:
    villages_query = select(Village.id, Village.name).order_by(Village.name)
    if village_ids is not None:
        villages_query = villages_query.where(Village.id.in_(village_ids))
    villages = uow.session.execute(villages_query).all()
    ids = [v.id for v in villages]
    figures = {
        v.id: {
            "members": 0,
            "new_members": 0,
            "volunteer_minutes": 0,
            "active_volunteers": 0,
            "volunteers": 0,
            "missing_skills": 0,
        }
        for v in villages
    }
    if not ids:
        return {"figures": {}, "details": {"volunteer_pool": [], "missing_skills": []}}

    # every village asked for: no list of a thousand ids for the database to match
    in_villages = Member.village_id.in_(ids) if village_ids is not None else true()
    # both counts in one pass over the members (a national network has hundreds of thousands)
    present = func.count().filter(Member.erased_at.is_(None))
    joined = func.count().filter(Member.joined_on >= date_from)
    for village_id, members, new_members in uow.session.execute(
        select(Member.village_id, present, joined)
        .where(in_villages, Member.joined_on <= date_to)
        .group_by(Member.village_id)
    ).all():
        if village_id in figures:
            figures[village_id]["members"] = members
            figures[village_id]["new_members"] = new_members

    start, end = period_bounds(date_from, date_to)
    people = defaultdict(set)
    for line in uow.session.scalars(
        select(TimeBankEntry).where(
            TimeBankEntry.village_id.in_(ids),
            TimeBankEntry.occurred_at >= start,
            TimeBankEntry.occurred_at < end,
        )
    ).all():
        figures[line.village_id]["volunteer_minutes"] += line.minutes
        people[line.village_id].add(line.member_id)
    for village_id, members in people.items():
        figures[village_id]["active_volunteers"] = len(members)

    volunteers = skills_map.active_volunteers(uow)
    for village_id, count in skills_map.volunteers_per_village(volunteers).items():
        if village_id in figures:
            figures[village_id]["volunteers"] = count
    pool_rows, missing_rows = [], []
    for village_map in skills_map.network_skills_lines(uow, villages, volunteers)["villages"]:
        village_id, village_name = village_map["village_id"], village_map["village_name"]
        for line in village_map["skills"]:
            if line["supply"]["volunteers"]:
                pool_rows.append(
                    {
                        "village_id": village_id,
                        "village_name": village_name,
                        "skill": line["skill"],
                        "label": line["label"],
                        "volunteers": line["supply"]["volunteers"],
                    }
                )
            if line["status"] == "missing":
                missing_rows.append(
                    {
                        "village_id": village_id,
                        "village_name": village_name,
                        "skill": line["skill"],
                        "label": line["label"],
                        "requested": line["demand"]["requested"],
                        "unmatched": line["demand"]["unmatched"],
                    }
                )
        figures[village_id]["missing_skills"] = len(village_map["missing"])
    return {
        "figures": figures,
        "details": {"volunteer_pool": pool_rows, "missing_skills": missing_rows},
    }
