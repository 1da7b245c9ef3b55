"""Entrypoints of the events service: animations, suggestions, and the read models they stand on.
Thin: the rules live in animations.py and suggestions.py."""

from backbone import config, volunteer_bookings
from backbone.clock import PARIS, utcnow
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
from services.events import animations, figures, read_models, signals, suggestions
from services.events.models import VolunteerBooking
from services.events.schemas import (
    AnimationInput,
    AttendanceInput,
    CancelInput,
    CapacityInput,
    DayInput,
    RegistrationInput,
    RoleFillInput,
    SignalQuery,
    SuggestionInput,
    SuggestionStatusInput,
    SupportInput,
)


class EventsService(RetentionTimer, VillageFactsEntrypoints, MemberFactsEntrypoints):
    name = "events"
    facts = read_models.facts  # the villages and members it keeps (backbone/network_facts.py)

    db = DatabaseProvider("events")
    outbox_relay = OutboxRelayInProcess("events")
    log_context = LogContext()
    ops = Operations()  # /livez, /readyz, /metrics (backbone/operations.py)

    @consume_event("partner.joined")
    def on_partner_joined(self, uow, event):
        read_models.record_partner(uow, event)

    @consume_event("partner.updated")
    def on_partner_updated(self, uow, event):
        read_models.record_partner(uow, event)

    @consume_event("offer.published")
    def on_offer_published(self, uow, event):
        read_models.record_offer_published(uow, event)

    @rpc_method()
    def known_partners(self, uow, village_id=None, with_ended=False):
        return read_models.known_partners(
            uow, None if village_id is None else str(village_id), bool(with_ended)
        )

    @consume_event("help_request.volunteer_booking")
    def on_help_request_volunteer_booking(self, uow, event):
        volunteer_bookings.record_booking(uow, VolunteerBooking, event)

    # --- signals (signals.py): needs seen at the counters, by theme, village, grappe, month ----

    @consume_event("help_request.unmatched")
    def on_help_request_unmatched(self, uow, event):
        signals.record_help_unmatched(uow, event)

    @consume_event("order.refused")
    def on_order_refused(self, uow, event):
        signals.record_order_refused(uow, event)

    @consume_event("item.asked")
    def on_item_asked(self, uow, event):
        signals.record_item_asked(uow, event)

    @consume_event("grappe.created")
    def on_grappe_created(self, uow, event):
        signals.record_grappe(uow, event)

    @consume_event("grappe.updated")
    def on_grappe_updated(self, uow, event):
        signals.record_grappe(uow, event)

    @rpc_method(schema=SignalQuery)
    def signals(self, uow, month_from, month_to, grappe_id=None):
        return signals.signals(uow, month_from, month_to, grappe_id)

    @rpc_method(schema=SignalQuery)
    def signal_rows(self, uow, month_from, month_to, grappe_id=None):
        return signals.signal_rows(uow, month_from, month_to, grappe_id)

    @consume_event("member.erased")
    def on_member_erased(self, uow, event):
        read_models.record_member_erased(uow, event)

    @rpc_method()
    def member_data(self, uow, member_id):
        """RGPD export: what events holds about one member."""
        return read_models.member_data(uow, str(member_id))

    # --- animations ------------------------------------------------------------------------------

    @rpc_method(unit_of_work=False)
    def animation_kinds(self):
        return animations.kinds()

    @rpc_method(inputs={"data": AnimationInput})
    def create_animation(self, uow, village_id, data):
        return animations.create_animation(uow, str(village_id), data)

    @rpc_method()
    def list_animations(self, uow, village_id, include_past=True, window=None):
        return animations.list_animations(
            uow, str(village_id), include_past=include_past, window=window
        )

    @rpc_method(schema=DayInput)
    def animations_of_day(self, uow, village_id, on_date=None):
        """A village's animations of a day (Paris; today by default), hosted or invited."""
        return animations.animations_of_day(
            uow, str(village_id), on_date or utcnow().astimezone(PARIS).date()
        )

    @rpc_method()
    def public_calendar(self, uow, village_id):
        return animations.public_calendar(uow, str(village_id))

    @rpc_method()
    def public_network_calendar(self, uow):
        return animations.public_network_calendar(uow)

    @rpc_method()
    def guests_to_call(self, uow, animation_id, village_ids=None):
        return animations.guests_to_call(uow, animation_id, village_ids)

    @rpc_method()
    def erase_guest(self, uow, animation_id, registration_id, village_ids=None):
        return animations.erase_guest(uow, animation_id, registration_id, village_ids)

    @timer(interval=3600)
    def erase_expired_guests(self):
        """The retention rule for guests' names and phones
        (backbone.config.guest_retention_days)."""
        with self.db.unit_of_work() as uow:
            animations.erase_expired_guests(uow, utcnow(), config.guest_retention_days())

    @timer(interval=900)
    def remind_tomorrow(self):
        """`animation.reminder_due` the day before, from 10:00 Paris (animations.py)."""
        with self.db.unit_of_work() as uow:
            animations.remind_tomorrow(uow, utcnow())

    @rpc_method()
    def get_animation(self, uow, animation_id, village_ids=None):
        return animations.get_animation(uow, animation_id, village_ids)

    @rpc_method(inputs={"data": RegistrationInput})
    def register(self, uow, animation_id, data, village_ids=None):
        return animations.register(uow, animation_id, data, village_ids)

    @rpc_method()
    def cancel_registration(self, uow, animation_id, registration_id, village_ids=None):
        return animations.cancel_registration(uow, animation_id, registration_id, village_ids)

    @rpc_method(inputs={"data": CapacityInput})
    def change_capacity(self, uow, animation_id, data, village_ids=None):
        return animations.change_capacity(uow, animation_id, data, village_ids)

    @rpc_method(inputs={"data": RoleFillInput})
    def fill_role(self, uow, animation_id, data, village_ids=None):
        return animations.fill_role(uow, animation_id, data, village_ids)

    @rpc_method(inputs={"data": AttendanceInput})
    def take_attendance(self, uow, animation_id, data, village_ids=None):
        return animations.take_attendance(uow, animation_id, data, village_ids)

    @rpc_method(inputs={"data": CancelInput})
    def cancel_animation(self, uow, animation_id, data, village_ids=None):
        return animations.cancel_animation(uow, animation_id, data, village_ids)

    # --- suggestions -----------------------------------------------------------------------------

    @rpc_method(unit_of_work=False)
    def suggestion_categories(self):
        return suggestions.categories()

    @rpc_method(inputs={"data": SuggestionInput})
    def create_suggestion(self, uow, village_id, data):
        return suggestions.create_suggestion(uow, str(village_id), data)

    @rpc_method()
    def list_suggestions(self, uow, village_id, filters=None, window=None):
        return suggestions.list_suggestions(uow, str(village_id), filters, window)

    @rpc_method()
    def neighbour_suggestions(self, uow, village_id):
        return suggestions.neighbour_suggestions(uow, str(village_id))

    @rpc_method()
    def get_suggestion(self, uow, suggestion_id, village_ids=None):
        return suggestions.get_suggestion(uow, suggestion_id, village_ids)

    @rpc_method(inputs={"data": SupportInput})
    def support_suggestion(self, uow, suggestion_id, data, village_ids=None):
        return suggestions.support(uow, suggestion_id, data, village_ids)

    @rpc_method(inputs={"data": SuggestionStatusInput})
    def change_suggestion_status(self, uow, suggestion_id, data, village_ids=None):
        return suggestions.change_status(uow, suggestion_id, data, village_ids)

    @rpc_method()
    def suggestions_overview(self, uow, village_ids=None):
        return suggestions.overview(uow, village_ids)

    @rpc_method()
    def village_figures(self, uow, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/events/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        return figures.village_figures(
            uow, query["date_from"], query["date_to"], query["village_ids"]
        )

    @rpc_method(unit_of_work=False)
    def health(self):
        return service_health(self.db, self.name)
