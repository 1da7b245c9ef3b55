"""Entrypoints of the events service (animations and suggestions come next)."""
from nameko.rpc import rpc

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider
from backbone.health import service_health
from services.events import read_models


class EventsService:
    name = "events"

    db = DatabaseProvider("events")

    @consume_event("village.opened")
    def on_village_opened(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_opened(uow, "events.on_village_opened", event)

    @consume_event("partner.joined")
    def on_partner_joined(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_partner_joined(uow, "events.on_partner_joined", event)

    @rpc
    def known_villages(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_villages(uow)

    @rpc
    def known_partners(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_partners(uow)

    @rpc
    def health(self):
        return service_health(self.db, self.name)
