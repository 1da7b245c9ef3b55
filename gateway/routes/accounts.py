"""Routes about staff accounts (members service)."""
from gateway.routing import COORDINATOR, route
from services.members.schemas import StaffAccountInput, StaffAccountOutput


class AccountRoutes:
    @route("POST", "/api/staff", summary="Créer un compte (concierge d'un village, ou coordination)",
           tag="comptes", roles=COORDINATOR, body=StaffAccountInput, response=StaffAccountOutput, status=201,
           errors=(404, 409))
    def create_staff_account(self, call):
        return self.members_rpc.create_staff_account(call.body)
