"""The members service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""

from services.members.models.accounts import RevokedSession, SignInThrottle, StaffAccount  # noqa: F401
from services.members.models.base import Base, new_id  # noqa: F401
from services.members.models.people import Consent, Member, MemberTag  # noqa: F401
from services.members.models.volunteers import (  # noqa: F401
    AvailabilitySlot,
    HelpDemand,
    Skill,
    TimeBankEntry,
    Volunteer,
    VolunteerSkill,
    VolunteerVillage,
)
from services.members.models.villages import OpeningException, OpeningSlot, Village, VillageStop  # noqa: F401
from services.members.models.notices import Notice  # noqa: F401
