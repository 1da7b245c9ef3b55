"""The skills map: supply (volunteers, partners' services) against demand (help requests), per
village and for the network. A skill is *missing* where there is demand and no supply within
reach; a need the network's list does not hold (a help request for « plomberie ») is one too,
marked `listed: false`, until the coordinator adds it to the list.

- Supply within reach of a village: the active volunteers who serve it (home village or a village
  they chose to serve). Counts only, no personal data: the coordinator sees the map whatever each
  volunteer's opt-in. (Not reach by distance, `max_distance_km` against villages' coordinates:
  villages carry no coordinates; served villages are what volunteers committed to.)
- Partners' services: a partner of a service kind (SERVICE_KINDS) offers the skills it names
  (`partner.joined` / `partner.updated` carry them) in the villages it serves, until its
  partnership ends (`partner.updated` with `ended_at`: the latest description wins, so an older
  one arriving late does not bring it back).
- Demand: the `help_demand` read model fed by `help_request.requested` / `.unmatched` /
  `.completed` (not by suggestions: `suggestion.made` carries no skill).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from backbone.errors import NotFound
from services.members.models import HelpDemand, KnownPartner, Member, Village, Volunteer
from services.members.schemas.volunteers import (
    SKILL_LEVELS,
    NetworkSkillsMapOutput,
    VillageSkillsMapOutput,
)
from services.members.skills import skill_labels
from services.members.volunteers import served_village_ids

# the partners whose services count as supply: service structures and artisans, not those who
# sell goods, fund or govern
SERVICE_KINDS = ("artisan", "service_provider", "association", "social_enterprise")


def record_partner(uow, event: dict) -> None:
    """`partner.joined` / `partner.updated`: the latest description by `occurred_at` wins (a
    duplicate or an older one arriving late changes nothing)."""
    payload = event["payload"]
    uow.keep_latest(
        KnownPartner,
        {
            "partner_id": payload["partner_id"],
            "name": payload["name"],
            "kind": payload["kind"],
            "village_ids": sorted(payload["village_ids"]),
            "skills": sorted(payload.get("skills") or []),
            "changed_at": event["occurred_at"],
            "ended_at": payload.get("ended_at"),
        },
        key="partner_id",
    )
    uow.commit()


def partner_supply(uow) -> dict[str, dict[str, list[dict]]]:
    """{village_id: {skill code: [{"partner_id", "name", "kind"}, …]}}: the skills a partner of a
    service kind offers, in each village it serves (every village when it serves the network);
    none of a partner whose partnership ended."""
    partners = [
        p
        for p in uow.session.scalars(
            select(KnownPartner)
            .where(KnownPartner.kind.in_(SERVICE_KINDS), KnownPartner.ended_at.is_(None))
            .order_by(KnownPartner.name)
        )
        if p.skills
    ]
    if not partners:
        return {}
    every = None
    supply: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for partner in partners:
        villages = partner.village_ids
        if not villages:
            every = every or list(uow.session.scalars(select(Village.id)))
            villages = every
        service = {"partner_id": partner.partner_id, "name": partner.name, "kind": partner.kind}
        for village_id in villages:
            for code in partner.skills:
                supply[village_id][code].append(service)
    return {v: dict(per_skill) for v, per_skill in supply.items()}


def active_volunteers(uow) -> list[Volunteer]:
    """The active volunteers whose member is not erased, with their member, skills and served
    villages: the supply the map counts (the coordinator's figures count them per village too)."""
    return (
        uow.session.scalars(
            select(Volunteer)
            .join(Member, Member.id == Volunteer.member_id)
            .where(Volunteer.active.is_(True), Member.erased_at.is_(None))
            # what the map does not read: their availability, the member's tags and consents
            .options(
                lazyload(Volunteer.slots),
                joinedload(Volunteer.member).lazyload(Member.tags),
                joinedload(Volunteer.member).lazyload(Member.consents),
            )
        )
        .unique()
        .all()
    )


def volunteers_per_village(volunteers) -> Counter:
    """{village id: how many of `volunteers` serve it (home or chosen)}, with skills or without."""
    return Counter(
        village_id for volunteer in volunteers for village_id in served_village_ids(volunteer)
    )


def _network_supply(volunteers) -> dict:
    """{skill code: {level: {volunteer id}}} of `volunteers`, wherever they serve."""
    supply: dict = defaultdict(lambda: defaultdict(set))
    for volunteer in volunteers:
        for skill in volunteer.skills:
            supply[skill.skill_code][skill.level].add(volunteer.id)
    return supply


def _supply_by_village(volunteers) -> dict:
    """{village id: {skill code: {level: {volunteer id}}}}: who among `volunteers` has which skill
    within reach of each village they serve (no key for a village no one with a skill serves)."""
    supply: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for volunteer in volunteers:
        served = served_village_ids(volunteer)
        for skill in volunteer.skills:
            for village_id in served:
                supply[village_id][skill.skill_code][skill.level].add(volunteer.id)
    return supply


def _line(code, skills, volunteers_by_level, partners, demand):
    skill = skills.get(code)
    volunteers = sum(len(ids) for ids in volunteers_by_level.values()) if volunteers_by_level else 0
    supplied = volunteers + len(partners)
    demanded = demand["requested"] + demand["unmatched"]
    if demanded and not supplied:
        status = "missing"
    elif demand["open_unmatched"]:
        status = "short"
    elif demanded:
        status = "covered"
    else:
        status = "available"
    return {
        "skill": code,
        # a need outside the list reads as it was typed, less its accents (« plomberie »)
        "label": skill.label if skill else code.replace("_", " "),
        "category": skill.category if skill else None,
        "listed": skill is not None and skill.retired_at is None,
        "supply": {
            "volunteers": volunteers,
            "levels": {level: len(volunteers_by_level.get(level, ())) for level in SKILL_LEVELS},
            "partners": partners,
        },
        "demand": demand,
        "status": status,
    }


def _lines(skills, supply_by_skill, partners_by_skill, demand_by_skill):
    codes = set(supply_by_skill) | set(partners_by_skill) | set(demand_by_skill)
    lines = [
        _line(
            code,
            skills,
            supply_by_skill.get(code, {}),
            partners_by_skill.get(code, []),
            demand_by_skill.get(code, {"requested": 0, "unmatched": 0, "open_unmatched": 0}),
        )
        for code in codes
    ]
    order = {"missing": 0, "short": 1, "covered": 2, "available": 3}
    lines.sort(key=lambda line: (order[line["status"]], line["label"]))
    return lines


def _demand(rows):
    demand: dict = defaultdict(lambda: {"requested": 0, "unmatched": 0, "open_unmatched": 0})
    for row in rows:
        d = demand[row.skill_code]
        d["requested"] += 1  # every row is one help request, whichever of its events came first
        if row.unmatched_at:
            d["unmatched"] += 1
            if not row.completed_at:
                d["open_unmatched"] += 1
    return demand


def _village_map(village, skills, supply, partners, demand_rows):
    """The map of `village` (an (id, name) row): `supply` = {skill code: {level: {volunteer id}}} of
    the volunteers within its reach, `partners` = {skill code: [partner service]} of the village."""
    lines = _lines(skills, supply, partners, _demand(demand_rows))
    return {
        "village_id": village.id,
        "village_name": village.name,
        "skills": lines,
        "missing": [line["skill"] for line in lines if line["status"] == "missing"],
    }


def village_skills_map(uow, village_id: str) -> dict:
    village = uow.session.get(Village, village_id)
    if village is None:
        raise NotFound("village", village_id)
    demand_rows = uow.session.scalars(
        select(HelpDemand).where(HelpDemand.village_id == village_id)
    ).all()
    supply = _supply_by_village(active_volunteers(uow)).get(village_id, {})
    partners = partner_supply(uow).get(village_id, {})
    return VillageSkillsMapOutput().dump(
        _village_map(village, skill_labels(uow), supply, partners, demand_rows)
    )


def network_skills_map(uow) -> dict:
    """The network line counts each volunteer once however many villages they serve; a skill is
    missing for the network when no one anywhere has it; each village has its own map."""
    return NetworkSkillsMapOutput().dump(network_skills_lines(uow))


def network_skills_lines(uow, villages=None, volunteers=None) -> dict:
    """network_skills_map before its dump (the coordinator's figures read it as it is).

    `villages`: the (id, name) rows whose maps to draw, in that order (default: every village, by
    name); `volunteers`: what `active_volunteers(uow)` returns, when the caller has it already."""
    if villages is None:
        villages = uow.session.execute(
            select(Village.id, Village.name).order_by(Village.name)
        ).all()
    if volunteers is None:
        volunteers = active_volunteers(uow)
    skills, partners = skill_labels(uow), partner_supply(uow)
    demand_rows = uow.session.scalars(select(HelpDemand)).all()
    demand_by_village = defaultdict(list)
    for row in demand_rows:
        demand_by_village[row.village_id].append(row)
    supply_by_village = _supply_by_village(volunteers)
    network_partners: dict = defaultdict(list)
    for per_skill in partners.values():
        for code, offers in per_skill.items():
            network_partners[code].extend(offers)
    lines = _lines(skills, _network_supply(volunteers), network_partners, _demand(demand_rows))
    return {
        "skills": lines,
        "missing": [line["skill"] for line in lines if line["status"] == "missing"],
        "villages": [
            _village_map(
                v,
                skills,
                supply_by_village.get(v.id, {}),
                partners.get(v.id, {}),
                demand_by_village.get(v.id, []),
            )
            for v in villages
        ],
    }
