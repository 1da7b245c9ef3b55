"""Entrypoints of the orders service."""

from backbone import volunteer_bookings
from backbone.clock import utcnow
from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.log_context import LogContext
from backbone.network_facts_entrypoints import MemberFactsEntrypoints, VillageFactsEntrypoints
from backbone.operations import Operations
from backbone.retention import RetentionTimer
from backbone.rpc import rpc_method
from backbone.timer import timer
from services.orders import (
    asked_items,
    catalogue,
    figures,
    grappes,
    help_requests,
    ordering,
    parcels,
    read_models,
    rounds,
    solidarity,
    stock,
    supplier_orders,
    till,
    truck_stops,
    vehicles,
    volunteers,
)
from services.orders.models import VolunteerBooking
from services.orders.schemas.asked_items import AskedItemInput
from services.orders.schemas.help_requests import (
    AnswerInput,
    AssignInput,
    DoneInput,
    HelpCancelInput,
    HelpRequestInput,
)
from services.orders.schemas.orders import (
    CollectInput,
    DayInput,
    LineAnswerInput,
    OrderInput,
    OrderListQuery,
    ReadyInput,
    ReasonInput,
)
from services.orders.schemas.parcels import (
    HandOverInput,
    ParcelInput,
    ParcelListQuery,
    ParcelReturnInput,
)
from services.orders.schemas.rounds import (
    RoundInput,
    StopOutcomeInput,
    VehicleChangeInput,
    VehicleInput,
)
from services.orders.schemas.till import (
    ClosingInput,
    DayQuery,
    EligibilityInput,
    MovementInput,
    RefundInput,
    SaleInput,
    SolidarityPriceInput,
    StockItemInput,
    SupplierReceiptInput,
)

EVENT_BATCH = 50  # events claimed and written in one transaction when they queue up


