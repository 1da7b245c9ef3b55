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

    @consume_event("village.status_changed")
    def on_village_status_changed(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_status_changed(uow, "events.on_village_status_changed", event)

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

    @consume_event("member.registered")
    def on_member_registered(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_member_registered(uow, "events.on_member_registered", event)

    @consume_event("member.erased")
    def on_member_erased(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_member_erased(uow, "events.on_member_erased", event)

    @rpc
    def member_data(self, member_id):
        """RGPD export: what events holds about one member."""
        with self.db.unit_of_work() as uow:
            return read_models.member_data(uow, str(member_id))

    @rpc
    def health(self):
        return service_health(self.db, self.name)
