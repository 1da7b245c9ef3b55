"""The members service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""

from services.members.models.accounts import RevokedSession, SignInThrottle, StaffAccount
from services.members.models.base import Base
from services.members.models.grappes import Grappe, KnownPartner
from services.members.models.notices import Notice, WaitingParcel
from services.members.models.offline import OfflineAction
from services.members.models.people import Consent, Member, MemberTag
from services.members.models.personal import PersonalLink, PersonalSession
from services.members.models.villages import (
    OpeningException,
    OpeningSlot,
    Permanence,
    Village,
    VillageStop,
)
from services.members.models.volunteers import (
    AvailabilitySlot,
    HelpDemand,
    Skill,
    TimeBankEntry,
    Volunteer,
    VolunteerSkill,
    VolunteerVillage,
)
