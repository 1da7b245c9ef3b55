"""Every shape that crosses the members service's boundary, one module per area."""

from services.members.schemas.accounts import (
    ROLES,
    CredentialsInput,
    StaffAccountInput,
    StaffAccountOutput,
)
from services.members.schemas.notices import NoticeFiltersInput, NoticeOutput
from services.members.schemas.opening_hours import (
    OpeningExceptionInput,
    OpeningExceptionOutput,
    OpeningHoursInput,
    OpeningHoursOutput,
    OpeningStatusOutput,
    OpeningStatusQuery,
    PermanenceInput,
    PermanenceOutput,
    StopInput,
    StopOutput,
)
from services.members.schemas.villages import (
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
