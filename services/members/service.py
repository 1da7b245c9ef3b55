"""Entrypoints of the members service (RPC only for now). Validation here, decisions in the
service layer (villages.py, accounts.py)."""
from nameko.rpc import rpc

from backbone.dependencies import DatabaseProvider
from backbone.errors import EXPECTED
from backbone.health import service_health
from backbone.schemas import load
from services.members import accounts, villages
from services.members.schemas import CredentialsInput, StaffAccountInput, VillageIdsInput, VillageInput


class MembersService:
    name = "members"

    db = DatabaseProvider("members")

    @rpc(expected_exceptions=EXPECTED)
    def open_village(self, data):
        with self.db.unit_of_work() as uow:
            return villages.open_village(uow, load(VillageInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def get_village(self, village_id):
        with self.db.unit_of_work() as uow:
            return villages.get_village(uow, str(village_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_villages(self, village_ids=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return villages.list_villages(uow, ids)

    @rpc(expected_exceptions=EXPECTED)
    def create_staff_account(self, data):
        with self.db.unit_of_work() as uow:
            return accounts.create_staff_account(uow, load(StaffAccountInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, credentials):
        creds = load(CredentialsInput(), credentials)
        with self.db.unit_of_work() as uow:
            return accounts.authenticate(uow, creds["email"], creds["password"])

    @rpc(expected_exceptions=EXPECTED)
    def get_staff_account(self, account_id):
        with self.db.unit_of_work() as uow:
            return accounts.get_staff_account(uow, str(account_id))

    @rpc
    def health(self):
        return service_health(self.db, self.name)
