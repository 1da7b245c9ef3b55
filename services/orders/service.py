"""Entrypoints of the orders service."""
from nameko.rpc import rpc

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider
from backbone.health import service_health
from services.orders import read_models


class OrdersService:
    name = "orders"

    db = DatabaseProvider("orders")

    @consume_event("village.opened")
    def on_village_opened(self, event):
        with self.db.unit_of_work() as uow:
            read_models.record_village_opened(uow, "orders.on_village_opened", event)

    @rpc
    def known_villages(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_villages(uow)

    @rpc
    def health(self):
        return service_health(self.db, self.name)