class OrdersService(RetentionTimer, VillageFactsEntrypoints, MemberFactsEntrypoints):
    name = "orders"
    facts = read_models.facts  # the villages and members it keeps (backbone/network_facts.py)

    db = DatabaseProvider("orders")
    outbox_relay = OutboxRelayInProcess("orders")
    log_context = LogContext()
    ops = Operations()  # /livez, /readyz, /metrics (backbone/operations.py)

    @consume_event("member.erased")
    def on_member_erased(self, uow, event):
        read_models.record_member_erased(uow, event)

    @rpc_method()
    def member_data(self, uow, member_id):
        """RGPD export: what orders holds about one member."""
        return read_models.member_data(uow, str(member_id))

    @consume_event("volunteer.available")
    def on_volunteer_available(self, uow, event):
        volunteers.record_volunteer_available(uow, event)

    @consume_event("animation.volunteer_booking")
    def on_animation_volunteer_booking(self, uow, event):
        volunteer_bookings.record_booking(uow, VolunteerBooking, event)

    @rpc_method()
    def known_volunteers(self, uow, village_id=None, skill=None):
        """Active volunteers serving `village_id` and having `skill` (both
        optional): for matching."""
        return volunteers.known_volunteers(uow, village_id, skill)

    # --- the counter: catalogue, orders, parcels, pooled supplier orders (ordering.py & co) -------

    @consume_event("catalogue.changed")
    def on_catalogue_changed(self, uow, event):
        catalogue.record_catalogue_changed(uow, event)

    @rpc_method()
    def village_catalogue(self, uow, village_id, available_only=False):
        return catalogue.village_catalogue(
            uow, str(village_id), available_only=bool(available_only)
        )

    @rpc_method(inputs={"data": OrderInput})
    def place_order(self, uow, village_id, data):
        return ordering.place_order(uow, str(village_id), data)

    @rpc_method(inputs={"filters": OrderListQuery})
    def list_orders(self, uow, village_id, filters=None, window=None):
        return ordering.list_orders(uow, str(village_id), filters, window)

    @rpc_method()
    def get_order(self, uow, order_id, village_ids=None):
        return ordering.get_order(uow, order_id, village_ids)

    @rpc_method(inputs={"data": ReadyInput})
    def order_ready(self, uow, order_id, data, village_ids=None):
        return ordering.mark_ready(uow, order_id, data, village_ids)

    @rpc_method(inputs={"data": CollectInput})
    def collect_order(self, uow, order_id, data, village_ids=None):
        return ordering.collect(uow, order_id, data, village_ids)

    @rpc_method()
    def deliver_order(self, uow, order_id, village_ids=None):
        return ordering.deliver(uow, order_id, village_ids)

    @rpc_method(inputs={"data": ReasonInput})
    def cancel_order(self, uow, order_id, data, village_ids=None):
        return ordering.cancel(uow, order_id, data, village_ids)

    @rpc_method(schema=DayInput)
    def counter_today(self, uow, village_id, on_date=None):
        """The counter's day (schemas/orders.py: CounterTodayOutput)."""
        return ordering.counter_today(uow, str(village_id), on_date or ordering.today(utcnow()))

    @rpc_method()
    def partner_orders(self, uow, partner_id, status=None, window=None):
        return ordering.partner_orders(uow, str(partner_id), status, window)

    @rpc_method(inputs={"data": LineAnswerInput})
    def answer_order_line(self, uow, partner_id, order_id, line_id, decision, data=None):
        return ordering.answer_line(uow, str(partner_id), order_id, line_id, decision, data)

    @rpc_method(inputs={"data": ParcelInput})
    def receive_parcel(self, uow, village_id, data):
        return parcels.receive(uow, str(village_id), data)

    @rpc_method(inputs={"data": AskedItemInput})
    def ask_item(self, uow, village_id, data):
        """An item asked for at the counter, not in the catalogue: announces `item.asked`
        (asked_items.py)."""
        return asked_items.ask(uow, str(village_id), data)

    @rpc_method()
    def counter_offline(self, uow, village_id, salt):
        """The offline counter's inhabitants and pickup-code checks (parcels.counter_offline)."""
        return parcels.counter_offline(uow, str(village_id), str(salt))

    @rpc_method(inputs={"filters": ParcelListQuery})
    def list_parcels(self, uow, village_id, filters=None, window=None):
        return parcels.list_parcels(uow, str(village_id), filters, window=window)

    @rpc_method()
    def own_parcels(self, uow, village_id, member_id):
        """A person's parcels for their own page, the waiting ones with their pickup code."""
        return parcels.own_parcels(uow, str(village_id), str(member_id))

    @rpc_method()
    def get_parcel(self, uow, parcel_id, village_ids=None):
        return parcels.get_parcel(uow, parcel_id, village_ids)

    @rpc_method(inputs={"data": HandOverInput})
    def hand_over_parcel(self, uow, parcel_id, data, village_ids=None):
        return parcels.hand_over(uow, parcel_id, data, village_ids)

    @rpc_method()
    def remind_parcel(self, uow, parcel_id, village_ids=None):
        return parcels.remind(uow, parcel_id, village_ids)

    @rpc_method(inputs={"data": ParcelReturnInput})
    def return_parcel(self, uow, parcel_id, data, village_ids=None):
        return parcels.return_to_sender(uow, parcel_id, data, village_ids)

    @rpc_method()
    def list_purchase_orders(
        self,
        uow,
        village_ids=None,
        supplier_partner_id=None,
        status=None,
        window=None,
        grappe_id=None,
    ):
        return supplier_orders.list_purchase_orders(
            uow,
            village_ids=village_ids,
            supplier_partner_id=supplier_partner_id,
            status=status,
            window=window,
            grappe_id=grappe_id,
        )

    # --- grappes (grappes.py): members tells them; a supplier's lines pooled per grappe ----------

    @consume_event("grappe.created")
    def on_grappe_created(self, uow, event):
        grappes.record_grappe(uow, event)

    @consume_event("grappe.updated")
    def on_grappe_updated(self, uow, event):
        grappes.record_grappe(uow, event)

    @rpc_method()
    def known_grappes(self, uow):
        return grappes.known_grappes(uow)

    @rpc_method()
    def grappe_figures(self, uow, date_from, date_to):
        """Per grappe, its pooled orders delivered in the period."""
        query = parse_period(date_from, date_to)
        return supplier_orders.grappe_figures(uow, query["date_from"], query["date_to"])

    @rpc_method()
    def get_purchase_order(
        self, uow, purchase_order_id, village_ids=None, supplier_partner_id=None
    ):
        return supplier_orders.get_purchase_order(
            uow,
            purchase_order_id,
            village_ids=village_ids,
            supplier_partner_id=supplier_partner_id,
        )

    @rpc_method()
    def send_purchase_order(self, uow, purchase_order_id):
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

    @timer(interval=900)
    def remind_help_requests(self):
        """`help_request.reminder_due` the day before, from 10:00 Paris (help_requests.py)."""
        with self.db.unit_of_work() as uow:
            help_requests.remind_tomorrow(uow, utcnow())

    @timer(interval=600, eager=True)
    def roll_up_figures(self):
        """The days that are over, rolled up for the coordinator's figures (figures.roll_up)."""
        with self.db.unit_of_work() as uow:
            figures.roll_up(uow)

    @rpc_method()
    def village_figures(self, uow, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/orders/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        return figures.village_figures(
            uow, query["date_from"], query["date_to"], query["village_ids"], query["details"]
        )

    @rpc_method()
    def sales_by_partner(self, uow, date_from, date_to, village_ids=None):
        """Sales per village and partner over the period, by village then partner: the
        coordinator's CSV export, as columns (figures.sales_by_partner_table)."""
        query = parse_period(date_from, date_to, village_ids)
        return figures.sales_by_partner_table(
            uow, query["date_from"], query["date_to"], query["village_ids"]
        )

    # --- the till, the shelf, solidarity prices (till.py, stock.py, solidarity.py) ---------------

    @rpc_method()
    def till_items(self, uow, village_id, member_id=None):
        """What the till sells here, at the price this buyer pays."""
        return till.sellable_items(uow, str(village_id), member_id and str(member_id))

    @rpc_method(inputs={"data": SaleInput})
    def record_sale(self, uow, village_id, data):
        return till.record_sale(uow, str(village_id), data)

    @rpc_method()
    def get_sale(self, uow, sale_id, village_ids=None):
        return till.get_sale(uow, sale_id, village_ids)

    @rpc_method(inputs={"query": DayQuery})
    def list_sales(self, uow, village_id, query=None):
        """The sales of a day, or the last ones when no day is given."""
        return till.list_sales(uow, str(village_id), (query or {}).get("day"))

    @rpc_method(inputs={"data": RefundInput})
    def refund_sale(self, uow, village_id, data):
        return till.refund_sale(uow, str(village_id), data)

    @rpc_method(inputs={"query": DayQuery})
    def till_day(self, uow, village_id, query=None):
        """The day's totals so far and its closing (Z), when made."""
        on_day = (query or {}).get("day") or till.day_of(utcnow())
        return {
            "totals": till.day_totals(uow, str(village_id), on_day),
            "closing": till.get_closing(uow, str(village_id), on_day),
        }

    @rpc_method(inputs={"data": ClosingInput})
    def close_till(self, uow, village_id, data):
        return till.close_day(uow, str(village_id), data)

    @rpc_method()
    def list_stock(self, uow, village_id):
        return stock.list_stock(uow, str(village_id))

    @rpc_method(inputs={"data": StockItemInput})
    def add_stock_item(self, uow, village_id, data):
        return stock.add_item(uow, str(village_id), data)

    @rpc_method(inputs={"data": MovementInput})
    def record_stock_movement(self, uow, village_id, stock_item_id, data):
        return stock.record_movement(uow, str(village_id), str(stock_item_id), data)

    @rpc_method()
    def stock_movements(self, uow, village_id, stock_item_id):
        return stock.movements(uow, str(village_id), str(stock_item_id))

    @rpc_method()
    def receivable_supplier_orders(self, uow, village_id):
        """The sent pooled orders the village has a share of, not yet on its shelf."""
        return stock.receivable_orders(uow, str(village_id))

    @rpc_method()
    def supplier_receipt(self, uow, village_id, purchase_order_id):
        return stock.supplier_receipt(uow, str(village_id), str(purchase_order_id))

    @rpc_method(inputs={"data": SupplierReceiptInput})
    def receive_supplier_order(self, uow, village_id, purchase_order_id, data):
        return stock.receive_supplier_order(uow, str(village_id), str(purchase_order_id), data)

    @rpc_method(inputs={"data": SolidarityPriceInput})
    def set_solidarity_price(self, uow, village_id, data):
        return solidarity.set_price(uow, str(village_id), data)

    @rpc_method(inputs={"data": EligibilityInput})
    def record_eligibility(self, uow, village_id, data):
        return solidarity.record_eligibility(uow, str(village_id), data)

    @rpc_method()
    def list_eligibilities(self, uow, village_id):
        return solidarity.eligibilities(uow, str(village_id))

    # --- help requests (coups de main) and rounds: help_requests.py, rounds.py, vehicles.py -------

    @rpc_method(inputs={"data": HelpRequestInput})
    def create_help_request(self, uow, village_id, data):
        return help_requests.create_help_request(uow, str(village_id), data)

    @rpc_method()
    def list_help_requests(self, uow, village_id, status=None, window=None):
        return help_requests.list_help_requests(uow, str(village_id), status, window)

    @rpc_method()
    def get_help_request(self, uow, help_request_id, village_ids=None):
        return help_requests.get_help_request(uow, help_request_id, village_ids)

    @rpc_method(inputs={"data": AssignInput})
    def assign_help_request(self, uow, help_request_id, data, village_ids=None):
        return help_requests.assign(uow, help_request_id, data, village_ids)

    @rpc_method()
    def accept_help_request(self, uow, help_request_id, village_ids=None):
        return help_requests.accept(uow, help_request_id, village_ids)

    @rpc_method()
    def volunteer_help_requests(self, uow, member_id):
        """The coups de main proposed to a volunteer or taken by them (their /moi page)."""
        return help_requests.volunteer_help_requests(uow, str(member_id))

    @rpc_method(inputs={"data": AnswerInput})
    def answer_help_request(self, uow, help_request_id, member_id, data):
        """The volunteer's own answer: accept or decline (`member_id`: who answers, as the gateway
        knows from their session)."""
        return help_requests.answer(uow, str(help_request_id), str(member_id), data)

    @rpc_method(inputs={"data": DoneInput})
    def help_request_done(self, uow, help_request_id, data, village_ids=None):
        return help_requests.mark_done(uow, help_request_id, data, village_ids)

    @rpc_method()
    def confirm_help_request(self, uow, help_request_id, village_ids=None):
        return help_requests.confirm(uow, help_request_id, village_ids)

    @rpc_method(inputs={"data": HelpCancelInput})
    def cancel_help_request(self, uow, help_request_id, data, village_ids=None):
        return help_requests.cancel(uow, help_request_id, data, village_ids)

    @rpc_method(inputs={"data": VehicleInput})
    def create_vehicle(self, uow, data):
        return vehicles.create_vehicle(uow, data)

    @rpc_method()
    def list_vehicles(self, uow):
        return vehicles.list_vehicles(uow)

    @rpc_method()
    def get_vehicle(self, uow, vehicle_id):
        return vehicles.get_vehicle(uow, vehicle_id)

    @rpc_method(inputs={"data": VehicleChangeInput})
    def change_vehicle(self, uow, vehicle_id, data):
        return vehicles.change_vehicle(uow, vehicle_id, data)

    @rpc_method()
    def retire_vehicle(self, uow, vehicle_id):
        return vehicles.retire_vehicle(uow, vehicle_id)

    @consume_event("village.stops_changed")
    def on_village_stops_changed(self, uow, event):
        truck_stops.record_village_stops(uow, event)

    @rpc_method(inputs={"data": RoundInput})
    def plan_round(self, uow, village_id, data, village_ids=None):
        return rounds.plan_round(uow, str(village_id), data, village_ids)

    @rpc_method(schema=DayInput)
    def list_rounds(self, uow, village_ids=None, on_date=None, partner_id=None, window=None):
        return rounds.list_rounds(uow, village_ids, on_date, partner_id, window)

    @rpc_method()
    def get_round(self, uow, round_id, village_ids=None, partner_id=None):
        return rounds.get_round(uow, round_id, village_ids, partner_id)

    @rpc_method()
    def complete_round_stop(self, uow, round_id, stop_id, village_ids=None, partner_id=None):
        return rounds.complete_stop(uow, round_id, stop_id, village_ids, partner_id)

    @rpc_method(inputs={"data": StopOutcomeInput})
    def record_round_stop(self, uow, round_id, stop_id, data, village_ids=None, partner_id=None):
        """A stop done or missed, with a note (the concierge following the round)."""
        return rounds.record_stop_outcome(uow, round_id, stop_id, data, village_ids, partner_id)

    @rpc_method(unit_of_work=False)
    def health(self):
        return service_health(self.db, self.name)
