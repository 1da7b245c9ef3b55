"""Every shape that crosses the members service's boundary, one module per area."""

from services.members.schemas.accounts import (  # noqa: F401
    ROLES,
    CredentialsInput,
    StaffAccountInput,
    StaffAccountOutput,
)
from services.members.schemas.villages import (  # noqa: F401
    INSEE,
    POSTCODE,
    SLUG,
    VILLAGE_SERVICES,
    VillageIdsInput,
    VillageInput,
    VillageNameOutput,
    VillageOutput,
    VillageStatusInput,
    VillageUpdateInput,
)
from services.members.schemas.opening_hours import (  # noqa: F401
    OpeningExceptionInput,
    OpeningExceptionOutput,
    OpeningHoursInput,
    OpeningHoursOutput,
    OpeningStatusOutput,
    OpeningStatusQuery,
    StopInput,
    StopOutput,
)
from services.members.schemas.notices import NoticeFiltersInput, NoticeOutput  # noqa: F401
