"""Entrypoints of the orders service."""

from nameko.timer import timer

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.errors import EXPECTED
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.rpc import rpc
from backbone.schemas import load
from backbone import retention
from backbone.tables import utcnow
from services.orders import (
    catalogue,
    figures,
    help_requests,
    ordering,
    parcels,
    read_models,
    rounds,
    supplier_orders,
    vehicles,
    volunteers,
)
from services.orders.schemas.orders import DayInput

EVENT_BATCH = 50  # events claimed and written in one transaction when they queue up


class OrdersService:
    name = "orders"

    db = DatabaseProvider("orders")
    outbox_relay = OutboxRelayInProcess("orders")

    @timer(interval=3600, eager=True)
    def purge_expired_personal_data(self):
        """Retention (docs/rgpd.md): published events kept past MAILLAGE_OUTBOX_RETENTION_DAYS go
        (backbone/retention.py). Hourly, so a restart never postpones it by more than an hour."""
        with self.db.unit_of_work() as uow:
            retention.purge_expired(uow, utcnow())

    @consume_event("village.opened", batch=EVENT_BATCH)
    def on_village_opened(self, uow, events):
        """Villages open in bursts (an import, the national data): in batches, one commit each."""
        read_models.record_villages(uow, events)

    @consume_event("village.updated")
    def on_village_updated(self, uow, event):
        read_models.record_village(uow, event)

    @consume_event("village.status_changed")
    def on_village_status_changed(self, uow, event):
        read_models.record_village_status_changed(uow, event)

    @rpc
    def known_villages(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_villages(uow)

    @consume_event("member.registered")
    def on_member_registered(self, uow, event):
        read_models.record_member_registered(uow, event)

    @consume_event("member.erased")
    def on_member_erased(self, uow, event):
        read_models.record_member_erased(uow, event)

    @rpc
    def member_data(self, member_id):
        """RGPD export: what orders holds about one member."""
        with self.db.unit_of_work() as uow:
            return read_models.member_data(uow, str(member_id))

    @consume_event("volunteer.available")
    def on_volunteer_available(self, uow, event):
        volunteers.record_volunteer_available(uow, event)

    @rpc
    def known_volunteers(self, village_id=None, skill=None):
        """Active volunteers serving `village_id` and having `skill` (both optional): for matching."""
        with self.db.unit_of_work() as uow:
            return volunteers.known_volunteers(uow, village_id, skill)

    # --- the counter: catalogue, orders, parcels, pooled supplier orders (ordering.py & co) -------

    @consume_event("catalogue.changed")
    def on_catalogue_changed(self, uow, event):
        catalogue.record_catalogue_changed(uow, event)

    @rpc(expected_exceptions=EXPECTED)
    def village_catalogue(self, village_id, available_only=False):
        with self.db.unit_of_work() as uow:
            return catalogue.village_catalogue(
                uow, str(village_id), available_only=bool(available_only)
            )

    @rpc(expected_exceptions=EXPECTED)
    def place_order(self, village_id, data):
        with self.db.unit_of_work() as uow:
            return ordering.place_order(uow, str(village_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def list_orders(self, village_id, filters=None, window=None):
        with self.db.unit_of_work() as uow:
            return ordering.list_orders(uow, str(village_id), filters, window)

    @rpc(expected_exceptions=EXPECTED)
    def get_order(self, order_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return ordering.get_order(uow, order_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def order_ready(self, order_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return ordering.mark_ready(uow, order_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def collect_order(self, order_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return ordering.collect(uow, order_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def deliver_order(self, order_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return ordering.deliver(uow, order_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_order(self, order_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return ordering.cancel(uow, order_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def counter_today(self, village_id, on_date=None):
        """The counter's day (schemas/orders.py: CounterTodayOutput)."""
        on_date = load(DayInput(), {"on_date": on_date})["on_date"]
        with self.db.unit_of_work() as uow:
            return ordering.counter_today(uow, str(village_id), on_date or ordering.today(utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    def partner_orders(self, partner_id, status=None, window=None):
        with self.db.unit_of_work() as uow:
            return ordering.partner_orders(uow, str(partner_id), status, window)

    @rpc(expected_exceptions=EXPECTED)
    def answer_order_line(self, partner_id, order_id, line_id, decision, data=None):
        with self.db.unit_of_work() as uow:
            return ordering.answer_line(uow, str(partner_id), order_id, line_id, decision, data)

    @rpc(expected_exceptions=EXPECTED)
    def receive_parcel(self, village_id, data):
        with self.db.unit_of_work() as uow:
            return parcels.receive(uow, str(village_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def list_parcels(self, village_id, filters=None, window=None):
        with self.db.unit_of_work() as uow:
            return parcels.list_parcels(uow, str(village_id), filters, window=window)

    @rpc(expected_exceptions=EXPECTED)
    def get_parcel(self, parcel_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return parcels.get_parcel(uow, parcel_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def hand_over_parcel(self, parcel_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return parcels.hand_over(uow, parcel_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def remind_parcel(self, parcel_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return parcels.remind(uow, parcel_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def return_parcel(self, parcel_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return parcels.return_to_sender(uow, parcel_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def list_purchase_orders(
        self, village_ids=None, supplier_partner_id=None, status=None, window=None
    ):
        with self.db.unit_of_work() as uow:
            return supplier_orders.list_purchase_orders(
                uow,
                village_ids=village_ids,
                supplier_partner_id=supplier_partner_id,
                status=status,
                window=window,
            )

    @rpc(expected_exceptions=EXPECTED)
    def get_purchase_order(self, purchase_order_id, village_ids=None, supplier_partner_id=None):
        with self.db.unit_of_work() as uow:
            return supplier_orders.get_purchase_order(
                uow,
                purchase_order_id,
                village_ids=village_ids,
                supplier_partner_id=supplier_partner_id,
            )

    @rpc(expected_exceptions=EXPECTED)
    def send_purchase_order(self, purchase_order_id):
        with self.db.unit_of_work() as uow:
            return supplier_orders.send_now(uow, purchase_order_id)

    @timer(interval=60)
    def close_due_purchase_orders(self):
        """Send the pooled supplier orders whose cut-off passed."""
        with self.db.unit_of_work() as uow:
            supplier_orders.close_due(uow)

    @timer(interval=3600)
    def return_overdue_parcels(self):
        """Parcels waiting too long go back to their sender."""
        with self.db.unit_of_work() as uow:
            parcels.return_overdue(uow)

    @timer(interval=600, eager=True)
    def roll_up_figures(self):
        """The days that are over, rolled up for the coordinator's figures (figures.roll_up)."""
        with self.db.unit_of_work() as uow:
            figures.roll_up(uow)

    @rpc(expected_exceptions=EXPECTED)
    def village_figures(self, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/orders/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        with self.db.unit_of_work() as uow:
            return figures.village_figures(
                uow, query["date_from"], query["date_to"], query["village_ids"], query["details"]
            )

    # --- help requests (coups de main) and rounds: help_requests.py, rounds.py, vehicles.py ---------

    @rpc(expected_exceptions=EXPECTED)
    def create_help_request(self, village_id, data):
        with self.db.unit_of_work() as uow:
            return help_requests.create_help_request(uow, str(village_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def list_help_requests(self, village_id, status=None, window=None):
        with self.db.unit_of_work() as uow:
            return help_requests.list_help_requests(uow, str(village_id), status, window)

    @rpc(expected_exceptions=EXPECTED)
    def get_help_request(self, help_request_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return help_requests.get_help_request(uow, help_request_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def assign_help_request(self, help_request_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return help_requests.assign(uow, help_request_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def accept_help_request(self, help_request_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return help_requests.accept(uow, help_request_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def help_request_done(self, help_request_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return help_requests.mark_done(uow, help_request_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def confirm_help_request(self, help_request_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return help_requests.confirm(uow, help_request_id, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_help_request(self, help_request_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return help_requests.cancel(uow, help_request_id, data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def create_vehicle(self, data):
        with self.db.unit_of_work() as uow:
            return vehicles.create_vehicle(uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_vehicles(self):
        with self.db.unit_of_work() as uow:
            return vehicles.list_vehicles(uow)

    @rpc(expected_exceptions=EXPECTED)
    def plan_round(self, village_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return rounds.plan_round(uow, str(village_id), data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def list_rounds(self, village_ids=None, on_date=None, partner_id=None, window=None):
        with self.db.unit_of_work() as uow:
            return rounds.list_rounds(
                uow,
                village_ids,
                load(DayInput(), {"on_date": on_date})["on_date"],
                partner_id,
                window,
            )

    @rpc(expected_exceptions=EXPECTED)
    def get_round(self, round_id, village_ids=None, partner_id=None):
        with self.db.unit_of_work() as uow:
            return rounds.get_round(uow, round_id, village_ids, partner_id)

    @rpc(expected_exceptions=EXPECTED)
    def complete_round_stop(self, round_id, stop_id, village_ids=None, partner_id=None):
        with self.db.unit_of_work() as uow:
            return rounds.complete_stop(uow, round_id, stop_id, village_ids, partner_id)

    @rpc
    def health(self):
        return service_health(self.db, self.name)
