"""Entrypoints of the orders service."""
from nameko.rpc import rpc

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider
from backbone.health import service_health
from services.orders import read_models, volunteers


class OrdersService:
    name = "orders"

    db = DatabaseProvider("orders")

    @consume_event("village.opened")
    def on_village_opened(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_opened(uow, "orders.on_village_opened", event)

    @consume_event("village.status_changed")
    def on_village_status_changed(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_status_changed(uow, "orders.on_village_status_changed", event)

    @rpc
    def known_villages(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_villages(uow)

    @consume_event("member.registered")
    def on_member_registered(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_member_registered(uow, "orders.on_member_registered", event)

    @consume_event("member.erased")
    def on_member_erased(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_member_erased(uow, "orders.on_member_erased", event)

    @rpc
    def member_data(self, member_id):
        """RGPD export: what orders holds about one member."""
        with self.db.unit_of_work() as uow:
            return read_models.member_data(uow, str(member_id))

    @consume_event("volunteer.available")
    def on_volunteer_available(self, event):
        with self.db.unit_of_work() as uow:
            volunteers.record_volunteer_available(uow, "orders.on_volunteer_available", event)

    @rpc
    def known_volunteers(self, village_id=None, skill=None):
        """Active volunteers serving `village_id` and having `skill` (both optional): for matching."""
        with self.db.unit_of_work() as uow:
            return volunteers.known_volunteers(uow, village_id, skill)

    @rpc
    def health(self):
        return service_health(self.db, self.name)
