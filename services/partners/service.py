"""Entrypoints of the partners service."""

from nameko.timer import timer

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.errors import EXPECTED
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.rpc import rpc
from backbone.schemas import load
from backbone import config, retention
from backbone.tables import utcnow
from services.partners import campaigns, catalogues, figures, funding, offers, partners, read_models
from services.partners.schemas import ApiKeyInput, PartnerInput
from services.partners import audience, deliveries, erasure, removal, subscriptions
from services.partners.schemas.partners import PartnerRemovalInput, PartnerRemovedOutput
from services.partners.schemas.subscriptions import DeliveryQuery, WebhookInput

EVENT_BATCH = 50  # partners' events claimed and written in one transaction when they queue up


class PartnersService:
    name = "partners"

    db = DatabaseProvider("partners")
    outbox_relay = OutboxRelayInProcess("partners")

    @timer(interval=3600, eager=True)
    def purge_expired_personal_data(self):
        """Retention (docs/rgpd.md): published events kept past MAILLAGE_OUTBOX_RETENTION_DAYS go
        (backbone/retention.py). Hourly, so a restart never postpones it by more than an hour."""
        with self.db.unit_of_work() as uow:
            erasure.purge_delivery_bodies(uow, utcnow(), config.delivery_retention_days())
            retention.purge_expired(uow, utcnow())

    @rpc(expected_exceptions=EXPECTED)
    def register_partner(self, data):
        with self.db.unit_of_work() as uow:
            return partners.register_partner(uow, load(PartnerInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def rotate_api_key(self, partner_id):
        with self.db.unit_of_work() as uow:
            return partners.rotate_api_key(uow, str(partner_id))

    @rpc(expected_exceptions=EXPECTED)
    def revoke_api_keys(self, partner_id):
        with self.db.unit_of_work() as uow:
            return {"revoked": partners.revoke_api_keys(uow, str(partner_id))}

    @rpc(expected_exceptions=EXPECTED)
    def remove_partner(self, partner_id, data):
        """The partnership ends (services/partners/removal.py): one transaction, then its broker feed."""
        reason = load(PartnerRemovalInput(), data)["reason"].strip()
        return PartnerRemovedOutput().dump(removal.remove_partner(self.db, str(partner_id), reason))

    @timer(interval=60)
    def delete_ended_feeds(self):
        """The broker feeds of removed partners that could not be deleted at the removal (broker away)."""
        removal.delete_ended_feeds(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_api_key(self, api_key):
        key = load(ApiKeyInput(), {"api_key": api_key})["api_key"]
        with self.db.unit_of_work() as uow:
            return partners.authenticate_api_key(uow, key)

    @rpc(expected_exceptions=EXPECTED)
    def get_partner(self, partner_id):
        with self.db.unit_of_work() as uow:
            return partners.get_partner(uow, str(partner_id))

    @rpc(expected_exceptions=EXPECTED)
    def update_partner(self, partner_id, data):
        with self.db.unit_of_work() as uow:
            return partners.update_partner(uow, str(partner_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def list_partners(self, village_id=None, window=None, include_ended=False):
        with self.db.unit_of_work() as uow:
            return partners.list_partners(uow, village_id, window, bool(include_ended))

    # --- offers and village catalogues (offers.py, catalogues.py) -------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_offer(self, partner_id, data):
        with self.db.unit_of_work() as uow:
            return offers.create_offer(uow, str(partner_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def update_offer(self, partner_id, offer_id, data):
        with self.db.unit_of_work() as uow:
            return offers.update_offer(uow, str(partner_id), str(offer_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def set_offer_availability(self, partner_id, offer_id, data):
        with self.db.unit_of_work() as uow:
            return offers.set_availability(uow, str(partner_id), str(offer_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def get_offer(self, partner_id, offer_id):
        with self.db.unit_of_work() as uow:
            return offers.get_offer(uow, str(partner_id), str(offer_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_offers(self, partner_id, window=None):
        with self.db.unit_of_work() as uow:
            return offers.list_offers(uow, str(partner_id), window)

    @rpc(expected_exceptions=EXPECTED)
    def village_offers(self, village_id):
        with self.db.unit_of_work() as uow:
            return offers.offers_in_village(uow, str(village_id))

    @rpc(expected_exceptions=EXPECTED)
    def get_catalogue(self, village_id):
        with self.db.unit_of_work() as uow:
            return catalogues.get_catalogue(uow, str(village_id))

    @rpc(expected_exceptions=EXPECTED)
    def add_catalogue_entry(self, village_id, data):
        with self.db.unit_of_work() as uow:
            return catalogues.add_entry(uow, str(village_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def update_catalogue_entry(self, village_id, item_id, data):
        with self.db.unit_of_work() as uow:
            return catalogues.update_entry(uow, str(village_id), str(item_id), data)

    @rpc(expected_exceptions=EXPECTED)
    def remove_catalogue_entry(self, village_id, item_id):
        with self.db.unit_of_work() as uow:
            return catalogues.remove_entry(uow, str(village_id), str(item_id))

    # --- funding and crowdfunding (funding.py, campaigns.py, figures.py) ------------------------

    @rpc(expected_exceptions=EXPECTED)
    def add_funding_source(self, data):
        with self.db.unit_of_work() as uow:
            return funding.add_funding_source(uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_funding_sources(self, village_ids=None, window=None):
        with self.db.unit_of_work() as uow:
            return funding.list_funding_sources(uow, village_ids, window)

    @rpc(expected_exceptions=EXPECTED)
    def launch_campaign(self, data):
        with self.db.unit_of_work() as uow:
            return campaigns.launch_campaign(uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def pledge(self, campaign_id, data, village_ids=None):
        with self.db.unit_of_work() as uow:
            return campaigns.pledge(uow, str(campaign_id), data, village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def get_campaign(self, campaign_id, village_ids=None):
        with self.db.unit_of_work() as uow:
            return campaigns.get_campaign(uow, str(campaign_id), village_ids)

    @rpc(expected_exceptions=EXPECTED)
    def list_campaigns(self, village_ids=None, window=None):
        with self.db.unit_of_work() as uow:
            return campaigns.list_campaigns(uow, village_ids, window)

    @timer(interval=60)
    def close_expired_campaigns(self):
        """Campaigns whose deadline passed under their goal fail (`campaign.failed`)."""
        with self.db.unit_of_work() as uow:
            campaigns.close_expired(uow, utcnow())

    @rpc(expected_exceptions=EXPECTED)
    def village_figures(self, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/partners/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        with self.db.unit_of_work() as uow:
            return figures.village_figures(
                uow, query["date_from"], query["date_to"], query["village_ids"]
            )

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        read_models.record_village(uow, event)

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

    # --- RGPD: one inhabitant's data (services/partners/erasure.py) ---

    @consume_event("member.erased")
    def on_member_erased(self, uow, event):
        erasure.record_member_erased(uow, event)

    @rpc
    def member_data(self, member_id):
        """RGPD export: what partners holds about one member (their pledges)."""
        with self.db.unit_of_work() as uow:
            return erasure.member_data(uow, str(member_id))

    # --- subscriptions: webhooks, AMQP feed, deliveries (services/partners/subscriptions.py) ---

    @consume_event(*audience.EVENT_TYPES, batch=EVENT_BATCH)
    def on_partner_event(self, uow, events):
        """Every type partners may receive (audience.RULES): one delivery per subscription concerned.
        Each order makes two or three of these events: they come in batches, one commit each."""
        subscriptions.record_deliveries(uow, events)

    @timer(interval=0.5)
    def send_deliveries(self):
        deliveries.send_due(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def create_webhook(self, partner_id, data):
        with self.db.unit_of_work() as uow:
            return subscriptions.create_webhook(uow, str(partner_id), load(WebhookInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def list_webhooks(self, partner_id):
        with self.db.unit_of_work() as uow:
            return subscriptions.list_webhooks(uow, str(partner_id))

    @rpc(expected_exceptions=EXPECTED)
    def delete_webhook(self, partner_id, subscription_id):
        with self.db.unit_of_work() as uow:
            return subscriptions.delete_webhook(uow, str(partner_id), str(subscription_id))

    @rpc
    def partner_event_types(self):
        return subscriptions.event_types()

    @rpc(expected_exceptions=EXPECTED)
    def create_feed_account(self, partner_id):
        with self.db.unit_of_work() as uow:
            return subscriptions.create_feed_account(uow, str(partner_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_deliveries(self, query, partner_id=None):
        """`partner_id` set: that partner's own deliveries only (whatever the query says)."""
        query = load(DeliveryQuery(), query)
        if partner_id is not None:
            query["partner_id"] = str(partner_id)
        with self.db.unit_of_work() as uow:
            return deliveries.list_deliveries(uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_delivery(self, delivery_id, partner_id=None):
        with self.db.unit_of_work() as uow:
            return deliveries.get_delivery(uow, str(delivery_id), partner_id)

    @rpc(expected_exceptions=EXPECTED)
    def redeliver(self, delivery_id, partner_id=None):
        with self.db.unit_of_work() as uow:
            return deliveries.redeliver(uow, str(delivery_id), partner_id)

    @rpc
    def health(self):
        return service_health(self.db, self.name)
