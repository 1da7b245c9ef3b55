"""Entrypoints of the events service: animations, suggestions, and the read models they stand on.
Thin: the rules live in animations.py and suggestions.py."""

from nameko.timer import timer

from backbone import config
from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.rpc import rpc
from backbone import retention
from backbone.tables import utcnow
from services.events import animations, figures, read_models, suggestions


class EventsService:
    name = "events"

    db = DatabaseProvider("events")
    outbox_relay = OutboxRelayInProcess("events")

    @timer(interval=3600, eager=True)
    def purge_expired_personal_data(self):
        """Retention (docs/rgpd.md): published events kept past MAILLAGE_OUTBOX_RETENTION_DAYS go
        (backbone/retention.py). Hourly, so a restart never postpones it by more than an hour."""
        with self.db.unit_of_work() as uow:
            retention.purge_expired(uow, utcnow())

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        read_models.record_village(uow, event)

    @consume_event("village.updated")
    def on_village_updated(self, uow, event):
        read_models.record_village(uow, event)

    @consume_event("village.status_changed")
    def on_village_status_changed(self, uow, event):
        read_models.record_village_status_changed(uow, event)

    @consume_event("partner.joined")
    def on_partner_joined(self, uow, event):
        read_models.record_partner_joined(uow, event)

    @consume_event("offer.published")
    def on_offer_published(self, uow, event):
        read_models.record_offer_published(uow, event)

    @rpc
    def known_villages(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_villages(uow)

    @rpc
    def known_partners(self):
        with self.db.unit_of_work() as uow:
            return read_models.known_partners(uow)

    @consume_event("member.registered")
    def on_member_registered(self, uow, event):
        read_models.record_member_registered(uow, event)

    @consume_event("member.erased")
    def on_member_erased(self, uow, event):
        read_models.record_member_erased(uow, event)

    @rpc
    def member_data(self, member_id):
        """RGPD export: what events holds about one member."""
        with self.db.unit_of_work() as uow:
            return read_models.member_data(uow, str(member_id))

    # --- animations ------------------------------------------------------------------------------

    @rpc
    def animation_kinds(self):
        return animations.kinds()

    @rpc
    def create_animation(self, village_id, data):
        with self.db.unit_of_work() as uow:
            return animations.create_animation(uow, str(village_id), data)

    @rpc
    def list_animations(self, village_id, include_past=True, window=None):
        with self.db.unit_of_work() as uow:
            return animations.list_animations(
                uow, str(village_id), include_past=include_past, window=window
            )

    @rpc
    def public_calendar(self, village_id):
        with self.db.unit_of_work() as uow:
            return animations.public_calendar(uow, str(village_id))

    @rpc
    def public_network_calendar(self):
        with self.db.unit_of_work() as uow:
            return animations.public_network_calendar(uow)

    @rpc
    def guests_to_call(self, animation_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.guests_to_call(uow, animation_id, village_ids)

    @rpc
    def erase_guest(self, animation_id, registration_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.erase_guest(uow, animation_id, registration_id, village_ids)

    @timer(interval=3600)
    def erase_expired_guests(self):
        """The retention rule for guests' names and phones (backbone.config.guest_retention_days)."""
        with self.db.unit_of_work() as uow:
            animations.erase_expired_guests(uow, utcnow(), config.guest_retention_days())

    @rpc
    def get_animation(self, animation_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.get_animation(uow, animation_id, village_ids)

    @rpc
    def register(self, animation_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.register(uow, animation_id, data, village_ids)

    @rpc
    def cancel_registration(self, animation_id, registration_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.cancel_registration(uow, animation_id, registration_id, village_ids)

    @rpc
    def change_capacity(self, animation_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.change_capacity(uow, animation_id, data, village_ids)

    @rpc
    def fill_role(self, animation_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.fill_role(uow, animation_id, data, village_ids)

    @rpc
    def take_attendance(self, animation_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.take_attendance(uow, animation_id, data, village_ids)

    @rpc
    def cancel_animation(self, animation_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return animations.cancel_animation(uow, animation_id, data, village_ids)

    # --- suggestions -----------------------------------------------------------------------------

    @rpc
    def suggestion_categories(self):
        return suggestions.categories()

    @rpc
    def create_suggestion(self, village_id, data):
        with self.db.unit_of_work() as uow:
            return suggestions.create_suggestion(uow, str(village_id), data)

    @rpc
    def list_suggestions(self, village_id, filters=None, window=None):
        with self.db.unit_of_work() as uow:
            return suggestions.list_suggestions(uow, str(village_id), filters, window)

    @rpc
    def get_suggestion(self, suggestion_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return suggestions.get_suggestion(uow, suggestion_id, village_ids)

    @rpc
    def support_suggestion(self, suggestion_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return suggestions.support(uow, suggestion_id, data, village_ids)

    @rpc
    def change_suggestion_status(self, suggestion_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return suggestions.change_status(uow, suggestion_id, data, village_ids)

    @rpc
    def suggestions_overview(self, village_ids=None):
        with self.db.unit_of_work() as uow:
            return suggestions.overview(uow, village_ids)

    @rpc
    def village_figures(self, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/events/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        with self.db.unit_of_work() as uow:
            return figures.village_figures(
                uow, query["date_from"], query["date_to"], query["village_ids"]
            )

    @rpc
    def health(self):
        return service_health(self.db, self.name)
