"""The network's skills list, owned by the coordinator: a skill is added (its code made from its
label when none is given), renamed or moved to another category, and retired. Each change is told
to every service and partner (`skill.added`, `skill.renamed`, `skill.retired`, same transaction,
through the outbox).

A retired skill is no longer offered (the volunteers' forms, the counter's request form) but keeps
its row and label: the volunteers and the past requests that name it still read well. A need the
list does not hold is not refused anywhere: it is counted on the skills map as a need outside the
list (skills_map.py), which is how the coordinator learns what to add.
"""

from __future__ import annotations

from sqlalchemy import select

from backbone.clock import utcnow
from backbone.contracts.events.members import skill_code
from backbone.errors import Conflict, NotFound
from services.members.models import Skill
from services.members.schemas.volunteers import CATEGORY_LABELS, SkillOutput

_out = SkillOutput()


def skill_labels(uow) -> dict[str, Skill]:
    """Every skill ever listed, retired ones too: what names a volunteer's or a request's skill."""
    return {skill.code: skill for skill in uow.session.scalars(select(Skill)).all()}


def _dump(skill: Skill) -> dict:
    return _out.dump(
        {
            "code": skill.code,
            "label": skill.label,
            "category": skill.category,
            "category_label": CATEGORY_LABELS.get(skill.category, skill.category),
            "retired_at": skill.retired_at,
        }
    )


def list_skills(uow, include_retired: bool = False) -> list[dict]:
    """The skills offered today, by category and label (`include_retired`: the retired ones too,
    after them)."""
    query = select(Skill).order_by(Skill.retired_at.is_not(None), Skill.category, Skill.label)
    if not include_retired:
        query = query.where(Skill.retired_at.is_(None))
    return [_dump(skill) for skill in uow.session.scalars(query)]


def listed_codes(uow) -> set[str]:
    """The codes a volunteer may be given: the skills not retired."""
    return set(uow.session.scalars(select(Skill.code).where(Skill.retired_at.is_(None))))


def _skill(uow, code: str) -> Skill:
    skill = uow.session.get(Skill, code)
    if skill is None:
        raise NotFound("skill", code)
    return skill


def _told(uow, type_: str, skill: Skill) -> None:
    uow.record_event(
        type_,
        {"code": skill.code, "label": skill.label, "category": skill.category},
        village_id=None,
    )


def add_skill(uow, data: dict) -> dict:
    """A new skill; the code of a retired one brings it back (renamed as asked)."""
    code = data.get("code") or skill_code(data["label"])
    skill = uow.session.get(Skill, code)
    if skill is not None and skill.retired_at is None:
        raise Conflict("skill_taken", field="label")
    if skill is None:
        skill = Skill(code=code, label=data["label"], category=data["category"])
        uow.session.add(skill)
    else:
        skill.label, skill.category, skill.retired_at = data["label"], data["category"], None
    _told(uow, "skill.added", skill)
    uow.commit()
    return _dump(skill)


def rename_skill(uow, code: str, data: dict) -> dict:
    """Its label, its category, or both; nothing told when nothing changes."""
    skill = _skill(uow, code)
    before = (skill.label, skill.category)
    skill.label = data.get("label", skill.label)
    skill.category = data.get("category", skill.category)
    if (skill.label, skill.category) != before:
        _told(uow, "skill.renamed", skill)
    uow.commit()
    return _dump(skill)


def retire_skill(uow, code: str) -> dict:
    """No longer offered; retiring it twice changes nothing."""
    skill = _skill(uow, code)
    if skill.retired_at is None:
        skill.retired_at = utcnow()
        _told(uow, "skill.retired", skill)
    uow.commit()
    return _dump(skill)
