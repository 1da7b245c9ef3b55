"""Entrypoints of the partners service."""
from nameko.rpc import rpc

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider
from backbone.errors import EXPECTED
from backbone.health import service_health
from backbone.schemas import load
from services.partners import partners, read_models
from services.partners.schemas import ApiKeyInput, PartnerInput


class PartnersService:
    name = "partners"

    db = DatabaseProvider("partners")

    @rpc(expected_exceptions=EXPECTED)
    def register_partner(self, data):
        with self.db.unit_of_work() as uow:
            return partners.register_partner(uow, load(PartnerInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_api_key(self, api_key):
        key = load(ApiKeyInput(), {"api_key": api_key})["api_key"]
        with self.db.unit_of_work() as uow:
            return partners.authenticate_api_key(uow, key)

    @rpc(expected_exceptions=EXPECTED)
    def get_partner(self, partner_id):
        with self.db.unit_of_work() as uow:
            return partners.get_partner(uow, str(partner_id))

    @rpc
    def list_partners(self):
        with self.db.unit_of_work() as uow:
            return partners.list_partners(uow)

    @consume_event("village.opened")
    def on_village_opened(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_opened(uow, "partners.on_village_opened", event)

    @consume_event("village.status_changed")
    def on_village_status_changed(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_status_changed(uow, "partners.on_village_status_changed", event)

    @rpc
    def known_villages(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_villages(uow)

    @rpc
    def health(self):
        return service_health(self.db, self.name)
